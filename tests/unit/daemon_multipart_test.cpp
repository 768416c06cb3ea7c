// multipart/form-data as POST /downloads receives a .torrent upload.
#include <catch2/catch.hpp>

#include "daemon/multipart.hpp"

using namespace bitflow::daemon;

namespace {

const std::string kForm =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"torrent\"; filename=\"a b.torrent\"\r\n"
    "Content-Type: application/x-bittorrent\r\n"
    "\r\n"
    "d4:infod--XyZ\r\nnot-a-boundaryee\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=files\r\n"
    "\r\n"
    "[0, 2]\r\n"
    "--XyZ--\r\n";

}  // namespace

TEST_CASE("form_boundary reads the boundary of a multipart/form-data type", "[daemon]") {
  CHECK(form_boundary("multipart/form-data; boundary=XyZ") == "XyZ");
  CHECK(form_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a;b c\"") == "a;b c");
  CHECK_FALSE(form_boundary("multipart/mixed; boundary=XyZ"));
  CHECK_FALSE(form_boundary("multipart/form-data"));
  CHECK_FALSE(form_boundary("multipart/form-data; boundary="));
  CHECK_FALSE(form_boundary("multipart/form-data; boundary=" + std::string(71, 'b')));
  CHECK_FALSE(form_boundary("application/json"));
}

TEST_CASE("parse_form splits parts and keeps their bytes exactly", "[daemon]") {
  const ParsedForm form = parse_form(kForm, "XyZ");
  REQUIRE(form.error.empty());
  REQUIRE(form.parts.size() == 2);
  CHECK(form.parts[0].name == "torrent");
  CHECK(form.parts[0].filename == "a b.torrent");
  CHECK(form.parts[0].data == "d4:infod--XyZ\r\nnot-a-boundaryee");
  CHECK(form.parts[1].name == "files");
  CHECK(form.parts[1].filename.empty());
  CHECK(form.parts[1].data == "[0, 2]");
}

TEST_CASE("parse_form refuses broken forms, at every truncation", "[daemon]") {
  CHECK(parse_form("", "XyZ").error == "the form does not start with its boundary");
  CHECK_FALSE(parse_form("--XyZ\r\nContent-Type: x\r\n\r\ndata\r\n--XyZ--", "XyZ").error.empty());
  CHECK_FALSE(
      parse_form("--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nd\r\n--XyZ--", "XyZ")
          .error.empty());
  std::string many;
  for (int i = 0; i < 17; ++i)
    many += "--B\r\nContent-Disposition: form-data; name=p\r\n\r\nx\r\n";
  many += "--B--";
  CHECK(parse_form(many, "B").error == "the form has more than 16 parts");
  // Every proper prefix of a good form lacks its closing delimiter.
  for (std::size_t n = 0; n + 4 < kForm.size(); ++n)
    CHECK_FALSE(parse_form(kForm.substr(0, n), "XyZ").error.empty());
}
