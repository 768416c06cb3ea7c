// BEP 15 UDP tracker: packet layouts byte by byte, reply decoding and its errors, and the
// sans-I/O client driven by a fake clock while the test plays the tracker.
#include <catch2/catch.hpp>

#include "../support/hex_bytes.hpp"

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "tracker/udp_client.hpp"
#include "tracker/udp_codec.hpp"

using namespace bitflow;
using namespace bitflow::tracker;
using namespace bitflow::tracker::udp;
using namespace std::chrono_literals;
using TimePoint = UdpTrackerClient::TimePoint;

namespace {

using bitflow::test::unhex;

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    out.push_back(digits[u >> 4]);
    out.push_back(digits[u & 0xf]);
  }
  return out;
}

std::string be32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
  return out;
}

std::string be64(std::uint64_t v) {
  return be32(static_cast<std::uint32_t>(v >> 32)) + be32(static_cast<std::uint32_t>(v));
}

std::uint32_t read32(std::string_view bytes, std::size_t at) {
  REQUIRE(bytes.size() >= at + 4);
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

std::uint64_t read64(std::string_view bytes, std::size_t at) {
  return (std::uint64_t{read32(bytes, at)} << 32) | read32(bytes, at + 4);
}

// What a client packet says in its first 16 bytes.
struct Sent {
  std::uint64_t connection_id;
  std::uint32_t action;
  std::uint32_t txid;
};

Sent parse_sent(std::string_view packet) {
  return {read64(packet, 0), read32(packet, 8), read32(packet, 12)};
}

Sha1Hash hash_from(std::uint8_t first) {
  Sha1Hash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i)
    h.bytes[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

PeerId peer_id(std::string_view text) {
  PeerId id;
  REQUIRE(text.size() == id.bytes.size());
  for (std::size_t i = 0; i < text.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(text[i]);
  return id;
}

AnnounceRequest sample_request() {
  AnnounceRequest r;
  r.info_hash = hash_from(0x01);
  r.peer_id = peer_id("-BF0100-abcdefghijkl");
  r.downloaded = 1000;
  r.left = std::int64_t{1} << 32;
  r.uploaded = 5;
  r.event = Event::started;
  r.key = 0xdeadbeef;
  r.num_want = -1;
  r.port = 6881;
  return r;
}

// Replies as a tracker builds them.
std::string connect_reply(std::uint32_t txid, std::uint64_t connection_id) {
  return be32(0) + be32(txid) + be64(connection_id);
}
std::string announce_reply(std::uint32_t txid, std::string_view peers = {}) {
  return be32(1) + be32(txid) + be32(1800) + be32(5) + be32(10) + std::string(peers);
}
std::string error_reply(std::uint32_t txid, std::string_view message) {
  return be32(3) + be32(txid) + std::string(message);
}

ErrorInfo decode_error(std::string_view datagram, bool ipv6 = false, std::size_t scraped = 0) {
  ErrorInfo error;
  REQUIRE_FALSE(decode_reply(datagram, ipv6, scraped, error).has_value());
  CHECK(error.code == errc::invalid_response);
  return error;
}

template <typename T>
T decode_as(std::string_view datagram, bool ipv6 = false, std::size_t scraped = 0) {
  ErrorInfo error;
  auto reply = decode_reply(datagram, ipv6, scraped, error);
  INFO(error.message);
  REQUIRE(reply.has_value());
  REQUIRE(std::holds_alternative<T>(*reply));
  CHECK_FALSE(error);
  return std::get<T>(*reply);
}

// A random source that plays back the given values, then counts up from the last.
std::function<std::uint32_t()> sequence(std::vector<std::uint32_t> values) {
  return [values = std::deque<std::uint32_t>(values.begin(), values.end()),
          next = std::uint32_t{0x5000}]() mutable {
    if (values.empty()) return next++;
    auto v = values.front();
    values.pop_front();
    return v;
  };
}

const TimePoint t0 = TimePoint{} + 24h;

UdpTrackerClient::Config fast_config() {
  UdpTrackerClient::Config config;
  config.base_timeout = 15s;
  return config;
}

// The only packet the client wants sent now.
std::string one_datagram(UdpTrackerClient& client) {
  auto datagrams = client.take_datagrams();
  REQUIRE(datagrams.size() == 1);
  return datagrams.front();
}

Completion one_completion(UdpTrackerClient& client) {
  auto completions = client.take_completions();
  REQUIRE(completions.size() == 1);
  return completions.front();
}

const ErrorInfo& error_of(const Completion& c) {
  REQUIRE(std::holds_alternative<ErrorInfo>(c.result));
  return std::get<ErrorInfo>(c.result);
}

// Starts an announce and answers its connect; returns the announce packet.
std::string connect_and_announce(UdpTrackerClient& client, TimePoint now,
                                 std::uint64_t connection_id = 0x0123456789abcdef) {
  (void)client.announce(sample_request(), now);
  Sent connect = parse_sent(one_datagram(client));
  REQUIRE(connect.action == 0);
  client.on_datagram(connect_reply(connect.txid, connection_id), now);
  return one_datagram(client);
}

}  // namespace

// ---- packet layouts ------------------------------------------------------------------

TEST_CASE("udp connect request is the protocol id, action 0 and the transaction id", "[udp]") {
  CHECK(to_hex(encode_connect(0x12345678)) ==
        "0000041727101980"
        "00000000"
        "12345678");
}

TEST_CASE("udp announce request lays out all 98 bytes in network order", "[udp]") {
  std::string packet = encode_announce(0x0123456789abcdef, 0x22222222, sample_request());
  CHECK(packet.size() == 98);
  CHECK(to_hex(packet) ==
        "0123456789abcdef"                          // connection id
        "00000001"                                  // action: announce
        "22222222"                                  // transaction id
        "0102030405060708090a0b0c0d0e0f1011121314"  // info-hash
        "2d4246303130302d6162636465666768696a6b6c"  // peer id "-BF0100-abcdefghijkl"
        "00000000000003e8"                          // downloaded 1000
        "0000000100000000"                          // left 4 GiB
        "0000000000000005"                          // uploaded 5
        "00000002"                                  // event: started
        "00000000"                                  // IP: the packet's source
        "deadbeef"                                  // key
        "ffffffff"                                  // num_want -1
        "1ae1");                                    // port 6881
}

TEST_CASE("udp announce request numbers events as BEP 15 does", "[udp]") {
  auto event_bytes = [](Event e) {
    AnnounceRequest r = sample_request();
    r.event = e;
    return to_hex(encode_announce(1, 2, r).substr(80, 4));
  };
  CHECK(event_bytes(Event::none) == "00000000");
  CHECK(event_bytes(Event::completed) == "00000001");
  CHECK(event_bytes(Event::started) == "00000002");
  CHECK(event_bytes(Event::stopped) == "00000003");
}

TEST_CASE("udp announce request sends a positive num_want as is", "[udp]") {
  AnnounceRequest r = sample_request();
  r.num_want = 200;
  r.port = 65535;
  std::string packet = encode_announce(1, 2, r);
  CHECK(to_hex(packet.substr(92)) == "000000c8ffff");
}

TEST_CASE("udp scrape request carries 1 to 74 info-hashes and refuses more or none", "[udp]") {
  ErrorInfo error;
  std::vector<Sha1Hash> two{hash_from(0x01), hash_from(0xa0)};
  auto packet = encode_scrape(0x0123456789abcdef, 0x33333333, two, error);
  REQUIRE(packet);
  CHECK(to_hex(*packet) ==
        "0123456789abcdef"
        "00000002"
        "33333333"
        "0102030405060708090a0b0c0d0e0f1011121314"
        "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3");

  std::vector<Sha1Hash> many(74, hash_from(0x10));
  auto full = encode_scrape(1, 2, many, error);
  REQUIRE(full);
  CHECK(full->size() == 16 + 74 * 20);

  many.push_back(hash_from(0x20));
  CHECK_FALSE(encode_scrape(1, 2, many, error));
  CHECK(error.code == std::errc::invalid_argument);
  CHECK(error.message == "udp tracker: scrape of 75 torrents; one packet carries 1 to 74");
  CHECK_FALSE(encode_scrape(1, 2, std::vector<Sha1Hash>{}, error));
  CHECK(error.code == std::errc::invalid_argument);
}

// ---- decoding replies ----------------------------------------------------------------

TEST_CASE("udp decoder reads a connect reply and allows bytes after it", "[udp]") {
  auto reply = decode_as<ConnectReply>(unhex("00000000 a1b2c3d4 0123456789abcdef"));
  CHECK(reply.transaction_id == 0xa1b2c3d4);
  CHECK(reply.connection_id == 0x0123456789abcdef);
  auto longer = decode_as<ConnectReply>(unhex("00000000 a1b2c3d4 0123456789abcdef 0000"));
  CHECK(longer.connection_id == 0x0123456789abcdef);
}

TEST_CASE("udp decoder reads an announce reply with IPv4 peers", "[udp]") {
  auto reply = decode_as<AnnounceReply>(
      unhex("00000001 22222222 00000708 00000005 0000000a c0a80001 1ae1 0a000002 c8d5"));
  CHECK(reply.transaction_id == 0x22222222);
  const AnnounceResponse& r = reply.response;
  CHECK(r.interval == 1800s);
  CHECK(r.leechers == 5);
  CHECK(r.seeders == 10);
  CHECK(r.peers == std::vector<PeerEntry>{{"192.168.0.1", 6881, std::nullopt},
                                          {"10.0.0.2", 51413, std::nullopt}});
  CHECK_FALSE(r.warning);
  CHECK_FALSE(r.min_interval);
}

TEST_CASE("udp decoder reads counts as unsigned and an empty peer list", "[udp]") {
  auto reply = decode_as<AnnounceReply>(unhex("00000001 00000001 ffffffff 80000000 00000000"));
  CHECK(reply.response.interval == std::chrono::seconds(0xffffffff));
  CHECK(reply.response.leechers == 0x80000000);
  CHECK(reply.response.seeders == 0);
  CHECK(reply.response.peers.empty());
}

TEST_CASE("udp decoder reads 18-byte IPv6 peers when the announce went over IPv6", "[udp]") {
  auto reply = decode_as<AnnounceReply>(unhex("00000001 00000007 00000708 00000000 00000001"
                                              "20010db8000000000000000000000001 1ae1"
                                              "00000000000000000000ffffc0a80001 0050"),
                                        true);
  CHECK(reply.response.peers == std::vector<PeerEntry>{{"2001:db8::1", 6881, std::nullopt},
                                                       {"::ffff:192.168.0.1", 80, std::nullopt}});
  // The same 36 bytes of peers read as IPv4 are six 6-byte peers.
  auto as_v4 = decode_as<AnnounceReply>(unhex("00000001 00000007 00000708 00000000 00000001"
                                              "20010db8000000000000000000000001 1ae1"
                                              "00000000000000000000ffffc0a80001 0050"),
                                        false);
  CHECK(as_v4.response.peers.size() == 3);  // three of the six have port 0
}

TEST_CASE("udp decoder drops peers with port 0", "[udp]") {
  auto reply = decode_as<AnnounceReply>(announce_reply(1, unhex("01020304 0000 05060708 0001")));
  CHECK(reply.response.peers == std::vector<PeerEntry>{{"5.6.7.8", 1, std::nullopt}});
}

TEST_CASE("udp decoder keeps the first max_peers_per_response peers of a huge reply", "[udp]") {
  std::string peers;
  for (std::size_t i = 0; i < max_peers_per_response + 1; ++i)
    peers += unhex("0a000001") + be32(static_cast<std::uint32_t>(i + 1)).substr(2);
  auto reply = decode_as<AnnounceReply>(announce_reply(1, peers));
  REQUIRE(reply.response.peers.size() == max_peers_per_response);
  CHECK(reply.response.peers.back().port == max_peers_per_response);
  REQUIRE(reply.response.warning);
  CHECK(*reply.response.warning == "udp tracker: reply has 10001 peers, kept the first 10000");
}

TEST_CASE("udp decoder reads a scrape reply's entries in request order", "[udp]") {
  auto reply = decode_as<ScrapeReply>(unhex("00000002 33333333"
                                            "00000001 00000002 00000003"
                                            "0000000a 0000000b 0000000c"),
                                      false, 2);
  CHECK(reply.transaction_id == 0x33333333);
  CHECK(reply.entries == std::vector<ScrapeCounts>{{1, 2, 3}, {10, 11, 12}});
}

TEST_CASE("udp decoder reads an error reply's message without trailing NULs", "[udp]") {
  auto reply = decode_as<ErrorReply>(error_reply(0x44, std::string("unregistered torrent\0", 21)));
  CHECK(reply.transaction_id == 0x44);
  CHECK(reply.message == "unregistered torrent");
  CHECK(decode_as<ErrorReply>(error_reply(0x44, "")).message.empty());
}

TEST_CASE("udp decoder refuses malformed replies and says what is wrong", "[udp]") {
  CHECK(decode_error("").message ==
        "udp tracker: reply of 0 bytes, shorter than the 8-byte header");
  CHECK(decode_error(unhex("00000001 000000")).message ==
        "udp tracker: reply of 7 bytes, shorter than the 8-byte header");
  CHECK(decode_error(unhex("00000004 00000001")).message ==
        "udp tracker: reply with unknown action 4");
  CHECK(decode_error(unhex("ffffffff 00000001 00000000")).message ==
        "udp tracker: reply with unknown action 4294967295");
  CHECK(decode_error(unhex("00000000 00000001 01020304050607")).message ==
        "udp tracker: connect reply of 15 bytes, expected at least 16");
  CHECK(decode_error(unhex("00000001 00000001 00000708 00000000 000000")).message ==
        "udp tracker: announce reply of 19 bytes, expected at least 20");
  CHECK(decode_error(announce_reply(1, unhex("c0a80001 1ae1 c0a8"))).message ==
        "udp tracker: announce reply has 8 bytes of peers, not a whole number of 6-byte IPv4 "
        "peers");
  CHECK(decode_error(announce_reply(1, unhex("c0a80001 1ae1")), true).message ==
        "udp tracker: announce reply has 6 bytes of peers, not a whole number of 18-byte IPv6 "
        "peers");
  CHECK(decode_error(unhex("00000002 00000001 00000001 00000002 000000"), false, 1).message ==
        "udp tracker: scrape reply has 11 bytes of entries, not a whole number of 12-byte "
        "entries");
  CHECK(decode_error(unhex("00000002 00000001 00000001 00000002 00000003"), false, 2).message ==
        "udp tracker: scrape reply has 1 entries for 2 torrents asked for");
  CHECK(decode_error(unhex("00000002 00000001"), false, 1).message ==
        "udp tracker: scrape reply has 0 entries for 1 torrents asked for");
  CHECK(decode_error(announce_reply(1, std::string(65536 - 20 + 2, '\x01'))).message ==
        "udp tracker: reply of 65538 bytes, larger than the 65536 a datagram can hold");
}

TEST_CASE("udp decoder reads every prefix of a reply without overrunning it", "[udp]") {
  const std::string full =
      unhex("00000001 22222222 00000708 00000005 0000000a c0a80001 1ae1 0a000002 c8d5");
  for (std::size_t n = 0; n <= full.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    ErrorInfo error;
    auto reply = decode_reply(std::string_view(full).substr(0, n), false, 0, error);
    bool whole = n >= 20 && (n - 20) % 6 == 0;
    REQUIRE(reply.has_value() == whole);
    if (whole) {
      CHECK(std::get<AnnounceReply>(*reply).response.peers.size() == (n - 20) / 6);
    } else {
      CHECK(error.code == errc::invalid_response);
      CHECK_FALSE(error.message.empty());
    }
  }
}

// ---- the client ----------------------------------------------------------------------

TEST_CASE("udp client plays a whole announce against a tracker byte by byte", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({0x11111111, 0x22222222}));
  RequestId id = client.announce(sample_request(), t0);
  CHECK(client.in_flight() == 1);
  CHECK(client.next_deadline() == t0 + 15s);

  // 1. connect
  CHECK(to_hex(one_datagram(client)) ==
        "0000041727101980"
        "00000000"
        "11111111");
  client.on_datagram(unhex("00000000 11111111 0123456789abcdef"), t0 + 1s);
  CHECK(client.take_completions().empty());

  // 2. announce with the connection id, under a new transaction id
  CHECK(to_hex(one_datagram(client)) ==
        "0123456789abcdef"
        "00000001"
        "22222222"
        "0102030405060708090a0b0c0d0e0f1011121314"
        "2d4246303130302d6162636465666768696a6b6c"
        "00000000000003e8"
        "0000000100000000"
        "0000000000000005"
        "00000002"
        "00000000"
        "deadbeef"
        "ffffffff"
        "1ae1");
  CHECK(client.next_deadline() == t0 + 1s + 15s);
  client.on_datagram(
      unhex("00000001 22222222 00000708 00000005 0000000a c0a80001 1ae1 0a000002 c8d5"), t0 + 2s);

  // 3. the completion
  Completion done = one_completion(client);
  CHECK(done.id == id);
  REQUIRE(done.ok());
  const auto& response = std::get<AnnounceResponse>(done.result);
  CHECK(response.interval == 1800s);
  CHECK(response.leechers == 5);
  CHECK(response.seeders == 10);
  CHECK(response.peers == std::vector<PeerEntry>{{"192.168.0.1", 6881, std::nullopt},
                                                 {"10.0.0.2", 51413, std::nullopt}});
  CHECK(client.in_flight() == 0);
  CHECK_FALSE(client.next_deadline());
  CHECK(client.take_datagrams().empty());
  CHECK(client.ignored_datagrams() == 0);
}

TEST_CASE("udp client retransmits after 15, 30, 60 ... 3840 s and gives up after 9 tries",
          "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId id = client.announce(sample_request(), t0);
  std::vector<std::uint32_t> txids{parse_sent(one_datagram(client)).txid};
  TimePoint now = t0;
  for (int n = 0; n <= 8; ++n) {
    const auto wait = 15s * (1 << n);
    REQUIRE(client.next_deadline() == now + wait);
    client.on_timer(now + wait - 1ms);  // early: nothing happens
    CHECK(client.take_datagrams().empty());
    now += wait;
    client.on_timer(now);
    if (n < 8) {
      // BEP 15: a retransmitted connect is a new connect, with a new transaction id.
      Sent again = parse_sent(one_datagram(client));
      CHECK(again.connection_id == protocol_id);
      CHECK(again.action == 0);
      CHECK(std::find(txids.begin(), txids.end(), again.txid) == txids.end());
      txids.push_back(again.txid);
      CHECK(client.take_completions().empty());
    }
  }
  CHECK(now == t0 + 7665s);  // 15 · (2^9 - 1)
  CHECK(txids.size() == 9);
  CHECK(client.take_datagrams().empty());
  Completion done = one_completion(client);
  CHECK(done.id == id);
  CHECK(error_of(done).code == errc::timed_out);
  CHECK(error_of(done).message ==
        "udp tracker: no reply to the connect request after 9 tries over 7665 s");
  CHECK_FALSE(client.next_deadline());
}

TEST_CASE("udp client honours a smaller retry budget and a faster base timeout", "[udp]") {
  UdpTrackerClient::Config config;
  config.base_timeout = 10ms;
  config.max_retransmits = 2;
  UdpTrackerClient client(config, sequence({}));
  (void)client.announce(sample_request(), t0);
  (void)client.take_datagrams();
  client.on_timer(t0 + 10ms);
  client.on_timer(t0 + 30ms);
  CHECK(client.take_datagrams().size() == 2);
  CHECK(client.next_deadline() == t0 + 70ms);
  client.on_timer(t0 + 70ms);
  CHECK(error_of(one_completion(client)).code == errc::timed_out);
}

TEST_CASE("udp client follows BEP 15's example of an announce that times out", "[udp]") {
  // BEP 15: connect, connect response, announce at +15 s and +30 s, then a connect
  // because the connection id has expired, then connects until the tries run out.
  UdpTrackerClient client(fast_config(), sequence({}));
  (void)client.announce(sample_request(), t0);
  Sent connect = parse_sent(one_datagram(client));
  client.on_datagram(connect_reply(connect.txid, 77), t0 + 1s);

  struct Step {
    std::chrono::seconds at;
    std::uint32_t action;
  };
  const std::vector<Step> expected{{1s, 1},   {16s, 1},  {46s, 1},  {106s, 0},
                                   {226s, 0}, {466s, 0}, {946s, 0}, {1906s, 0}};
  TimePoint now = t0 + 1s;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("step " << i);
    if (i > 0) {
      REQUIRE(client.next_deadline() == t0 + expected[i].at);
      now = *client.next_deadline();
      client.on_timer(now);
    }
    Sent sent = parse_sent(one_datagram(client));
    CHECK(sent.action == expected[i].action);
    CHECK(sent.connection_id == (sent.action == 0 ? protocol_id : 77));
  }
  REQUIRE(client.next_deadline() == t0 + 3826s);
  client.on_timer(t0 + 3826s);
  CHECK(error_of(one_completion(client)).message ==
        "udp tracker: no reply to the connect request after 9 tries over 3826 s");
}

TEST_CASE("udp client reuses a connection id for a minute and connects again after", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  Sent first = parse_sent(connect_and_announce(client, t0, 0xc0ffee));
  client.on_datagram(announce_reply(first.txid), t0 + 1s);
  REQUIRE(one_completion(client).ok());

  // 59 s after the connect reply: straight to the announce, same connection id.
  (void)client.announce(sample_request(), t0 + 59s);
  Sent second = parse_sent(one_datagram(client));
  CHECK(second.action == 1);
  CHECK(second.connection_id == 0xc0ffee);
  client.on_datagram(announce_reply(second.txid), t0 + 59s);
  REQUIRE(one_completion(client).ok());

  // 60 s after: the id has expired, connect first.
  (void)client.scrape({hash_from(1)}, t0 + 60s);
  Sent reconnect = parse_sent(one_datagram(client));
  CHECK(reconnect.action == 0);
  CHECK(reconnect.connection_id == protocol_id);
  client.on_datagram(connect_reply(reconnect.txid, 0xbeef), t0 + 61s);
  Sent scrape = parse_sent(one_datagram(client));
  CHECK(scrape.action == 2);
  CHECK(scrape.connection_id == 0xbeef);
}

TEST_CASE("udp client ignores replies whose transaction id it is not waiting for", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  Sent announce = parse_sent(connect_and_announce(client, t0));
  client.on_datagram(announce_reply(announce.txid + 1), t0);
  client.on_datagram(error_reply(announce.txid ^ 0x80000000, "not for you"), t0);
  client.on_datagram(unhex("000000"), t0);  // too short to carry a transaction id
  client.on_datagram("", t0);
  CHECK(client.ignored_datagrams() == 4);
  CHECK(client.take_completions().empty());
  CHECK(client.in_flight() == 1);
  client.on_datagram(announce_reply(announce.txid), t0);
  CHECK(one_completion(client).ok());
  // A duplicate of the reply that completed it changes nothing.
  client.on_datagram(announce_reply(announce.txid), t0);
  CHECK(client.take_completions().empty());
  CHECK(client.ignored_datagrams() == 5);
}

TEST_CASE("udp client ignores a late answer to an earlier retransmission", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  Sent first = parse_sent(connect_and_announce(client, t0));
  client.on_timer(t0 + 15s);
  Sent second = parse_sent(one_datagram(client));
  REQUIRE(second.txid != first.txid);
  CHECK(second.connection_id == first.connection_id);
  client.on_datagram(announce_reply(first.txid), t0 + 16s);
  CHECK(client.take_completions().empty());
  CHECK(client.ignored_datagrams() == 1);
  client.on_datagram(announce_reply(second.txid), t0 + 17s);
  CHECK(one_completion(client).ok());
}

TEST_CASE("udp client reports the tracker's error action as tracker_failure", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  Sent announce = parse_sent(connect_and_announce(client, t0));
  client.on_datagram(error_reply(announce.txid, std::string("unregistered torrent\0", 21)), t0);
  Completion done = one_completion(client);
  CHECK(error_of(done).code == errc::tracker_failure);
  CHECK(error_of(done).message == "tracker: unregistered torrent");
}

TEST_CASE("udp client fails every request waiting on a connect the tracker refuses", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId a = client.announce(sample_request(), t0);
  RequestId b = client.scrape({hash_from(1)}, t0);
  Sent connect = parse_sent(one_datagram(client));  // one connect serves both
  client.on_datagram(error_reply(connect.txid, "go away"), t0);
  auto done = client.take_completions();
  REQUIRE(done.size() == 2);
  CHECK(done[0].id == a);
  CHECK(done[1].id == b);
  for (const auto& c : done) {
    CHECK(error_of(c).code == errc::tracker_failure);
    CHECK(error_of(c).message == "tracker: go away");
  }
  CHECK_FALSE(client.next_deadline());
}

TEST_CASE("udp client fails a request whose reply is malformed or of the wrong kind", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  SECTION("truncated peers") {
    Sent announce = parse_sent(connect_and_announce(client, t0));
    client.on_datagram(announce_reply(announce.txid, unhex("0102030405")), t0);
    const Completion done = one_completion(client);
    CHECK(error_of(done).code == errc::invalid_response);
    CHECK(error_of(done).message ==
          "udp tracker: announce reply has 5 bytes of peers, not a whole number of 6-byte IPv4 "
          "peers");
  }
  SECTION("a scrape reply to an announce") {
    Sent announce = parse_sent(connect_and_announce(client, t0));
    client.on_datagram(be32(2) + be32(announce.txid) + be32(1) + be32(2) + be32(3), t0);
    CHECK(error_of(one_completion(client)).message ==
          "udp tracker: scrape reply to announce request");
  }
  SECTION("an announce reply to a connect") {
    (void)client.announce(sample_request(), t0);
    Sent connect = parse_sent(one_datagram(client));
    client.on_datagram(announce_reply(connect.txid), t0);
    const Completion done = one_completion(client);
    CHECK(error_of(done).code == errc::invalid_response);
    CHECK(error_of(done).message == "udp tracker: announce reply to a connect request");
  }
  SECTION("a short connect reply") {
    (void)client.announce(sample_request(), t0);
    Sent connect = parse_sent(one_datagram(client));
    client.on_datagram(be32(0) + be32(connect.txid) + be32(7), t0);
    CHECK(error_of(one_completion(client)).message ==
          "udp tracker: connect reply of 12 bytes, expected at least 16");
  }
  CHECK(client.in_flight() == 0);
}

TEST_CASE("udp client reads 18-byte peers when configured for IPv6", "[udp]") {
  auto config = fast_config();
  config.ipv6 = true;
  UdpTrackerClient client(config, sequence({}));
  Sent announce = parse_sent(connect_and_announce(client, t0));
  client.on_datagram(announce_reply(announce.txid, unhex("20010db8000000000000000000000001 1ae1")),
                     t0);
  Completion done = one_completion(client);
  REQUIRE(done.ok());
  CHECK(std::get<AnnounceResponse>(done.result).peers ==
        std::vector<PeerEntry>{{"2001:db8::1", 6881, std::nullopt}});
}

TEST_CASE("udp client runs concurrent announces and scrapes over one connection id", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId a1 = client.announce(sample_request(), t0);
  RequestId s = client.scrape({hash_from(0x01), hash_from(0x40)}, t0);
  RequestId a2 = client.announce(sample_request(), t0 + 1s);
  Sent connect = parse_sent(one_datagram(client));  // both joined the first connect
  CHECK(client.next_deadline() == t0 + 15s);
  client.on_datagram(connect_reply(connect.txid, 0xabc), t0 + 2s);

  auto packets = client.take_datagrams();
  REQUIRE(packets.size() == 3);
  Sent p1 = parse_sent(packets[0]), ps = parse_sent(packets[1]), p2 = parse_sent(packets[2]);
  CHECK(p1.action == 1);
  CHECK(ps.action == 2);
  CHECK(p2.action == 1);
  CHECK(packets[1].size() == 16 + 2 * 20);
  for (const Sent& p : {p1, ps, p2})
    CHECK(p.connection_id == 0xabc);
  CHECK(p1.txid != ps.txid);
  CHECK(p1.txid != p2.txid);
  CHECK(ps.txid != p2.txid);

  // Answers come back in any order.
  client.on_datagram(
      be32(2) + be32(ps.txid) + be32(1) + be32(2) + be32(3) + be32(4) + be32(5) + be32(6), t0 + 3s);
  client.on_datagram(announce_reply(p2.txid), t0 + 3s);
  client.on_datagram(announce_reply(p1.txid), t0 + 3s);
  auto done = client.take_completions();
  REQUIRE(done.size() == 3);
  CHECK(done[0].id == s);
  CHECK(done[1].id == a2);
  CHECK(done[2].id == a1);
  REQUIRE(done[0].ok());
  CHECK(std::get<std::vector<ScrapeEntry>>(done[0].result) ==
        std::vector<ScrapeEntry>{{hash_from(0x01), 1, 2, 3}, {hash_from(0x40), 4, 5, 6}});
  CHECK(done[1].ok());
  CHECK(done[2].ok());
}

TEST_CASE("udp client draws a distinct transaction id even from a repeating source", "[udp]") {
  UdpTrackerClient client(fast_config(), [] { return std::uint32_t{7}; });
  (void)client.announce(sample_request(), t0);
  (void)client.announce(sample_request(), t0);
  Sent connect = parse_sent(one_datagram(client));
  client.on_datagram(connect_reply(connect.txid, 1), t0);
  auto packets = client.take_datagrams();
  REQUIRE(packets.size() == 2);
  Sent a = parse_sent(packets[0]), b = parse_sent(packets[1]);
  CHECK(a.txid != b.txid);
  client.on_datagram(announce_reply(b.txid), t0);
  client.on_datagram(announce_reply(a.txid), t0);
  CHECK(client.take_completions().size() == 2);
}

TEST_CASE("udp client cancel completes the request once and ignores its late reply", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId id = client.announce(sample_request(), t0);
  Sent connect = parse_sent(one_datagram(client));
  client.on_datagram(connect_reply(connect.txid, 9), t0);
  Sent announce = parse_sent(one_datagram(client));
  client.cancel(id);
  Completion done = one_completion(client);
  CHECK(done.id == id);
  CHECK(error_of(done).code == errc::cancelled);
  CHECK_FALSE(client.next_deadline());
  client.cancel(id);  // already finished: nothing
  client.cancel(RequestId{999});
  client.on_datagram(announce_reply(announce.txid), t0);
  CHECK(client.take_completions().empty());
  CHECK(client.ignored_datagrams() == 1);
}

TEST_CASE("udp client cancelling one of two requests sharing a connect keeps the other", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId a = client.announce(sample_request(), t0);
  RequestId b = client.announce(sample_request(), t0);
  Sent connect = parse_sent(one_datagram(client));
  client.cancel(a);
  CHECK(error_of(one_completion(client)).code == errc::cancelled);
  client.on_datagram(connect_reply(connect.txid, 5), t0);
  Sent announce = parse_sent(one_datagram(client));
  client.on_datagram(announce_reply(announce.txid), t0);
  Completion done = one_completion(client);
  CHECK(done.id == b);
  CHECK(done.ok());
}

TEST_CASE("udp client refuses requests beyond its in-flight limit", "[udp]") {
  auto config = fast_config();
  config.max_in_flight = 2;
  UdpTrackerClient client(config, sequence({}));
  (void)client.announce(sample_request(), t0);
  (void)client.scrape({hash_from(1)}, t0);
  RequestId third = client.announce(sample_request(), t0);
  Completion refused = one_completion(client);
  CHECK(refused.id == third);
  CHECK(error_of(refused).code == std::errc::resource_unavailable_try_again);
  CHECK(error_of(refused).message == "udp tracker: 2 requests already in flight to this tracker");
  CHECK(client.in_flight() == 2);
}

TEST_CASE("udp client refuses a scrape of more than 74 torrents or of none", "[udp]") {
  UdpTrackerClient client(fast_config(), sequence({}));
  RequestId big = client.scrape(std::vector<Sha1Hash>(75, hash_from(1)), t0);
  RequestId none = client.scrape({}, t0);
  auto done = client.take_completions();
  REQUIRE(done.size() == 2);
  CHECK(done[0].id == big);
  CHECK(error_of(done[0]).code == std::errc::invalid_argument);
  CHECK(done[1].id == none);
  CHECK(client.take_datagrams().empty());
  CHECK(client.in_flight() == 0);
}
