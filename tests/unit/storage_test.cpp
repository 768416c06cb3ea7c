#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <thread>

#include "bitflow/bencode.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/resume.hpp"
#include "bitflow/storage.hpp"
#include "storage/fs_util.hpp"

using namespace bitflow;
using namespace bitflow::storage;
using bencode::Value;
namespace fs = std::filesystem;

namespace {

// "f" and 3 give "f3" (appended, not `"f" + std::to_string(3)`, which g++ 12 -O3 misreads
// as an overlapping copy: -Wrestrict, GCC bug 105651).
std::string numbered(std::string prefix, int n) {
  prefix += std::to_string(n);
  return prefix;
}

// A fresh folder under the system temp folder, deleted (without following symlinks)
// when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "bitflow-storage-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct FileSpec {
  std::string path;  // '/'-separated, below the torrent's name
  std::int64_t size;
  bool pad = false;
};

// A torrent over `content` (pad bytes must be zero) with real piece hashes.
TorrentInfo make_torrent(const std::vector<FileSpec>& files, std::int64_t piece_length,
                         const std::string& content, std::string name = "root") {
  Value::List list;
  for (const FileSpec& spec : files) {
    Value entry;
    entry["length"] = spec.size;
    Value::List elements;
    std::stringstream parts(spec.path);
    for (std::string element; std::getline(parts, element, '/');)
      elements.emplace_back(element);
    entry["path"] = std::move(elements);
    if (spec.pad) entry["attr"] = "p";
    list.push_back(std::move(entry));
  }
  std::string hashes;
  for (std::size_t at = 0; at < content.size(); at += static_cast<std::size_t>(piece_length))
    hashes +=
        sha1(std::string_view(content).substr(at, static_cast<std::size_t>(piece_length))).view();
  Value info;
  info["name"] = std::move(name);
  info["piece length"] = piece_length;
  info["pieces"] = std::move(hashes);
  info["files"] = std::move(list);
  Value top;
  top["info"] = std::move(info);
  return TorrentInfo::parse(bencode::encode(top));
}

// Deterministic bytes for `files`, zero inside pad files.
std::string make_content(const std::vector<FileSpec>& files, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::string content;
  for (const FileSpec& spec : files)
    for (std::int64_t i = 0; i < spec.size; ++i)
      content.push_back(spec.pad ? '\0' : static_cast<char>('a' + rng() % 26));
  return content;
}

// The main test torrent: piece length 32, 161 bytes in 6 pieces (the last 1 byte long).
// Piece 1 straddles a.txt, sub/b.bin, c.dat and the pad file; piece 4 straddles
// d/e/long.bin, skip.iso and tail.txt.
const std::vector<FileSpec> main_files = {
    {"a.txt", 40},        {"empty", 0},     {"sub/b.bin", 10}, {"c.dat", 5},    {".pad/9", 9, true},
    {"d/e/long.bin", 70}, {"skip.iso", 20}, {"tail.txt", 7},   {"zz_empty", 0},
};
constexpr int file_a = 0, file_b = 2, file_long = 5, file_skip = 6, file_tail = 7;

struct Fixture {
  TempDir dir;
  fs::path save = dir.path() / "save";
  std::string content = make_content(main_files);
  TorrentInfo torrent = make_torrent(main_files, 32, content);

  std::string_view piece(std::int32_t p) const {
    auto at = static_cast<std::size_t>(p * 32);
    return std::string_view(content).substr(at, 32);
  }
  std::string_view file_content(int f) const {
    const FileEntry& e = torrent.files()[static_cast<std::size_t>(f)];
    return std::string_view(content).substr(static_cast<std::size_t>(e.offset),
                                            static_cast<std::size_t>(e.size));
  }
  fs::path file(int f) const { return save / torrent.files()[static_cast<std::size_t>(f)].path; }
};

struct BlockRef {
  PieceIndex piece;
  std::uint32_t offset;
  std::uint32_t length;
};

// Every block of `block` bytes of every piece, shuffled.
std::vector<BlockRef> shuffled_blocks(const TorrentInfo& torrent, std::uint32_t block,
                                      unsigned seed = 7) {
  std::vector<BlockRef> blocks;
  for (std::int32_t p = 0; p < torrent.num_pieces(); ++p) {
    auto size = static_cast<std::uint32_t>(torrent.geometry().piece_size(PieceIndex(p)));
    for (std::uint32_t at = 0; at < size; at += block)
      blocks.push_back({PieceIndex(p), at, std::min(block, size - at)});
  }
  std::mt19937 rng(seed);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  return blocks;
}

std::span<const char> slice_of(const TorrentInfo& torrent, const std::string& content,
                               const BlockRef& b) {
  auto at = static_cast<std::size_t>(torrent.geometry().piece_offset(b.piece)) + b.offset;
  return std::span<const char>(content.data() + at, b.length);
}

void write_everything(Storage& storage, const TorrentInfo& torrent, const std::string& content,
                      std::uint32_t block = 8) {
  for (const BlockRef& b : shuffled_blocks(torrent, block)) {
    ErrorInfo error;
    INFO(error.message);
    REQUIRE(storage.write(b.piece, b.offset, slice_of(torrent, content, b), error));
  }
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Overwrites one byte in place (same size, new mtime).
void poke(const fs::path& path, std::int64_t offset, char value) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(offset);
  f.put(value);
}

std::vector<int> priorities_skipping(int file) {
  std::vector<int> p(main_files.size(), 4);
  p[static_cast<std::size_t>(file)] = 0;
  return p;
}

}  // namespace

TEST_CASE("storage writes blocks out of order and reads back byte-identical files", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  write_everything(storage, fx.torrent, fx.content);

  for (std::int32_t p = 0; p < fx.torrent.num_pieces(); ++p) {
    auto size = static_cast<std::size_t>(fx.torrent.geometry().piece_size(PieceIndex(p)));
    std::string out(size, '?');
    ErrorInfo error;
    REQUIRE(storage.read(PieceIndex(p), 0, out, error));
    CHECK(out == fx.piece(p).substr(0, size));
  }
  for (int f : {file_a, file_b, 3, file_long, file_skip, file_tail}) {
    INFO(fx.torrent.files()[static_cast<std::size_t>(f)].path);
    CHECK(slurp(fx.file(f)) == fx.file_content(f));
  }
  CHECK_FALSE(fs::exists(fx.save / "root/.pad"));  // pad bytes are dropped
  CHECK_FALSE(fs::exists(fx.file(1)));             // zero-length files get no bytes...
  CHECK_FALSE(fs::exists(fx.save / ".bitflow"));   // ...and nothing was skipped

  ErrorInfo error;
  REQUIRE(storage.create_empty_files(error));  // ...until the torrent completes
  CHECK(fs::is_regular_file(fx.file(1)));
  CHECK(fs::file_size(fx.file(8)) == 0);
  CHECK_FALSE(fs::exists(fx.save / "root/.pad"));
}

TEST_CASE("storage creates a file and its folders only when its first byte arrives", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  CHECK_FALSE(fs::exists(fx.save));

  storage.write(PieceIndex(0), 0, std::span<const char>(fx.content.data(), 8));
  CHECK(fs::file_size(fx.file(file_a)) == 8);
  CHECK_FALSE(fs::exists(fx.save / "root/sub"));
  CHECK_FALSE(fs::exists(fx.file(3)));

  // Bytes [10, 14) of piece 1 are bytes [2, 6) of sub/b.bin: the file is created sparse.
  storage.write(PieceIndex(1), 10, std::span<const char>(fx.content.data() + 42, 4));
  CHECK(fs::file_size(fx.file(file_b)) == 6);
  CHECK(slurp(fx.file(file_b)).substr(2) == fx.file_content(file_b).substr(2, 4));
  CHECK_FALSE(fs::exists(fx.file(3)));
  CHECK_FALSE(fs::exists(fx.save / "root/d"));
}

TEST_CASE("storage never creates a skipped file and keeps its straddling bytes in the side file",
          "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save, priorities_skipping(file_skip));
  write_everything(storage, fx.torrent, fx.content);

  CHECK_FALSE(fs::exists(fx.file(file_skip)));
  const fs::path parts = fx.save / ".bitflow" / (fx.torrent.info_hash().hex() + ".parts");
  CHECK(storage.parts_path() == parts);
  REQUIRE(fs::is_regular_file(parts));
  // Positional by content offset: skip.iso starts at byte 134 of the torrent.
  CHECK(slurp(parts).substr(134) == fx.file_content(file_skip));

  std::string out(32, '?');
  storage.read(PieceIndex(4), 0, out);
  CHECK(out == fx.piece(4));  // long.bin + side file + tail.txt
  CHECK(slurp(fx.file(file_tail)) == fx.file_content(file_tail));
  CHECK(slurp(fx.file(file_long)) == fx.file_content(file_long));
  CHECK(storage.file_exists(FileIndex(file_skip)));  // through the side file

  auto verified = check_existing(fx.torrent, storage, 2);
  CHECK(std::count(verified.begin(), verified.end(), true) == 6);
}

TEST_CASE("storage reads a missing or short file as an error, never as zeros", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  std::string out(32, '?');
  ErrorInfo error;
  CHECK_FALSE(storage.read(PieceIndex(0), 0, out, error));
  CHECK(error.code == errc::missing_file);
  CHECK_THAT(error.message, Catch::Contains("root/a.txt"));

  storage.write(PieceIndex(0), 0, std::span<const char>(fx.content.data(), 8));
  error.clear();
  CHECK_FALSE(storage.read(PieceIndex(0), 0, out, error));
  CHECK(error.code == errc::short_read);
  CHECK_THAT(error.message, Catch::Contains("root/a.txt"));

  // Bytes [23, 32) of piece 1 are the pad file: zeros, though it is never on disk.
  std::string pad(9, '?');
  REQUIRE(storage.read(PieceIndex(1), 23, pad, error));
  CHECK(pad == std::string(9, '\0'));
  CHECK(storage.file_exists(FileIndex(4)));
  CHECK_FALSE(storage.file_exists(FileIndex(file_b)));
}

TEST_CASE("storage refuses ranges outside the torrent", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  std::string data(8, 'x');
  ErrorInfo error;
  CHECK_FALSE(storage.write(PieceIndex(6), 0, data, error));
  CHECK(error.code == errc::invalid_range);
  error.clear();
  CHECK_FALSE(storage.write(PieceIndex(-1), 0, data, error));
  CHECK(error.code == errc::invalid_range);
  error.clear();
  CHECK_FALSE(storage.write(PieceIndex(0), 25, data, error));  // 25 + 8 > 32
  CHECK(error.code == errc::invalid_range);
  error.clear();
  CHECK_FALSE(storage.write(PieceIndex(5), 0, std::span<const char>(data.data(), 2), error));
  CHECK(error.code == errc::invalid_range);  // the last piece is 1 byte
  error.clear();
  CHECK_FALSE(storage.write(PieceIndex(0), 0xffffffffu, data, error));
  CHECK(error.code == errc::invalid_range);
  CHECK_THROWS_AS(storage.read(PieceIndex(0), 30, std::span<char>(data.data(), 8)), Error);
  CHECK_FALSE(fs::exists(fx.save));
  CHECK_THROWS_AS(Storage(fx.torrent, fx.save, {1, 2}), std::invalid_argument);
  CHECK_THROWS_AS(Storage(fx.torrent, fx.save, std::vector<int>(9, 8)), std::invalid_argument);
}

TEST_CASE("storage path check refuses anything that leads outside the save folder", "[storage]") {
  const fs::path root = "/srv/save";
  for (const char* bad :
       {"../x", "a/../../x", "/etc/passwd", "", ".", "a/..", "a/", "..", "a/b/../../../c"}) {
    INFO(bad);
    CHECK_FALSE(detail::resolve_under(root, bad).has_value());
  }
  CHECK(detail::resolve_under(root, "a/./b") == fs::path("a/b"));
  CHECK(detail::resolve_under(root, "a/../b") == fs::path("b"));
  CHECK(detail::resolve_under("/srv/save/", "a/b") == fs::path("a/b"));
  CHECK(detail::resolve_under("save", "x.bin") == fs::path("x.bin"));
}

TEST_CASE("storage refuses to write through a planted symlink and writes nothing outside",
          "[storage]") {
  Fixture fx;
  const fs::path outside = fx.dir.path() / "outside";
  fs::create_directories(outside);
  fs::create_directories(fx.save / "root");
  Storage storage(fx.torrent, fx.save);

  SECTION("a symlinked parent folder") {
    fs::create_directory_symlink(outside, fx.save / "root/sub");
    // Piece 1 bytes [8, 18) are sub/b.bin.
    ErrorInfo error;
    CHECK_FALSE(
        storage.write(PieceIndex(1), 8, std::span<const char>(fx.content.data() + 40, 10), error));
    CHECK(error.code == errc::symlink_refused);
    CHECK_THAT(error.message, Catch::Contains("symlink") && Catch::Contains("root/sub"));
    std::string out(10, '?');
    error.clear();
    CHECK_FALSE(storage.read(PieceIndex(1), 8, out, error));
    CHECK(error.code == errc::symlink_refused);
    CHECK_FALSE(storage.file_exists(FileIndex(file_b)));
  }
  SECTION("a symlink in place of the file") {
    spit(outside / "target", "keep");
    fs::create_symlink(outside / "target", fx.save / "root/c.dat");
    ErrorInfo error;
    CHECK_FALSE(
        storage.write(PieceIndex(1), 18, std::span<const char>(fx.content.data() + 50, 5), error));
    CHECK(error.code == errc::symlink_refused);
    CHECK_THAT(error.message, Catch::Contains("root/c.dat"));
    CHECK(slurp(outside / "target") == "keep");
  }
  SECTION("a dangling symlink in place of the file") {
    fs::create_symlink(outside / "new", fx.save / "root/a.txt");
    ErrorInfo error;
    CHECK_FALSE(
        storage.write(PieceIndex(0), 0, std::span<const char>(fx.content.data(), 8), error));
    CHECK(error.code == errc::symlink_refused);
    CHECK_FALSE(fs::exists(outside / "new"));
  }
  SECTION("a file where a folder should be") {
    spit(fx.save / "root/d", "not a folder");
    ErrorInfo error;
    CHECK_FALSE(
        storage.write(PieceIndex(2), 0, std::span<const char>(fx.content.data() + 64, 8), error));
    CHECK(error.code == errc::symlink_refused);
    CHECK_THAT(error.message, Catch::Contains("not a folder"));
  }
  SECTION("a symlink at a deeper folder, planted after the first writes") {
    storage.write(PieceIndex(2), 0, std::span<const char>(fx.content.data() + 64, 8));
    storage.release_files();
    fs::remove_all(fx.save / "root/d/e");
    fs::create_directory_symlink(outside, fx.save / "root/d/e");
    ErrorInfo error;
    CHECK_FALSE(
        storage.write(PieceIndex(2), 8, std::span<const char>(fx.content.data() + 72, 8), error));
    CHECK(error.code == errc::symlink_refused);
  }
  // Nothing was written outside: only the planted target, unchanged.
  if (fs::exists(outside / "target")) {
    CHECK(slurp(outside / "target") == "keep");
    CHECK(std::distance(fs::directory_iterator(outside), fs::directory_iterator()) == 1);
  } else {
    CHECK(fs::is_empty(outside));
  }
}

TEST_CASE("storage keeps its open-file cache bounded and stays correct with 200 files",
          "[storage]") {
  TempDir dir;
  std::vector<FileSpec> files;
  for (int i = 0; i < 200; ++i)
    files.push_back({numbered("f", i), 3 + i % 4});
  std::string content = make_content(files, 3);
  TorrentInfo torrent = make_torrent(files, 16, content, "many");
  Storage storage(torrent, dir.path(), {}, StorageOptions{8});

  for (const BlockRef& b : shuffled_blocks(torrent, 5)) {
    storage.write(b.piece, b.offset, slice_of(torrent, content, b));
    REQUIRE(storage.open_file_count() <= 8);
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    const FileEntry& e = torrent.files()[i];
    REQUIRE(slurp(dir.path() / e.path) ==
            content.substr(static_cast<std::size_t>(e.offset), static_cast<std::size_t>(e.size)));
  }
  auto verified = check_existing(torrent, storage, 3);
  CHECK(std::count(verified.begin(), verified.end(), false) == 0);
  CHECK(storage.open_file_count() <= 8);
  storage.release_files();
  CHECK(storage.open_file_count() == 0);
}

TEST_CASE("storage serves concurrent writes and reads of different pieces", "[storage]") {
  TempDir dir;
  std::vector<FileSpec> files;
  for (int i = 0; i < 60; ++i)
    files.push_back({numbered("d", i % 5) + numbered("/f", i), 7 + i % 11});
  std::string content = make_content(files, 5);
  TorrentInfo torrent = make_torrent(files, 16, content, "conc");
  std::vector<int> priorities(files.size(), 1);
  priorities[3] = priorities[17] = 0;  // some bytes go to the side file
  Storage storage(torrent, dir.path(), priorities, StorageOptions{3});

  const std::int32_t pieces = torrent.num_pieces();
  std::atomic<int> failures{0};
  auto run = [&](int worker, bool reading) {
    for (std::int32_t p = worker; p < pieces; p += 4) {
      auto size = static_cast<std::uint32_t>(torrent.geometry().piece_size(PieceIndex(p)));
      for (std::uint32_t at = 0; at < size; at += 4) {
        BlockRef b{PieceIndex(p), at, std::min(4u, size - at)};
        ErrorInfo error;
        if (reading) {
          std::string out(b.length, '?');
          auto expected = slice_of(torrent, content, b);
          if (!storage.read(b.piece, at, out, error) ||
              !std::equal(out.begin(), out.end(), expected.begin()))
            ++failures;
        } else if (!storage.write(b.piece, at, slice_of(torrent, content, b), error)) {
          ++failures;
        }
      }
    }
  };
  for (bool reading : {false, true}) {
    std::vector<std::jthread> threads;
    for (int w = 0; w < 4; ++w)
      threads.emplace_back(run, w, reading);
  }
  CHECK(failures == 0);
  CHECK(storage.open_file_count() <= 3);
  auto verified = check_existing(torrent, storage, 4);
  CHECK(std::count(verified.begin(), verified.end(), false) == 0);
}

TEST_CASE("storage reports the pieces whose bytes move when a file is skipped or un-skipped",
          "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  CHECK(storage.set_file_priorities(priorities_skipping(file_skip)) ==
        std::vector<PieceIndex>{PieceIndex(4)});
  CHECK(storage.file_priorities()[file_skip] == 0);
  CHECK(storage.set_file_priorities(priorities_skipping(file_skip)).empty());
  auto p = priorities_skipping(file_skip);
  p[file_a] = 0;
  p[file_skip] = 7;  // un-skip skip.iso, skip a.txt
  CHECK(storage.set_file_priorities(p) ==
        std::vector<PieceIndex>{PieceIndex(0), PieceIndex(1), PieceIndex(4)});
  CHECK(storage.set_file_priorities({}).size() == 2);  // back to all wanted: a.txt again
  CHECK_THROWS_AS(storage.set_file_priorities({1}), std::invalid_argument);

  // Written while skipped, read from the side file; un-skipped, it reads from the real
  // file, which does not exist: the piece must be fetched again.
  storage.set_file_priorities(priorities_skipping(file_skip));
  write_everything(storage, fx.torrent, fx.content);
  storage.set_file_priorities({});
  std::string out(32, '?');
  ErrorInfo error;
  CHECK_FALSE(storage.read(PieceIndex(4), 0, out, error));
  CHECK(error.code == errc::missing_file);
}

TEST_CASE("resume data round-trips through bencode and through the resume file", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save, priorities_skipping(file_skip));
  write_everything(storage, fx.torrent, fx.content);
  ErrorInfo error;
  REQUIRE(storage.sync(error));
  std::vector<bool> verified{true, false, true, true, false, true};
  ResumeData data = make_resume_data(fx.torrent, storage, verified);
  CHECK(data.pieces == verified);
  CHECK(data.files[file_skip] == FileStamp{});  // never created
  CHECK(data.files[file_a].size == 40);
  CHECK(data.parts.size == 154);
  CHECK(data.file_priorities == priorities_skipping(file_skip));

  std::string bytes = encode_resume(data);
  CHECK(decode_resume(bytes, fx.torrent) == data);
  CHECK(bencode::encode(bencode::decode_value(bytes)) == bytes);  // canonical

  REQUIRE(save_resume(data, fx.save, error));
  const fs::path file = resume_file_path(fx.save, fx.torrent.info_hash());
  CHECK(file == fx.save / ".bitflow" / (fx.torrent.info_hash().hex() + ".resume"));
  CHECK(slurp(file) == bytes);
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  CHECK(load_resume(fx.save, fx.torrent) == data);

  data.pieces.assign(6, true);  // saving again replaces the file
  save_resume(data, fx.save);
  CHECK(load_resume(fx.save, fx.torrent).pieces == data.pieces);
}

TEST_CASE("resume decoding refuses every corruption with a clear error", "[storage]") {
  Fixture fx;
  ResumeData data;
  data.info_hash = fx.torrent.info_hash();
  data.pieces = {true, true, false, true, false, true};
  data.files.assign(main_files.size(), FileStamp{12, 1'700'000'000'123'456'789});
  data.parts = FileStamp{};
  data.file_priorities.assign(main_files.size(), 4);
  const std::string good = encode_resume(data);
  REQUIRE(decode_resume(good, fx.torrent) == data);

  auto refused = [&](const std::string& bytes, errc code) {
    ErrorInfo error;
    CHECK_FALSE(decode_resume(bytes, fx.torrent, error).has_value());
    CHECK(error.code == code);
    CHECK_THAT(error.message, Catch::StartsWith("storage: resume data"));
  };
  auto edited = [&](auto&& edit) {
    Value v = bencode::decode_value(good);
    edit(v);
    return bencode::encode(v);
  };

  SECTION("every truncation") {
    for (std::size_t n = 0; n < good.size(); ++n)
      refused(good.substr(0, n), errc::resume_malformed);
  }
  SECTION("bad bencoding and wrong shapes") {
    refused("", errc::resume_malformed);
    refused("i1e", errc::resume_malformed);
    refused("le", errc::resume_malformed);
    refused(good + "x", errc::resume_malformed);
    refused(std::string(100000, 'l'), errc::resume_malformed);  // too large to be ours
    refused(std::string(4000, 'l'), errc::resume_malformed);    // too deep
  }
  SECTION("missing keys") {
    for (const char* key : {"file-format", "file-version", "info-hash", "num-pieces", "pieces",
                            "files", "parts", "file-priorities"}) {
      INFO(key);
      refused(edited([&](Value& v) { v.as_dict().erase(key); }), errc::resume_malformed);
    }
  }
  SECTION("wrong values") {
    refused(edited([](Value& v) { v["file-format"] = "other"; }), errc::resume_malformed);
    refused(edited([](Value& v) { v["file-version"] = 2; }), errc::resume_malformed);
    refused(edited([](Value& v) { v["info-hash"] = std::string(19, 'x'); }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["info-hash"] = 5; }), errc::resume_malformed);
    refused(edited([](Value& v) { v["pieces"] = std::string(2, '\0'); }), errc::resume_malformed);
    refused(edited([](Value& v) { v["pieces"] = std::string(1, '\x01'); }),
            errc::resume_malformed);  // 6 pieces: the low 2 bits are spare
    refused(edited([](Value& v) { v["files"].as_list()[2] = 7; }), errc::resume_malformed);
    refused(edited([](Value& v) { v["files"].as_list()[2] = Value::List{Value(1)}; }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["files"].as_list()[2].as_list()[0] = -2; }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["files"].as_list()[2].as_list()[1] = "t"; }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["parts"] = Value::List{}; }), errc::resume_malformed);
    refused(edited([](Value& v) { v["file-priorities"].as_list()[0] = 8; }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["file-priorities"].as_list()[0] = -1; }),
            errc::resume_malformed);
    refused(edited([](Value& v) { v["file-priorities"].as_list()[0] = "4"; }),
            errc::resume_malformed);
  }
  SECTION("another torrent or another shape") {
    refused(edited([](Value& v) { v["info-hash"] = std::string(20, 'x'); }),
            errc::resume_wrong_torrent);
    refused(edited([](Value& v) { v["num-pieces"] = 7; }), errc::resume_wrong_geometry);
    refused(edited([](Value& v) { v["files"].as_list().pop_back(); }), errc::resume_wrong_geometry);
    refused(edited([](Value& v) { v["file-priorities"].as_list().pop_back(); }),
            errc::resume_wrong_geometry);
    auto other = make_torrent(main_files, 32, make_content(main_files, 9));
    ErrorInfo error;
    CHECK_FALSE(decode_resume(good, other, error).has_value());
    CHECK(error.code == errc::resume_wrong_torrent);
    CHECK_THROWS_AS(decode_resume(good, other), Error);
  }
  SECTION("unknown keys are ignored") {
    CHECK(decode_resume(edited([](Value& v) { v["zz-later"] = 1; }), fx.torrent) == data);
  }
}

TEST_CASE("resume loading reports a missing, planted or oversized file", "[storage]") {
  Fixture fx;
  ErrorInfo error;
  CHECK_FALSE(load_resume(fx.save, fx.torrent, error).has_value());
  CHECK(error.code == errc::missing_file);

  const fs::path file = resume_file_path(fx.save, fx.torrent.info_hash());
  fs::create_directories(file.parent_path());
  spit(fx.dir.path() / "elsewhere", "d4:spam4:eggse");
  fs::create_symlink(fx.dir.path() / "elsewhere", file);
  error.clear();
  CHECK_FALSE(load_resume(fx.save, fx.torrent, error).has_value());
  CHECK(error.code == errc::symlink_refused);
  ResumeData data;
  data.info_hash = fx.torrent.info_hash();
  data.pieces.assign(6, false);
  data.files.assign(main_files.size(), FileStamp{});
  data.file_priorities.assign(main_files.size(), 1);
  error.clear();
  REQUIRE(save_resume(data, fx.save, error));  // the rename replaces the link itself...
  CHECK_FALSE(fs::is_symlink(file));
  CHECK(slurp(fx.dir.path() / "elsewhere") == "d4:spam4:eggse");  // ...never its target
  CHECK(load_resume(fx.save, fx.torrent) == data);

  fs::remove(file);
  spit(file, std::string(1 << 20, ' '));
  error.clear();
  CHECK_FALSE(load_resume(fx.save, fx.torrent, error).has_value());
  CHECK(error.code == errc::resume_malformed);
}

TEST_CASE("stale resume data is detected after a file changes on disk", "[storage]") {
  using namespace std::chrono_literals;
  Fixture fx;
  Storage storage(fx.torrent, fx.save, priorities_skipping(file_skip));
  write_everything(storage, fx.torrent, fx.content);
  storage.release_files();
  auto fresh = [&] { return make_resume_data(fx.torrent, storage, std::vector<bool>(6, true)); };

  ResumeData data = fresh();
  CHECK(resume_matches_files(data, fx.torrent, storage));
  CHECK(resume_matches_files(decode_resume(encode_resume(data), fx.torrent), fx.torrent, fx.save));

  SECTION("same size, new content") {
    // Not a wait for anything: the change must get a later mtime than the resume data
    // recorded (the thing under test), so it happens past the timestamp granularity.
    std::this_thread::sleep_for(20ms);
    poke(fx.file(file_b), 3, 'Z');
    CHECK(fs::file_size(fx.file(file_b)) == 10);
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
  SECTION("grown") {
    std::ofstream(fx.file(file_tail), std::ios::app) << "more";
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
  SECTION("deleted") {
    fs::remove(fx.file(file_long));
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
  SECTION("a skipped file's side file changed") {
    std::this_thread::sleep_for(20ms);  // a later mtime, as above
    poke(storage.parts_path(), 140, 'Z');
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
  SECTION("a file appeared") {
    spit(fx.file(file_skip), "surprise");
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
  SECTION("another torrent's data") {
    data.info_hash = Sha1Hash{};
    CHECK_FALSE(resume_matches_files(data, fx.torrent, storage));
  }
}

TEST_CASE("check_existing verifies exactly the pieces that are present and correct", "[storage]") {
  Fixture fx;
  Storage storage(fx.torrent, fx.save);
  CHECK(check_existing(fx.torrent, storage, 2) == std::vector<bool>(6, false));
  CHECK_FALSE(fs::exists(fx.save));  // checking creates nothing

  write_everything(storage, fx.torrent, fx.content);
  std::vector<std::int32_t> reports;
  auto all =
      check_existing(fx.torrent, storage, 3, [&](std::int32_t done) { reports.push_back(done); });
  CHECK(all == std::vector<bool>(6, true));
  CHECK(reports == std::vector<std::int32_t>{1, 2, 3, 4, 5, 6});

  SECTION("one corrupt byte") {
    poke(fx.file(file_b), 4, fx.file_content(file_b)[4] == 'a' ? 'b' : 'a');
    CHECK(check_existing(fx.torrent, storage, 2) ==
          std::vector<bool>{true, false, true, true, true, true});
  }
  SECTION("a missing file") {
    storage.release_files();
    fs::remove(fx.file(file_tail));
    CHECK(check_existing(fx.torrent, storage, 1) ==
          std::vector<bool>{true, true, true, true, false, false});
  }
  SECTION("a truncated file") {
    fs::resize_file(fx.file(file_long), 40);  // long.bin covers content 64..134
    CHECK(check_existing(fx.torrent, storage, 4) ==
          std::vector<bool>{true, true, true, false, false, true});
  }
  SECTION("cancelled") {
    std::atomic<bool> cancel{true};
    CHECK(check_existing(fx.torrent, storage, 2, {}, &cancel) == std::vector<bool>(6, false));
  }
  SECTION("a failing progress callback stops the check and is rethrown") {
    CHECK_THROWS_AS(check_existing(fx.torrent, storage, 2,
                                   [](std::int32_t) { throw std::runtime_error("stop"); }),
                    std::runtime_error);
  }
}

TEST_CASE("remove_files removes only what the torrent put there", "[storage]") {
  Fixture fx;
  const fs::path outside = fx.dir.path() / "outside";
  fs::create_directories(outside);
  spit(outside / "victim", "keep");
  Storage storage(fx.torrent, fx.save, priorities_skipping(file_skip));
  write_everything(storage, fx.torrent, fx.content);
  ErrorInfo error;
  REQUIRE(storage.create_empty_files(error));
  REQUIRE(save_resume(make_resume_data(fx.torrent, storage, std::vector<bool>(6, true)), fx.save,
                      error));
  spit(fx.save / "root/user.txt", "mine");  // the user's own file in the torrent's folder
  spit(fx.save / "other.txt", "other");     // and next to it
  fs::create_directories(fx.save / ".bitflow");
  spit(fx.save / ".bitflow/another.resume", "x");  // another torrent's state
  fs::create_directories(fx.save / "root/d/keep");
  fs::remove(fx.file(file_tail));
  fs::create_symlink(outside / "victim", fx.file(file_tail));  // a planted link

  REQUIRE(storage.remove_files(error));
  CHECK(storage.open_file_count() == 0);
  for (int f : {file_a, 1, file_b, 3, file_long, 8})
    CHECK_FALSE(fs::exists(fx.file(f)));
  CHECK_FALSE(fs::exists(storage.parts_path()));
  CHECK_FALSE(fs::exists(resume_file_path(fx.save, fx.torrent.info_hash())));
  CHECK_FALSE(fs::exists(fx.save / "root/sub"));
  CHECK_FALSE(fs::exists(fx.save / "root/d/e"));
  CHECK(fs::is_directory(fx.save / "root/d/keep"));  // not on any file's path, never touched
  CHECK(slurp(fx.save / "root/user.txt") == "mine");
  CHECK(slurp(fx.save / "other.txt") == "other");
  CHECK(fs::exists(fx.save / ".bitflow/another.resume"));
  CHECK(fs::is_symlink(fx.file(file_tail)));  // not ours: left alone
  CHECK(slurp(outside / "victim") == "keep");

  fs::remove(fx.save / "root/user.txt");
  fs::remove(fx.file(file_tail));
  fs::remove(fx.save / "root/d/keep");
  fs::remove(fx.save / ".bitflow/another.resume");
  REQUIRE(storage.remove_files(error));
  CHECK_FALSE(fs::exists(fx.save / "root"));  // now empty: the top folder goes too
  CHECK_FALSE(fs::exists(fx.save / ".bitflow"));
  CHECK(fs::is_directory(fx.save));  // never the save folder itself
}

TEST_CASE("storage refuses a symlinked state folder for the side file and the resume file",
          "[storage]") {
  Fixture fx;
  const fs::path outside = fx.dir.path() / "outside";
  fs::create_directories(outside);
  fs::create_directories(fx.save);
  fs::create_directory_symlink(outside, fx.save / ".bitflow");
  Storage storage(fx.torrent, fx.save, priorities_skipping(file_skip));
  // Piece 4 bytes [6, 26) are skip.iso: they would go to .bitflow/<hash>.parts.
  ErrorInfo error;
  CHECK_FALSE(
      storage.write(PieceIndex(4), 6, std::span<const char>(fx.content.data() + 134, 20), error));
  CHECK(error.code == errc::symlink_refused);
  ResumeData data = make_resume_data(fx.torrent, storage, std::vector<bool>(6, false));
  error.clear();
  CHECK_FALSE(save_resume(data, fx.save, error));
  CHECK(error.code == errc::symlink_refused);
  CHECK(fs::is_empty(outside));
}

TEST_CASE("storage puts a single-file torrent's file directly in the save folder", "[storage]") {
  TempDir dir;
  const std::string content = "0123456789abcdefghijklmnopqrstuvwxyz";
  Value info;
  info["name"] = "file.bin";
  info["length"] = static_cast<std::int64_t>(content.size());
  info["piece length"] = 16;
  std::string hashes;
  for (std::size_t at = 0; at < content.size(); at += 16)
    hashes += sha1(std::string_view(content).substr(at, 16)).view();
  info["pieces"] = hashes;
  Value top;
  top["info"] = std::move(info);
  TorrentInfo torrent = TorrentInfo::parse(bencode::encode(top));

  spit(dir.path() / "neighbour", "stays");
  Storage storage(torrent, dir.path());
  CHECK(storage.file_path(FileIndex(0)) == dir.path() / "file.bin");
  write_everything(storage, torrent, content, 5);
  CHECK(slurp(dir.path() / "file.bin") == content);
  CHECK(check_existing(torrent, storage, 2) == std::vector<bool>(3, true));
  ErrorInfo error;
  REQUIRE(storage.remove_files(error));
  CHECK_FALSE(fs::exists(dir.path() / "file.bin"));
  CHECK(slurp(dir.path() / "neighbour") == "stays");
}
