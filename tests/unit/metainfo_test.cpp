#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bitflow/bencode.hpp"
#include "bitflow/metainfo.hpp"

using namespace bitflow;
using bencode::Value;

namespace {

std::string hashes(std::size_t pieces) {
  std::string out;
  for (std::size_t i = 0; i < pieces * 20; ++i)
    out.push_back(static_cast<char>('a' + i % 26));
  return out;
}

Value single_file_info(std::int64_t length = 100, std::int64_t piece_length = 32) {
  Value info;
  info["name"] = "file.bin";
  info["length"] = length;
  info["piece length"] = piece_length;
  info["pieces"] = hashes(static_cast<std::size_t>((length + piece_length - 1) / piece_length));
  return info;
}

Value file_entry(std::int64_t length, std::vector<std::string> path) {
  Value entry;
  entry["length"] = length;
  Value::List elements;
  for (auto& p : path)
    elements.emplace_back(p);
  entry["path"] = std::move(elements);
  return entry;
}

Value multi_file_info(Value::List files, std::int64_t piece_length = 16) {
  std::int64_t total = 0;
  for (const auto& f : files)
    total += f.find("length")->as_int();
  Value info;
  info["name"] = "root";
  info["piece length"] = piece_length;
  info["pieces"] = hashes(static_cast<std::size_t>((total + piece_length - 1) / piece_length));
  info["files"] = std::move(files);
  return info;
}

std::string torrent(Value info, Value top = Value(Value::Dict{})) {
  top["info"] = std::move(info);
  return bencode::encode(top);
}

ErrorInfo parse_error(std::string bytes) {
  ErrorInfo error;
  REQUIRE_FALSE(TorrentInfo::parse(std::move(bytes), error).has_value());
  REQUIRE(error);
  return error;
}

}  // namespace

TEST_CASE("metainfo parses a single-file torrent", "[metainfo]") {
  Value top;
  top["announce"] = "http://tracker.example/announce";
  top["comment"] = "hello";
  top["created by"] = "test";
  top["creation date"] = 1700000000;
  auto t = TorrentInfo::parse(torrent(single_file_info(100, 32), top));
  CHECK(t.name() == "file.bin");
  CHECK_FALSE(t.is_multi_file());
  CHECK(t.total_size() == 100);
  CHECK(t.piece_length() == 32);
  CHECK(t.num_pieces() == 4);
  REQUIRE(t.files().size() == 1);
  CHECK(t.files()[0].path == "file.bin");
  CHECK(t.trackers() == std::vector<std::vector<std::string>>{{"http://tracker.example/announce"}});
  CHECK(t.comment() == "hello");
  CHECK(t.created_by() == "test");
  CHECK(t.creation_date() == 1700000000);
  CHECK_FALSE(t.is_private());
  CHECK(t.version() == TorrentVersion::v1);
  CHECK(t.warnings().empty());
}

TEST_CASE("metainfo info-hash covers the raw info bytes, never re-encoded", "[metainfo]") {
  // Unsorted keys inside info: a re-encoding would sort them and change the hash.
  std::string info = "d6:lengthi10e4:name1:x6:pieces20:" + hashes(1) + "12:piece lengthi16ee";
  std::string unsorted = "d6:lengthi10e12:piece lengthi16e4:name1:x6:pieces20:" + hashes(1) + "e";
  std::string bytes = "d4:info" + unsorted + "e";
  auto t = TorrentInfo::parse(bytes);
  CHECK(t.info_bytes() == unsorted);
  CHECK(t.info_hash() == sha1(unsorted));
  CHECK(t.info_hash() != sha1(info));
  CHECK_FALSE(t.warnings().empty());
}

TEST_CASE("metainfo reads piece hashes", "[metainfo]") {
  auto t = TorrentInfo::parse(torrent(single_file_info(100, 32)));
  CHECK(t.piece_hash(PieceIndex(0)).view() == hashes(4).substr(0, 20));
  CHECK(t.piece_hash(PieceIndex(3)).view() == hashes(4).substr(60, 20));
  CHECK_THROWS_AS(t.piece_hash(PieceIndex(4)), std::out_of_range);
}

TEST_CASE("metainfo parses multi-file torrents with offsets", "[metainfo]") {
  auto t = TorrentInfo::parse(torrent(multi_file_info(
      {file_entry(10, {"a.txt"}), file_entry(0, {"empty"}), file_entry(30, {"sub", "b.bin"})})));
  CHECK(t.is_multi_file());
  REQUIRE(t.files().size() == 3);
  CHECK(t.files()[0].path == "root/a.txt");
  CHECK(t.files()[1].path == "root/empty");
  CHECK(t.files()[2].path == "root/sub/b.bin");
  CHECK(t.files()[2].offset == 10);
  CHECK(t.total_size() == 40);
  CHECK(t.num_pieces() == 3);
}

TEST_CASE("metainfo trackers: announce-list tiers win over announce", "[metainfo]") {
  Value top;
  top["announce"] = "http://ignored/announce";
  top["announce-list"] =
      Value::List{Value::List{Value("http://a/"), Value(" http://b/ "), Value("")}, Value::List{},
                  Value::List{Value("udp://c:80"), Value("http://a/")}};
  top["url-list"] = Value::List{Value("http://seed/"), Value("http://seed/")};
  auto t = TorrentInfo::parse(torrent(single_file_info(), top));
  CHECK(t.trackers() ==
        std::vector<std::vector<std::string>>{{"http://a/", "http://b/"}, {"udp://c:80"}});
  CHECK(t.web_seeds() == std::vector<std::string>{"http://seed/"});
}

TEST_CASE("metainfo url-list may be a single string", "[metainfo]") {
  Value top;
  top["url-list"] = "http://seed/file";
  auto t = TorrentInfo::parse(torrent(single_file_info(), top));
  CHECK(t.web_seeds() == std::vector<std::string>{"http://seed/file"});
}

TEST_CASE("metainfo reads the private flag and UTF-8 variants", "[metainfo]") {
  Value info = single_file_info();
  info["private"] = 1;
  info["name.utf-8"] = "n\xc3\xa4me";
  Value top;
  top["comment"] = "plain";
  top["comment.utf-8"] = "utf";
  auto t = TorrentInfo::parse(torrent(info, top));
  CHECK(t.is_private());
  CHECK(t.name() == "n\xc3\xa4me");
  CHECK(t.comment() == "utf");
}

TEST_CASE("metainfo sanitises hostile paths so nothing escapes the folder", "[metainfo]") {
  auto t = TorrentInfo::parse(torrent(multi_file_info(
      {file_entry(5, {"..", "..", "etc", "passwd"}), file_entry(5, {"/abs"}),
       file_entry(5, {"a", ".", "b"}), file_entry(5, {""}), file_entry(5, {"x\\..\\y"})})));
  std::vector<std::string> paths;
  for (const auto& f : t.files())
    paths.push_back(f.path);
  CHECK(paths == std::vector<std::string>{"root/etc/passwd", "root/_abs", "root/a/b", "root/_",
                                          "root/x_.._y"});
  CHECK(t.warnings().size() == 5);
}

TEST_CASE("metainfo renames duplicate paths deterministically", "[metainfo]") {
  auto t = TorrentInfo::parse(
      torrent(multi_file_info({file_entry(5, {"foo", "bar.txt"}), file_entry(5, {"foo", "bar.txt"}),
                               file_entry(5, {"foo"})})));
  CHECK(t.files()[0].path == "root/foo/bar.txt");
  CHECK(t.files()[1].path == "root/foo/bar.1.txt");
  CHECK(t.files()[2].path == "root/foo.1");
}

TEST_CASE("metainfo a name that sanitises to nothing becomes the info-hash", "[metainfo]") {
  Value info = single_file_info();
  info["name"] = "..";
  auto t = TorrentInfo::parse(torrent(info));
  CHECK(t.name() == t.info_hash().hex());
  CHECK(t.files()[0].path == t.info_hash().hex());
}

TEST_CASE("metainfo reads BEP 47 pad files and attributes", "[metainfo]") {
  Value pad = file_entry(6, {".pad", "6"});
  pad["attr"] = "p";
  Value exe = file_entry(16, {"run.sh"});
  exe["attr"] = "xh";
  exe["mtime"] = 1234;
  auto t = TorrentInfo::parse(torrent(multi_file_info({file_entry(10, {"a"}), pad, exe})));
  REQUIRE(t.files().size() == 3);
  CHECK(t.files()[1].pad);
  CHECK(t.files()[1].path == "root/.pad/6");
  CHECK(t.files()[2].executable);
  CHECK(t.files()[2].hidden);
  CHECK(t.files()[2].mtime == 1234);
  CHECK(t.files()[2].offset == 16);
}

TEST_CASE("metainfo symlinks carry a sanitised target and no data", "[metainfo]") {
  Value link = file_entry(0, {"link"});
  link["attr"] = "l";
  link["symlink path"] = Value::List{Value(".."), Value("target")};
  auto t = TorrentInfo::parse(torrent(multi_file_info({file_entry(10, {"target"}), link})));
  CHECK(t.files()[1].symlink);
  CHECK(t.files()[1].symlink_target == "target");
  CHECK(t.files()[1].size == 0);
  link["symlink path"] = Value::List{Value(5)};
  CHECK(parse_error(torrent(multi_file_info({file_entry(10, {"t"}), link}))).code ==
        metainfo::errc::invalid_path);
}

TEST_CASE("metainfo rejects invalid torrents with a clear error", "[metainfo]") {
  using metainfo::errc;
  CHECK(parse_error("i1e").code == errc::not_a_dictionary);
  CHECK(parse_error("de").code == errc::missing_info);
  CHECK(parse_error("d4:infoi1ee").code == errc::missing_info);
  CHECK(parse_error("d4:info").code == bencode::errc::unexpected_end);
  CHECK(parse_error("d4:info").message == "torrent: bencode: unexpected end of input at byte 7");

  Value info = single_file_info();
  info["piece length"] = 0;
  CHECK(parse_error(torrent(info)).code == errc::invalid_piece_length);
  info["piece length"] = -16;
  CHECK(parse_error(torrent(info)).code == errc::invalid_piece_length);
  info["piece length"] = std::int64_t{1} << 31;
  CHECK(parse_error(torrent(info)).code == errc::invalid_piece_length);

  info = single_file_info();
  info["pieces"] = std::string(19, 'x');
  CHECK(parse_error(torrent(info)).code == errc::invalid_pieces);
  info["pieces"] = hashes(3);  // 100 bytes in 32-byte pieces need 4
  auto e = parse_error(torrent(info));
  CHECK(e.code == errc::piece_count_mismatch);
  CHECK(e.message == "torrent: 'pieces' has 3 hashes but 100 bytes in pieces of 32 need 4");

  info = single_file_info();
  info["length"] = -1;
  CHECK(parse_error(torrent(info)).code == errc::invalid_file_size);
  info = single_file_info();
  info.as_dict().erase("name");
  CHECK(parse_error(torrent(info)).code == errc::missing_name);
  info["name"] = 5;
  CHECK(parse_error(torrent(info)).code == errc::missing_name);
  info = single_file_info(0);
  CHECK(parse_error(torrent(info)).code == errc::no_data);
}

TEST_CASE("metainfo rejects bad file lists", "[metainfo]") {
  using metainfo::errc;
  CHECK(parse_error(torrent(multi_file_info({}))).code == errc::no_files);
  Value info = multi_file_info({file_entry(5, {"a"})});
  info["files"] = "oops";
  CHECK(parse_error(torrent(info)).code == errc::invalid_file_list);
  info["files"] = Value::List{Value(1)};
  CHECK(parse_error(torrent(info)).message == "torrent: file 0 is not a dictionary");
  Value bad_path = file_entry(5, {"a"});
  bad_path["path"] = Value::List{Value("a"), Value(3)};
  CHECK(parse_error(torrent(multi_file_info({bad_path}))).code == errc::invalid_path);
  Value no_path = file_entry(5, {"a"});
  no_path.as_dict().erase("path");
  CHECK(parse_error(torrent(multi_file_info({no_path}))).code == errc::invalid_path);
  Value huge1 = file_entry(INT64_MAX, {"a"});
  Value huge2 = file_entry(1, {"b"});
  Value overflow = multi_file_info({file_entry(1, {"x"})});
  overflow["files"] = Value::List{huge1, huge2};
  CHECK(parse_error(torrent(overflow)).code == errc::invalid_file_size);
}

TEST_CASE("metainfo v2-only torrents are recognised and refused; hybrids parse", "[metainfo]") {
  Value v2;
  v2["meta version"] = 2;
  v2["name"] = "x";
  v2["piece length"] = 16384;
  v2["file tree"] = Value::Dict{};
  CHECK(parse_error(torrent(v2)).code == metainfo::errc::v2_not_supported);

  Value hybrid = single_file_info(100);
  hybrid["meta version"] = 2;
  Value leaf;
  leaf["length"] = 100;
  leaf["pieces root"] = std::string(32, 'r');
  hybrid["file tree"]["file.bin"][""] = leaf;
  auto t = TorrentInfo::parse(torrent(hybrid));
  CHECK(t.version() == TorrentVersion::hybrid);
  REQUIRE(t.info_hash_v2());
  CHECK(*t.info_hash_v2() == sha256(t.info_bytes()));
}

TEST_CASE("metainfo hybrids whose v1 and v2 parts differ are refused", "[metainfo]") {
  Value hybrid = single_file_info(100);
  hybrid["meta version"] = 2;
  Value leaf;
  leaf["length"] = 99;  // the v1 part says 100
  hybrid["file tree"]["file.bin"][""] = leaf;
  CHECK(parse_error(torrent(hybrid)).code == metainfo::errc::inconsistent_hybrid);
  hybrid["file tree"] = Value::Dict{};
  hybrid["file tree"]["file.bin"]["length"] = 100;  // no "" level: malformed
  CHECK(parse_error(torrent(hybrid)).code == metainfo::errc::inconsistent_hybrid);
}

TEST_CASE("metainfo enforces size limits", "[metainfo]") {
  ParseOptions options;
  options.max_size = 10;
  ErrorInfo error;
  CHECK_FALSE(TorrentInfo::parse(torrent(single_file_info()), error, options));
  CHECK(error.code == metainfo::errc::too_large);
  options = {};
  options.max_files = 1;
  CHECK_FALSE(TorrentInfo::parse(
      torrent(multi_file_info({file_entry(1, {"a"}), file_entry(1, {"b"})})), error, options));
  CHECK(error.code == metainfo::errc::too_large);
}

TEST_CASE("metainfo load reports unreadable files", "[metainfo]") {
  ErrorInfo error;
  CHECK_FALSE(TorrentInfo::load("/nonexistent/x.torrent", error));
  CHECK(error.code == metainfo::errc::io_error);
  CHECK(error.message == "/nonexistent/x.torrent: No such file or directory");
  CHECK_FALSE(TorrentInfo::load("/", error));
  CHECK(error.message == "/: is a folder, not a file");
}

TEST_CASE("metainfo an empty file is a bencode error, not a read error", "[metainfo]") {
  auto path = std::filesystem::temp_directory_path() / "bitflow-empty.torrent";
  { std::ofstream touch(path); }
  ErrorInfo error;
  CHECK_FALSE(TorrentInfo::load(path, error));
  CHECK(error.code == bencode::errc::unexpected_end);
  std::filesystem::remove(path);
}
