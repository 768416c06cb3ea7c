// Conformance: every torrent of libtorrent's public test corpus, compared with the verdict
// of Debian's libtorrent 2.0.8 (EXPECTED-libtorrent.txt). Where bitflow deliberately
// differs, tests/data/corpus-deviations.txt names the exact verdict bitflow gives instead,
// with a reason (its opening comment gives the format); a listed file that agrees, or that
// deviates in any other way, fails, so the list stays true.
//
// The corpus is shared, not part of the project (BITFLOW_CORPUS_DIR, by default
// ../shared/corpus next to the source tree). These tests are their own executable with
// their own main(): when the corpus folder is absent (a bare clone) it prints one line
// saying what is missing and exits with 77, which ctest reports as skipped
// (SKIP_RETURN_CODE in tests/CMakeLists.txt). A corpus that is there but incomplete fails.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "../support/corpus_main.hpp"
#include "bitflow/metainfo.hpp"

using namespace bitflow;
namespace fs = std::filesystem;

namespace {

struct Verdict {
  bool ok = false;
  std::string info_hash;  // "-" for v2-only
  std::size_t files = 0;
  std::int64_t total = 0, piece_length = 0;
};

// <file> OK <info-hash> <files> <total> <piece length>, or <file> ERROR <message>. File
// names may hold spaces; every one ends in ".torrent".
std::map<std::string, Verdict> read_expected(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  static const std::regex line_format(R"(^(.+?\.torrent) (OK|ERROR)(?: (.*))?$)");
  std::map<std::string, Verdict> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::smatch m;
    INFO(file.string() << ":" << number << ": '" << line << "'");
    REQUIRE(std::regex_match(line, m, line_format));
    Verdict v;
    v.ok = m[2] == "OK";
    if (v.ok) {
      std::istringstream fields(m[3].str());
      REQUIRE(fields >> v.info_hash >> v.files >> v.total >> v.piece_length);
    }
    REQUIRE(out.emplace(m[1].str(), v).second);  // each file once
  }
  return out;
}

struct Deviation {
  bool exact = true;  // '=': the verdict is exactly `verdict`; '~': it contains it
  std::string verdict;
  std::string reason;
};

// "<set>/<file> | <= or ~> <verdict> | <reason>" lines; see corpus-deviations.txt.
std::map<std::string, Deviation> read_deviations(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  static const std::regex line_format(R"(^([^|]+?) \| ([=~]) ([^|]+?) \| (.+)$)");
  std::map<std::string, Deviation> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    INFO(file.string() << ":" << number << " is not '<set>/<file> | <= or ~> <verdict> | "
                       << "<reason>': '" << line << "'");
    REQUIRE(std::regex_match(line, m, line_format));
    REQUIRE(out.emplace(m[1].str(), Deviation{m[2] == "=", m[3].str(), m[4].str()}).second);
  }
  return out;
}

bool matches(const Deviation& deviation, const std::string& difference) {
  return deviation.exact ? difference == deviation.verdict
                         : difference.find(deviation.verdict) != std::string::npos;
}

// "" when bitflow agrees with libtorrent, else what differs: "rejected: <bitflow's error
// without the file's path>", "accepted, libtorrent rejects", or "<field> <ours> vs
// <libtorrent's>; " for each field that differs.
std::string compare(const fs::path& path, const Verdict& expected) {
  ErrorInfo error;
  auto t = TorrentInfo::load(path, error);
  if (!t) {
    std::string message = error.message;
    if (std::string prefix = path.string() + ": "; message.starts_with(prefix))
      message.erase(0, prefix.size());
    return expected.ok ? "rejected: " + message : "";
  }
  if (!expected.ok) return "accepted, libtorrent rejects";
  std::ostringstream diff;
  if (t->info_hash().hex() != expected.info_hash)
    diff << "info-hash " << t->info_hash().hex() << " vs " << expected.info_hash << "; ";
  if (t->files().size() != expected.files)
    diff << "files " << t->files().size() << " vs " << expected.files << "; ";
  if (t->total_size() != expected.total)
    diff << "total " << t->total_size() << " vs " << expected.total << "; ";
  if (t->piece_length() != expected.piece_length)
    diff << "piece length " << t->piece_length() << " vs " << expected.piece_length << "; ";
  return diff.str();
}

// Every .torrent under `dir` (subfolders too), as paths relative to it.
std::set<std::string> torrents_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".torrent")
      out.insert(entry.path().lexically_relative(dir).generic_string());
  return out;
}

// Compares every torrent listed in <corpus>/torrents/<set>/EXPECTED-libtorrent.txt.
void check_corpus(const std::string& set) {
  fs::path dir = fs::path(BITFLOW_CORPUS_DIR) / "torrents" / set;
  INFO("corpus at " << dir);
  REQUIRE(fs::exists(dir / "EXPECTED-libtorrent.txt"));
  auto expected = read_expected(dir / "EXPECTED-libtorrent.txt");
  auto deviations = read_deviations(fs::path(BITFLOW_TEST_DATA_DIR) / "corpus-deviations.txt");
  REQUIRE_FALSE(expected.empty());
  // The verdicts and the files are the same set: a listed file that is missing would
  // "agree" with every rejection, and a torrent without a verdict would go unchecked.
  auto on_disk = torrents_in(dir);
  for (const auto& [name, verdict] : expected) {
    INFO(set << "/" << name << " has a verdict in EXPECTED-libtorrent.txt");
    CHECK(on_disk.contains(name));
  }
  for (const auto& name : on_disk) {
    INFO(set << "/" << name << " is in the corpus");
    CHECK(expected.contains(name));
  }
  for (const auto& [name, verdict] : expected) {
    if (!on_disk.contains(name)) continue;
    std::string difference = compare(dir / name, verdict);
    INFO(set << "/" << name << ": " << (difference.empty() ? "agrees" : difference));
    if (auto d = deviations.find(set + "/" + name); d != deviations.end()) {
      const Deviation& deviation = d->second;
      INFO(
          "listed as deviating " << (deviation.exact ? "with exactly" : "with a verdict containing")
                                 << " '" << deviation.verdict << "' (" << deviation.reason
                                 << "): a fixed deviation must leave the list, a changed one be "
                                    "updated");
      CHECK(matches(deviation, difference));
    } else {
      CHECK(difference.empty());
    }
  }
  for (const auto& [name, deviation] : deviations) {
    if (!name.starts_with(set + "/")) continue;
    INFO("listed deviation " << name << " is not in the corpus");
    CHECK(expected.contains(name.substr(set.size() + 1)));
  }
}

}  // namespace

TEST_CASE("corpus: libtorrent's test torrents get libtorrent's verdicts", "[corpus]") {
  check_corpus("libtorrent");
}

TEST_CASE("corpus: real-world and BEP 52 reference torrents get libtorrent's verdicts",
          "[corpus]") {
  check_corpus("anacrolix");
}

int main(int argc, char* argv[]) {
  return bitflow::test::run_unless_missing(argc, argv, BITFLOW_CORPUS_DIR,
                                           "the shared conformance corpus");
}
