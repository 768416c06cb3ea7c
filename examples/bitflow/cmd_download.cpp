// `bitflow download`: download a torrent into a folder, verified, with a live progress
// line. Ctrl-C stops cleanly; running the same command again resumes from what is on disk.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>

#include "args.hpp"
#include "bitflow/session.hpp"
#include "bitflow/text.hpp"
#include "commands.hpp"

namespace cli {
namespace {

namespace asio = boost::asio;

// "1,3-5" (numbers from 1, in the order of `bitflow info --json`'s files) → priorities.
std::vector<int> file_selection(const std::string& text, std::size_t file_count) {
  std::vector<int> priorities(file_count, 0);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma - start);
    std::size_t dash = item.find('-');
    auto number = [&](const std::string& s) {
      char* end = nullptr;
      long v = std::strtol(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0' || v < 1 || static_cast<std::size_t>(v) > file_count)
        throw UsageError("--files: '" + item + "' is not a file number from 1 to " +
                         std::to_string(file_count));
      return static_cast<std::size_t>(v);
    };
    std::size_t first = number(item.substr(0, dash));
    std::size_t last = dash == std::string::npos ? first : number(item.substr(dash + 1));
    if (last < first) throw UsageError("--files: empty range '" + item + "'");
    for (std::size_t i = first; i <= last; ++i)
      priorities[i - 1] = 4;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return priorities;
}

std::string eta(const bitflow::TorrentStatus& s) {
  if (s.download_rate <= 0) return "--:--";
  auto left = (s.wanted_bytes - s.verified_bytes) / s.download_rate;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(left / 60),
                static_cast<long long>(left % 60));
  return buf;
}

void print_progress(const bitflow::TorrentStatus& s, bool terminal, bool final) {
  char line[256];
  std::snprintf(line, sizeof line, "%-11s %5.1f%%  %s of %s  %s/s  peers %d  ETA %s",
                bitflow::to_string(s.state), s.progress() * 100,
                bitflow::format_size(s.verified_bytes).c_str(),
                bitflow::format_size(s.wanted_bytes).c_str(),
                bitflow::format_size(s.download_rate).c_str(), s.peers, eta(s).c_str());
  if (terminal) {
    constexpr int width = 24;
    int filled = static_cast<int>(s.progress() * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '-');
    std::fprintf(stderr, "\r\033[K[%s] %s%s", bar.c_str(), line, final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

struct Outcome {
  int exit_code = 0;
  std::string message;
};

asio::awaitable<void> watch(bitflow::Session& session, bitflow::TorrentHandle torrent,
                            asio::signal_set& signals, bool quiet, Outcome& outcome) {
  bool terminal = ::isatty(STDERR_FILENO) == 1;
  auto interval = terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool interrupted = false;
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    interrupted = true;
    timer.cancel();
  });
  auto last_print = std::chrono::steady_clock::now();
  for (;;) {
    auto s = torrent.status();
    if (s.state == bitflow::TorrentState::finished || s.state == bitflow::TorrentState::error ||
        interrupted)
      break;
    if (!quiet && std::chrono::steady_clock::now() - last_print >= interval) {
      print_progress(s, terminal, false);
      last_print = std::chrono::steady_clock::now();
    }
    timer.expires_after(std::chrono::milliseconds(100));
    (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await session.stop_all();
  signals.cancel();
  auto s = torrent.status();
  if (!quiet) print_progress(s, terminal, true);
  if (s.state == bitflow::TorrentState::error) {
    outcome = {1, s.error};
  } else if (interrupted) {
    outcome = {130, "interrupted; run the same command again to resume"};
  } else if (!quiet) {
    std::printf(
        "%s: complete (%s downloaded, %d pieces already present, %d hash failures, "
        "%d peers banned)\n",
        torrent.info().name().c_str(), bitflow::format_size(s.downloaded).c_str(),
        s.pieces_from_resume, s.hash_failures, s.peers_banned);
  }
}

}  // namespace

int run_download(const std::vector<std::string>& argv) {
  Args args(argv, {"sequential", "quiet", "no-trackers"}, {"output", "files", "peer"},
            {{'o', "output"}, {'q', "quiet"}});
  if (args.positional().size() != 1)
    throw UsageError(
        "usage: bitflow download <file.torrent> [-o DIR] [--files 1,3-5] "
        "[--sequential] [--peer HOST:PORT]... [--no-trackers] [--quiet]");
  bitflow::AddTorrentParams params(bitflow::TorrentInfo::load(args.positional()[0]));
  params.save_path = args.value("output").value_or(".");
  if (auto files = args.value("files"))
    params.file_priorities = file_selection(*files, params.info.files().size());
  params.sequential = args.flag("sequential");
  params.peers = args.values("peer");
  params.use_trackers = !args.flag("no-trackers");
  if (params.peers.empty() && (!params.use_trackers || params.info.trackers().empty()))
    throw UsageError("no way to find peers: the torrent has no trackers; give --peer HOST:PORT");

  asio::io_context io;
  bitflow::Session session(io);
  auto torrent = session.add(std::move(params));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  Outcome outcome;
  bool quiet = args.flag("quiet");
  asio::co_spawn(io, watch(session, torrent, signals, quiet, outcome), [&](std::exception_ptr e) {
    if (e) outcome = {1, "internal error while stopping"};
    io.stop();
  });
  io.run();
  if (outcome.exit_code != 0) std::fprintf(stderr, "bitflow: %s\n", outcome.message.c_str());
  return outcome.exit_code;
}

}  // namespace cli
