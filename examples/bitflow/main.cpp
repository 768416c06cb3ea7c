// bitflow — the command-line client. Dispatches to a subcommand; every failure ends as
// one line on stderr and a non-zero exit status (2 for usage errors, 1 otherwise). The
// logging options (-v, --log-file) are taken out first: every command accepts them.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "args.hpp"
#include "bitflow/version.hpp"
#include "commands.hpp"
#include "logging.hpp"

namespace {

constexpr const char* usage_text =
    "usage: bitflow <command> [options]\n"
    "\n"
    "commands:\n"
    "  info <file.torrent | magnet-uri | URL | s3://BUCKET/KEY> [--json]\n"
    "      show what a torrent, a magnet link or a URL holds (a URL of a .torrent:\n"
    "      the torrent; another URL: the name, size and type its server gives)\n"
    "  create <path> -o <out.torrent> [-t tracker-url]... [-w|--web-seed url]...\n"
    "         [--piece-size N] [--private] [--comment TEXT] [--no-date] [--threads N]\n"
    "      make a .torrent from a file or a folder (-t once per tier;\n"
    "      'url1,url2' puts several trackers in one tier)\n"
    "  announce <file.torrent | magnet-uri> [--tracker URL]... [--scrape] [--json]\n"
    "           [--port N] [--event started|completed|stopped|none] [--peer-id ID]\n"
    "           [--numwant N] [--left N] [--uploaded N] [--downloaded N] [--timeout S]\n"
    "      ask the trackers (http, https, udp) for peers and print their replies\n"
    "  download <file.torrent | magnet-uri | URL of a .torrent> [-o DIR] [--files 1,3-5]\n"
    "           [--sequential]\n"
    "           [--save-torrent FILE (magnets: write the fetched metadata)]\n"
    "           [--peer HOST:PORT]... [--no-trackers] [--web-seed URL]...\n"
    "           [--no-web-seeds] [--seed] [--quiet]\n"
    "      download and verify a torrent (files numbered from 1 as in 'info --json'),\n"
    "      from peers and from its web seeds (url-list, BEP 19);\n"
    "      Ctrl-C stops, running it again resumes; --seed keeps serving peers after\n"
    "      (until a 1:1 share ratio unless --ratio/--seed-time say otherwise)\n"
    "  download <http(s)|ftp(s)|sftp URL> [-o DIR] [-x N] [-k SIZE] [--name FILE]\n"
    "           [--checksum sha256=HEX] [--overwrite] [--max-tries N] [--stall-timeout S]\n"
    "           [--insecure | --cacert FILE] [--ssh-known-hosts FILE] [--ssh-key FILE]\n"
    "           [--quiet] [--json]\n"
    "      download one file over N connections (default 4), resumable: Ctrl-C or a\n"
    "      crash keeps NAME.part, the same command fetches what is missing; the same for\n"
    "      s3://BUCKET/KEY, signed with the AWS settings of the environment and ~/.aws\n"
    "  seed <file.torrent> <data-path> [--ratio R] [--seed-time S] [--upload-slots N]\n"
    "      serve complete data (the folder holding it, or the content itself) until\n"
    "      Ctrl-C or the limits given\n"
    "  check <file.torrent> <data-path> [--threads N] [--quiet] [--json]\n"
    "      verify existing data (data-path as for seed): per file complete, partial or\n"
    "      missing, the pieces verified and the rate; exit 1 unless all of it verifies\n"
    "  options of download and seed: [--port N] [--listen ADDR] [--upload-limit RATE]\n"
    "      [--download-limit RATE] (RATE in bytes/s: 500k, 2M) [--json] (the final\n"
    "      counters as one JSON line on stdout)\n"
    "  presign s3://BUCKET/KEY [--expires SECONDS (default 3600, at most 604800)]\n"
    "          [--method GET|PUT]\n"
    "      print a presigned URL for the object, signed with the AWS settings of the\n"
    "      environment and ~/.aws (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...)\n"
    "  watch <transmission+http://HOST:PORT/transmission/rpc | rtorrent+scgi://HOST:PORT>\n"
    "        [--interval MS (default 1000)] [--json]\n"
    "      follow a transmission-daemon or rTorrent: print the events of its torrents\n"
    "      (added, started, progress, paused, resumed, finished, failed, removed,\n"
    "      updated) as they happen, one JSON object a line with --json, until Ctrl-C\n"
    "  version\n"
    "\n"
    "options of every command:\n"
    "  -v, --verbose     log more: -v info (trackers, states, bans), -vv debug (every\n"
    "                    connection and why it ended), -vvv trace; default: warnings\n"
    "  --log-file PATH   append the log to PATH instead of stderr (level info at least)\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    cli::setup_logging(args);  // -v/--verbose, --log-file: anywhere on the line
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "bitflow: %s\n", e.what());
    return 2;
  }
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(usage_text, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage_text, stdout);
      return 0;
    }
  }
  try {
    if (command == "info") return cli::run_info(args);
    if (command == "create") return cli::run_create(args);
    if (command == "announce") return cli::run_announce(args);
    if (command == "download") return cli::run_download(args);
    if (command == "seed") return cli::run_seed(args);
    if (command == "check") return cli::run_check(args);
    if (command == "presign") return cli::run_presign(args);
    if (command == "watch") return cli::run_watch(args);
    if (command == "version" || command == "--version") {
      std::printf("bitflow %s\n", bitflow::version_string);
      return 0;
    }
    throw cli::UsageError("unknown command '" + command + "' (try 'bitflow --help')");
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "bitflow: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitflow: %s\n", e.what());
    return 1;
  }
}
