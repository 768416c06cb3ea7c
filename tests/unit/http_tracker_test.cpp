// HTTP tracker codec (BEP 3, 7, 23, 48): announce and scrape URLs byte by byte, and the
// parsing of announce and scrape replies, their limits and their errors.
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "bitflow/tracker.hpp"

using namespace bitflow;
using namespace bitflow::tracker;
using namespace std::chrono_literals;

namespace {

std::string raw(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(b)));
  return out;
}

// A bencoded string.
std::string bstr(std::string_view s) {
  return std::to_string(s.size()) + ":" + std::string(s);
}

// A compact IPv4 peer: four address bytes and a big-endian port.
std::string compact4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d,
                     std::uint16_t port) {
  return raw({a, b, c, d, port >> 8, port & 0xff});
}

Sha1Hash hash_of(std::string_view twenty) {
  auto h = Sha1Hash::from_bytes(twenty);
  REQUIRE(h);
  return *h;
}

Sha1Hash hash_filled(std::uint8_t byte) {
  Sha1Hash h;
  h.bytes.fill(byte);
  return h;
}

PeerId peer_id_of(std::string_view twenty) {
  PeerId id;
  REQUIRE(twenty.size() == id.bytes.size());
  for (std::size_t i = 0; i < twenty.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(twenty[i]);
  return id;
}

// Every byte class: controls, space, reserved and sub-delims, unreserved marks, digits,
// letters, '%' itself, DEL and bytes with the high bit set.
const std::string tricky_hash = raw({0x00, 0x1f, ' ', '!', '-', '.', '_', '~',  '0',  '9',
                                     'A',  'Z',  'a', 'z', '%', '&', '/', 0x7f, 0x80, 0xff});
const char* const tricky_hash_encoded = "%00%1F%20%21-._~09AZaz%25%26%2F%7F%80%FF";

AnnounceRequest sample_request() {
  AnnounceRequest r;
  r.info_hash = hash_of(tricky_hash);
  r.peer_id = peer_id_of("-BF0100-a+=?#[]@:Z!*");
  r.port = 6881;
  r.uploaded = 1;
  r.downloaded = std::int64_t{1} << 40;
  r.left = 3;
  r.event = Event::started;
  r.num_want = 50;
  r.key = 0xabc;
  return r;
}

AnnounceResponse announce_ok(std::string_view body) {
  ErrorInfo error;
  auto r = parse_announce_response(body, error);
  INFO(error.message);
  REQUIRE(r);
  CHECK_FALSE(error);
  return *r;
}

ErrorInfo announce_fails(std::string_view body, errc expected = errc::invalid_response) {
  ErrorInfo error;
  CHECK_FALSE(parse_announce_response(body, error));
  CHECK(error.code == expected);
  CHECK_FALSE(error.message.empty());
  return error;
}

std::vector<ScrapeEntry> scrape_ok(std::string_view body) {
  ErrorInfo error;
  auto r = parse_scrape_response(body, error);
  INFO(error.message);
  REQUIRE(r);
  CHECK_FALSE(error);
  return *r;
}

ErrorInfo scrape_fails(std::string_view body, errc expected = errc::invalid_response) {
  ErrorInfo error;
  CHECK_FALSE(parse_scrape_response(body, error));
  CHECK(error.code == expected);
  CHECK_FALSE(error.message.empty());
  return error;
}

}  // namespace

// ---- announce URL --------------------------------------------------------------------

TEST_CASE("announce url percent-encodes every byte outside the unreserved set", "[http-tracker]") {
  CHECK(build_announce_url("http://t.example/announce", sample_request()) ==
        std::string("http://t.example/announce?info_hash=") + tricky_hash_encoded +
            "&peer_id=-BF0100-a%2B%3D%3F%23%5B%5D%40%3AZ%21%2A"
            "&port=6881&uploaded=1&downloaded=1099511627776&left=3&compact=1&numwant=50"
            "&key=00000abc&event=started");
}

TEST_CASE("announce url encodes all 256 byte values as RFC 3986 says", "[http-tracker]") {
  AnnounceRequest r = sample_request();
  r.event = Event::none;
  for (int first = 0; first < 256; first += 20) {
    std::string expected_hash;
    for (std::size_t i = 0; i < 20; ++i) {
      auto byte = static_cast<std::uint8_t>((first + static_cast<int>(i)) & 0xff);
      r.info_hash.bytes[i] = byte;
      bool unreserved =
          std::isalnum(byte) || byte == '-' || byte == '.' || byte == '_' || byte == '~';
      static constexpr char digits[] = "0123456789ABCDEF";
      if (unreserved) {
        expected_hash.push_back(static_cast<char>(byte));
      } else {
        expected_hash += {'%', digits[byte >> 4], digits[byte & 0xf]};
      }
    }
    std::string url = build_announce_url("http://t/announce", r);
    INFO(url);
    CHECK(url.starts_with("http://t/announce?info_hash=" + expected_hash + "&peer_id="));
  }
}

TEST_CASE("announce url keeps the tracker's own query and appends with '&'", "[http-tracker]") {
  AnnounceRequest r = sample_request();
  CHECK(build_announce_url("http://t/announce?passkey=s3cr3t", r)
            .starts_with("http://t/announce?passkey=s3cr3t&info_hash=%00"));
  CHECK(build_announce_url("http://t/announce?", r).starts_with("http://t/announce?info_hash="));
  CHECK(build_announce_url("http://t/announce?a=1&", r)
            .starts_with("http://t/announce?a=1&info_hash="));
}

TEST_CASE("announce url names the event except for none", "[http-tracker]") {
  AnnounceRequest r = sample_request();
  r.event = Event::none;
  std::string url = build_announce_url("http://t/announce", r);
  CHECK(url.ends_with("&key=00000abc"));
  CHECK(url.find("event") == std::string::npos);
  r.event = Event::completed;
  CHECK(build_announce_url("http://t/announce", r).ends_with("&key=00000abc&event=completed"));
  r.event = Event::stopped;
  CHECK(build_announce_url("http://t/announce", r).ends_with("&key=00000abc&event=stopped"));
}

TEST_CASE("announce url sends the key as 8 lowercase hex digits and num_want signed",
          "[http-tracker]") {
  AnnounceRequest r = sample_request();
  r.event = Event::none;
  r.key = 0;
  r.num_want = -1;
  CHECK(build_announce_url("http://t/a", r).ends_with("&compact=1&numwant=-1&key=00000000"));
  r.key = 0xDEADBEEF;
  CHECK(build_announce_url("http://t/a", r).ends_with("&key=deadbeef"));
  r.key = 0xffffffff;
  CHECK(build_announce_url("http://t/a", r).ends_with("&key=ffffffff"));
}

TEST_CASE("announce url echoes the tracker id, percent-encoded, after everything else",
          "[http-tracker]") {
  AnnounceRequest r = sample_request();
  r.tracker_id = "id 7&x";
  CHECK(build_announce_url("http://t/announce", r)
            .ends_with("&key=00000abc&event=started&trackerid=id%207%26x"));
}

// ---- scrape URL (BEP 48) ---------------------------------------------------------------

TEST_CASE("scrape url replaces 'announce' at the start of the last path element",
          "[http-tracker]") {
  // The examples of BEP 48, plus a passkey in a folder.
  CHECK(scrape_url_for("http://example.com/announce") == "http://example.com/scrape");
  CHECK(scrape_url_for("http://example.com/x/announce") == "http://example.com/x/scrape");
  CHECK(scrape_url_for("http://example.com/announce.php") == "http://example.com/scrape.php");
  CHECK(scrape_url_for("http://example.com/announce?x2%0644") ==
        "http://example.com/scrape?x2%0644");
  CHECK(scrape_url_for("http://example.com/announce?x=2/4") == "http://example.com/scrape?x=2/4");
  CHECK(scrape_url_for("http://example.com/x/announce?passkey=1") ==
        "http://example.com/x/scrape?passkey=1");
  CHECK(scrape_url_for("https://example.com:8443/announce") == "https://example.com:8443/scrape");
}

TEST_CASE("scrape url is refused when 'announce' does not start the last path element",
          "[http-tracker]") {
  CHECK_FALSE(scrape_url_for("http://example.com/a"));
  CHECK_FALSE(scrape_url_for("http://example.com/a?x=announce"));
  CHECK_FALSE(scrape_url_for("http://example.com/x%064announce"));
  CHECK_FALSE(scrape_url_for("http://example.com/announce/x"));
  CHECK_FALSE(scrape_url_for("http://example.com/"));
  CHECK_FALSE(scrape_url_for("http://example.com"));
  CHECK_FALSE(scrape_url_for(""));
  CHECK_FALSE(scrape_url_for("announce"));
}

TEST_CASE("scrape url is refused when 'announce' is the host rather than a path element",
          "[http-tracker]") {
  CHECK_FALSE(scrape_url_for("http://announce.example.com"));
  CHECK_FALSE(scrape_url_for("http://announce.example.com?x=1"));
  CHECK(scrape_url_for("http://announce.example.com/announce") ==
        "http://announce.example.com/scrape");
}

TEST_CASE("scrape url carries one info_hash parameter per torrent", "[http-tracker]") {
  std::vector<Sha1Hash> hashes{hash_of(tricky_hash), hash_filled(0xaa), hash_filled('A')};
  std::string aa, letters;
  for (int i = 0; i < 20; ++i) {
    aa += "%AA";
    letters += "A";
  }
  CHECK(build_scrape_url("http://t/scrape", hashes) ==
        std::string("http://t/scrape?info_hash=") + tricky_hash_encoded + "&info_hash=" + aa +
            "&info_hash=" + letters);
  CHECK(build_scrape_url("http://t/scrape?passkey=1", {hash_filled('A')}) ==
        "http://t/scrape?passkey=1&info_hash=" + letters);
  CHECK(build_scrape_url("http://t/scrape", {}) == "http://t/scrape");
}

// ---- announce replies ----------------------------------------------------------------

TEST_CASE("announce reply with compact IPv4 peers", "[http-tracker]") {
  std::string peers = compact4(10, 0, 0, 1, 6881) + compact4(192, 168, 1, 255, 80);
  auto r = announce_ok("d8:intervali900e5:peers" + bstr(peers) + "e");
  CHECK(r.interval == 900s);
  REQUIRE(r.peers.size() == 2);
  CHECK(r.peers[0] == PeerEntry{"10.0.0.1", 6881, std::nullopt});
  CHECK(r.peers[1] == PeerEntry{"192.168.1.255", 80, std::nullopt});
  CHECK_FALSE(r.min_interval);
  CHECK_FALSE(r.tracker_id);
  CHECK_FALSE(r.warning);
  CHECK_FALSE(r.seeders);
  CHECK_FALSE(r.leechers);
}

TEST_CASE("announce reply with dictionary peers keeps names and peer ids", "[http-tracker]") {
  auto r = announce_ok(
      "d8:intervali60e5:peersl"
      "d2:ip9:127.0.0.17:peer id20:AAAAAAAAAAAAAAAAAAAA4:porti6881ee"
      "d2:ip11:example.org4:porti80ee"
      "d2:ip7:2001::14:porti1ee"
      "ee");
  CHECK(r.interval == 60s);
  REQUIRE(r.peers.size() == 3);
  CHECK(r.peers[0] == PeerEntry{"127.0.0.1", 6881, std::string(20, 'A')});
  CHECK(r.peers[1] == PeerEntry{"example.org", 80, std::nullopt});
  CHECK(r.peers[2] == PeerEntry{"2001::1", 1, std::nullopt});
}

TEST_CASE("announce reply with peers6 only, and with both lists", "[http-tracker]") {
  std::string v6 = raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a, 0xe1});
  auto only6 = announce_ok("d6:peers6" + bstr(v6) + "e");
  REQUIRE(only6.peers.size() == 1);
  CHECK(only6.peers[0] == PeerEntry{"2001:db8::1", 6881, std::nullopt});
  CHECK(only6.interval == 1800s);  // the default when the tracker says nothing

  auto both = announce_ok("d5:peers" + bstr(compact4(1, 2, 3, 4, 5)) + "6:peers6" + bstr(v6) + "e");
  REQUIRE(both.peers.size() == 2);
  CHECK(both.peers[0] == PeerEntry{"1.2.3.4", 5, std::nullopt});
  CHECK(both.peers[1] == PeerEntry{"2001:db8::1", 6881, std::nullopt});
}

TEST_CASE("announce reply's failure reason is a tracker_failure carrying the text",
          "[http-tracker]") {
  auto error = announce_fails("d14:failure reason17:torrent not founde", errc::tracker_failure);
  CHECK_THAT(error.message, Catch::Contains("torrent not found"));
  // Even with peers next to it, and in a reply whose other fields are broken.
  announce_fails("d14:failure reason1:x5:peers0:e", errc::tracker_failure);
  announce_fails("d14:failure reason1:x8:intervali-1ee", errc::tracker_failure);
}

TEST_CASE("announce reply's optional fields are read", "[http-tracker]") {
  auto r = announce_ok(
      "d8:completei5e10:incompletei7e8:intervali1800e12:min intervali900e"
      "5:peers0:10:tracker id3:abc15:warning message5:slow!e");
  CHECK(r.peers.empty());
  CHECK(r.interval == 1800s);
  CHECK(r.min_interval == 900s);
  CHECK(r.tracker_id == "abc");
  CHECK(r.warning == "slow!");
  CHECK(r.seeders == 5);
  CHECK(r.leechers == 7);
}

TEST_CASE("announce reply with unsorted keys is accepted", "[http-tracker]") {
  auto r = announce_ok("d5:peers0:8:intervali42ee");
  CHECK(r.interval == 42s);
}

TEST_CASE("announce reply ignores negative counts", "[http-tracker]") {
  auto r = announce_ok("d8:completei-1e10:incompletei-5e5:peers0:e");
  CHECK_FALSE(r.seeders);
  CHECK_FALSE(r.leechers);
}

TEST_CASE("announce reply without peers or peers6 is invalid", "[http-tracker]") {
  auto error = announce_fails("d8:intervali900ee");
  CHECK_THAT(error.message, Catch::Contains("peers"));
}

TEST_CASE("announce reply whose compact peers are not a multiple of 6 bytes is invalid",
          "[http-tracker]") {
  auto error = announce_fails("d5:peers7:abcdefge");
  CHECK_THAT(error.message, Catch::Contains("multiple of 6"));
  announce_fails("d5:peers" + bstr(compact4(1, 2, 3, 4, 5)) + "6:peers65:abcdee");
}

TEST_CASE("announce reply whose peers have the wrong type is invalid", "[http-tracker]") {
  announce_fails("d5:peersi5ee");
  announce_fails("d5:peersdee");
  announce_fails("d6:peers6i5ee");
  announce_fails("d6:peers6lee");
  // Dictionary peers: not a dictionary, no ip, no port, port not an integer.
  announce_fails("d5:peersli5eee");
  announce_fails("d5:peersld4:porti1eeee");
  announce_fails("d5:peersld2:ip1:xeee");
  announce_fails("d5:peersld2:ip1:x4:port2:80eee");
}

TEST_CASE("announce reply with a negative or absurd interval is invalid", "[http-tracker]") {
  announce_fails("d8:intervali-1e5:peers0:e");
  announce_fails("d12:min intervali-1e5:peers0:e");
  announce_fails("d8:intervali99999999999e5:peers0:e");
  announce_fails("d8:interval3:abc5:peers0:e");
  CHECK(announce_ok("d8:intervali0e5:peers0:e").interval == 0s);
}

TEST_CASE("announce reply that is not bencode or not a dictionary is invalid", "[http-tracker]") {
  CHECK_THAT(announce_fails("<html>Not Found</html>").message, Catch::Contains("bencode"));
  announce_fails("");
  announce_fails("d5:peers0:");
  CHECK_THAT(announce_fails("li1ee").message, Catch::Contains("dictionary"));
  announce_fails("4:spam");
  announce_fails("i42e");
}

TEST_CASE("announce reply larger than the size limit is refused", "[http-tracker]") {
  std::string body = "d5:peers0:7:padding" + bstr(std::string(max_response_bytes, 'p')) + "e";
  announce_fails(body, errc::response_too_large);
}

TEST_CASE("announce reply keeps only the first max_peers_per_response peers", "[http-tracker]") {
  std::string many;
  for (std::size_t i = 0; i <= max_peers_per_response; ++i)
    many += compact4(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i), 6881);
  auto r = announce_ok("d5:peers" + bstr(many) + "e");
  REQUIRE(r.peers.size() == max_peers_per_response);
  CHECK(r.peers.back().host == "10.0.39.15");  // peer 9999 = 0x270f

  // The cap covers peers and peers6 together.
  std::string v6 = raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a, 0xe1});
  auto both = announce_ok("d5:peers" + bstr(many) + "6:peers6" + bstr(v6) + "e");
  CHECK(both.peers.size() == max_peers_per_response);

  // And the dictionary form.
  std::string dicts = "d5:peersl";
  for (std::size_t i = 0; i < max_peers_per_response + 5; ++i)
    dicts += "d2:ip1:x4:porti1ee";
  CHECK(announce_ok(dicts + "ee").peers.size() == max_peers_per_response);
}

TEST_CASE("announce reply skips peers with port 0 or out of range", "[http-tracker]") {
  std::string peers = compact4(1, 1, 1, 1, 0) + compact4(2, 2, 2, 2, 2) + compact4(0, 0, 0, 0, 0);
  auto r = announce_ok("d5:peers" + bstr(peers) + "e");
  REQUIRE(r.peers.size() == 1);
  CHECK(r.peers[0] == PeerEntry{"2.2.2.2", 2, std::nullopt});

  auto dicts = announce_ok(
      "d5:peersl"
      "d2:ip1:a4:porti0ee"
      "d2:ip1:b4:porti-1ee"
      "d2:ip1:c4:porti65536ee"
      "d2:ip0:4:porti1ee"
      "d2:ip1:d4:porti65535ee"
      "ee");
  REQUIRE(dicts.peers.size() == 1);
  CHECK(dicts.peers[0] == PeerEntry{"d", 65535, std::nullopt});
}

TEST_CASE("announce reply cut at every byte fails cleanly", "[http-tracker]") {
  std::string v6 = raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x1a, 0xe1});
  const std::string reply =
      "d8:completei5e10:incompletei7e8:intervali1800e12:min intervali900e5:peers" +
      bstr(compact4(10, 0, 0, 1, 6881) + compact4(10, 0, 0, 2, 6882)) + "6:peers6" + bstr(v6) +
      "10:tracker id3:abc15:warning message5:slow!e";
  REQUIRE(announce_ok(reply).peers.size() == 3);
  for (std::size_t n = 0; n < reply.size(); ++n) {
    INFO("first " << n << " bytes");
    std::string cut = reply.substr(0, n);  // a copy, so ASan sees any read past the end
    ErrorInfo error;
    CHECK_FALSE(parse_announce_response(cut, error));
    CHECK(error.code == errc::invalid_response);
  }
}

// ---- scrape replies ------------------------------------------------------------------

TEST_CASE("scrape reply lists every torrent's counts", "[http-tracker]") {
  std::string a(20, 'a'), b(20, '\xff');
  auto entries = scrape_ok("d5:filesd" + bstr(a) +
                           "d8:completei5e10:downloadedi50e10:incompletei10ee" + bstr(b) +
                           "d8:completei1eee"
                           "e");
  REQUIRE(entries.size() == 2);
  CHECK(entries[0] == ScrapeEntry{hash_of(a), 5, 50, 10});
  CHECK(entries[1] == ScrapeEntry{hash_of(b), 1, 0, 0});
  CHECK(scrape_ok("d5:filesdee").empty());
}

TEST_CASE("scrape reply reads negative counts as zero", "[http-tracker]") {
  auto entries = scrape_ok("d5:filesd" + bstr(std::string(20, 'a')) +
                           "d8:completei-5e10:downloaded1:x10:incompletei3eeee");
  REQUIRE(entries.size() == 1);
  CHECK(entries[0] == ScrapeEntry{hash_filled('a'), 0, 0, 3});
}

TEST_CASE("scrape reply's failure reason is a tracker_failure", "[http-tracker]") {
  auto error = scrape_fails("d14:failure reason14:scrape refusede", errc::tracker_failure);
  CHECK_THAT(error.message, Catch::Contains("scrape refused"));
}

TEST_CASE("scrape reply without a files dictionary is invalid", "[http-tracker]") {
  CHECK_THAT(scrape_fails("de").message, Catch::Contains("files"));
  scrape_fails("d5:filesle");
  scrape_fails("d5:files0:e");
  scrape_fails("le");
  scrape_fails("not bencode");
}

TEST_CASE("scrape reply with a malformed entry is invalid", "[http-tracker]") {
  scrape_fails("d5:filesd" + bstr(std::string(19, 'a')) + "d8:completei1eeee");
  scrape_fails("d5:filesd" + bstr(std::string(21, 'a')) + "d8:completei1eeee");
  scrape_fails("d5:filesd" + bstr(std::string(20, 'a')) + "i5eee");
}

TEST_CASE("scrape reply cut at every byte fails cleanly", "[http-tracker]") {
  const std::string reply = "d5:filesd" + bstr(std::string(20, 'a')) +
                            "d8:completei5e10:downloadedi50e10:incompletei10eeee";
  REQUIRE(scrape_ok(reply).size() == 1);
  for (std::size_t n = 0; n < reply.size(); ++n) {
    INFO("first " << n << " bytes");
    std::string cut = reply.substr(0, n);
    ErrorInfo error;
    CHECK_FALSE(parse_scrape_response(cut, error));
    CHECK(error.code == errc::invalid_response);
  }
}
