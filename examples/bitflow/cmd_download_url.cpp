// `bitflow download <http(s)|ftp(s)|sftp URL>`: one file through bitflow::UrlFetcher,
// segmented over -x connections, with the same progress line as a torrent. Ctrl-C stops
// (keeping <name>.part and its control file); the same command resumes.
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>

#include "args.hpp"
#include "bitflow/text.hpp"
#include "bitflow/url_fetcher.hpp"
#include "commands.hpp"
#include "delivery.hpp"
#include "sources.hpp"
#include "status_line.hpp"

namespace cli {
namespace {

namespace asio = boost::asio;

void print_progress(const bitflow::FetchStatus& s, const std::string& delivery, bool terminal,
                    bool final) {
  const double progress =
      s.bytes_total > 0 ? static_cast<double>(s.bytes_done) / static_cast<double>(s.bytes_total)
                        : 0.0;
  std::string eta = "--:--";
  if (s.download_rate > 0 && s.bytes_total > 0) {
    auto left = (s.bytes_total - s.bytes_done) / s.download_rate;
    eta = std::to_string(left / 60) + ":" + (left % 60 < 10 ? "0" : "") + std::to_string(left % 60);
  }
  char line[256];
  std::snprintf(
      line, sizeof line, "%-11s %5.1f%%  %s of %s  down %s/s  connections %d  ETA %s%s",
      bitflow::to_string(s.state), progress * 100, bitflow::format_size(s.bytes_done).c_str(),
      s.bytes_total > 0 ? bitflow::format_size(s.bytes_total).c_str() : "?",
      bitflow::format_size(s.download_rate).c_str(), s.peers, eta.c_str(), delivery.c_str());
  status_line::progress(progress, line, terminal, final);
}

int positive(const Args& args, const std::string& name, int fallback, int most) {
  auto text = args.value(name);
  if (!text) return fallback;
  char* end = nullptr;
  long v = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || v < 1 || v > most)
    throw UsageError("--" + name + ": '" + *text + "' is not a number from 1 to " +
                     std::to_string(most));
  return static_cast<int>(v);
}

// --no-local-copy's leftovers: the file (or its .part) and the control file.
void remove_local_copy(const std::filesystem::path& file) {
  std::error_code ignored;
  for (const char* suffix : {"", ".part", ".part.bitflow"})
    std::filesystem::remove(file.string() + suffix, ignored);
}

}  // namespace

int run_download_url(const std::vector<std::string>& argv) {
  std::set<std::string> value_options = {
      "output",    "connections", "checksum",        "min-segment",   "name",
      "max-tries", "ssh-key",     "ssh-known-hosts", "stall-timeout", "cacert"};
  value_options.insert(Delivery::option_names().begin(), Delivery::option_names().end());
  Args args(argv, {"quiet", "json", "overwrite", "insecure", "no-local-copy"}, value_options,
            {{'o', "output"}, {'q', "quiet"}, {'x', "connections"}, {'k', "min-segment"}});
  if (args.positional().size() != 1)
    throw UsageError(
        "usage: bitflow download <URL> [-o DIR] [-x N] [-k SIZE] [--name FILE] "
        "[--checksum ALGO=HEX] [--overwrite] [--max-tries N] [--insecure] [--cacert FILE] "
        "[--stall-timeout S] [--ssh-known-hosts FILE] [--ssh-key FILE] [--to DIR | --to "
        "s3://BUCKET/PREFIX/ [--part-size SIZE] [--parallel-parts N] [--notify-sqs QUEUE_URL] "
        "[--no-local-copy]] [--quiet] [--json]");
  bitflow::UrlFetchOptions options;
  options.url = args.positional()[0];
  options.output_dir = args.value("output").value_or(".");
  options.connections = positive(args, "connections", 4, 16);
  options.max_tries = positive(args, "max-tries", 5, 100);
  options.low_speed_time = std::chrono::seconds(positive(args, "stall-timeout", 30, 3600));
  if (auto k = args.value("min-segment"))
    options.min_segment = std::max<std::int64_t>(1, parse_size(*k));
  if (auto sum = args.value("checksum")) {
    bitflow::ErrorInfo error;
    options.checksum = bitflow::Checksum::parse(*sum, error);
    if (!options.checksum) throw UsageError("--checksum: " + error.message);
  }
  options.file_name = args.value("name").value_or("");
  options.overwrite = args.flag("overwrite");
  options.verify_tls = !args.flag("insecure");
  if (auto f = args.value("cacert")) options.ca_file = *f;
  if (auto f = args.value("ssh-known-hosts")) options.ssh_known_hosts = *f;
  if (auto f = args.value("ssh-key")) options.ssh_private_key = *f;
  const bool quiet = args.flag("quiet"), json = args.flag("json");
  const bool terminal = ::isatty(STDERR_FILENO) == 1;

  asio::io_context io;
  std::unique_ptr<Delivery> delivery = Delivery::from_args(io, args);
  const bool no_local_copy = delivery && delivery->no_local_copy();
  if (no_local_copy && options.checksum)
    throw UsageError(
        "--checksum reads the whole file at the end, which --no-local-copy frees as it uploads");
  bitflow::UrlFetcher* fetcher_ptr = nullptr;
  // Streaming: each written segment goes to the sink, which is opened by the first one
  // (the name and size are known by then). A download that starts over feeds it no more;
  // the file then goes whole at the end, after the stale upload is aborted.
  bool stream = delivery != nullptr, discarded = false;
  auto open_delivery = [&](const std::filesystem::path& local) {
    const auto final_path = fetcher_ptr->file_path();
    delivery->open({{final_path.filename().string(),
                     static_cast<std::uint64_t>(fetcher_ptr->status().bytes_total), local}},
                   final_path.string() + ".part.s3-upload", options.url);
  };
  // --no-local-copy: the fetcher holds (pauses itself) while more than the backlog limit
  // waits for upload, and is resumed once half of it has gone up. The hold is decided
  // inside the transfer, from the fetcher's own count of bytes written: the reports are
  // posted, and on a fast link libcurl writes far ahead of them.
  bool held = false, interrupted = false;
  asio::steady_timer hold_timer(io);
  auto backlog = [&]() -> std::uint64_t {
    const auto written = static_cast<std::uint64_t>(fetcher_ptr->status().bytes_done);
    const std::uint64_t delivered =
        delivery->opened() ? delivery->sink().status().bytes_delivered : 0;
    return written > delivered ? written - delivered : 0;
  };
  auto limit = [&] {
    return delivery->backlog_limit(static_cast<std::uint64_t>(fetcher_ptr->status().bytes_total),
                                   options.connections);
  };
  auto release_when_drained = [&]() -> asio::awaitable<void> {
    while (held) {
      hold_timer.expires_after(std::chrono::milliseconds(50));
      co_await hold_timer.async_wait(asio::use_awaitable);
      if (held && (backlog() <= limit() / 2 || delivery->sink().status().error)) {
        held = false;
        fetcher_ptr->resume();
      }
    }
  };
  if (no_local_copy)
    options.hold_writes = [&] {
      if (!held && !interrupted && backlog() > limit()) held = true;
      return held;
    };
  if (delivery) {
    options.on_written = [&](std::int64_t offset, std::int64_t length) {
      if (!stream) return;
      if (!delivery->opened()) open_delivery(fetcher_ptr->file_path().string() + ".part");
      delivery->sink().ready(0, static_cast<std::uint64_t>(offset),
                             static_cast<std::uint64_t>(length));
    };
    options.on_discarded = [&] {
      stream = false;
      discarded = delivery->opened();
    };
  }
  bitflow::UrlFetcher fetcher(io, url_fetch_options(options));
  fetcher_ptr = &fetcher;
  auto last_print = std::chrono::steady_clock::now();
  const auto interval = terminal ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000);
  int delivery_result = 0;
  std::string delivery_message;
  // The end: a completed file is delivered (whole, if it was not streamed); an
  // interrupted one keeps its upload for the same command to continue; a failed one's is
  // aborted.
  auto conclude = [&](bitflow::FetchState state) -> asio::awaitable<void> {
    if (delivery) {
      if (discarded) co_await delivery->sink().abort();
      const bool completed = state == bitflow::FetchState::completed;
      if (completed && (discarded || !delivery->opened())) open_delivery(fetcher.file_path());
      if (completed) {
        delivery->moved(0, fetcher.file_path());
        if (!quiet)
          status_line::print_above("downloaded; delivering to " + delivery->destination() + "\n");
        delivery_result = co_await delivery->finish(quiet, delivery_message);
      } else if (delivery->opened() && !discarded) {
        if (interrupted)
          co_await delivery->sink().suspend();
        else
          co_await delivery->sink().abort();
      }
      // --no-local-copy: what is left locally has holes where parts went up. Once the
      // upload is done or aborted, nothing can use it — a rerun must start afresh rather
      // than send those holes — so it goes; an interrupted run keeps both for the rerun.
      if (no_local_copy && !interrupted) remove_local_copy(fetcher.file_path());
    }
    io.stop();
  };
  bool concluding = false, draining = false;
  fetcher.on_progress([&](const bitflow::FetchStatus& s) {
    // A pause of --no-local-copy's own is not the end.
    const bool holding = s.state == bitflow::FetchState::paused && held;
    const bool over = s.state != bitflow::FetchState::running && !holding;
    if (holding && !draining) {
      draining = true;
      asio::co_spawn(io, release_when_drained(), [&](std::exception_ptr) { draining = false; });
    }
    const std::string sent = delivery ? delivery->progress_text() : std::string();
    if (!quiet && (over || std::chrono::steady_clock::now() - last_print >= interval)) {
      print_progress(s, sent, terminal, over);
      last_print = std::chrono::steady_clock::now();
    }
    if (!over && delivery && delivery->opened() && delivery->sink().status().error)
      fetcher.cancel();  // the destination failed: no use downloading on
    if (over && !concluding) {
      concluding = true;
      asio::co_spawn(io, conclude(s.state), asio::detached);
    }
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    interrupted = true;
    if (held) {  // already paused: no state change will report the end
      held = false;
      hold_timer.cancel();
      concluding = true;
      asio::co_spawn(io, conclude(bitflow::FetchState::paused), asio::detached);
      return;
    }
    fetcher.pause();  // saves what is done; the same command resumes
  });
  const auto started = std::chrono::steady_clock::now();
  fetcher.start();
  if (fetcher.status().state == bitflow::FetchState::running) io.run();
  status_line::end();
  const auto s = fetcher.status();
  if (json) {
    boost::json::object o;
    o["state"] = bitflow::to_string(s.state);
    o["url"] = options.url;
    o["file"] = fetcher.file_path().string();
    o["bytes"] = s.bytes_done;
    o["size"] = s.bytes_total;
    if (!s.error.empty()) o["error"] = s.error;
    std::printf("%s\n", boost::json::serialize(o).c_str());
  }
  if (delivery && delivery->opened() && delivery->sink().status().error &&
      s.state != bitflow::FetchState::completed) {
    std::fprintf(stderr, "bitflow: delivery to %s failed: %s\n", delivery->destination().c_str(),
                 delivery->sink().status().error_message.c_str());
    return 1;
  }
  if (s.state == bitflow::FetchState::completed && delivery_result != 0) {
    std::fprintf(stderr, "bitflow: delivery to %s failed: %s\n", delivery->destination().c_str(),
                 delivery_message.c_str());
    return 1;
  }
  if (s.state == bitflow::FetchState::completed) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto average =
        static_cast<std::int64_t>(static_cast<double>(s.bytes_total) / std::max(seconds, 0.001));
    if (!quiet && !json)
      std::printf("%s: completed (%s in %.1f s, %s/s)\n", fetcher.file_path().string().c_str(),
                  bitflow::format_size(s.bytes_total).c_str(), seconds,
                  bitflow::format_size(average).c_str());
    return 0;
  }
  if (interrupted) {
    std::fprintf(stderr, "bitflow: interrupted; run the same command again to resume\n");
    return 130;
  }
  std::fprintf(stderr, "bitflow: %s\n", s.error.empty() ? "download failed" : s.error.c_str());
  return 1;
}

}  // namespace cli
