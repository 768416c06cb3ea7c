// bitflowd's command line, parsed into plain values (pure, unit-tested):
//
//   bitflowd --data-dir DIR [--listen ADDR:PORT] [--host NAME]... [--peer HOST:PORT]...
//            [--no-trackers] [--peer-listen ADDR:PORT] [--disk-reserve SIZE] [--max-body SIZE]
//            [--header-timeout SECONDS] [--max-connections N]
//   bitflowd user add NAME [--tier NAME] --data-dir DIR
//   bitflowd user list --data-dir DIR
//   bitflowd tier set NAME [--parallel N] [--max-size SIZE] --data-dir DIR
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bitflow::daemon {

enum class Command { serve, user_add, user_list, tier_set, help };

struct DaemonArgs {
  Command command = Command::serve;
  std::string data_dir;
  std::string listen_address = "127.0.0.1";
  unsigned short listen_port = 8080;
  std::vector<std::string> hosts;  ///< --host: names accepted in the Host header
  std::vector<std::string> peers;  ///< --peer: peers every torrent dials
  bool use_trackers = true;
  std::string peer_listen_address = "0.0.0.0";
  unsigned short peer_listen_port = 6881;
  std::int64_t disk_reserve = std::int64_t{1} << 30;
  std::int64_t max_body = std::int64_t{1} << 20;
  int header_timeout_seconds = 10;  ///< a request's headers must arrive within this
  int max_connections = 512;
  std::string name;                      ///< user add / tier set: the user's or the tier's name
  std::string tier;                      ///< user add --tier
  std::optional<int> parallel;           ///< tier set --parallel
  std::optional<std::int64_t> max_size;  ///< tier set --max-size (bytes)
};

/// Parses argv[1..]. Throws std::invalid_argument with a message for the user.
[[nodiscard]] DaemonArgs parse_daemon_args(const std::vector<std::string>& args);

/// "262144", "256k", "4M", "2G", "1MiB", "10GB" → bytes (powers of 1024). Throws
/// std::invalid_argument.
[[nodiscard]] std::int64_t parse_byte_size(const std::string& text);

/// "ADDR:PORT" (ADDR an IPv4 address or a bracketed IPv6 one) → its parts. Throws
/// std::invalid_argument.
void parse_host_port(const std::string& text, std::string& address, unsigned short& port);

/// The usage text.
[[nodiscard]] const char* daemon_usage() noexcept;

}  // namespace bitflow::daemon
