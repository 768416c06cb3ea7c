// Serving files: Range headers against a file's size, and Content-Types by extension.
#include <catch2/catch.hpp>

#include "daemon/file_range.hpp"
#include "daemon/router.hpp"

using namespace bitflow::daemon;
using Kind = ByteRange::Kind;

TEST_CASE("a range header selects the bytes RFC 9110 says", "[daemon]") {
  ByteRange r = parse_range("bytes=0-99", 1000);
  CHECK(r.kind == Kind::partial);
  CHECK(r.first == 0);
  CHECK(r.last == 99);
  r = parse_range("bytes=900-", 1000);
  CHECK(r.kind == Kind::partial);
  CHECK(r.first == 900);
  CHECK(r.last == 999);
  r = parse_range("bytes=-100", 1000);
  CHECK(r.first == 900);
  CHECK(r.last == 999);
  r = parse_range("bytes=-5000", 1000);  // more than the file: all of it
  CHECK(r.first == 0);
  CHECK(r.last == 999);
  r = parse_range("bytes=990-5000", 1000);  // cut at the end
  CHECK(r.last == 999);
}

TEST_CASE("ranges past the end are unsatisfiable, odd ones get the whole file", "[daemon]") {
  CHECK(parse_range("bytes=1000-", 1000).kind == Kind::unsatisfiable);
  CHECK(parse_range("bytes=-0", 1000).kind == Kind::unsatisfiable);
  CHECK(parse_range("bytes=0-", 0).kind == Kind::unsatisfiable);
  CHECK(parse_range("", 1000).kind == Kind::whole);
  CHECK(parse_range("items=0-5", 1000).kind == Kind::whole);
  CHECK(parse_range("bytes=0-5,10-20", 1000).kind == Kind::whole);
  CHECK(parse_range("bytes=5-2", 1000).kind == Kind::whole);
  CHECK(parse_range("bytes=x-2", 1000).kind == Kind::whole);
  CHECK(parse_range("bytes=", 1000).kind == Kind::whole);
}

TEST_CASE("content types follow the extension, markup is served as text", "[daemon]") {
  CHECK(content_type_for("movie.MP4") == "video/mp4");
  CHECK(content_type_for("album/song.flac") == "audio/flac");
  CHECK(content_type_for("show.mkv") == "video/x-matroska");
  CHECK(content_type_for("page.html") == "text/plain; charset=utf-8");
  CHECK(content_type_for("image.svg") == "text/plain; charset=utf-8");
  CHECK(content_type_for("archive.tar.gz") == "application/octet-stream");
  CHECK(content_type_for("dir.v2/README") == "application/octet-stream");
  CHECK(content_type_for("noext") == "application/octet-stream");
}

TEST_CASE("router maps a download's file by index", "[daemon]") {
  auto r = route("GET", "/downloads/abc/files/12");
  REQUIRE(std::holds_alternative<Route>(r));
  CHECK(std::get<Route>(r).endpoint == Endpoint::download_file);
  CHECK(std::get<Route>(r).id == "abc");
  CHECK(std::get<Route>(r).file_index == 12);
  CHECK(std::get<Response>(route("GET", "/downloads/abc/files/")).status == 404);
  CHECK(std::get<Response>(route("GET", "/downloads/abc/files/1x")).status == 404);
  CHECK(std::get<Response>(route("GET", "/downloads/abc/files/1234567890")).status == 404);
  CHECK(std::get<Response>(route("POST", "/downloads/abc/files/0")).status == 405);
}
