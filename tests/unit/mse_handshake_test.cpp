// MSE/PE: the key exchange and key derivation against an independent computation
// (Python's pow and hashlib, RC4 written out in Python and checked against RFC 6229);
// OpenSSL's RC4 against RFC 6229; both roles talking to each other in memory over every
// split; the negotiation of RC4 and plaintext; hostile peers refused at the spec's limits.
#include <catch2/catch.hpp>

#include <random>

#include "peer/mse_handshake.hpp"
#include "util/hex.hpp"

using namespace bitflow;
using namespace bitflow::peer;

namespace {

std::string unhex(std::string_view hex) {
  auto raw = util::from_hex(hex);
  REQUIRE(raw);
  return *raw;
}

std::array<std::uint8_t, 20> key_from(std::uint8_t first) {
  std::array<std::uint8_t, 20> k{};
  for (std::size_t i = 0; i < k.size(); ++i)
    k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

MseRandom randomness(std::uint8_t first, std::size_t pad, std::size_t second_pad) {
  MseRandom r;
  r.private_key = key_from(first);
  r.pad.assign(pad, 'p');
  r.second_pad.assign(second_pad, 'q');
  return r;
}

Sha1Hash hash_of(std::string_view text) {
  return sha1(text);
}

// Moves bytes both ways, `chunk` bytes per feed, until neither side has anything to send.
void pump(MseHandshake& a, MseHandshake& b, std::size_t chunk) {
  for (;;) {
    std::string ab = a.take_output(), ba = b.take_output();
    if (ab.empty() && ba.empty()) return;
    for (std::size_t i = 0; i < ab.size(); i += chunk)
      b.feed(std::string_view(ab).substr(i, chunk));
    for (std::size_t i = 0; i < ba.size(); i += chunk)
      a.feed(std::string_view(ba).substr(i, chunk));
  }
}

const std::string known_ya =
    "96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556b0918db2b4c658e02a87f7e5fb14b1"
    "8a"
    "553e084cbf3dad2d30f16596ccb982d406258c61b30c5c1dae2ddc60bdbd48d79896312aad63238c39e1a633821eb6"
    "93";
const std::string known_yb =
    "d32ae8cedd0de9ca4fe67e35626bb8c7cdb0966727d899f6a62fdb2b68817f9ddc4b684e3eb34030b8dba4e028b7cf"
    "f3"
    "264020340cb4eab61923cdc4e4216ba873368d83f0a38e497f1f6b4e3d2012eb91a3ee6056f966f9eae732089b6fa4"
    "6e";
const std::string known_s =
    "d05ed96a95215a89b44073afe5d0b1626289ac01cff7849392948b2470b346547e944d7562a897ae86976bc3899990"
    "83"
    "ec09572dbdc8ed7f6a0a86a1aa42a3ca04209b72d8239890360435640643b76479ed7836f1857963fcc7cb72084c3a"
    "b4";

}  // namespace

TEST_CASE("mse keys and secret match an independent computation", "[mse]") {
  auto xa = key_from(1), xb = key_from(101);
  CHECK(util::to_hex(mse_public_key(xa)) == known_ya);
  CHECK(util::to_hex(mse_public_key(xb)) == known_yb);
  CHECK(util::to_hex(mse_shared_secret(xa, unhex(known_yb))) == known_s);
  CHECK(util::to_hex(mse_shared_secret(xb, unhex(known_ya))) == known_s);
  auto skey = hash_of("bitflow mse test");
  CHECK(skey.hex() == "71bf3008cca2ac97eed044e4bd08c7c2d690ba41");
  CHECK(mse_hash("keyA", unhex(known_s), skey.view()).hex() ==
        "3dd8789827528ab831b9ef92fb4b2819e1236e01");
  CHECK(mse_hash("keyB", unhex(known_s), skey.view()).hex() ==
        "b2ee0ba263076a95e4b80b6a9cedfe776088354f");
}

TEST_CASE("mse refuses unusable public keys", "[mse]") {
  auto x = key_from(1);
  std::string zero(96, '\0'), one(96, '\0');
  one.back() = 1;
  std::string p_minus_1 = unhex(
      "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A0879"
      "8E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3621"
      "0000000000090562");
  CHECK(mse_shared_secret(x, zero).empty());
  CHECK(mse_shared_secret(x, one).empty());
  CHECK(mse_shared_secret(x, p_minus_1).empty());
  CHECK(mse_shared_secret(x, std::string(96, '\xff')).empty());
  CHECK(mse_shared_secret(x, std::string(95, '\x05')).empty());
  std::string two(96, '\0');
  two.back() = 2;
  CHECK(mse_shared_secret(x, two).size() == 96);
}

TEST_CASE("rc4 from openssl matches RFC 6229 and the discard", "[mse]") {
  REQUIRE(Rc4::available());
  std::string key = unhex("01020304050607");  // 56 bits: not RC4's default 16 bytes
  std::string block(16, '\0');
  Rc4(key, 0).apply(block.data(), block.size());
  CHECK(util::to_hex(block) == "293f02d47f37c9b633f2af5285feb46b");
  block.assign(16, '\0');
  Rc4(key, 256).apply(block.data(), block.size());
  CHECK(util::to_hex(block) == "d0fdb583073ce85ab83917740ec011d5");
  // MSE's cipher: keyA of the known exchange, 1024 bytes discarded.
  block.assign(16, '\0');
  Rc4(unhex("3dd8789827528ab831b9ef92fb4b2819e1236e01")).apply(block.data(), block.size());
  CHECK(util::to_hex(block) == "d80f9ff2ba9a1976475930be84db39d5");
  // In place, in pieces: the same stream.
  std::string whole(100, 'x'), parts(100, 'x');
  Rc4 a(key), b(key);
  a.apply(whole.data(), whole.size());
  b.apply(parts.data(), 1);
  b.apply(parts.data() + 1, 60);
  b.apply(parts.data() + 61, 39);
  CHECK(whole == parts);
}

TEST_CASE("mse initiator and responder agree over every split", "[mse]") {
  auto skey = hash_of("the torrent");
  std::vector<Sha1Hash> torrents{hash_of("other 1"), skey, hash_of("other 2")};
  std::string ia =
      "\x13"
      "BitTorrent protocol and the rest of a handshake";
  for (std::size_t chunk : std::vector<std::size_t>{1, 2, 7, 19, 20, 21, 95, 96, 97, 500, 4096}) {
    DYNAMIC_SECTION("chunk " << chunk) {
      auto a = MseHandshake::initiator(skey, mse_rc4 | mse_plaintext, ia, randomness(1, 300, 40));
      auto b = MseHandshake::responder(torrents, mse_rc4 | mse_plaintext, true,
                                       randomness(101, 512, 512));
      pump(a, b, chunk);
      REQUIRE(a.state() == MseHandshake::State::done);
      REQUIRE(b.state() == MseHandshake::State::done);
      CHECK(a.selected() == mse_rc4);
      CHECK(b.selected() == mse_rc4);
      CHECK(b.info_hash() == skey);
      CHECK(b.take_payload() == ia);
      CHECK(a.take_payload().empty());
      // The stream goes on through the ciphers, both ways.
      auto a_out = a.take_encryptor(), a_in = a.take_decryptor();
      auto b_out = b.take_encryptor(), b_in = b.take_decryptor();
      REQUIRE((a_out && a_in && b_out && b_in));
      std::string message = "hello over rc4", wire = message;
      a_out->apply(wire.data(), wire.size());
      CHECK(wire != message);
      b_in->apply(wire.data(), wire.size());
      CHECK(wire == message);
      wire = "and back";
      b_out->apply(wire.data(), wire.size());
      a_in->apply(wire.data(), wire.size());
      CHECK(wire == "and back");
    }
  }
}

TEST_CASE("mse bytes after the handshake are handed over as payload", "[mse]") {
  auto skey = hash_of("t");
  auto a = MseHandshake::initiator(skey, mse_rc4, "IA", randomness(1, 0, 0));
  auto b = MseHandshake::responder({skey}, mse_rc4, false, randomness(7, 0, 0));
  b.feed(a.take_output());
  a.feed(b.take_output());
  b.feed(a.take_output());
  REQUIRE(b.state() == MseHandshake::State::done);
  // The responder's answer and its first payload bytes arrive in one read.
  std::string answer = b.take_output();
  auto b_out = b.take_encryptor();
  std::string more = "their handshake";
  b_out->apply(more.data(), more.size());
  a.feed(answer + more);
  REQUIRE(a.state() == MseHandshake::State::done);
  CHECK(a.take_payload() == "their handshake");
  // And the initiator's payload that follows its IA, on the responder's side.
  auto a_out = a.take_encryptor();
  std::string next = "a bitfield";
  a_out->apply(next.data(), next.size());
  b.feed(next);
  CHECK(b.take_payload() ==
        "IA"
        "a bitfield");
}

TEST_CASE("mse negotiates rc4 or plaintext", "[mse]") {
  struct Case {
    std::uint32_t provide, allowed;
    bool prefer_rc4;
    std::uint32_t expected;  // 0: refused
  };
  auto cases = GENERATE(values<Case>({
      {mse_rc4 | mse_plaintext, mse_rc4 | mse_plaintext, false, mse_plaintext},
      {mse_rc4 | mse_plaintext, mse_rc4 | mse_plaintext, true, mse_rc4},
      {mse_rc4 | mse_plaintext, mse_rc4, false, mse_rc4},
      {mse_rc4 | mse_plaintext, mse_plaintext, true, mse_plaintext},
      {mse_plaintext, mse_rc4 | mse_plaintext, true, mse_plaintext},
      {mse_rc4, mse_rc4 | mse_plaintext, false, mse_rc4},
      {mse_plaintext, mse_rc4, true, 0},
      {mse_rc4, mse_plaintext, false, 0},
  }));
  auto skey = hash_of("t");
  auto a = MseHandshake::initiator(skey, cases.provide, "hello", randomness(1, 10, 10));
  auto b = MseHandshake::responder({skey}, cases.allowed, cases.prefer_rc4, randomness(9, 3, 0));
  pump(a, b, 4096);
  if (cases.expected == 0) {
    CHECK(b.state() == MseHandshake::State::failed);
    CHECK_THAT(b.error(), Catch::Contains("offers crypto"));
    CHECK(a.state() == MseHandshake::State::running);  // it would time out, or see a close
    return;
  }
  REQUIRE(a.state() == MseHandshake::State::done);
  REQUIRE(b.state() == MseHandshake::State::done);
  CHECK(a.selected() == cases.expected);
  CHECK(b.selected() == cases.expected);
  CHECK(b.take_payload() == "hello");  // IA is RC4 whatever is selected
  bool rc4 = cases.expected == mse_rc4;
  CHECK(static_cast<bool>(a.take_encryptor()) == rc4);
  CHECK(static_cast<bool>(b.take_decryptor()) == rc4);
}

TEST_CASE("mse responder refuses a torrent it does not have", "[mse]") {
  auto a = MseHandshake::initiator(hash_of("theirs"), mse_rc4, "x", randomness(1, 5, 5));
  auto b = MseHandshake::responder({hash_of("ours")}, mse_rc4, true, randomness(2, 5, 5));
  pump(a, b, 4096);
  CHECK(b.state() == MseHandshake::State::failed);
  CHECK_THAT(b.error(), Catch::Contains("torrent we do not have"));
}

TEST_CASE("mse garbage is refused at the spec's sync limits", "[mse]") {
  std::mt19937 rng(42);
  std::string garbage(2000, '\0');
  for (auto& c : garbage)
    c = static_cast<char>(rng());
  SECTION("responder: no HASH('req1', S) within 96 + 512 + 20 bytes") {
    auto b = MseHandshake::responder({hash_of("t")}, mse_rc4, true, randomness(2, 0, 0));
    std::size_t fed = 0;
    while (b.state() == MseHandshake::State::running && fed < garbage.size())
      b.feed(std::string_view(garbage).substr(fed++, 1));
    CHECK(b.state() == MseHandshake::State::failed);
    CHECK(fed == 96 + 512 + 20);
    CHECK_THAT(b.error(), Catch::Contains("HASH('req1', S)"));
    CHECK(b.take_output().size() == 96);  // its key went out after Ya, nothing more
  }
  SECTION("initiator: no ENCRYPT(VC) within 96 + 512 + 8 bytes") {
    auto a = MseHandshake::initiator(hash_of("t"), mse_rc4, "x", randomness(1, 0, 0));
    (void)a.take_output();
    std::size_t fed = 0;
    while (a.state() == MseHandshake::State::running && fed < garbage.size())
      a.feed(std::string_view(garbage).substr(fed++, 1));
    CHECK(a.state() == MseHandshake::State::failed);
    CHECK(fed == 96 + 512 + 8);
    CHECK_THAT(a.error(), Catch::Contains("verification constant"));
  }
  SECTION("one big feed of garbage fails at once") {
    auto b = MseHandshake::responder({hash_of("t")}, mse_rc4, true, randomness(2, 0, 0));
    CHECK(b.feed(garbage) == MseHandshake::State::failed);
    CHECK(b.feed(garbage) == MseHandshake::State::failed);  // ignored afterwards
  }
}

TEST_CASE("mse a truncated key waits and says for what", "[mse]") {
  auto b = MseHandshake::responder({hash_of("t")}, mse_rc4, true, randomness(2, 0, 0));
  b.feed(mse_public_key(key_from(1)).substr(0, 50));
  CHECK(b.state() == MseHandshake::State::running);
  CHECK(b.take_output().empty());
  CHECK_THAT(b.waiting_for(), Catch::Contains("Diffie-Hellman key (50 of 96 bytes)"));
}

TEST_CASE("mse a key of 1 is refused", "[mse]") {
  std::string one(96, '\0');
  one.back() = 1;
  auto b = MseHandshake::responder({hash_of("t")}, mse_rc4, true, randomness(2, 0, 0));
  CHECK(b.feed(one) == MseHandshake::State::failed);
  CHECK_THAT(b.error(), Catch::Contains("not a usable key"));
}

namespace {
// A hand-made initiator's step 3 (after its key), to lie in the encrypted part.
std::string crafted_step3(const std::string& secret, const Sha1Hash& skey,
                          const std::string& encrypted_plain) {
  std::string out(mse_hash("req1", secret).view());
  auto req2 = mse_hash("req2", skey.view()), req3 = mse_hash("req3", secret);
  for (std::size_t i = 0; i < 20; ++i)
    out.push_back(static_cast<char>(req2.bytes[i] ^ req3.bytes[i]));
  std::string plain = encrypted_plain;
  Rc4(std::string(mse_hash("keyA", secret, skey.view()).view())).apply(plain.data(), plain.size());
  return out + plain;
}
}  // namespace

TEST_CASE("mse hostile fields in the encrypted part are refused", "[mse]") {
  auto skey = hash_of("t");
  auto xa = key_from(1);
  auto b = MseHandshake::responder({skey}, mse_rc4, true, randomness(2, 0, 0));
  b.feed(mse_public_key(xa));
  std::string yb = b.take_output().substr(0, 96);
  std::string secret = mse_shared_secret(xa, yb);
  REQUIRE(secret.size() == 96);
  std::string vc(8, '\0');
  SECTION("an oversized PadC") {
    b.feed(crafted_step3(secret, skey, vc + std::string("\0\0\0\x02\x02\x01", 6)));
    CHECK(b.state() == MseHandshake::State::failed);
    CHECK_THAT(b.error(), Catch::Contains("PadC of 513 bytes"));
  }
  SECTION("a wrong verification constant") {
    b.feed(crafted_step3(secret, skey, std::string("\0\0\0\0\0\0\0\x01\0\0\0\x02\0\0", 14)));
    CHECK(b.state() == MseHandshake::State::failed);
    CHECK_THAT(b.error(), Catch::Contains("verification constant"));
  }
  SECTION("a PadC of 512 and an IA of 65535 bytes are within the limits") {
    std::string plain = vc + std::string("\0\0\0\x02\x02\x00", 6) + std::string(512, 'c') +
                        std::string("\xff\xff", 2) + std::string(65535, 'i');
    b.feed(crafted_step3(secret, skey, plain));
    REQUIRE(b.state() == MseHandshake::State::done);
    CHECK(b.take_payload() == std::string(65535, 'i'));
  }
}

TEST_CASE("mse initiator refuses an oversized PadD and a select it did not offer", "[mse]") {
  auto skey = hash_of("t");
  auto xb = key_from(50);
  auto a = MseHandshake::initiator(skey, mse_rc4, "x", randomness(1, 0, 0));
  std::string ya = a.take_output().substr(0, 96);
  std::string secret = mse_shared_secret(xb, ya);
  a.feed(mse_public_key(xb));
  auto answer = [&](std::string plain) {
    Rc4(std::string(mse_hash("keyB", secret, skey.view()).view()))
        .apply(plain.data(), plain.size());
    return plain;
  };
  std::string vc(8, '\0');
  SECTION("PadD of 600 bytes") {
    a.feed(answer(vc + std::string("\0\0\0\x02\x02\x58", 6)));
    CHECK(a.state() == MseHandshake::State::failed);
    CHECK_THAT(a.error(), Catch::Contains("PadD of 600 bytes"));
  }
  SECTION("plaintext selected, RC4 offered") {
    a.feed(answer(vc + std::string("\0\0\0\x01\0\0", 6)));
    CHECK(a.state() == MseHandshake::State::failed);
    CHECK_THAT(a.error(), Catch::Contains("selected crypto 0x1"));
  }
  SECTION("both bits selected") {
    a.feed(answer(vc + std::string("\0\0\0\x03\0\0", 6)));
    CHECK(a.state() == MseHandshake::State::failed);
  }
  SECTION("a proper answer after 512 bytes of PadB") {
    a.feed(std::string(512, 'b') + answer(vc + std::string("\0\0\0\x02\0\x01z", 7)));
    CHECK(a.state() == MseHandshake::State::done);
    CHECK(a.selected() == mse_rc4);
  }
}

TEST_CASE("mse random pads stay within their bounds", "[mse]") {
  for (int i = 0; i < 50; ++i) {
    auto r = mse_random(0);
    CHECK(r.pad.size() <= mse_max_pad);
    CHECK(r.second_pad.empty());
  }
  auto a = mse_random(), b = mse_random();
  CHECK(a.private_key != b.private_key);
}
