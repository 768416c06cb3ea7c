// `bitflow check`: hash the data of a torrent that is already on disk (storage::
// check_existing, on every core) and say, per file, whether it is complete, partial or
// missing. Reads only: nothing is created, written or deleted. Exit status 0 when every
// piece verifies and every file is there, 1 otherwise, 130 on Ctrl-C.
//
// The JSON form is stable: keys are only ever added, never renamed or removed.
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include "args.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/storage.hpp"
#include "bitflow/text.hpp"
#include "commands.hpp"
#include "data_path.hpp"
#include "progress_bar.hpp"
#include "status_line.hpp"

namespace cli {
namespace {

namespace json = boost::json;
using bitflow::FileIndex;
using bitflow::PieceIndex;

enum class FileStatus { complete, partial, missing };

const char* to_string(FileStatus s) {
  switch (s) {
    case FileStatus::complete:
      return "complete";
    case FileStatus::partial:
      return "partial";
    case FileStatus::missing:
      return "missing";
  }
  return "?";
}

struct FileReport {
  std::int32_t number = 0;  // from 1, as in `bitflow info --json` (pad files included)
  std::string path;
  std::int64_t size = 0;
  std::optional<std::int64_t> size_on_disk;  // none when missing
  FileStatus status = FileStatus::missing;
  std::int32_t pieces = 0;  // the pieces holding bytes of the file
  std::int32_t pieces_verified = 0;
};

struct Report {
  std::int32_t pieces = 0;
  std::int32_t pieces_verified = 0;
  std::int64_t bytes = 0;
  std::int64_t bytes_verified = 0;
  std::vector<std::pair<std::int32_t, std::int32_t>> missing_pieces;  // [first, last] runs
  std::vector<FileReport> files;                                      // pad files left out
  double seconds = 0;
  unsigned threads = 0;

  [[nodiscard]] int count(FileStatus s) const {
    int n = 0;
    for (const auto& f : files)
      n += f.status == s ? 1 : 0;
    return n;
  }
  [[nodiscard]] bool ok() const {
    return pieces_verified == pieces && count(FileStatus::complete) == std::ssize(files);
  }
  [[nodiscard]] double rate() const {
    return seconds > 0 ? static_cast<double>(bytes) / seconds : 0;
  }
};

std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_interrupt(int) {
  interrupted = true;
}

// Ctrl-C (or SIGTERM) stops the check; a second one ends the process at once.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  action.sa_flags = static_cast<int>(SA_RESETHAND);
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

FileReport file_report(const bitflow::TorrentInfo& torrent,
                       const bitflow::storage::Storage& storage, const std::vector<bool>& verified,
                       FileIndex f) {
  const auto& entry = torrent.files()[static_cast<std::size_t>(f.value)];
  FileReport file;
  file.number = f.value + 1;
  file.path = entry.path;
  file.size = entry.size;
  auto range = torrent.geometry().pieces_of_file(f);
  file.pieces = range.size();
  for (PieceIndex p = range.first; p < range.last; ++p)
    file.pieces_verified += verified[static_cast<std::size_t>(p.value)] ? 1 : 0;
  if (!storage.file_exists(f)) return file;  // missing
  std::error_code ec;
  auto on_disk = std::filesystem::file_size(storage.file_path(f), ec);
  if (!ec) file.size_on_disk = static_cast<std::int64_t>(on_disk);
  file.status = file.pieces_verified == file.pieces ? FileStatus::complete : FileStatus::partial;
  return file;
}

Report make_report(const bitflow::TorrentInfo& torrent, const bitflow::storage::Storage& storage,
                   const std::vector<bool>& verified) {
  Report report;
  const auto& geometry = torrent.geometry();
  report.pieces = torrent.num_pieces();
  report.bytes = torrent.total_size();
  for (PieceIndex p(0); p.value < report.pieces; ++p) {
    if (verified[static_cast<std::size_t>(p.value)]) {
      ++report.pieces_verified;
      report.bytes_verified += geometry.piece_size(p);
    } else if (!report.missing_pieces.empty() &&
               report.missing_pieces.back().second + 1 == p.value) {
      report.missing_pieces.back().second = p.value;
    } else {
      report.missing_pieces.emplace_back(p.value, p.value);
    }
  }
  for (FileIndex f(0); f.value < geometry.num_files(); ++f)
    if (!torrent.files()[static_cast<std::size_t>(f.value)].pad)
      report.files.push_back(file_report(torrent, storage, verified, f));
  return report;
}

std::string piece_runs(const Report& report, std::size_t max_runs) {
  std::string out;
  for (std::size_t i = 0; i < report.missing_pieces.size(); ++i) {
    if (i == max_runs) return out + ", ...";
    auto [first, last] = report.missing_pieces[i];
    if (!out.empty()) out += ", ";
    out += std::to_string(first);
    if (last == first) continue;
    out += '-';
    out += std::to_string(last);
  }
  return out;
}

std::string format_rate(double bytes_per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MB/s", bytes_per_second / 1e6);
  return buf;
}

void print_text(const bitflow::TorrentInfo& torrent, const Report& report) {
  for (const auto& f : report.files) {
    std::string detail;
    if (f.status == FileStatus::partial) {
      detail = "  (" + std::to_string(f.pieces_verified) + " of " + std::to_string(f.pieces) +
               " pieces verified";
      if (f.size_on_disk && *f.size_on_disk != f.size)
        detail += "; " + std::to_string(*f.size_on_disk) + " of " + std::to_string(f.size) +
                  " bytes on disk";
      detail += ")";
    }
    std::printf("%-9s %s%s\n", to_string(f.status), bitflow::to_valid_utf8(f.path).c_str(),
                detail.c_str());
  }
  if (!report.missing_pieces.empty())
    std::printf("pieces not verified: %s\n", piece_runs(report, 20).c_str());
  std::printf("%s: %d of %d pieces verified, %s of %s, in %.2f s (%s)\n",
              bitflow::to_valid_utf8(torrent.name()).c_str(), report.pieces_verified, report.pieces,
              bitflow::format_size(report.bytes_verified).c_str(),
              bitflow::format_size(report.bytes).c_str(), report.seconds,
              format_rate(report.rate()).c_str());
}

json::value report_json(const bitflow::TorrentInfo& torrent, const std::filesystem::path& save_path,
                        const Report& report) {
  json::object o;
  o["name"] = bitflow::to_valid_utf8(torrent.name());
  o["info_hash"] = torrent.info_hash().hex();
  o["save_path"] = bitflow::to_valid_utf8(save_path.string());
  o["complete"] = report.ok();
  o["pieces_total"] = report.pieces;
  o["pieces_verified"] = report.pieces_verified;
  json::array runs;
  for (auto [first, last] : report.missing_pieces)
    runs.push_back(json::array{first, last});
  o["missing_pieces"] = std::move(runs);  // [first, last] runs of pieces, inclusive
  o["bytes_total"] = report.bytes;
  o["bytes_verified"] = report.bytes_verified;
  json::array files;
  for (const auto& f : report.files) {
    json::object file;
    file["number"] = f.number;
    file["path"] = bitflow::to_valid_utf8(f.path);
    file["size"] = f.size;
    file["size_on_disk"] = f.size_on_disk ? json::value(*f.size_on_disk) : nullptr;
    file["status"] = to_string(f.status);
    file["pieces_total"] = f.pieces;
    file["pieces_verified"] = f.pieces_verified;
    files.push_back(std::move(file));
  }
  o["files"] = std::move(files);
  o["seconds"] = report.seconds;
  o["threads"] = report.threads;
  o["bytes_per_second"] = report.rate();
  return o;
}

// "the data is incomplete: 1021 of 1024 pieces verified; 1 file partial, 2 missing".
std::string failure_line(const Report& report) {
  std::string line = "the data is incomplete: " + std::to_string(report.pieces_verified) + " of " +
                     std::to_string(report.pieces) + " pieces verified";
  const char* separator = "; ";
  bool first = true;
  for (FileStatus s : {FileStatus::partial, FileStatus::missing}) {
    int n = report.count(s);
    if (n == 0) continue;
    line += separator;
    line += std::to_string(n);
    line += first ? (n == 1 ? " file " : " files ") : " ";
    line += to_string(s);
    separator = ", ";
    first = false;
  }
  return line;
}

unsigned thread_count(const Args& args) {
  auto text = args.value("threads");
  if (!text) return std::max(1u, std::thread::hardware_concurrency());
  char* end = nullptr;
  long n = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || n < 1 || n > 256)
    throw UsageError("--threads: '" + *text + "' is not a number of threads from 1 to 256");
  return static_cast<unsigned>(n);
}

}  // namespace

int run_check(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "quiet"}, {"threads"}, {{'q', "quiet"}});
  if (args.positional().size() != 2)
    throw UsageError(
        "usage: bitflow check <file.torrent> <data-path> [--threads N] [--quiet] [--json]");
  auto torrent = bitflow::TorrentInfo::load(args.positional()[0]);
  auto save_path = save_path_for(torrent, args.positional()[1]);
  const unsigned threads = thread_count(args);
  bitflow::storage::Storage storage(torrent, save_path);

  catch_interrupts();
  auto start = std::chrono::steady_clock::now();
  std::optional<ProgressBar> bar;
  if (!args.flag("quiet")) bar.emplace("checking", torrent.total_size(), start);
  auto progress = [&](std::int32_t done) {
    if (bar) bar->update(std::min(done * torrent.piece_length(), torrent.total_size()));
  };
  auto verified =
      bitflow::storage::check_existing(torrent, storage, threads, progress, &interrupted);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (interrupted) {
    status_line::end();
    std::fprintf(stderr, "bitflow: interrupted\n");
    return 130;
  }
  if (bar) bar->finish();
  Report report = make_report(torrent, storage, verified);
  report.seconds = seconds;
  report.threads = threads;
  if (args.flag("json"))
    std::cout << json::serialize(report_json(torrent, save_path, report)) << '\n';
  else
    print_text(torrent, report);
  std::fflush(stdout);
  if (report.ok()) return 0;
  std::fprintf(stderr, "bitflow: %s\n", failure_line(report).c_str());
  return 1;
}

}  // namespace cli
