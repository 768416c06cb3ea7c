// `bitflow download` and `bitflow seed`: fetch a torrent into a folder, verified, with a live
// progress line, and serve it to peers. Ctrl-C stops cleanly; running the same command
// again resumes from what is on disk.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstdio>
#include <set>
#include <variant>

#include "args.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/session.hpp"
#include "bitflow/text.hpp"
#include "commands.hpp"
#include "data_path.hpp"
#include "delivery.hpp"
#include "sources.hpp"
#include "status_line.hpp"
#include "write_file.hpp"

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

void print_progress(const bitflow::TorrentStatus& s, const std::string& delivery, bool terminal,
                    bool final) {
  char line[256];
  bool serving = s.state == bitflow::TorrentState::seeding;
  if (s.state == bitflow::TorrentState::metadata)
    std::snprintf(line, sizeof line, "%-11s %d of %lld metadata pieces  peers %d",
                  bitflow::to_string(s.state), s.metadata_pieces,
                  static_cast<long long>((s.metadata_size + 16383) / 16384), s.peers);
  else if (serving)
    std::snprintf(line, sizeof line, "%-11s %s uploaded  %s/s  peers %d (%d unchoked)",
                  bitflow::to_string(s.state), bitflow::format_size(s.uploaded).c_str(),
                  bitflow::format_size(s.upload_rate).c_str(), s.peers, s.peers_unchoked);
  else {
    std::string peers = std::to_string(s.peers);
    if (s.web_seeds > 0) peers.append(" + ").append(std::to_string(s.web_seeds)).append(" web");
    std::snprintf(
        line, sizeof line, "%-11s %5.1f%%  %s of %s  down %s/s  up %s/s  peers %s  ETA %s%s",
        bitflow::to_string(s.state), s.progress() * 100,
        bitflow::format_size(s.verified_bytes).c_str(),
        bitflow::format_size(s.wanted_bytes).c_str(), bitflow::format_size(s.download_rate).c_str(),
        bitflow::format_size(s.upload_rate).c_str(), peers.c_str(), eta(s).c_str(),
        delivery.c_str());
  }
  status_line::progress(s.progress(), line, terminal, final);
}

struct Outcome {
  int exit_code = 0;
  std::string message;
};

// What the command is for: a download exits once the data is complete, a seeder (seed,
// download --seed) once the seed limits are met; `seed` refuses incomplete data.
enum class Goal { download, download_and_seed, seed };

bool done(const bitflow::TorrentStatus& s, Goal goal) {
  using bitflow::TorrentState;
  if (s.state == TorrentState::finished || s.state == TorrentState::error) return true;
  return goal == Goal::download && s.state == TorrentState::seeding;
}

// Where --to sends the files: the sink and what opening it for this torrent needs.
struct DeliveryPlan {
  Delivery* delivery = nullptr;
  std::filesystem::path save_path;
  std::vector<int> file_priorities;
};

asio::awaitable<void> watch(bitflow::Session& session, bitflow::TorrentHandle torrent,
                            const std::string& name, asio::signal_set& signals, Goal goal,
                            bool quiet, bool json, DeliveryPlan plan, Outcome& outcome) {
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
  bool incomplete = false;
  Delivery* delivery = plan.delivery;
  bool delivered = delivery == nullptr, delivery_failed = false;
  auto delivery_text = [&] { return delivery ? delivery->progress_text() : std::string(); };
  for (;;) {
    auto s = torrent.status();
    using bitflow::TorrentState;
    const bool complete = s.state == TorrentState::seeding || s.state == TorrentState::finished;
    if (!delivered && !delivery->opened() && torrent.has_metadata() &&
        (complete || s.state == TorrentState::downloading))
      delivery->open_torrent(torrent, plan.save_path, plan.file_priorities);
    if (!delivered && delivery->opened() && delivery->sink().status().error) {
      outcome = {1, delivery->sink().status().error_message};
      delivery_failed = true;
      break;
    }
    if (!delivered && complete && !interrupted) {
      if (!quiet) {
        print_progress(s, delivery_text(), terminal, false);
        status_line::print_above("downloaded; delivering to " + delivery->destination() + "\n");
      }
      std::string message;
      delivered = true;
      if (co_await delivery->finish(quiet, message) != 0) {
        outcome = {1, "delivery to " + delivery->destination() + " failed: " + message};
        delivery_failed = true;
        break;
      }
    }
    if (goal == Goal::seed && s.state == TorrentState::downloading) incomplete = true;
    if (done(s, goal) || interrupted || incomplete) break;
    if (!quiet && std::chrono::steady_clock::now() - last_print >= interval) {
      print_progress(s, delivery_text(), terminal, false);
      last_print = std::chrono::steady_clock::now();
    }
    timer.expires_after(std::chrono::milliseconds(100));
    (void)co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_await session.stop_all();
  signals.cancel();
  auto s = torrent.status();
  if (!delivered && delivery->opened()) {
    // Interrupted: the upload's state stays for the same command to continue. Failed:
    // nothing half-done is left at the destination.
    if (interrupted && s.state != bitflow::TorrentState::error)
      co_await delivery->sink().suspend();
    else
      co_await delivery->sink().abort();
  }
  if (!quiet) print_progress(s, delivery_text(), terminal, true);
  if (delivery_failed) {
    // outcome says why
  } else if (s.state == bitflow::TorrentState::error) {
    outcome = {1, s.error};
  } else if (incomplete) {
    outcome = {1, "the data is incomplete: " + std::to_string(s.pieces_have) + " of " +
                      std::to_string(s.num_pieces) +
                      " pieces verified (use 'bitflow download' to complete it)"};
  } else if (interrupted && goal != Goal::seed) {
    outcome = {130, "interrupted; run the same command again to resume"};
  }  // a seeder ends with Ctrl-C: that is success
  if (json)
    std::printf(
        "{\"state\":\"%s\",\"downloaded\":%lld,\"uploaded\":%lld,\"wasted\":%lld,"
        "\"hash_failures\":%d,\"pieces_from_resume\":%d,\"peers_banned\":%d,"
        "\"verified_bytes\":%lld,\"wanted_bytes\":%lld}\n",
        bitflow::to_string(s.state), static_cast<long long>(s.downloaded),
        static_cast<long long>(s.uploaded), static_cast<long long>(s.wasted), s.hash_failures,
        s.pieces_from_resume, s.peers_banned, static_cast<long long>(s.verified_bytes),
        static_cast<long long>(s.wanted_bytes));
  else if (!quiet && outcome.exit_code != 1)
    std::printf(
        "%s: %s (%s downloaded, %s uploaded, %d pieces already present, %d hash failures, "
        "%d peers banned)\n",
        name.c_str(), bitflow::to_string(s.state), bitflow::format_size(s.downloaded).c_str(),
        bitflow::format_size(s.uploaded).c_str(), s.pieces_from_resume, s.hash_failures,
        s.peers_banned);
}

// Options both commands share: the listening socket, limits and seeding policy.
const std::set<std::string> session_options = {"port",           "listen",       "upload-limit",
                                               "download-limit", "ratio",        "seed-time",
                                               "peer",           "upload-slots", "encryption"};

// --encryption: MSE/PE for peer connections. "prefer" (the default) dials encrypted with
// a plaintext retry, "plaintext" dials plain with an encrypted retry (both accept either
// kind of incoming connection), "require" talks RC4-encrypted only, both ways.
bitflow::EncryptionSettings encryption_settings(const std::string& mode) {
  bitflow::EncryptionSettings e;
  if (mode == "prefer") return e;
  if (mode == "plaintext") {
    e.outgoing = bitflow::OutgoingEncryption::prefer_plaintext;
    return e;
  }
  if (mode == "require") {
    e.outgoing = bitflow::OutgoingEncryption::require;
    e.incoming = bitflow::IncomingEncryption::require;
    return e;
  }
  throw UsageError("--encryption: '" + mode + "' is not one of prefer, plaintext, require");
}

bitflow::SessionSettings session_settings(const Args& args) {
  bitflow::SessionSettings settings;
  if (auto port = args.value("port")) {
    char* end = nullptr;
    long v = std::strtol(port->c_str(), &end, 10);
    if (port->empty() || *end != '\0' || v < 0 || v > 65535)
      throw UsageError("--port: '" + *port + "' is not a port number (0 = any)");
    settings.listen_port = static_cast<std::uint16_t>(v);
  }
  if (auto address = args.value("listen")) settings.listen_address = *address;
  if (auto limit = args.value("upload-limit")) settings.upload_rate_limit = parse_size(*limit);
  if (auto limit = args.value("download-limit")) settings.download_rate_limit = parse_size(*limit);
  if (auto slots = args.value("upload-slots")) settings.upload_slots = std::stoi(*slots);
  if (auto mode = args.value("encryption")) settings.encryption = encryption_settings(*mode);
  return settings;
}

void apply_seed_limits(const Args& args, Goal goal, bitflow::SeedLimits& seed) {
  if (goal == Goal::download) {
    seed = {0.0, std::nullopt};  // nothing to wait for: the command exits when done
    return;
  }
  // `seed` runs until Ctrl-C unless limited; `download --seed` keeps the product default
  // (stop at a 1:1 share ratio) unless told otherwise.
  if (goal == Goal::seed) seed = {std::nullopt, std::nullopt};
  if (auto ratio = args.value("ratio")) {
    char* end = nullptr;
    double r = std::strtod(ratio->c_str(), &end);
    if (ratio->empty() || *end != '\0' || !(r >= 0))
      throw UsageError("--ratio: '" + *ratio + "' is not a share ratio such as 1.5 (0 = none)");
    seed.ratio = r;
    if (r == 0) seed.ratio = std::nullopt;  // 0: no ratio limit
  }
  if (auto time = args.value("seed-time")) {
    char* end = nullptr;
    long v = std::strtol(time->c_str(), &end, 10);
    if (time->empty() || *end != '\0' || v < 0)
      throw UsageError("--seed-time: '" + *time + "' is not a number of seconds");
    seed.time = std::chrono::seconds(v);
  }
}

using AnyParams = std::variant<bitflow::AddTorrentParams, bitflow::AddMagnetParams>;

int run(AnyParams params, const Args& args, Goal goal) {
  asio::io_context io;
  std::unique_ptr<Delivery> delivery = Delivery::from_args(io, args);
  DeliveryPlan plan{delivery.get(), {}, {}};
  if (auto* p = std::get_if<bitflow::AddTorrentParams>(&params)) {
    plan.save_path = p->save_path;
    plan.file_priorities = p->file_priorities;
  } else {
    plan.save_path = std::get<bitflow::AddMagnetParams>(params).save_path;
  }
  bitflow::Session session(io, session_settings(args));
  bool quiet = args.flag("quiet");
  auto save_torrent = args.value("save-torrent");
  std::string save_error;
  session.on_event([&](const bitflow::TorrentEvent& e) {
    if (e.kind == bitflow::TorrentEvent::Kind::piece_verified && delivery)
      delivery->on_piece(e.torrent, e.piece);
    if (e.kind != bitflow::TorrentEvent::Kind::metadata_received) return;
    const auto& info = e.torrent.info();
    if (!quiet)
      status_line::print_above("metadata received: " + info.name() + ", " +
                               std::to_string(info.files().size()) + " files, " +
                               bitflow::format_size(info.total_size()) + "\n");
    if (!save_torrent) return;
    try {
      write_file(*save_torrent, info.bytes());
    } catch (const std::exception& error) {
      // The download goes on; the command reports the failure when it ends.
      save_error = error.what();
    }
  });
  std::string name;
  bitflow::TorrentHandle torrent;
  if (auto* p = std::get_if<bitflow::AddTorrentParams>(&params)) {
    name = p->info.name();
    torrent = session.add(std::move(*p));
  } else {
    auto& m = std::get<bitflow::AddMagnetParams>(params);
    name = !m.magnet.display_name.empty() ? m.magnet.display_name : m.magnet.info_hash->hex();
    torrent = session.add(std::move(m));
  }
  // Tests and scripts read the port from this line.
  if (!quiet || goal == Goal::seed)
    std::printf("%s: listening on port %u\n", name.c_str(), session.listen_port());
  std::fflush(stdout);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  Outcome outcome;
  asio::co_spawn(io,
                 watch(session, torrent, name, signals, goal, quiet, args.flag("json"),
                       std::move(plan), outcome),
                 [&](std::exception_ptr e) {
                   if (e) outcome = {1, "internal error while stopping"};
                   io.stop();
                 });
  io.run();
  if (!save_error.empty() && outcome.exit_code == 0) outcome = {1, "--save-torrent: " + save_error};
  status_line::end();  // a bar left showing (interrupted) ends before the last words
  if (outcome.exit_code != 0) std::fprintf(stderr, "bitflow: %s\n", outcome.message.c_str());
  return outcome.exit_code;
}

std::set<std::string> with_session_options(std::set<std::string> options) {
  options.insert(session_options.begin(), session_options.end());
  return options;
}

std::set<std::string> with_download_options(std::set<std::string> options) {
  options = with_session_options(std::move(options));
  options.insert(Delivery::option_names().begin(), Delivery::option_names().end());
  return options;
}

// Where the torrent downloads: -o, else "." — or, with --to FOLDER, a hidden folder inside
// it, so that the finished files are renamed (not copied) into place.
std::filesystem::path download_folder(const Args& args) {
  if (auto output = args.value("output")) return *output;
  auto to = args.value("to");
  if (to && to->rfind("s3://", 0) != 0) return std::filesystem::path(*to) / ".bitflow-incoming";
  return ".";
}

}  // namespace

int run_download(const std::vector<std::string>& argv) {
  // A URL to download is the source; the values of --web-seed and --to (URLs too) are not.
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--web-seed" || argv[i] == "--to") {
      ++i;
      continue;
    }
    if (is_file_source(detect_source(argv[i]).kind)) return run_download_url(argv);
  }
  Args args(argv,
            {"sequential", "quiet", "no-trackers", "no-web-seeds", "seed", "json", "no-local-copy"},
            with_download_options({"output", "files", "save-torrent", "web-seed"}),
            {{'o', "output"}, {'q', "quiet"}});
  if (args.positional().size() != 1)
    throw UsageError(
        "usage: bitflow download <file.torrent | magnet-uri | URL of a .torrent> [-o DIR] "
        "[--save-torrent FILE] "
        "[--files 1,3-5] [--sequential] "
        "[--peer HOST:PORT]... [--no-trackers] [--web-seed URL]... [--no-web-seeds] "
        "[--seed [--ratio R] [--seed-time S]] [--to DIR | --to s3://BUCKET/PREFIX/ "
        "[--part-size SIZE] [--parallel-parts N] [--notify-sqs QUEUE_URL]] [--port N] "
        "[--listen ADDR] [--upload-limit RATE] [--download-limit RATE] "
        "[--encryption prefer|plaintext|require] [--quiet] [--json]");
  if (args.flag("no-local-copy"))
    throw UsageError(
        "--no-local-copy is for URL downloads: a torrent verifies and serves its pieces from "
        "its local files");
  Goal goal = args.flag("seed") ? Goal::download_and_seed : Goal::download;
  if (goal == Goal::download_and_seed && args.value("to") &&
      args.value("to")->rfind("s3://", 0) != 0)
    throw UsageError("--seed needs the files where they downloaded: --to a folder moves them away");
  if (bitflow::is_magnet_uri(args.positional()[0])) {
    bitflow::AddMagnetParams params(bitflow::Magnet::parse(args.positional()[0]));
    if (args.value("files"))
      throw UsageError("--files needs the file list, which a magnet link does not carry");
    params.save_path = download_folder(args);
    params.sequential = args.flag("sequential");
    params.peers = args.values("peer");
    params.use_trackers = !args.flag("no-trackers");
    params.use_web_seeds = !args.flag("no-web-seeds");
    params.web_seeds = args.values("web-seed");
    // Web seeds alone cannot fetch the metadata: a magnet needs peers.
    if (params.peers.empty() && params.magnet.peers.empty() &&
        (!params.use_trackers || params.magnet.trackers.empty()))
      throw UsageError(
          "no way to find peers: the magnet link has no trackers (tr=) or peers (x.pe=); "
          "give --peer HOST:PORT");
    apply_seed_limits(args, goal, params.seed);
    return run(std::move(params), args, goal);
  }
  if (args.value("save-torrent"))
    throw UsageError("--save-torrent is for magnet links (the .torrent is already there)");
  bitflow::AddTorrentParams params(load_torrent(args.positional()[0]));
  params.save_path = download_folder(args);
  if (auto files = args.value("files"))
    params.file_priorities = file_selection(*files, params.info.files().size());
  params.sequential = args.flag("sequential");
  params.peers = args.values("peer");
  params.use_trackers = !args.flag("no-trackers");
  params.use_web_seeds = !args.flag("no-web-seeds");
  params.web_seeds = args.values("web-seed");
  const bool web_seeds =
      params.use_web_seeds && (!params.web_seeds.empty() || !params.info.web_seeds().empty());
  if (params.peers.empty() && !web_seeds &&
      (!params.use_trackers || params.info.trackers().empty()))
    throw UsageError(
        "no way to find peers: the torrent has no trackers or web seeds; give --peer "
        "HOST:PORT or --web-seed URL");
  apply_seed_limits(args, goal, params.seed);
  return run(std::move(params), args, goal);
}

int run_seed(const std::vector<std::string>& argv) {
  Args args(argv, {"quiet", "no-trackers", "json"}, with_session_options({}), {{'q', "quiet"}});
  if (args.positional().size() != 2)
    throw UsageError(
        "usage: bitflow seed <file.torrent> <data-path> [--port N] [--listen ADDR] "
        "[--ratio R] [--seed-time S] [--upload-limit RATE] [--upload-slots N] [--peer "
        "HOST:PORT]... "
        "[--no-trackers] [--encryption prefer|plaintext|require] [--quiet] [--json]");
  bitflow::AddTorrentParams params(bitflow::TorrentInfo::load(args.positional()[0]));
  // The folder holding the torrent's content, or the content itself.
  params.save_path = save_path_for(params.info, args.positional()[1]);
  params.peers = args.values("peer");
  params.use_trackers = !args.flag("no-trackers");
  apply_seed_limits(args, Goal::seed, params.seed);
  return run(std::move(params), args, Goal::seed);
}

}  // namespace cli
