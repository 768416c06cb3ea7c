// Conformance: every torrent of libtorrent's public test corpus, compared with the verdict
// of Debian's libtorrent 2.0.8 (EXPECTED-libtorrent.txt). Where bitflow deliberately
// differs, tests/data/corpus-deviations.txt says so with a reason; a listed deviation that
// no longer deviates fails too, so the list stays true.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

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

std::map<std::string, Verdict> read_expected(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  std::map<std::string, Verdict> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, status;
    fields >> name >> status;
    Verdict v;
    v.ok = status == "OK";
    if (v.ok) fields >> v.info_hash >> v.files >> v.total >> v.piece_length;
    out[name] = v;
  }
  return out;
}

std::map<std::string, std::string> read_deviations(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE(in);
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find(' ');
    out[line.substr(0, space)] = line.substr(space + 1);
  }
  return out;
}

// "" when bitflow agrees with libtorrent, else what differs.
std::string compare(const fs::path& path, const Verdict& expected) {
  ErrorInfo error;
  auto t = TorrentInfo::load(path, error);
  if (!t) return expected.ok ? "rejected: " + error.message : "";
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

// Compares every torrent listed in <corpus>/torrents/<set>/EXPECTED-libtorrent.txt.
void check_corpus(const std::string& set) {
  fs::path dir = fs::path(BITFLOW_CORPUS_DIR) / "torrents" / set;
  INFO("corpus at " << dir);
  REQUIRE(fs::exists(dir / "EXPECTED-libtorrent.txt"));
  auto expected = read_expected(dir / "EXPECTED-libtorrent.txt");
  auto deviations = read_deviations(fs::path(BITFLOW_TEST_DATA_DIR) / "corpus-deviations.txt");
  REQUIRE_FALSE(expected.empty());
  std::size_t agreed = 0, deviated = 0;
  for (const auto& [name, verdict] : expected) {
    std::string difference = compare(dir / name, verdict);
    INFO(set << "/" << name << ": " << (difference.empty() ? "agrees" : difference));
    if (deviations.contains(set + "/" + name)) {
      CHECK_FALSE(difference.empty());  // a fixed deviation must leave the list
      ++deviated;
    } else {
      CHECK(difference.empty());
      ++agreed;
    }
  }
  for (const auto& [name, reason] : deviations) {
    if (!name.starts_with(set + "/")) continue;
    INFO("listed deviation " << name << " is not in the corpus");
    CHECK(expected.contains(name.substr(set.size() + 1)));
  }
  CHECK(agreed + deviated == expected.size());
}

}  // namespace

TEST_CASE("corpus: libtorrent's test torrents get libtorrent's verdicts", "[corpus]") {
  check_corpus("libtorrent");
}

TEST_CASE("corpus: real-world and BEP 52 reference torrents get libtorrent's verdicts",
          "[corpus]") {
  check_corpus("anacrolix");
}
