// KRPC codec: BEP 5's own example messages decode to what they say and encode back to
// the same bytes; compact nodes and peers (IPv4 and BEP 32's IPv6); hostile packets are
// refused with the reason.
#include <catch2/catch.hpp>

#include "dht/krpc.hpp"

using namespace bitflow;
using namespace bitflow::dht;

namespace {

Id id_of(std::string_view twenty) {
  REQUIRE(twenty.size() == 20);
  Id id{};
  std::copy(twenty.begin(), twenty.end(), reinterpret_cast<char*>(id.data()));
  return id;
}

Message decoded(std::string_view packet) {
  ErrorInfo error;
  auto m = decode(packet, error);
  INFO(error.message);
  REQUIRE(m);
  return *m;
}

std::string refusal(std::string_view packet) {
  ErrorInfo error;
  auto m = decode(packet, error);
  CHECK_FALSE(m);
  CHECK(error.code == std::errc::bad_message);
  return error.message;
}

}  // namespace

TEST_CASE("BEP 5's example queries decode and encode back byte for byte", "[krpc]") {
  const std::string ping = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
  auto q = std::get<Query>(decoded(ping));
  CHECK(q.transaction == "aa");
  CHECK(q.method == Method::ping);
  CHECK(q.id == id_of("abcdefghij0123456789"));
  CHECK(encode(q) == ping);

  const std::string find_node =
      "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:"
      "y1:qe";
  q = std::get<Query>(decoded(find_node));
  CHECK(q.method == Method::find_node);
  CHECK(q.target == id_of("mnopqrstuvwxyz123456"));
  CHECK(encode(q) == find_node);

  const std::string get_peers =
      "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:"
      "aa1:y1:qe";
  q = std::get<Query>(decoded(get_peers));
  CHECK(q.method == Method::get_peers);
  CHECK(q.info_hash == id_of("mnopqrstuvwxyz123456"));
  CHECK(encode(q) == get_peers);

  const std::string announce_spec =
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:"
      "porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
  q = std::get<Query>(decoded(announce_spec));
  CHECK(q.method == Method::announce_peer);
  CHECK(q.implied_port);
  CHECK(q.port == 6881);
  CHECK(q.token == "aoeusnth");
  CHECK(encode(q) == announce_spec);
}

TEST_CASE("BEP 5's example responses and error", "[krpc]") {
  const std::string pong = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
  auto r = std::get<Response>(decoded(pong));
  CHECK(r.id == id_of("mnopqrstuvwxyz123456"));
  CHECK(r.nodes.empty());
  CHECK(encode(r) == pong);

  const std::string peers =
      "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:"
      "re";
  r = std::get<Response>(decoded(peers));
  REQUIRE(r.values.size() == 2);
  CHECK(r.values[0].address == std::vector<std::uint8_t>{'a', 'x', 'j', 'e'});
  CHECK(r.values[0].port == (('.' << 8) | 'u'));
  CHECK(r.token == "aoeusnth");
  CHECK(encode(r) == peers);

  const std::string error = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
  auto e = std::get<ErrorReply>(decoded(error));
  CHECK(e.code == 201);
  CHECK(e.message == "A Generic Error Ocurred");
  CHECK(encode(e) == error);
}

TEST_CASE("compact nodes, IPv4 and IPv6, survive a round trip", "[krpc]") {
  Response r;
  r.transaction = std::string("\x00\xff", 2);
  r.id = id_of("01234567890123456789");
  r.nodes.push_back({id_of("aaaaaaaaaaaaaaaaaaaa"), {{127, 0, 0, 1}, 6881}});
  r.nodes.push_back({id_of("bbbbbbbbbbbbbbbbbbbb"), {{10, 1, 2, 3}, 65535}});
  Endpoint v6;
  v6.address.assign(16, 0);
  v6.address[15] = 1;
  v6.port = 1;
  r.nodes.push_back({id_of("cccccccccccccccccccc"), v6});
  r.values.push_back(v6);
  const auto bytes = encode(r);
  CHECK(bytes.find("5:nodes52:") != std::string::npos);
  CHECK(bytes.find("6:nodes638:") != std::string::npos);
  CHECK(std::get<Response>(decoded(bytes)) == r);
}

TEST_CASE("unknown methods and keys are kept apart from errors", "[krpc]") {
  auto q = std::get<Query>(
      decoded("d1:ad2:id20:abcdefghij0123456789e1:q6:vote_x1:t1:z1:v4:LT011:y1:q2:roi1ee"));
  CHECK(q.method == Method::unknown);
  CHECK(q.method_name == "vote_x");
  CHECK(q.read_only);
  // Real nodes send keys out of order; the content is what counts.
  auto unsorted =
      std::get<Query>(decoded("d1:y1:q1:t2:aa1:q4:ping1:ad2:id20:abcdefghij0123456789ee"));
  CHECK(unsorted.method == Method::ping);
}

TEST_CASE("hostile packets are refused with the reason", "[krpc]") {
  CHECK_THAT(refusal(""), Catch::Contains("krpc"));
  CHECK_THAT(refusal("li1ee"), Catch::Contains("not a dictionary"));
  CHECK_THAT(refusal("d1:y1:qe"), Catch::Contains("transaction"));
  CHECK_THAT(refusal("d1:t2:aa1:y1:xe"), Catch::Contains("unknown message type"));
  CHECK_THAT(refusal("d1:q4:ping1:t2:aa1:y1:qe"), Catch::Contains("arguments"));
  CHECK_THAT(refusal("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe"), Catch::Contains("3 bytes, not 20"));
  CHECK_THAT(refusal("d1:rd2:id20:mnopqrstuvwxyz1234565:nodes5:abcdee1:t2:aa1:y1:re"),
             Catch::Contains("not a multiple of 26"));
  CHECK_THAT(refusal("d1:rd2:id20:mnopqrstuvwxyz1234566:valuesl3:abcee1:t2:aa1:y1:re"),
             Catch::Contains("6- or 18-byte"));
  CHECK_THAT(refusal("d1:eli201ee1:t2:aa1:y1:ee"), Catch::Contains("[code, message]"));
  CHECK_THAT(refusal("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:"
                     "token1:xe1:q13:announce_peer1:t2:aa1:y1:qe"),
             Catch::Contains("port from 1 to 65535"));
  CHECK_THAT(refusal(std::string(9000, 'x')), Catch::Contains("9000 bytes"));
  CHECK_THAT(refusal("d1:t65:" + std::string(65, 't') + "1:y1:re"),
             Catch::Contains("transaction id"));
  std::string deep = "d1:t1:a1:y1:r1:r";
  for (int i = 0; i < 20; ++i)
    deep += "l";
  CHECK_THAT(refusal(deep), Catch::Contains("krpc"));
  // 201 peers (limit 200)
  std::string many = "d1:rd2:id20:mnopqrstuvwxyz1234566:valuesl";
  for (int i = 0; i < 201; ++i)
    many += "6:abcdef";
  many += "ee1:t2:aa1:y1:re";
  CHECK_THAT(refusal(many), Catch::Contains("more than 200"));
}
