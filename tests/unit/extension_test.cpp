// BEP 10 extended handshake, BEP 9 ut_metadata and BEP 11 ut_pex payloads: exact bytes,
// round trips, every truncation, the ways a peer's payload is refused, and PexTracker.
#include <catch2/catch.hpp>

#include "../support/hex_bytes.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "bitflow/extension.hpp"

using namespace bitflow;
using namespace bitflow::peer;
using bitflow::test::unhex;

namespace {

IpAddress ip(std::string_view hex) {
  return *IpAddress::from_raw(unhex(hex));
}

ExtensionHandshake full_handshake() {
  ExtensionHandshake h;
  h.m = {{"ut_metadata", 3}, {"ut_pex", 1}, {"lt_donthave", 0}};
  h.v = "bitflow 0.1";
  h.p = 6881;
  h.reqq = 250;
  h.metadata_size = 31235;
  h.yourip = ip("7f000001");
  h.ipv4 = ip("0a000001");
  h.ipv6 = ip("20010db8000000000000000000000001");
  return h;
}

template <typename Decode>
extension_errc refusal(Decode decode, std::string_view payload) {
  ErrorInfo error;
  const bool decoded = decode(payload, error).has_value();
  REQUIRE_FALSE(decoded);
  REQUIRE(error.code.category() == extension_category());
  CHECK_FALSE(error.message.empty());
  return static_cast<extension_errc>(error.code.value());
}

auto handshake_decoder = [](std::string_view p, ErrorInfo& e) {
  return decode_extension_handshake(p, e);
};
auto metadata_decoder = [](std::string_view p, ErrorInfo& e) {
  return decode_metadata_message(p, e);
};
auto pex_decoder = [](std::string_view p, ErrorInfo& e) { return decode_pex(p, e); };

std::string handshake_with_extensions(int n) {
  std::string m;
  for (int i = 0; i < n; ++i) {
    std::string name = "x";
    name += std::to_string(1000 + i);
    m += std::to_string(name.size());
    m += ':';
    m += name;
    m += "i1e";
  }
  std::string out = "d1:md";
  out += m;
  out += "ee";
  return out;
}

PexPeer v4_peer(std::uint32_t n, std::uint16_t port = 6881, std::uint8_t flags = 0) {
  IpAddress a;
  for (int i = 0; i < 4; ++i)
    a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  return {a, port, flags};
}

std::string bstr(std::string_view bytes) {
  return std::to_string(bytes.size()) + ":" + std::string(bytes);
}

}  // namespace

TEST_CASE("extended handshake encodes to canonical bytes", "[extension]") {
  const std::string expected =
      "d4:ipv44:" + unhex("0a000001") + "4:ipv616:" + unhex("20010db8000000000000000000000001") +
      "1:md11:lt_donthavei0e11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e"
      "4:reqqi250e1:v11:bitflow 0.16:yourip4:" +
      unhex("7f000001") + "e";
  CHECK(encode_extension_handshake(full_handshake()) == expected);
  CHECK(decode_extension_handshake(expected) == full_handshake());
  CHECK(encode_extension_handshake({}) == "d1:mdee");
  CHECK(decode_extension_handshake("d1:mdee") == ExtensionHandshake{});
}

TEST_CASE("extended handshake ignores unknown keys, bad ids and mistyped fields", "[extension]") {
  const std::string payload =
      "d1:md11:ut_metadatai3e6:ut_pexi300e3:fooi-1e3:bar3:xyz7:lt_donti0ee"
      "1:pi0e4:reqq3:abc13:metadata_sizei-5e6:yourip3:abc4:ipv416:0123456789abcdef"
      "4:ipv64:abcd1:xli1ee1:vi5ee";
  const ExtensionHandshake h = decode_extension_handshake(payload);
  CHECK(h.m ==
        std::map<std::string, std::uint8_t, std::less<>>{{"lt_dont", 0}, {"ut_metadata", 3}});
  CHECK(h.id_of("ut_metadata") == 3);
  CHECK(h.id_of("lt_dont") == 0);
  CHECK(h.id_of("ut_pex") == 0);
  CHECK_FALSE(h.p);
  CHECK_FALSE(h.reqq);
  CHECK_FALSE(h.metadata_size);
  CHECK_FALSE(h.yourip);
  CHECK_FALSE(h.ipv4);
  CHECK_FALSE(h.ipv6);
  CHECK_FALSE(h.v);
  CHECK_FALSE(decode_extension_handshake("d13:metadata_sizei67108865ee").metadata_size);
  CHECK(decode_extension_handshake("d13:metadata_sizei67108864ee").metadata_size == 67108864);
  CHECK(decode_extension_handshake("d1:pi1ee").m.empty());  // no m at all is fine
}

TEST_CASE("extended handshake refuses payloads that are not a dictionary", "[extension]") {
  for (std::string_view bad : {"", "li1ee", "i5e", "4:spam", "garbage", "d1:md", "d1:m"})
    CHECK(refusal(handshake_decoder, bad) == extension_errc::invalid_message);
  CHECK(decode_extension_handshake("d1:mdee??") == ExtensionHandshake{});  // trailing bytes
}

TEST_CASE("extended handshake refuses an m that is not a dictionary", "[extension]") {
  CHECK(refusal(handshake_decoder, "d1:mi1ee") == extension_errc::invalid_message);
  CHECK(refusal(handshake_decoder, "d1:mle1:pi1ee") == extension_errc::invalid_message);
}

TEST_CASE("extended handshake refuses too many extensions or bytes", "[extension]") {
  CHECK(decode_extension_handshake(handshake_with_extensions(128)).m.size() == 128);
  CHECK(refusal(handshake_decoder, handshake_with_extensions(129)) ==
        extension_errc::too_many_entries);
  const std::string big = "d1:v" + bstr(std::string(max_extension_handshake_size, 'x')) + "e";
  CHECK(refusal(handshake_decoder, big) == extension_errc::message_too_large);
  CHECK_THROWS_AS(decode_extension_handshake("nope"), bitflow::Error);
}

TEST_CASE("ut_metadata messages encode to exact bytes and decode back", "[extension]") {
  const std::string data(1, 'x');
  const std::string data_bytes = "d8:msg_typei1e5:piecei1e10:total_sizei16385eex";
  CHECK(encode_metadata_message(MetadataRequest{0}) == "d8:msg_typei0e5:piecei0ee");
  CHECK(encode_metadata_message(MetadataReject{4}) == "d8:msg_typei2e5:piecei4ee");
  CHECK(encode_metadata_message(MetadataData{1, 16385, data}) == data_bytes);
  CHECK(decode_metadata_message("d8:msg_typei0e5:piecei0ee") ==
        MetadataMessage{MetadataRequest{0}});
  CHECK(decode_metadata_message("d8:msg_typei2e5:piecei4ee") == MetadataMessage{MetadataReject{4}});
  const MetadataMessage decoded = decode_metadata_message(data_bytes);
  REQUIRE(std::holds_alternative<MetadataData>(decoded));
  CHECK(decoded == MetadataMessage{MetadataData{1, 16385, data}});
  CHECK(std::get<MetadataData>(decoded).data.data() == data_bytes.data() + data_bytes.size() - 1);
  // Unsorted keys and extra keys are tolerated.
  CHECK(decode_metadata_message("d5:piecei3e8:msg_typei0e1:xi1ee") ==
        MetadataMessage{MetadataRequest{3}});
}

TEST_CASE("ut_metadata unknown msg_type decodes as a message to ignore", "[extension]") {
  CHECK(decode_metadata_message("d8:msg_typei7e5:piecei0ee") ==
        MetadataMessage{MetadataUnknown{7}});
  CHECK(decode_metadata_message("d8:msg_typei-1ee") == MetadataMessage{MetadataUnknown{-1}});
  CHECK(encode_metadata_message(MetadataUnknown{7}) == "d8:msg_typei7ee");
}

TEST_CASE("ut_metadata refuses malformed messages", "[extension]") {
  using E = extension_errc;
  auto refused = [](std::string_view p) { return refusal(metadata_decoder, p); };
  CHECK(refused("") == E::invalid_message);
  CHECK(refused("li0ee") == E::invalid_message);
  CHECK(refused("d5:piecei0ee") == E::invalid_message);
  CHECK(refused("d8:msg_type1:05:piecei0ee") == E::invalid_message);
  CHECK(refused("d8:msg_typei0ee") == E::invalid_message);
  CHECK(refused("d8:msg_typei0e5:piecei-1ee") == E::invalid_metadata_piece);
  CHECK(refused("d8:msg_typei2e5:piecei4096ee") == E::invalid_metadata_piece);
  CHECK(refused("d8:msg_typei1e5:piecei0eex") == E::invalid_message);
  CHECK(refused("d8:msg_typei1e5:piecei0e10:total_sizei0eex") == E::invalid_metadata_size);
  CHECK(refused("d8:msg_typei1e5:piecei0e10:total_sizei67108865eex") == E::invalid_metadata_size);
  CHECK(refused("d8:msg_typei1e5:piecei0e10:total_sizei2eex") == E::invalid_metadata_size);
  CHECK(refused("d8:msg_typei1e5:piecei0e10:total_sizei2eexyz") == E::invalid_metadata_size);
  CHECK(refused("d8:msg_typei1e5:piecei1e10:total_sizei16384eex") == E::invalid_metadata_piece);
  const std::string big = "d8:msg_typei1e5:piecei0e10:total_sizei99999ee" + std::string(18000, 'x');
  CHECK(refused(big) == E::message_too_large);
}

TEST_CASE("ut_pex encodes to exact bytes and decodes back", "[extension]") {
  PexMessage m;
  m.added = {v4_peer(0x01020304, 6881, 0x12),
             {ip("00000000000000000000000000000001"), 80, pex_flags::prefers_encryption}};
  m.dropped = {v4_peer(0x05060708, 1)};
  const std::string expected = "d5:added6:" + unhex("01020304 1ae1") + "7:added.f1:" + unhex("12") +
                               "6:added618:" + unhex("00000000000000000000000000000001 0050") +
                               "8:added6.f1:" + unhex("01") +
                               "7:dropped6:" + unhex("05060708 0001") + "8:dropped60:e";
  CHECK(encode_pex(m) == expected);
  CHECK(decode_pex(expected) == m);
  CHECK(encode_pex({}) == "d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e");
  CHECK(decode_pex("de") == PexMessage{});
}

TEST_CASE("ut_pex refuses compact lists of a wrong length", "[extension]") {
  for (std::string_view key : {"added", "dropped"}) {
    CHECK(refusal(pex_decoder, "d" + bstr(key) + "5:abcdee") == extension_errc::invalid_peer_list);
    CHECK(refusal(pex_decoder, "d" + bstr(std::string(key) + "6") + bstr(std::string(17, 'a')) +
                                   "e") == extension_errc::invalid_peer_list);
    CHECK(refusal(pex_decoder, "d" + bstr(key) + "i6ee") == extension_errc::invalid_message);
  }
  CHECK(refusal(pex_decoder, "le") == extension_errc::invalid_message);
  CHECK(refusal(pex_decoder, "d5:added" + bstr(std::string(max_pex_size, 'a')) + "e") ==
        extension_errc::message_too_large);
}

TEST_CASE("ut_pex refuses more than 200 added or dropped peers", "[extension]") {
  const std::string six(6, '\x01');
  auto repeat = [](const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += s;
    return out;
  };
  CHECK(decode_pex("d5:added" + bstr(repeat(six, 200)) + "e").added.size() == 200);
  CHECK(refusal(pex_decoder, "d5:added" + bstr(repeat(six, 201)) + "e") ==
        extension_errc::too_many_entries);
  CHECK(refusal(pex_decoder, "d5:added" + bstr(repeat(six, 100)) + "6:added6" +
                                 bstr(repeat(std::string(18, '\x01'), 101)) + "e") ==
        extension_errc::too_many_entries);
  CHECK(refusal(pex_decoder, "d7:dropped" + bstr(repeat(six, 201)) + "e") ==
        extension_errc::too_many_entries);
}

TEST_CASE("ut_pex skips port 0 and ignores flags of the wrong length", "[extension]") {
  const PexMessage m =
      decode_pex("d5:added12:" + unhex("01020304 0000 05060708 0001") +
                 "7:added.f1:" + unhex("02") + "7:dropped6:" + unhex("01020304 0002") + "e");
  CHECK(m.added == std::vector<PexPeer>{v4_peer(0x05060708, 1, 0)});
  CHECK(m.dropped == std::vector<PexPeer>{v4_peer(0x01020304, 2, 0)});
}

TEST_CASE("ut_pex encoder writes at most 50 peers per list", "[extension]") {
  PexMessage m;
  for (std::uint32_t i = 1; i <= 60; ++i) {
    m.added.push_back(v4_peer(i));
    m.dropped.push_back(v4_peer(1000 + i));
  }
  const PexMessage back = decode_pex(encode_pex(m));
  CHECK(back.added == std::vector<PexPeer>(m.added.begin(), m.added.begin() + 50));
  CHECK(back.dropped == std::vector<PexPeer>(m.dropped.begin(), m.dropped.begin() + 50));
}

TEST_CASE("every truncation of an encoded payload fails cleanly or decodes validly",
          "[extension]") {
  PexMessage pex;
  pex.added = {v4_peer(0x01020304, 6881, 1)};
  pex.dropped = {{ip("20010db8000000000000000000000001"), 9, 0}};
  const std::string handshake = encode_extension_handshake(full_handshake());
  const std::string metadata = encode_metadata_message(MetadataData{0, 5, "abcde"});
  const std::string pex_bytes = encode_pex(pex);
  ErrorInfo error;
  for (std::size_t n = 0; n < handshake.size(); ++n) {
    auto h = decode_extension_handshake(std::string_view(handshake).substr(0, n), error);
    if (h) CHECK(decode_extension_handshake(encode_extension_handshake(*h)) == *h);
  }
  for (std::size_t n = 0; n < metadata.size(); ++n)
    CHECK_FALSE(decode_metadata_message(std::string_view(metadata).substr(0, n), error));
  for (std::size_t n = 0; n < pex_bytes.size(); ++n)
    CHECK_FALSE(decode_pex(std::string_view(pex_bytes).substr(0, n), error));
}

TEST_CASE("pex tracker's first message lists every connected peer", "[extension]") {
  PexTracker tracker;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK_FALSE(tracker.poll({}, t0));  // nothing to say
  const std::vector<PexPeer> peers = {v4_peer(1), v4_peer(2, 7000, pex_flags::seed)};
  auto first = tracker.poll(peers, t0);
  REQUIRE(first);
  CHECK(first->added == peers);
  CHECK(first->dropped.empty());
}

TEST_CASE("pex tracker sends the difference once a minute and only when it changed",
          "[extension]") {
  using std::chrono::seconds;
  PexTracker tracker;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  REQUIRE(tracker.poll({v4_peer(1), v4_peer(2)}, t0));
  const std::vector<PexPeer> now = {v4_peer(2), v4_peer(3)};
  CHECK_FALSE(tracker.poll(now, t0 + seconds(59)));
  auto diff = tracker.poll(now, t0 + seconds(60));
  REQUIRE(diff);
  CHECK(diff->added == std::vector<PexPeer>{v4_peer(3)});
  CHECK(diff->dropped == std::vector<PexPeer>{v4_peer(1)});
  CHECK_FALSE(tracker.poll(now, t0 + seconds(200)));  // nothing changed
}

TEST_CASE("pex tracker caps added and dropped at 50 and carries the rest over", "[extension]") {
  using std::chrono::seconds;
  PexTracker tracker;
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  std::vector<PexPeer> many;
  for (std::uint32_t i = 1; i <= 120; ++i)
    many.push_back(v4_peer(i));
  CHECK(tracker.poll(many, t0)->added.size() == 50);
  CHECK(tracker.poll(many, t0 + seconds(60))->added.size() == 50);
  auto third = tracker.poll(many, t0 + seconds(120));
  REQUIRE(third);
  CHECK(third->added == std::vector<PexPeer>(many.begin() + 100, many.end()));
  CHECK(tracker.poll({}, t0 + seconds(180))->dropped.size() == 50);
  CHECK(tracker.poll({}, t0 + seconds(240))->dropped.size() == 50);
  CHECK(tracker.poll({}, t0 + seconds(300))->dropped.size() == 20);
  CHECK_FALSE(tracker.poll({}, t0 + seconds(360)));
}
