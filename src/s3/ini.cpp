#include "s3/ini.hpp"

#include "s3/s3_error.hpp"

namespace bitflow::s3 {

namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct KeyValue {
  std::string key;
  std::string value;
};

std::optional<KeyValue> split_setting(std::string_view line) {
  const auto delimiter = line.find_first_of("=:");
  if (delimiter == std::string_view::npos) return std::nullopt;
  std::string key = lowercase(trim(line.substr(0, delimiter)));
  if (key.empty()) return std::nullopt;
  return KeyValue{std::move(key), std::string(trim(line.substr(delimiter + 1)))};
}

}  // namespace

std::optional<IniFile> parse_ini(std::string_view text, ErrorInfo& error) {
  IniFile out;
  IniSection* section = nullptr;
  std::string key;  // the setting an indented line continues ("" for none)
  bool nested = false;
  int number = 0;
  auto fail = [&](std::string_view what) -> std::optional<IniFile> {
    error.code = errc::invalid_config;
    error.message = "aws config: line ";
    error.message.append(std::to_string(number)).append(": ").append(what);
    return std::nullopt;
  };
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (indented && section && !key.empty()) {
      if (nested) {
        auto sub = split_setting(line);
        if (!sub) return fail("expected 'name = value' in the nested block");
        (*section)[key + "." + sub->key] = std::move(sub->value);
      } else {
        (*section)[key].append("\n").append(line);
      }
      continue;
    }
    if (line[0] == '[') {
      // As in configparser, text after the closing ']' is ignored ("[default] # main").
      const auto close = line.rfind(']');
      if (close == std::string_view::npos) return fail("a section header without ']'");
      section = &out[std::string(trim(line.substr(1, close - 1)))];
      key.clear();
      continue;
    }
    auto setting = split_setting(line);
    if (!setting) return fail("expected '[section]' or 'name = value'");
    if (!section) return fail("a setting outside any [section]");
    key = setting->key;
    nested = setting->value.empty();
    (*section)[key] = std::move(setting->value);
  }
  return out;
}

}  // namespace bitflow::s3
