#include <catch2/catch.hpp>

#include "bitflow/magnet.hpp"

using namespace bitflow;

namespace {
constexpr const char* hex_hash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
// The same 20 bytes in base32.
constexpr const char* b32_hash = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK";

ErrorInfo magnet_error(std::string_view uri) {
  ErrorInfo error;
  REQUIRE_FALSE(Magnet::parse(uri, error).has_value());
  REQUIRE(error);
  return error;
}
}  // namespace

TEST_CASE("magnet parses a hex info-hash, name, trackers and seeds", "[magnet]") {
  auto m = Magnet::parse(std::string("magnet:?xt=urn:btih:") + hex_hash +
                         "&dn=Big%20Buck+Bunny&tr=udp%3A%2F%2Ft1%3A80&tr=http://t2/a"
                         "&tr=udp%3A%2F%2Ft1%3A80&ws=http%3A%2F%2Fseed%2Ff&x.pe=10.0.0.1:6881"
                         "&x.pe=[::1]:51413&xl=1234");
  REQUIRE(m.info_hash);
  CHECK(m.info_hash->hex() == hex_hash);
  CHECK(m.display_name == "Big Buck Bunny");
  CHECK(m.trackers == std::vector<std::string>{"udp://t1:80", "http://t2/a"});
  CHECK(m.web_seeds == std::vector<std::string>{"http://seed/f"});
  CHECK(m.peers == std::vector<std::string>{"10.0.0.1:6881", "[::1]:51413"});
  CHECK(m.exact_length == 1234);
}

TEST_CASE("magnet accepts base32 info-hashes in either case", "[magnet]") {
  auto upper = Magnet::parse(std::string("magnet:?xt=urn:btih:") + b32_hash);
  REQUIRE(upper.info_hash);
  CHECK(upper.info_hash->hex() == hex_hash);
  std::string lower = b32_hash;
  for (auto& c : lower)
    c = static_cast<char>(std::tolower(c));
  CHECK(Magnet::parse("MAGNET:?xt=URN:BTIH:" + lower).info_hash == upper.info_hash);
}

TEST_CASE("magnet reads v2 multihashes and hybrid links", "[magnet]") {
  std::string v2 = std::string(64, 'a');
  auto m = Magnet::parse(std::string("magnet:?xt=urn:btih:") + hex_hash + "&xt=urn:btmh:1220" + v2);
  REQUIRE(m.info_hash_v2);
  CHECK(m.info_hash_v2->hex() == v2);
  CHECK(m.info_hash);
  auto only_v2 = Magnet::parse("magnet:?xt=urn:btmh:1220" + v2);
  CHECK_FALSE(only_v2.info_hash);
  CHECK(magnet_error("magnet:?xt=urn:btmh:1114" + v2).code == magnet::errc::invalid_info_hash);
}

TEST_CASE("magnet reads BEP 53 select-only ranges", "[magnet]") {
  auto m = Magnet::parse(std::string("magnet:?xt=urn:btih:") + hex_hash + "&so=0,2,4-6");
  CHECK(m.select_only == std::vector<FileIndexRange>{{0, 0}, {2, 2}, {4, 6}});
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&so=3-1").code ==
        magnet::errc::invalid_parameter);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&so=a").code ==
        magnet::errc::invalid_parameter);
}

TEST_CASE("magnet keeps unknown parameters and numbered keys", "[magnet]") {
  auto m = Magnet::parse(std::string("magnet:?xt.1=urn:btih:") + hex_hash +
                         "&tr.1=http://a/&tr.2=http://b/&kt=foo%20bar&as=x&xt=urn:sha1:ABC");
  CHECK(m.info_hash);
  CHECK(m.trackers == std::vector<std::string>{"http://a/", "http://b/"});
  CHECK(m.extra == std::vector<std::pair<std::string, std::string>>{
                       {"kt", "foo bar"}, {"as", "x"}, {"xt", "urn:sha1:ABC"}});
}

TEST_CASE("magnet rejects bad input with clear errors", "[magnet]") {
  using magnet::errc;
  CHECK(magnet_error("http://example.com/").code == errc::not_a_magnet);
  CHECK(magnet_error("magnet:").code == errc::not_a_magnet);
  CHECK(magnet_error("magnet:?dn=x").code == errc::missing_info_hash);
  CHECK(magnet_error("magnet:?xt=urn:btih:1234").code == errc::invalid_info_hash);
  CHECK(magnet_error("magnet:?xt=urn:btih:" + std::string(40, 'g')).code ==
        errc::invalid_info_hash);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash +
                     "&xt=urn:btih:" + std::string(40, '0'))
            .code == errc::conflicting_info_hash);
  auto e = magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&dn=%zz");
  CHECK(e.code == errc::invalid_percent_encoding);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&dn=%4").code ==
        errc::invalid_percent_encoding);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&x.pe=host").code ==
        errc::invalid_parameter);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&x.pe=host:0").code ==
        errc::invalid_parameter);
  CHECK(magnet_error(std::string("magnet:?xt=urn:btih:") + hex_hash + "&xl=-5").code ==
        errc::invalid_parameter);
  CHECK_THROWS_AS(Magnet::parse("nope"), Error);
}

TEST_CASE("magnet formats back to a URI that parses to the same magnet", "[magnet]") {
  auto m = Magnet::parse(std::string("magnet:?xt=urn:btih:") + hex_hash + "&xt=urn:btmh:1220" +
                         std::string(64, 'b') +
                         "&dn=a+b%26c%3D&tr=http%3A%2F%2Ft%2F%3Fx%3D1%26y&ws=http://w/"
                         "&x.pe=1.2.3.4:5&so=1,3-4&xl=9&foo=bar%20baz");
  std::string uri = m.to_uri();
  CHECK(uri.starts_with(std::string("magnet:?xt=urn:btih:") + hex_hash));
  CHECK(uri.find("dn=a%20b%26c%3D") != std::string::npos);
  CHECK(Magnet::parse(uri) == m);
}

TEST_CASE("magnet detection is case-insensitive", "[magnet]") {
  CHECK(is_magnet_uri("magnet:?xt=1"));
  CHECK(is_magnet_uri("Magnet:?"));
  CHECK_FALSE(is_magnet_uri("magnet"));
  CHECK_FALSE(is_magnet_uri("file.torrent"));
}
