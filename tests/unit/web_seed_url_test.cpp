#include <catch2/catch.hpp>

#include "bitflow/bencode.hpp"
#include "bitflow/metainfo.hpp"
#include "session/web_seed_url.hpp"

using namespace bitflow;
using bencode::Value;
using session::WebSeedRange;

namespace {

std::string hashes(std::int64_t total, std::int64_t piece_length) {
  return std::string(static_cast<std::size_t>((total + piece_length - 1) / piece_length * 20), 'h');
}

TorrentInfo single_file(std::string name, std::int64_t length, std::int64_t piece_length) {
  Value info;
  info["name"] = std::move(name);
  info["length"] = length;
  info["piece length"] = piece_length;
  info["pieces"] = hashes(length, piece_length);
  Value top;
  top["info"] = std::move(info);
  return TorrentInfo::parse(bencode::encode(top));
}

struct File {
  std::vector<std::string> path;
  std::int64_t length;
  bool pad = false;
};

TorrentInfo multi_file(std::string name, const std::vector<File>& files,
                       std::int64_t piece_length) {
  Value::List list;
  std::int64_t total = 0;
  for (const auto& f : files) {
    Value entry;
    entry["length"] = f.length;
    Value::List elements;
    for (const auto& p : f.path)
      elements.emplace_back(p);
    entry["path"] = std::move(elements);
    if (f.pad) entry["attr"] = "p";
    list.push_back(std::move(entry));
    total += f.length;
  }
  Value info;
  info["name"] = std::move(name);
  info["piece length"] = piece_length;
  info["pieces"] = hashes(total, piece_length);
  info["files"] = std::move(list);
  Value top;
  top["info"] = std::move(info);
  return TorrentInfo::parse(bencode::encode(top));
}

WebSeedRange range(std::string url, std::int64_t first, std::int64_t length, std::int64_t size) {
  return WebSeedRange{std::move(url), first, length, size, false};
}

}  // namespace

TEST_CASE("a single-file web seed URL names the file, or gets the name after a slash",
          "[web_seed]") {
  auto t = single_file("movie.mkv", 100, 32);
  CHECK(session::web_seed_file_url("http://h/files/movie.mkv", t, FileIndex(0)) ==
        "http://h/files/movie.mkv");
  CHECK(session::web_seed_file_url("http://h/files/", t, FileIndex(0)) ==
        "http://h/files/movie.mkv");
  // Whatever the URL names is the file: it need not be the torrent's name.
  CHECK(session::web_seed_file_url("http://h/get?id=7", t, FileIndex(0)) == "http://h/get?id=7");
}

TEST_CASE("a single-file piece maps to one range of the file", "[web_seed]") {
  auto t = single_file("a.bin", 100, 32);
  CHECK(session::map_web_seed_range("http://h/", t, PieceIndex(1), 0, 32) ==
        std::vector<WebSeedRange>{range("http://h/a.bin", 32, 32, 100)});
  // The short last piece, and a stretch inside a piece.
  CHECK(session::map_web_seed_range("http://h/a.bin", t, PieceIndex(3), 0, 4) ==
        std::vector<WebSeedRange>{range("http://h/a.bin", 96, 4, 100)});
  CHECK(session::map_web_seed_range("http://h/a.bin", t, PieceIndex(0), 10, 5) ==
        std::vector<WebSeedRange>{range("http://h/a.bin", 10, 5, 100)});
}

TEST_CASE(
    "a multi-file web seed URL is the base, the name and the path, with or without a "
    "trailing slash",
    "[web_seed]") {
  auto t = multi_file("album", {{{"disc 1", "track.flac"}, 10}}, 16);
  CHECK(session::web_seed_file_url("http://h/pub/", t, FileIndex(0)) ==
        "http://h/pub/album/disc%201/track.flac");
  CHECK(session::web_seed_file_url("http://h/pub", t, FileIndex(0)) ==
        "http://h/pub/album/disc%201/track.flac");
}

TEST_CASE("a piece spanning three files maps to three ranges, skipping zero-length files",
          "[web_seed]") {
  auto t = multi_file("root",
                      {{{"a"}, 10}, {{"empty"}, 0}, {{"b"}, 4}, {{"c", "d"}, 30}, {{"e"}, 0}}, 16);
  // Piece 0 = a[0,10) + b[0,4) + c/d[0,2).
  CHECK(session::map_web_seed_range("http://h/x/", t, PieceIndex(0), 0, 16) ==
        std::vector<WebSeedRange>{range("http://h/x/root/a", 0, 10, 10),
                                  range("http://h/x/root/b", 0, 4, 4),
                                  range("http://h/x/root/c/d", 0, 2, 30)});
  // Part of a piece: bytes 8..12 of piece 0 are a[8,10) and b[0,2).
  CHECK(session::map_web_seed_range("http://h/x/", t, PieceIndex(0), 8, 4) ==
        std::vector<WebSeedRange>{range("http://h/x/root/a", 8, 2, 10),
                                  range("http://h/x/root/b", 0, 2, 4)});
  // The last piece lies in c/d alone: the zero-length file after it never shows.
  CHECK(session::map_web_seed_range("http://h/x/", t, PieceIndex(2), 0, 12) ==
        std::vector<WebSeedRange>{range("http://h/x/root/c/d", 18, 12, 30)});
}

TEST_CASE("web seed paths percent-encode spaces, unicode and reserved characters", "[web_seed]") {
  auto t = multi_file("Ünïcode dir", {{{"a b", "naïve #1?.txt"}, 5}, {{"100%"}, 5}}, 16);
  CHECK(session::web_seed_file_url("https://h/", t, FileIndex(0)) ==
        "https://h/%C3%9Cn%C3%AFcode%20dir/a%20b/na%C3%AFve%20%231%3F.txt");
  CHECK(session::web_seed_file_url("https://h/", t, FileIndex(1)) ==
        "https://h/%C3%9Cn%C3%AFcode%20dir/100%25");
  auto single = single_file("日本 語.txt", 5, 16);
  CHECK(session::web_seed_file_url("http://h/", single, FileIndex(0)) ==
        "http://h/%E6%97%A5%E6%9C%AC%20%E8%AA%9E.txt");
  CHECK(session::percent_encode("AZaz09-._~") == "AZaz09-._~");
}

TEST_CASE("pad files map to zeros, never to a request", "[web_seed]") {
  auto t = multi_file("r", {{{"a"}, 10}, {{".pad", "6"}, 6, true}, {{"b"}, 16}}, 16);
  auto ranges = session::map_web_seed_range("http://h/", t, PieceIndex(0), 0, 16);
  REQUIRE(ranges.size() == 2);
  CHECK(ranges[0] == range("http://h/r/a", 0, 10, 10));
  CHECK(ranges[1].zeros);
  CHECK(ranges[1].url.empty());
  CHECK(ranges[1].length == 6);
}

TEST_CASE("a Content-Range must be exactly the range asked for", "[web_seed]") {
  using session::content_range_matches;
  CHECK(content_range_matches("bytes 10-19/100", 10, 10, 100));
  CHECK(content_range_matches("bytes 10-19/*", 10, 10, 100));
  CHECK_FALSE(content_range_matches("bytes 10-18/100", 10, 10, 100));  // shorter
  CHECK_FALSE(content_range_matches("bytes 11-20/100", 10, 10, 100));  // shifted
  CHECK_FALSE(content_range_matches("bytes 10-19/99", 10, 10, 100));   // another file
  CHECK_FALSE(content_range_matches("bytes */100", 10, 10, 100));
  CHECK_FALSE(content_range_matches("", 10, 10, 100));
  CHECK_FALSE(content_range_matches("bytes 10-19/100x", 10, 10, 100));
  CHECK_FALSE(content_range_matches("items 10-19/100", 10, 10, 100));
}
