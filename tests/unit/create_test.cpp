#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "bitflow/create.hpp"
#include "bitflow/metainfo.hpp"

using namespace bitflow;
namespace fs = std::filesystem;

namespace {

// A scratch folder removed when the test ends.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("bitflow-create-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(rng());
  return s;
}

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// Checks every piece hash of `t` against the concatenation of `content`.
void check_pieces(const TorrentInfo& t, const std::string& content) {
  REQUIRE(static_cast<std::int64_t>(content.size()) == t.total_size());
  for (PieceIndex p(0); p.value < t.num_pieces(); ++p) {
    auto offset = static_cast<std::size_t>(t.geometry().piece_offset(p));
    auto size = static_cast<std::size_t>(t.geometry().piece_size(p));
    CHECK(t.piece_hash(p) == sha1(std::string_view(content).substr(offset, size)));
  }
}

}  // namespace

TEST_CASE("create makes a single-file torrent whose hashes match the data", "[create]") {
  TempDir dir;
  std::string data = random_bytes(100'000, 1);
  write(dir.path / "movie.bin", data);
  CreateOptions options;
  options.piece_length = 16384;
  options.trackers = {{"http://t/announce"}};
  // Not `= "c"`: g++ 12 at -O3 flags that as an overlapping copy (-Wrestrict, GCC bug 105651).
  options.comment = std::string("c");
  auto t = TorrentInfo::parse(create_torrent(dir.path / "movie.bin", options));
  CHECK(t.name() == "movie.bin");
  CHECK_FALSE(t.is_multi_file());
  CHECK(t.num_pieces() == 7);
  CHECK(t.trackers() == std::vector<std::vector<std::string>>{{"http://t/announce"}});
  CHECK(t.comment() == "c");
  CHECK_FALSE(t.creation_date());
  check_pieces(t, data);
}

TEST_CASE("create makes a multi-file torrent in sorted path order", "[create]") {
  TempDir dir;
  fs::path root = dir.path / "album";
  std::string a = random_bytes(40'000, 2), b = random_bytes(1, 3), c = random_bytes(70'000, 4);
  write(root / "b" / "z.bin", c);
  write(root / "a.bin", a);
  write(root / "b" / "empty", "");
  write(root / "B.txt", b);
  fs::create_symlink(root / "a.bin", root / "link");  // links are left out
  CreateOptions options;
  options.piece_length = 32768;
  options.is_private = true;
  options.threads = 3;
  options.trackers = {{"http://a/", "http://b/"}, {"udp://c:1"}};
  options.web_seeds = {"http://seed/"};
  std::int64_t last_done = -1;
  options.progress = [&](std::int64_t done, std::int64_t total) {
    CHECK(done >= last_done);
    CHECK(total == 110'001);
    last_done = done;
  };
  auto t = TorrentInfo::parse(create_torrent(root, options));
  CHECK(last_done == 110'001);
  CHECK(t.name() == "album");
  CHECK(t.is_private());
  std::vector<std::string> paths;
  for (const auto& f : t.files())
    paths.push_back(f.path);
  CHECK(paths ==
        std::vector<std::string>{"album/B.txt", "album/a.bin", "album/b/empty", "album/b/z.bin"});
  CHECK(t.trackers().size() == 2);
  CHECK(t.web_seeds() == std::vector<std::string>{"http://seed/"});
  check_pieces(t, b + a + c);
}

TEST_CASE("create is deterministic without a creation date", "[create]") {
  TempDir dir;
  write(dir.path / "d" / "x", random_bytes(5000, 5));
  write(dir.path / "d" / "y", random_bytes(5000, 6));
  CreateOptions one;
  one.threads = 1;
  CreateOptions many;
  many.threads = 8;
  CHECK(create_torrent(dir.path / "d", one) == create_torrent(dir.path / "d", many));
  CHECK(create_torrent(dir.path / "d/", one) == create_torrent(dir.path / "d", one));
}

TEST_CASE("create picks power-of-two piece sizes near 2000 pieces", "[create]") {
  CHECK(auto_piece_length(1) == 16384);
  CHECK(auto_piece_length(100 << 20) == 64 << 10);
  CHECK(auto_piece_length(std::int64_t{4} << 30) == 4 << 20);
  CHECK(auto_piece_length(std::int64_t{1} << 50) == 16 << 20);
}

TEST_CASE("create reports what is wrong with its input", "[create]") {
  TempDir dir;
  ErrorInfo error;
  CHECK_FALSE(create_torrent(dir.path / "missing", {}, error));
  CHECK(error.code == metainfo::errc::io_error);
  fs::create_directories(dir.path / "empty");
  CHECK_FALSE(create_torrent(dir.path / "empty", {}, error));
  CHECK(error.code == metainfo::errc::no_files);
  write(dir.path / "zeros" / "a", "");
  CHECK_FALSE(create_torrent(dir.path / "zeros", {}, error));
  CHECK(error.code == metainfo::errc::no_data);
  write(dir.path / "f", "x");
  CreateOptions bad;
  bad.piece_length = 20000;
  CHECK_FALSE(create_torrent(dir.path / "f", bad, error));
  CHECK(error.code == metainfo::errc::invalid_piece_length);
  CHECK_THROWS_AS(create_torrent(dir.path / "f", bad), Error);
}
