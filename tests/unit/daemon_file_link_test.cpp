// Signed file links: what they sign, and when they stop working.
#include <catch2/catch.hpp>

#include "daemon/file_link.hpp"
#include "daemon/request_json.hpp"
#include "daemon/router.hpp"

using namespace bitflow::daemon;

TEST_CASE("a file link's signature covers owner, download, file and expiry", "[daemon]") {
  const std::string key = "k3y";
  const std::string sig = sign_file_link(key, "alice", "abc", 2, 1000);
  CHECK(sig.size() == 64);
  CHECK(check_file_link(key, "alice", "abc", 2, 1000, sig, 999));
  CHECK(check_file_link(key, "alice", "abc", 2, 1000, sig, 1000));
  CHECK_FALSE(check_file_link(key, "alice", "abc", 2, 1000, sig, 1001));  // expired
  CHECK_FALSE(check_file_link(key, "bob", "abc", 2, 1000, sig, 0));
  CHECK_FALSE(check_file_link(key, "alice", "abd", 2, 1000, sig, 0));
  CHECK_FALSE(check_file_link(key, "alice", "abc", 3, 1000, sig, 0));
  CHECK_FALSE(check_file_link(key, "alice", "abc", 2, 2000, sig, 0));  // a later expiry
  CHECK_FALSE(check_file_link("other", "alice", "abc", 2, 1000, sig, 0));
  CHECK_FALSE(check_file_link(key, "alice", "abc", 2, 1000, sig.substr(1), 0));
  CHECK_FALSE(check_file_link(key, "alice", "abc", 2, 1000, "", 0));
}

TEST_CASE("a link request takes minutes, or nothing", "[daemon]") {
  CHECK(parse_link_request("").value->minutes == 60);
  CHECK(parse_link_request(R"({"minutes": 5})").value->minutes == 5);
  CHECK_FALSE(parse_link_request(R"({"minutes": 0})").value);
  CHECK_FALSE(parse_link_request(R"({"minutes": 99999})").value);
  CHECK_FALSE(parse_link_request(R"({"minutes": "5"})").value);
  CHECK_FALSE(parse_link_request(R"({"hours": 5})").value);
}

TEST_CASE("router maps a file's link", "[daemon]") {
  auto r = route("POST", "/downloads/abc/files/3/link");
  REQUIRE(std::holds_alternative<Route>(r));
  CHECK(std::get<Route>(r).endpoint == Endpoint::file_link);
  CHECK(std::get<Route>(r).file_index == 3);
  CHECK(std::get<Response>(route("GET", "/downloads/abc/files/3/link")).status == 405);
  CHECK(std::get<Response>(route("POST", "/downloads/abc/files/3/other")).status == 404);
}
