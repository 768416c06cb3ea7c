// The fetchers' header parsers and name rules, fed hostile input.
#include <catch2/catch.hpp>
#include <chrono>

#include "fetchers/http_parsing.hpp"

using namespace bitflow::fetch;
using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {
// Whether `name` is one plain file name: no separators, controls, nothing hidden or dotted.
bool plain_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.front() == '.' || name.size() > 255)
    return false;
  for (char ch : name)
    if (auto c = static_cast<unsigned char>(ch); c < 0x20 || c == 0x7f || c == '/' || c == '\\')
      return false;
  return true;
}
}  // namespace

TEST_CASE("content-range parses whole, open-total and refuses everything else", "[http]") {
  auto r = parse_content_range("bytes 0-99/1000");
  REQUIRE(r);
  CHECK(r->first == 0);
  CHECK(r->last == 99);
  CHECK(r->total == 1000);
  r = parse_content_range("  Bytes   500-999/*  ");
  REQUIRE(r);
  CHECK(r->first == 500);
  CHECK_FALSE(r->total);
  for (const char* bad :
       {"", "bytes", "bytes */1000", "bytes 10-5/100", "bytes 0-100/100", "items 0-1/2",
        "bytes 0-99", "bytes -5-9/10", "bytes 0-99999999999999999999/*", "bytes a-b/c",
        "bytes 0 - 9/10", "bytes0-9/10", "bytes 0-9/10x"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(parse_content_range(bad));
  }
}

TEST_CASE("content-disposition prefers filename* and decodes it", "[http]") {
  CHECK(content_disposition_filename("attachment; filename=plain.txt") == "plain.txt");
  CHECK(content_disposition_filename("attachment; filename=\"with space.txt\"") ==
        "with space.txt");
  CHECK(content_disposition_filename("inline; FILENAME=\"a\\\"b\\\\c.txt\"") == "a\"b\\c.txt");
  CHECK(content_disposition_filename("attachment; filename=\"fallback.txt\"; "
                                     "filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt") ==
        "naïve résumé.txt");
  // filename* first or last, either way it wins.
  CHECK(content_disposition_filename("attachment; filename*=utf-8'en'x%2Ey; filename=b") == "x.y");
  CHECK(content_disposition_filename("attachment; filename*=ISO-8859-1''caf%E9.txt") == "café.txt");
  // An unknown charset falls back to filename.
  CHECK(content_disposition_filename("attachment; filename*=KOI8-R''%C1; filename=ok.bin") ==
        "ok.bin");
  // The first of duplicate parameters counts.
  CHECK(content_disposition_filename("attachment; filename=one; filename=two") == "one");
  // Raw: dangerous names come back as they are, for safe_filename to deal with.
  CHECK(content_disposition_filename("attachment; filename=\"../../etc/passwd\"") ==
        "../../etc/passwd");
  CHECK(content_disposition_filename("attachment; filename*=UTF-8''a%00b%0A") ==
        std::string("a\0b\n", 4));
  for (const char* none : {"", "attachment", "attachment;", "attachment; filename=",
                           "attachment; filename=\"\"", "attachment; filename=\"unterminated",
                           "attachment; name=x", "attachment; filename*=nocharset"}) {
    INFO("'" << none << "'");
    CHECK_FALSE(content_disposition_filename(none));
  }
}

TEST_CASE("retry-after takes seconds and all three HTTP date forms", "[http]") {
  // 1994-11-06 08:49:37 UTC
  const auto when = system_clock::time_point(784111777s);
  const auto now = when - 120s;
  CHECK(parse_retry_after("120", now) == 120s);
  CHECK(parse_retry_after(" 0 ", now) == 0s);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == 120s);
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == 120s);
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", now) == 120s);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", when + 1h) == 0s);  // past
  CHECK(parse_retry_after("99999999999999999999999", now) == 24h);             // capped
  CHECK(parse_retry_after("1000000", now) == 24h);
  // Dates beyond system_clock's nanosecond range (1678..2262) are still past or capped.
  CHECK(parse_retry_after("Sun, 06 Nov 0997 08:49:37 GMT", now) == 0s);
  CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) == 24h);
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 0001", now) == 0s);
  for (const char* bad :
       {"", "-5", "soon", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 PST"}) {
    INFO("'" << bad << "'");
    CHECK_FALSE(parse_retry_after(bad, now));
  }
}

TEST_CASE("the URL's last path segment names the file", "[http]") {
  CHECK(filename_from_url("http://host/dir/file.iso") == "file.iso");
  CHECK(filename_from_url("https://host/dir/file.iso?token=abc#frag") == "file.iso");
  CHECK(filename_from_url("http://host/dir/sub/") == "sub");
  CHECK(filename_from_url("http://host/na%C3%AFve%20file.txt") == "naïve file.txt");
  CHECK(filename_from_url("ftp://user:pw@host:21/pub/x.tar.gz") == "x.tar.gz");
  CHECK(filename_from_url("http://host/") == "");
  CHECK(filename_from_url("http://host") == "");
  CHECK(filename_from_url("http://host?x=/y") == "");
  CHECK(filename_from_url("http://host/100%") == "100%");  // a lone '%' stays
  // An encoded slash decodes to '/', which safe_filename then refuses to follow.
  CHECK(filename_from_url("http://host/a%2F..%2Fb") == "a/../b");
  CHECK(safe_filename(filename_from_url("http://host/a%2F..%2F..%2Fb"), "x") == "b");
}

TEST_CASE("a proposed name becomes one safe file name", "[http]") {
  CHECK(safe_filename("report.pdf", "x") == "report.pdf");
  CHECK(safe_filename("../../etc/passwd", "x") == "passwd");
  CHECK(safe_filename("/etc/evil", "x") == "evil");
  CHECK(safe_filename("C:\\Windows\\evil.exe", "x") == "evil.exe");
  CHECK(safe_filename("..", "fallback.bin") == "fallback.bin");
  CHECK(safe_filename(".", "") == "download");
  CHECK(safe_filename("", "..") == "download");
  CHECK(safe_filename("...hidden", "x") == "hidden");
  CHECK(safe_filename("  spaced  ", "x") == "spaced");
  CHECK(safe_filename(std::string("a\nb\0c.txt", 9), "x") == "a_b_c.txt");
  CHECK(safe_filename("bad\xff\xfeutf8.txt", "x") == "bad__utf8.txt");
  CHECK(safe_filename("invoice\u202Efdp.exe", "x") == "invoice_fdp.exe");  // bidi override
  CHECK(safe_filename("a\u2066b\u200Fc\u0085d", "x") == "a_b_c_d");
  CHECK(safe_filename("caf\u00e9 \u2014 ok.txt", "x") == "caf\u00e9 \u2014 ok.txt");  // kept
  const std::string long_name = std::string(400, 'a') + ".mkv";
  auto shortened = safe_filename(long_name, "x");
  CHECK(shortened.size() <= 255);
  CHECK(shortened.ends_with(".mkv"));
  for (const std::string& hostile :
       {std::string("/"), std::string("\\"), std::string("../"), std::string("..\\.."),
        std::string("\x01\x02"), std::string(" . "), std::string("%2e%2e")}) {
    INFO("'" << hostile << "'");
    CHECK(plain_name(safe_filename(hostile, "")));
  }
}

TEST_CASE("a long name is shortened keeping its extension and whole characters", "[http]") {
  CHECK(shorten_filename("short.txt", 242) == "short.txt");
  const std::string name = std::string(300, 'x') + ".iso";
  auto cut = shorten_filename(name, 242);
  CHECK(cut.size() == 242);
  CHECK(cut.ends_with(".iso"));
  std::string accents;
  for (int i = 0; i < 200; ++i)
    accents += "é";
  auto cut2 = shorten_filename(accents, 241);
  CHECK(cut2.size() == 240);  // 241 would split the last 'é'
}

TEST_CASE("taken names are numbered before the last extension", "[http]") {
  CHECK(numbered_filename("file.txt", 1) == "file (1).txt");
  CHECK(numbered_filename("file", 2) == "file (2)");
  CHECK(numbered_filename("archive.tar.gz", 3) == "archive.tar (3).gz");
  CHECK(numbered_filename(".bashrc", 1) == ".bashrc (1)");
  const std::string long_name = std::string(250, 'b') + ".txt";
  auto n = numbered_filename(long_name, 12345);
  CHECK(n.size() <= 255);
  CHECK(n.ends_with(" (12345).txt"));
  // Never cuts a UTF-8 sequence in half.
  std::string accents;
  for (int i = 0; i < 127; ++i)
    accents += "é";
  auto cut = numbered_filename(accents + ".txt", 7);
  CHECK(cut.size() <= 255);
  CHECK(cut.ends_with(" (7).txt"));
  CHECK((static_cast<unsigned char>(cut[cut.size() - 9]) & 0xC0) != 0xC0);
}
