#include "args.hpp"

#include <charconv>
#include <cstdint>

namespace cli {

Args::Args(const std::vector<std::string>& argv, std::set<std::string> flags,
           std::set<std::string> options, std::map<char, std::string> aliases) {
  bool only_positional = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    if (arg[1] == '-') {
      auto eq = arg.find('=');
      name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) inline_value = arg.substr(eq + 1);
    } else {
      auto alias = aliases.find(arg[1]);
      if (alias == aliases.end() || arg.size() != 2) throw UsageError("unknown option " + arg);
      name = alias->second;
    }
    if (flags.contains(name)) {
      if (inline_value) throw UsageError("option --" + name + " takes no value");
      flags_.insert(name);
    } else if (options.contains(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw UsageError("option --" + name + " needs a value");
        inline_value = argv[++i];
      }
      values_.emplace(name, *inline_value);
    } else {
      throw UsageError("unknown option " + arg);
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;  // the last one given wins
}

std::vector<std::string> Args::values(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it)
    out.push_back(it->second);
  return out;
}

std::int64_t parse_size(const std::string& text) {
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || number <= 0) throw UsageError("bad size '" + text + "'");
  std::string unit(end, text.data() + text.size());
  for (auto& c : unit)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b")
    shift = 0;
  else if (unit == "k" || unit == "kib" || unit == "kb")
    shift = 10;
  else if (unit == "m" || unit == "mib" || unit == "mb")
    shift = 20;
  else if (unit == "g" || unit == "gib" || unit == "gb")
    shift = 30;
  else
    throw UsageError("bad size unit in '" + text + "'");
  if (number > (std::int64_t{1} << (62 - shift))) throw UsageError("size too large: " + text);
  return number << shift;
}

}  // namespace cli
