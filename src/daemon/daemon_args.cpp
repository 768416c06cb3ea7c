#include "daemon/daemon_args.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace bitflow::daemon {

namespace {

template <class T>
T parse_number(const std::string& text, const std::string& what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    throw std::invalid_argument(fmt::format("{}: '{}' is not a number", what, text));
  return value;
}

}  // namespace

std::int64_t parse_byte_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  if (digits == 0) throw std::invalid_argument(fmt::format("size '{}': expected a number", text));
  const auto number = parse_number<std::int64_t>(text.substr(0, digits), "size");
  std::string unit;
  for (char c : text.substr(digits))
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (unit.empty() || unit == "b")
    shift = 0;
  else if (unit == "k" || unit == "kb" || unit == "kib")
    shift = 10;
  else if (unit == "m" || unit == "mb" || unit == "mib")
    shift = 20;
  else if (unit == "g" || unit == "gb" || unit == "gib")
    shift = 30;
  else if (unit == "t" || unit == "tb" || unit == "tib")
    shift = 40;
  else
    throw std::invalid_argument(fmt::format("size '{}': unknown unit '{}'", text, unit));
  if (number > (std::numeric_limits<std::int64_t>::max() >> shift))
    throw std::invalid_argument(fmt::format("size '{}' is too large", text));
  return number << shift;
}

void parse_host_port(const std::string& text, std::string& address, unsigned short& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw std::invalid_argument(fmt::format("'{}': expected ADDRESS:PORT", text));
  address = text.substr(0, colon);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  port = parse_number<unsigned short>(text.substr(colon + 1), "port");
}

DaemonArgs parse_daemon_args(const std::vector<std::string>& args) {
  DaemonArgs out;
  std::size_t i = 0;
  std::vector<std::string> positional;
  auto value = [&](const std::string& option) -> std::string {
    if (i + 1 >= args.size()) throw std::invalid_argument(fmt::format("{} needs a value", option));
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      out.command = Command::help;
      return out;
    } else if (a == "--data-dir") {
      out.data_dir = value(a);
    } else if (a == "--listen") {
      parse_host_port(value(a), out.listen_address, out.listen_port);
    } else if (a == "--host") {
      out.hosts.push_back(value(a));
    } else if (a == "--peer") {
      out.peers.push_back(value(a));
    } else if (a == "--no-trackers") {
      out.use_trackers = false;
    } else if (a == "--peer-listen") {
      parse_host_port(value(a), out.peer_listen_address, out.peer_listen_port);
    } else if (a == "--disk-reserve") {
      out.disk_reserve = parse_byte_size(value(a));
    } else if (a == "--max-body") {
      out.max_body = parse_byte_size(value(a));
    } else if (a == "--header-timeout") {
      out.header_timeout_seconds = parse_number<int>(value(a), "--header-timeout");
      if (out.header_timeout_seconds < 1)
        throw std::invalid_argument("--header-timeout must be at least 1 (seconds)");
    } else if (a == "--max-connections") {
      out.max_connections = parse_number<int>(value(a), "--max-connections");
      if (out.max_connections < 1)
        throw std::invalid_argument("--max-connections must be at least 1");
    } else if (a == "--tier") {
      out.tier = value(a);
    } else if (a == "--parallel") {
      out.parallel = parse_number<int>(value(a), "--parallel");
      if (*out.parallel < 1) throw std::invalid_argument("--parallel must be at least 1");
    } else if (a == "--max-size") {
      out.max_size = parse_byte_size(value(a));
    } else if (a.starts_with("-")) {
      throw std::invalid_argument(fmt::format("unknown option {}", a));
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty()) {
    out.command = Command::serve;
  } else if (positional[0] == "user" && positional.size() == 3 && positional[1] == "add") {
    out.command = Command::user_add;
    out.name = positional[2];
  } else if (positional[0] == "user" && positional.size() == 2 && positional[1] == "list") {
    out.command = Command::user_list;
  } else if (positional[0] == "tier" && positional.size() == 3 && positional[1] == "set") {
    out.command = Command::tier_set;
    out.name = positional[2];
  } else {
    std::string words;
    for (const std::string& p : positional)
      words += words.empty() ? p : fmt::format(" {}", p);
    throw std::invalid_argument(fmt::format("unknown command '{}'", words));
  }
  if (out.data_dir.empty()) throw std::invalid_argument("--data-dir DIR is needed");
  if (out.command != Command::user_add && !out.tier.empty())
    throw std::invalid_argument("--tier belongs to 'user add'");
  if (out.command != Command::tier_set && (out.parallel || out.max_size))
    throw std::invalid_argument("--parallel and --max-size belong to 'tier set'");
  return out;
}

const char* daemon_usage() noexcept {
  return "usage:\n"
         "  bitflowd --data-dir DIR [--listen ADDR:PORT] [--host NAME]... [--peer HOST:PORT]...\n"
         "           [--no-trackers] [--peer-listen ADDR:PORT] [--disk-reserve SIZE]\n"
         "           [--max-body SIZE] [--header-timeout SECONDS] [--max-connections N]\n"
         "  bitflowd user add NAME [--tier NAME] --data-dir DIR   (prints the user's token)\n"
         "  bitflowd user list --data-dir DIR\n"
         "  bitflowd tier set NAME [--parallel N] [--max-size SIZE] --data-dir DIR\n"
         "\n"
         "The database is DIR/bitflow.db; downloads land in DIR/files/<user>/.\n";
}

}  // namespace bitflow::daemon
