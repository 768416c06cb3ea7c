// bench_bencode: how fast bitflow reads a very large .torrent.
//
// Builds in memory a realistic multi-file torrent (default 50,000 files in nested folders:
// music albums, photo days, TV seasons, documents, source trees; sizes from 16 KiB to
// 700 MiB; random SHA-1-looking piece hashes; announce-list, url-list, comment...) with
// bencode::Value and encode(), optionally writes it out (--write FILE, so bench/run.sh can
// time libtorrent on the same bytes), then times:
//   1. bencode::decode over the whole file,
//   2. TorrentInfo::parse (decode + validation + path sanitising + info-hash).
// Each is run --reps times; the best and the median are printed. MB = 10^6 bytes.
//
//   bench_bencode [--files N] [--reps N] [--write FILE]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/error.hpp"
#include "bitflow/metainfo.hpp"

namespace {

namespace bc = bitflow::bencode;

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t MiB = 1024 * KiB;

struct Options {
  std::size_t files = 50'000;
  int reps = 7;
  std::string write_path;
};

// ---- Generating the torrent ----------------------------------------------------------

template <std::size_t N>
std::string_view pick(std::mt19937_64& rng, const std::string_view (&words)[N]) {
  return words[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

constexpr std::string_view artists[] = {
    "Nils Frahm",     "Bonobo",           "Khruangbin", "Radiohead", "Aphex Twin",     "Portishead",
    "Massive Attack", "Boards of Canada", "Tycho",      "Four Tet",  "Ólafur Arnalds", "Sigur Rós",
    "Björk",          "坂本龍一",         "Daft Punk"};
constexpr std::string_view words[] = {
    "Morning", "Light",  "Echoes",  "Northern", "River", "Static", "Glass",  "Harbor",
    "Signal",  "Winter", "Orbit",   "Silence",  "Ember", "Drift",  "Paper",  "Midnight",
    "Garden",  "Motion", "Distant", "Shore",    "Fever", "Atlas",  "Velvet", "Horizon"};
constexpr std::string_view places[] = {"Lisbon", "Kyoto",    "Reykjavík", "Porto",  "Berlin",
                                       "Hanoi",  "Montréal", "Oaxaca",    "Bergen", "Tbilisi"};
constexpr std::string_view shows[] = {"The.Long.Coast", "Night.Shift", "Deep.Field", "Open.Water",
                                      "Small.Town.Mysteries"};
constexpr std::string_view modules[] = {"net",    "core", "storage", "ui",  "util",
                                        "crypto", "io",   "http",    "dht", "tests"};
constexpr std::string_view code_ext[] = {".c", ".h", ".cpp", ".hpp", ".py", ".rs", ".go", ".md"};

class TorrentGenerator {
 public:
  explicit TorrentGenerator(std::uint64_t seed) : rng_(seed) {}

  // One file: its path below the torrent's folder and its size.
  struct File {
    std::vector<std::string> path;
    std::int64_t size;
  };

  File next() {
    int kind = std::uniform_int_distribution<int>(0, 99)(rng_);
    File f = kind < 30   ? photo()
             : kind < 55 ? track()
             : kind < 82 ? source()
             : kind < 97 ? doc()
                         : episode();
    make_unique(f.path);
    return f;
  }

  std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    for (char& c : out)
      c = static_cast<char>(rng_() & 0xff);
    return out;
  }

 private:
  std::int64_t log_uniform(std::int64_t lo, std::int64_t hi) {
    std::uniform_real_distribution<double> d(std::log(static_cast<double>(lo)),
                                             std::log(static_cast<double>(hi)));
    return static_cast<std::int64_t>(std::exp(d(rng_)));
  }
  int number(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string title() {
    return std::string(pick(rng_, words)) + " " + std::string(pick(rng_, words));
  }
  static std::string two_digits(int n) {
    std::string out = n < 10 ? "0" : "";
    out += std::to_string(n);
    return out;
  }

  File photo() {
    int year = number(2012, 2024), month = number(1, 12), day = number(1, 28);
    std::string date = std::to_string(year) + "-" + two_digits(month) + "-" + two_digits(day);
    return {{"Photos", std::to_string(year), date + " " + std::string(pick(rng_, places)),
             "IMG_" + std::to_string(number(1000, 9999)) + ".jpg"},
            log_uniform(2 * MiB, 16 * MiB)};
  }
  File track() {
    std::string album = std::to_string(number(1995, 2024)) + " - " + title();
    return {{"Music", std::string(pick(rng_, artists)), album,
             two_digits(number(1, 14)) + " - " + title() + ".flac"},
            log_uniform(8 * MiB, 60 * MiB)};
  }
  File source() {
    std::string project =
        "libproject-" + std::to_string(number(1, 4)) + "." + std::to_string(number(0, 20));
    return {{"Software", project, "src", std::string(pick(rng_, modules)),
             std::string(pick(rng_, words)) + "_" + std::to_string(number(1, 99)) +
                 std::string(pick(rng_, code_ext))},
            log_uniform(16 * KiB, 1 * MiB)};
  }
  File doc() {
    return {{"Documents", std::string(pick(rng_, words)),
             title() + " (" + std::to_string(number(1990, 2024)) + ").pdf"},
            log_uniform(100 * KiB, 40 * MiB)};
  }
  File episode() {
    std::string show(pick(rng_, shows));
    int season = number(1, 6), ep = number(1, 12);
    return {{"Video", show, "Season " + two_digits(season),
             show + ".S" + two_digits(season) + "E" + two_digits(ep) + "." + title() +
                 ".1080p.WEB-DL.x264.mkv"},
            log_uniform(100 * MiB, 700 * MiB)};
  }

  // Real torrents never repeat a path: a clash gets " (2)", " (3)"... on its leaf.
  void make_unique(std::vector<std::string>& path) {
    std::string joined;
    for (const auto& e : path)
      joined += "/" + e;
    std::string leaf = path.back();
    for (int n = 2; !seen_.insert(joined).second; ++n) {
      joined.resize(joined.size() - path.back().size());
      path.back() = leaf + " (" + std::to_string(n) + ")";
      joined += path.back();
    }
  }

  std::mt19937_64 rng_;
  std::unordered_set<std::string> seen_;
};

bc::Value announce_list() {
  const std::vector<std::vector<std::string>> tiers = {
      {"udp://tracker.opentrackr.org:1337/announce"},
      {"udp://open.demonii.com:1337/announce"},
      {"https://tracker.example.org:443/announce", "http://backup.example.net/announce"}};
  bc::Value::List list;
  for (const auto& tier : tiers)
    list.emplace_back(bc::Value::List(tier.begin(), tier.end()));
  return list;
}

// The whole torrent, bencoded. Piece length as bitflow's creator would choose it.
std::string make_torrent(std::size_t file_count) {
  TorrentGenerator gen(20240601);
  bc::Value::List files;
  files.reserve(file_count);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < file_count; ++i) {
    TorrentGenerator::File f = gen.next();
    bc::Value::List path(f.path.begin(), f.path.end());
    bc::Value entry;
    entry["length"] = f.size;
    entry["path"] = std::move(path);
    files.push_back(std::move(entry));
    total += f.size;
  }
  std::int64_t piece_length = bitflow::auto_piece_length(total);
  auto pieces = static_cast<std::size_t>((total + piece_length - 1) / piece_length);

  bc::Value info;
  info["files"] = std::move(files);
  info["name"] = "Open Media Archive 2024";
  info["piece length"] = piece_length;
  info["pieces"] = gen.random_bytes(20 * pieces);
  bc::Value root;
  root["announce"] = "udp://tracker.opentrackr.org:1337/announce";
  root["announce-list"] = announce_list();
  root["comment"] = "Synthetic benchmark torrent: music, photos, video, documents, code";
  root["created by"] = "bitflow bench_bencode";
  root["creation date"] = 1717200000;
  root["url-list"] = bc::Value::List{bc::Value("https://mirror.example.org/archive/")};
  root["info"] = std::move(info);
  return bc::encode(root);
}

// ---- Timing --------------------------------------------------------------------------

struct Timing {
  double best;    // seconds
  double median;  // seconds
};

// Runs `setup` (untimed) then `body` (timed) `reps` times.
Timing measure(int reps, const std::function<void()>& setup, const std::function<void()>& body) {
  std::vector<double> seconds;
  for (int i = 0; i < reps; ++i) {
    setup();
    auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return {seconds.front(), seconds[seconds.size() / 2]};
}

double mb(std::size_t bytes) {
  return static_cast<double>(bytes) / 1e6;
}

void bench_decode(const std::string& torrent, int reps) {
  std::size_t tokens = 0;
  Timing t = measure(
      reps, [] {}, [&] { tokens = bc::decode(torrent).token_count(); });
  std::printf(
      "bencode decode: %.1f MB/s (best of %d, median %.1f MB/s, %.2f ms, file %.2f MB, "
      "%zu tokens)\n",
      mb(torrent.size()) / t.best, reps, mb(torrent.size()) / t.median, t.best * 1e3,
      mb(torrent.size()), tokens);
}

void bench_parse(const std::string& torrent, int reps) {
  std::string copy;
  std::size_t files = 0;
  // parse() takes the bytes by value: the copy is made untimed, then moved in.
  Timing t = measure(
      reps, [&] { copy = torrent; },
      [&] { files = bitflow::TorrentInfo::parse(std::move(copy)).files().size(); });
  auto files_per_s = [&](double s) { return static_cast<double>(files) / s; };
  std::printf(
      "torrent parse: %.1f MB/s, %.0f files/s (best of %d, median %.1f MB/s, %.0f files/s, "
      "%.2f ms, file %.2f MB, %zu files)\n",
      mb(torrent.size()) / t.best, files_per_s(t.best), reps, mb(torrent.size()) / t.median,
      files_per_s(t.median), t.best * 1e3, mb(torrent.size()), files);
}

// ---- Command line --------------------------------------------------------------------

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--files N] [--reps N] [--write FILE]\n", argv0);
  std::exit(2);
}

long positive(const char* argv0, const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v <= 0) usage(argv0);
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    const char* value = argv[++i];
    if (arg == "--files")
      o.files = static_cast<std::size_t>(positive(argv[0], value));
    else if (arg == "--reps")
      o.reps = static_cast<int>(positive(argv[0], value));
    else if (arg == "--write")
      o.write_path = value;
    else
      usage(argv[0]);
  }
  return o;
}

void describe(const std::string& torrent) {
  auto t = bitflow::TorrentInfo::parse(torrent);
  std::printf(
      "torrent: %zu files, %.1f GB content, piece length %lld KiB, %d pieces, "
      "%.2f MB .torrent, %zu warnings\n",
      t.files().size(), static_cast<double>(t.total_size()) / 1e9,
      static_cast<long long>(t.piece_length() / KiB), t.num_pieces(), mb(torrent.size()),
      t.warnings().size());
}

}  // namespace

int main(int argc, char** argv) try {
  Options opt = parse_args(argc, argv);
  std::string torrent = make_torrent(opt.files);
  if (!opt.write_path.empty()) {
    std::ofstream out(opt.write_path, std::ios::binary);
    if (!(out << torrent) || !out.flush()) {
      std::fprintf(stderr, "cannot write %s\n", opt.write_path.c_str());
      return 1;
    }
  }
  describe(torrent);
  bench_decode(torrent, opt.reps);
  bench_parse(torrent, opt.reps);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_bencode: %s\n", e.what());
  return 1;
}
