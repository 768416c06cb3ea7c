// `bitflow watch`: follow a transmission-daemon or rTorrent through bitflow's remote
// clients and print the download manager's events for its torrents as they happen — one
// JSON object per line (bitflow/manager_json.hpp's shape) with --json, a readable line
// otherwise. Runs until Ctrl-C or SIGTERM (exit 0); a client that stops answering is
// reported on stderr (the same failure once, not at every poll) and polled again.
#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "args.hpp"
#include "bitflow/manager_json.hpp"
#include "bitflow/remote_client.hpp"
#include "bitflow/remote_watch.hpp"
#include "commands.hpp"

namespace cli {
namespace {

namespace asio = boost::asio;
using bitflow::manager::Event;
using bitflow::manager::EventKind;

constexpr const char* usage =
    "usage: bitflow watch <transmission+http://HOST:PORT/transmission/rpc | "
    "rtorrent+scgi://HOST:PORT> [--interval MS] [--json]";

std::string human_bytes(std::int64_t n) {
  if (n < 0) return "?";
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  std::size_t u = 0;
  while (v >= 1000 && u + 1 < std::size(units)) {
    v /= 1000;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

// "2026-12-04T02:11:07.042Z progress  ubuntu.iso (0123abcd) downloading 42% 1.2 GB of 2.9 GB, 3.1
// MB/s"
std::string readable(const Event& e) {
  const auto& d = e.download;
  std::string line =
      fmt::format("{} {:<9} {} ({}) {} {}% {} of {}", bitflow::manager::format_utc(e.at),
                  to_string(e.kind), d.name, d.id.substr(0, 8), to_string(d.state), d.progress(),
                  human_bytes(d.bytes_done), human_bytes(d.bytes_total));
  if (d.download_rate > 0) line += fmt::format(", {}/s", human_bytes(d.download_rate));
  if (!d.error.empty()) line += fmt::format(": {}", d.error);
  if (e.kind == EventKind::updated)
    line += fmt::format(" [changed: {}]", fmt::join(e.changed, ", "));
  return line;
}

std::chrono::milliseconds parse_interval(const std::optional<std::string>& text) {
  if (!text) return std::chrono::milliseconds(1000);
  char* end = nullptr;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  // Below 50 ms a poll would mostly measure the client's own RPC latency.
  if (text->empty() || *end != '\0' || v < 50 || v > 3'600'000)
    throw UsageError("--interval wants milliseconds from 50 to 3600000");
  return std::chrono::milliseconds(v);
}

}  // namespace

int run_watch(const std::vector<std::string>& argv) {
  Args args(argv, {"json"}, {"interval"});
  if (args.positional().size() != 1) throw UsageError(usage);
  bitflow::remote::WatchOptions options;
  options.interval = parse_interval(args.value("interval"));
  const bool json = args.flag("json");

  asio::io_context io;
  std::unique_ptr<bitflow::remote::RemoteClient> client;
  try {
    client = bitflow::remote::make_remote_client(io, args.positional()[0]);
  } catch (const bitflow::Error& e) {
    throw UsageError(fmt::format("{}\n{}", e.what(), usage));
  }

  std::string last_error;  // the same failure is said once, not at every poll
  auto on_event = [&](const Event& e) {
    const std::string line =
        json ? boost::json::serialize(bitflow::manager::to_json(e)) : readable(e);
    std::fputs(line.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);  // a pipe reader sees each event as it happens
  };
  auto on_error = [&](const bitflow::ErrorInfo& error) {
    if (error.message == last_error) return;
    last_error = error.message;
    std::fprintf(stderr, "bitflow: %s (trying again every %lld ms)\n", error.message.c_str(),
                 static_cast<long long>(options.interval.count()));
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { io.stop(); });
  std::string failure;
  asio::co_spawn(io, bitflow::remote::watch(*client, options, on_event, on_error),
                 [&](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     failure = x.what();
                   }
                   io.stop();
                 });
  io.run();
  if (!failure.empty()) {
    std::fprintf(stderr, "bitflow: %s\n", failure.c_str());
    return 1;
  }
  return 0;
}

}  // namespace cli
