// Peer wire codec (BEP 3, 5, 6, 10): every message byte for byte, round trips, the
// streaming reader fed split at every byte, and every way a peer's bytes can be refused.
#include <catch2/catch.hpp>

#include "../support/hex_bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bitflow/message_reader.hpp"
#include "bitflow/wire.hpp"

using namespace bitflow;
using namespace bitflow::peer;

namespace Catch {
template <>
struct StringMaker<bitflow::peer::Message> {
  static std::string convert(const bitflow::peer::Message& m) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(message_name(m));
    out += " [";
    for (char c : encode(m).substr(0, 64)) {
      out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
      out.push_back(digits[static_cast<unsigned char>(c) & 0xf]);
    }
    return out + "]";
  }
};
}  // namespace Catch

namespace {

using bitflow::test::unhex;

std::string be32(std::uint32_t v) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
  return out;
}

// A frame: the length prefix, the id and the payload.
std::string frame(std::uint32_t length, std::uint8_t id, std::string_view payload = {}) {
  return be32(length) + static_cast<char>(id) + std::string(payload);
}

// 10 pieces of 32 KiB, the last one 5000 bytes; the bitfield is 2 bytes with 6 spare bits.
const Geometry& geometry() {
  static const Geometry g(32 * 1024, {9 * 32 * 1024 + 5000});
  return g;
}

Handshake sample_handshake() {
  Handshake h;
  for (std::size_t i = 0; i < 20; ++i) {
    h.info_hash.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
    h.peer_id.bytes[i] = static_cast<std::uint8_t>('a' + i);
  }
  h.set_supports_extensions(true);
  h.set_supports_fast(true);
  return h;
}

const std::string block_data = std::string(16 * 1024, 'x');

// One of every message, valid against geometry(), with its hand-written encoding.
std::vector<std::pair<Message, std::string>> every_message() {
  return {
      {KeepAlive{}, unhex("00000000")},
      {Choke{}, unhex("00000001 00")},
      {Unchoke{}, unhex("00000001 01")},
      {Interested{}, unhex("00000001 02")},
      {NotInterested{}, unhex("00000001 03")},
      {Have{PieceIndex(9)}, unhex("00000005 04 00000009")},
      {Bitfield{"\xff\xc0"}, unhex("00000003 05 ffc0")},
      {Request{PieceIndex(1), 16384, 16384}, unhex("0000000d 06 00000001 00004000 00004000")},
      {Piece{PieceIndex(2), 3, "abc"}, unhex("0000000c 07 00000002 00000003 616263")},
      {Cancel{PieceIndex(1), 16384, 16384}, unhex("0000000d 08 00000001 00004000 00004000")},
      {Port{6881}, unhex("00000003 09 1ae1")},
      {Suggest{PieceIndex(7)}, unhex("00000005 0d 00000007")},
      {HaveAll{}, unhex("00000001 0e")},
      {HaveNone{}, unhex("00000001 0f")},
      {Reject{PieceIndex(9), 0, 5000}, unhex("0000000d 10 00000009 00000000 00001388")},
      {AllowedFast{PieceIndex(3)}, unhex("00000005 11 00000003")},
      {Extended{0, "d1:md6:ut_pexi1eee"},
       unhex("00000014 14 00") + std::string("d1:md6:ut_pexi1eee")},
      {Extended{3, ""}, unhex("00000002 14 03")},
  };
}

// Parses `bytes` as exactly one message; fails the test otherwise.
Message parse_one(std::string_view bytes, const Geometry* g = &geometry(),
                  const DecodeOptions& options = {}) {
  ErrorInfo error;
  auto result = parse_message(bytes, options, g, error);
  INFO(error.message);
  REQUIRE(!error);
  REQUIRE(result.value);
  CHECK(result.used == bytes.size());
  return *result.value;
}

// Parses `bytes` expecting a refusal with `code`; returns the message.
std::string refuse(std::string_view bytes, errc code, const Geometry* g = &geometry(),
                   const DecodeOptions& options = {}) {
  ErrorInfo error;
  auto result = parse_message(bytes, options, g, error);
  CHECK(!result.value);
  CHECK(error.code == code);
  CHECK(error.message.starts_with("peer wire: "));
  return error.message;
}

// A reader already past the handshake.
MessageReader message_reader(const Geometry* g = &geometry(), DecodeOptions options = {}) {
  return MessageReader(options, g, MessageReader::Start::messages);
}

// Every message the reader yields until it needs more; fails on error.
std::vector<Message> drain(MessageReader& reader) {
  std::vector<Message> out;
  ErrorInfo error;
  while (auto m = reader.next(error))
    out.push_back(*m);
  INFO(error.message);
  REQUIRE(!error);
  return out;
}

}  // namespace

// ---- encoding ---------------------------------------------------------------------------

TEST_CASE("handshake encodes to the 68 bytes BEP 3 lays out", "[wire]") {
  std::string out = "prefix";
  encode_handshake(sample_handshake(), out);
  const std::string expected =
      "prefix" + unhex("13") + "BitTorrent protocol" + unhex("0000000000100004") +
      unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3") + "abcdefghijklmnopqrst";
  CHECK(out == expected);
  CHECK(out.size() == 6 + handshake_size);
}

TEST_CASE("handshake reserved bits map to extensions, fast and dht", "[wire]") {
  Handshake h;
  CHECK(!h.supports_extensions());
  CHECK(!h.supports_fast());
  CHECK(!h.supports_dht());
  h.set_supports_dht(true);
  CHECK(h.reserved == std::array<std::uint8_t, 8>{0, 0, 0, 0, 0, 0, 0, 0x01});
  h.set_supports_fast(true);
  h.set_supports_extensions(true);
  CHECK(h.reserved == std::array<std::uint8_t, 8>{0, 0, 0, 0, 0, 0x10, 0, 0x05});
  CHECK((h.supports_dht() && h.supports_fast() && h.supports_extensions()));
  h.set_supports_dht(false);
  CHECK(h.reserved[7] == 0x04);
  CHECK(!h.supports_dht());
}

TEST_CASE("every message encodes byte for byte as BEP 3, 5, 6 and 10 lay it out", "[wire]") {
  for (const auto& [message, bytes] : every_message()) {
    INFO(message_name(message));
    CHECK(encode(message) == bytes);
    CHECK(encoded_size(message) == bytes.size());
    std::string appended = "xy";
    encode(message, appended);
    CHECK(appended == "xy" + bytes);
  }
}

TEST_CASE("a piece header plus its block equals the encoded piece message", "[wire]") {
  const auto header = encode_piece_header(PieceIndex(2), 16384, 16384);
  CHECK(std::string(header.data(), header.size()) == unhex("00004009 07 00000002 00004000"));
  CHECK(std::string(header.data(), header.size()) + block_data ==
        encode(Piece{PieceIndex(2), 16384, block_data}));
}

TEST_CASE("message names follow BEP 4", "[wire]") {
  CHECK(message_name(std::uint8_t{4}) == "have");
  CHECK(message_name(std::uint8_t{0x11}) == "allowed fast");
  CHECK(message_name(std::uint8_t{20}) == "extended");
  CHECK(message_name(std::uint8_t{10}) == "unknown");
  CHECK(message_name(Message{KeepAlive{}}) == "keep-alive");
  CHECK(message_name(Message{Reject{}}) == "reject");
}

// ---- decoding ---------------------------------------------------------------------------

TEST_CASE("every message decodes back to itself", "[wire]") {
  for (const auto& [message, bytes] : every_message()) {
    INFO(message_name(message));
    CHECK(parse_one(bytes) == message);
    // Without a geometry too (a magnet link before its metadata).
    CHECK(parse_one(bytes, nullptr) == message);
  }
  const Message full{Piece{PieceIndex(9), 0, std::string_view(block_data).substr(0, 5000)}};
  CHECK(parse_one(encode(full)) == full);
}

TEST_CASE("decoded piece data is a view into the input", "[wire]") {
  const std::string bytes = encode(Piece{PieceIndex(0), 0, block_data});
  const auto piece = std::get<Piece>(parse_one(bytes));
  CHECK(piece.data.data() == bytes.data() + piece_header_size);
  CHECK(piece.data.size() == block_data.size());
}

TEST_CASE("the handshake decodes back to itself", "[wire]") {
  std::string bytes;
  encode_handshake(sample_handshake(), bytes);
  bytes += "trailing";
  ErrorInfo error;
  auto result = parse_handshake(bytes, error);
  REQUIRE(result.value);
  CHECK(*result.value == sample_handshake());
  CHECK(result.used == handshake_size);
  CHECK(!error);
}

TEST_CASE("a partial message asks for the bytes it still needs", "[wire]") {
  const std::string bytes = encode(Request{PieceIndex(1), 0, 16384});
  ErrorInfo error;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto result = parse_message(std::string_view(bytes).substr(0, n), {}, &geometry(), error);
    CHECK(!result.value);
    CHECK(!error);
    CHECK(result.needed == (n < 4 ? 4u : 17u));
  }
  std::string handshake;
  encode_handshake(sample_handshake(), handshake);
  for (std::size_t n = 0; n < handshake.size(); ++n) {
    auto result = parse_handshake(std::string_view(handshake).substr(0, n), error);
    CHECK(!result.value);
    CHECK(!error);
    CHECK(result.needed == handshake_size);
  }
}

// ---- streaming --------------------------------------------------------------------------

TEST_CASE("the reader accepts every message split at every byte", "[wire]") {
  for (const auto& [message, bytes] : every_message()) {
    INFO(message_name(message));
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
      INFO("split at " << split);
      auto reader = message_reader();
      reader.feed(std::string_view(bytes).substr(0, split));
      auto first = drain(reader);
      reader.feed(std::string_view(bytes).substr(split));
      auto second = drain(reader);
      if (split == bytes.size()) {
        REQUIRE(first.size() == 1);
        CHECK(first[0] == message);
        CHECK(second.empty());
      } else {
        CHECK(first.empty());
        REQUIRE(second.size() == 1);
        CHECK(second[0] == message);
      }
      CHECK(reader.buffered() == 0);
      CHECK(reader.consumed() == bytes.size());
    }
  }
}

TEST_CASE("the reader accepts a whole conversation split at every byte", "[wire]") {
  std::string stream;
  encode_handshake(sample_handshake(), stream);
  std::vector<Message> expected;
  for (const auto& [message, bytes] : every_message()) {
    stream += bytes;
    expected.push_back(message);
  }
  auto check_all = [&](MessageReader& reader, std::vector<Message>& got) {
    if (reader.in_handshake()) {
      if (auto h = reader.next_handshake()) CHECK(*h == sample_handshake());
    }
    if (!reader.in_handshake())
      for (auto& m : drain(reader))
        got.push_back(m);
  };
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    INFO("split at " << split);
    MessageReader reader({}, &geometry());
    std::vector<Message> got;
    reader.feed(std::string_view(stream).substr(0, split));
    check_all(reader, got);
    // Views may dangle after feed(): compare now, keep only the count.
    for (std::size_t i = 0; i < got.size(); ++i)
      CHECK(got[i] == expected[i]);
    const std::size_t before = got.size();
    got.clear();
    reader.feed(std::string_view(stream).substr(split));
    check_all(reader, got);
    REQUIRE(before + got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      CHECK(got[i] == expected[before + i]);
    CHECK(reader.consumed() == stream.size());
  }
  // And byte by byte.
  MessageReader reader({}, &geometry());
  std::size_t count = 0;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    if (reader.in_handshake()) {
      if (auto h = reader.next_handshake()) CHECK(*h == sample_handshake());
      continue;
    }
    for (auto& m : drain(reader))
      CHECK(m == expected.at(count++));
  }
  CHECK(count == expected.size());
  CHECK(reader.buffered() == 0);
}

TEST_CASE("keep-alives interleave with other messages", "[wire]") {
  auto reader = message_reader();
  const std::string keep_alive = unhex("00000000");
  reader.feed(keep_alive + encode(Have{PieceIndex(1)}) + keep_alive + keep_alive +
              encode(Unchoke{}) + keep_alive);
  auto got = drain(reader);
  REQUIRE(got.size() == 6);
  CHECK(got[0] == Message{KeepAlive{}});
  CHECK(got[1] == Message{Have{PieceIndex(1)}});
  CHECK(got[2] == Message{KeepAlive{}});
  CHECK(got[3] == Message{KeepAlive{}});
  CHECK(got[4] == Message{Unchoke{}});
  CHECK(got[5] == Message{KeepAlive{}});
}

TEST_CASE("several messages in one buffer come out in order and views stay valid", "[wire]") {
  auto reader = message_reader();
  const std::string a(16384, 'a');
  const std::string b(5000, 'b');
  reader.feed(encode(Piece{PieceIndex(0), 0, a}) + encode(Interested{}) +
              encode(Piece{PieceIndex(9), 0, b}) + encode(Bitfield{"\xff\xc0"}) +
              unhex("00000005 04"));  // and the start of a have
  auto got = drain(reader);
  REQUIRE(got.size() == 4);
  // next() never moves the buffer, so the first view is intact after later next() calls.
  CHECK(std::get<Piece>(got[0]).data == a);
  CHECK(got[1] == Message{Interested{}});
  CHECK(std::get<Piece>(got[2]).data == b);
  CHECK(std::get<Bitfield>(got[3]).bytes == "\xff\xc0");
  CHECK(reader.buffered() == 5);
  CHECK(reader.bytes_wanted() == 4);
  reader.feed(unhex("00000002"));
  got = drain(reader);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Message{Have{PieceIndex(2)}});
}

TEST_CASE("a transport can read straight into the reader's buffer", "[wire]") {
  auto reader = message_reader();
  const std::string bytes = encode(Piece{PieceIndex(1), 16384, block_data});
  CHECK(reader.bytes_wanted() == 4);
  auto space = reader.prepare(4);
  std::copy_n(bytes.data(), 4, space.data());
  reader.commit(4);
  CHECK(drain(reader).empty());
  CHECK(reader.bytes_wanted() == bytes.size() - 4);
  space = reader.prepare(reader.bytes_wanted() + 100);  // reads may ask for more
  std::copy(bytes.begin() + 4, bytes.end(), space.data());
  reader.commit(bytes.size() - 4);
  auto got = drain(reader);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Message{Piece{PieceIndex(1), 16384, block_data}});
  CHECK(reader.bytes_wanted() == 4);
  (void)reader.prepare(10);
  CHECK_THROWS_AS(reader.commit(11), std::invalid_argument);
}

TEST_CASE("the reader starts with the handshake and then reads messages", "[wire]") {
  MessageReader reader({}, &geometry());
  CHECK(reader.in_handshake());
  CHECK(reader.bytes_wanted() == handshake_size);
  CHECK_THROWS_AS(reader.next(), std::logic_error);
  std::string bytes;
  encode_handshake(sample_handshake(), bytes);
  bytes += encode(HaveAll{});
  reader.feed(bytes);
  auto handshake = reader.next_handshake();
  REQUIRE(handshake);
  CHECK(handshake->supports_fast());
  CHECK(!reader.in_handshake());
  CHECK_THROWS_AS(reader.next_handshake(), std::logic_error);
  auto got = drain(reader);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Message{HaveAll{}});
}

TEST_CASE("set_options and set_geometry apply to later messages", "[wire]") {
  auto reader = message_reader(nullptr);
  reader.feed(encode(Have{PieceIndex(50)}));
  CHECK(drain(reader).size() == 1);  // no geometry yet: any index is plausible
  reader.set_geometry(&geometry());
  DecodeOptions options;
  options.fast_extension = false;
  reader.set_options(options);
  CHECK(!reader.options().fast_extension);
  reader.feed(encode(HaveNone{}));
  ErrorInfo error;
  CHECK(!reader.next(error));
  CHECK(error.code == errc::not_negotiated);
  options.max_block_length = max_block_length_limit + 1;
  CHECK_THROWS_AS(reader.set_options(options), std::invalid_argument);
  CHECK_THROWS_AS(MessageReader(options), std::invalid_argument);
  options.max_block_length = 0;
  CHECK_THROWS_AS(MessageReader(options), std::invalid_argument);
}

// ---- refusals ---------------------------------------------------------------------------

TEST_CASE("a hostile length prefix is refused from four bytes without allocating", "[wire]") {
  auto reader = message_reader();
  reader.feed(unhex("ffffffff"));
  ErrorInfo error;
  CHECK(!reader.next(error));
  CHECK(error.code == errc::message_too_large);
  CHECK(reader.capacity() < 64);
  CHECK(reader.bytes_wanted() == 0);
  // From the prefix alone, anything past the largest message the limits allow: with the
  // extension protocol an extended message of 1 MiB, without it a piece of 16 KiB.
  refuse(be32(2 + (1 << 20) + 1), errc::message_too_large);
  CHECK(!parse_message(be32(2 + (1 << 20)), {}, &geometry()).value);  // need more
  DecodeOptions no_ext;
  no_ext.extension_protocol = false;
  CHECK(refuse(be32(9 + 16384 + 1), errc::message_too_large, &geometry(), no_ext)
            .find("largest allowed, 16393") != std::string::npos);
  // With the id: a piece one byte too large, an extended payload over 1 MiB.
  refuse(frame(9 + 16384 + 1, 7), errc::message_too_large);
  DecodeOptions big_ext;
  big_ext.max_extended_length = 10 << 20;
  refuse(frame(2 + (1 << 20) + 1, 20), errc::message_too_large);
  refuse(frame(2 + (10 << 20) + 1, 20), errc::message_too_large, &geometry(), big_ext);
  CHECK(!parse_message(frame(2 + (10 << 20), 20), big_ext, &geometry()).value);  // need more
  // Without a geometry the bitfield limit (256 KiB) counts too.
  refuse(be32(2 + (1 << 20) + 1), errc::message_too_large, nullptr);
  refuse(be32(1 + 256 * 1024 + 1), errc::message_too_large, nullptr, no_ext);
}

TEST_CASE("fixed-size messages with the wrong length are refused", "[wire]") {
  const std::vector<std::pair<std::uint32_t, std::uint8_t>> cases = {
      {2, 0},   {2, 1},   {2, 2},  {2, 3},  {4, 4},    {6, 4},    {12, 6},   {14, 6},
      {12, 8},  {14, 8},  {2, 9},  {4, 9},  {4, 0x0d}, {6, 0x0d}, {2, 0x0e}, {2, 0x0f},
      {12, 16}, {14, 16}, {4, 17}, {6, 17}, {8, 7},    {1, 7},    {1, 20},
  };
  for (auto [length, id] : cases) {
    INFO("id " << int(id) << " length " << length);
    // Refused from the prefix and id alone: no body needed.
    refuse(frame(length, id), errc::invalid_length);
  }
}

TEST_CASE("unknown message ids are refused", "[wire]") {
  for (int id : {10, 11, 12, 18, 19, 21, 22, 23, 255}) {
    INFO("id " << id);
    CHECK(refuse(frame(1, static_cast<std::uint8_t>(id)), errc::unknown_message)
              .find(std::to_string(id)) != std::string::npos);
  }
}

TEST_CASE("fast and extension messages need the handshakes to enable them", "[wire]") {
  DecodeOptions plain;
  plain.fast_extension = false;
  plain.extension_protocol = false;
  for (const auto& [message, bytes] : every_message()) {
    INFO(message_name(message));
    const bool fast =
        std::holds_alternative<Suggest>(message) || std::holds_alternative<HaveAll>(message) ||
        std::holds_alternative<HaveNone>(message) || std::holds_alternative<Reject>(message) ||
        std::holds_alternative<AllowedFast>(message);
    if (fast || std::holds_alternative<Extended>(message))
      refuse(std::string_view(bytes).substr(0, 5), errc::not_negotiated, &geometry(), plain);
    else
      CHECK(parse_one(bytes, &geometry(), plain) == message);
  }
}

TEST_CASE("piece indices outside the torrent are refused", "[wire]") {
  const std::string ten = be32(10);
  const std::string huge = be32(0x8000'0000);
  const std::string range = be32(0) + be32(16384);
  for (const std::string& index : {ten, huge}) {
    refuse(frame(5, 4, index), errc::invalid_piece_index);
    refuse(frame(5, 0x0d, index), errc::invalid_piece_index);
    refuse(frame(5, 0x11, index), errc::invalid_piece_index);
    refuse(frame(13, 6, index + range), errc::invalid_piece_index);
    refuse(frame(13, 8, index + range), errc::invalid_piece_index);
    refuse(frame(13, 16, index + range), errc::invalid_piece_index);
    refuse(frame(12, 7, index + be32(0) + "abc"), errc::invalid_piece_index);
  }
  // Without a geometry only indices beyond int32 are refused.
  CHECK(parse_one(frame(5, 4, ten), nullptr) == Message{Have{PieceIndex(10)}});
  refuse(frame(5, 4, huge), errc::invalid_piece_index, nullptr);
  CHECK(parse_one(frame(5, 4, be32(0x7fff'ffff)), nullptr) ==
        Message{Have{PieceIndex(0x7fff'ffff)}});
}

TEST_CASE("blocks must be non-empty, within the limit and inside their piece", "[wire]") {
  auto request = [](std::uint32_t piece, std::uint32_t begin, std::uint32_t length) {
    return frame(13, 6, be32(piece) + be32(begin) + be32(length));
  };
  CHECK(parse_one(request(0, 16384, 16384)) == Message{Request{PieceIndex(0), 16384, 16384}});
  CHECK(refuse(request(0, 0, 0), errc::invalid_block).find("empty") != std::string::npos);
  refuse(request(0, 0, 16385), errc::invalid_block);
  refuse(request(0, 16385, 16384), errc::invalid_block);        // past a full piece
  refuse(request(0, 0xffff'ffff, 16384), errc::invalid_block);  // begin + length overflows u32
  // The last piece is shorter: 5000 bytes.
  CHECK(parse_one(request(9, 0, 5000)) == Message{Request{PieceIndex(9), 0, 5000}});
  CHECK(parse_one(request(9, 4999, 1)) == Message{Request{PieceIndex(9), 4999, 1}});
  CHECK(refuse(request(9, 0, 5001), errc::invalid_block).find("5000 bytes") != std::string::npos);
  refuse(request(9, 4999, 2), errc::invalid_block);
  refuse(request(9, 16384, 16384), errc::invalid_block);
  // Cancel and reject carry a block too.
  refuse(frame(13, 8, be32(9) + be32(0) + be32(5001)), errc::invalid_block);
  refuse(frame(13, 16, be32(0) + be32(0) + be32(0)), errc::invalid_block);
  // Piece messages: empty, past the last piece's end.
  refuse(frame(9, 7, be32(0) + be32(0)), errc::invalid_block);
  refuse(frame(9 + 3, 7, be32(9) + be32(4998) + "abc"), errc::invalid_block);
  CHECK(parse_one(frame(9 + 3, 7, be32(9) + be32(4997) + "abc")) ==
        Message{Piece{PieceIndex(9), 4997, "abc"}});
  // Without a geometry only the length limit applies.
  CHECK(parse_one(request(9, 16384, 16384), nullptr) ==
        Message{Request{PieceIndex(9), 16384, 16384}});
  refuse(request(9, 0, 16385), errc::invalid_block, nullptr);
}

TEST_CASE("a lenient block limit admits requests up to 128 KiB", "[wire]") {
  DecodeOptions lenient;
  lenient.max_block_length = max_block_length_limit;
  const Geometry big(256 * 1024, {1024 * 1024});
  const std::string request = frame(13, 6, be32(1) + be32(0) + be32(128 * 1024));
  CHECK(parse_one(request, &big, lenient) == Message{Request{PieceIndex(1), 0, 128 * 1024}});
  refuse(request, errc::invalid_block, &big);  // the default is 16 KiB
  const std::string block(128 * 1024, 'z');
  CHECK(parse_one(encode(Piece{PieceIndex(0), 0, block}), &big, lenient) ==
        Message{Piece{PieceIndex(0), 0, block}});
  refuse(frame(9 + 128 * 1024 + 1, 7), errc::message_too_large, &big, lenient);
}

TEST_CASE("bitfields must have the torrent's size and no spare bits", "[wire]") {
  CHECK(parse_one(frame(3, 5, "\xff\xc0")) == Message{Bitfield{"\xff\xc0"}});
  CHECK(parse_one(frame(3, 5, unhex("0000"))) == Message{Bitfield{unhex("0000")}});
  CHECK(refuse(frame(3, 5, "\xff\xe0"), errc::invalid_bitfield).find("spare") != std::string::npos);
  refuse(frame(3, 5, unhex("0001")), errc::invalid_bitfield);
  // Wrong sizes are refused from the prefix, before the body arrives.
  refuse(frame(2, 5), errc::invalid_bitfield);
  refuse(frame(4, 5), errc::invalid_bitfield);
  refuse(frame(1, 5), errc::invalid_bitfield);
  // Without a geometry any size up to the limit passes, to be checked later.
  const std::string three = unhex("ffffff");
  CHECK(parse_one(frame(4, 5, three), nullptr) == Message{Bitfield{three}});
  ErrorInfo error;
  CHECK(!validate_bitfield(three, geometry().num_pieces(), error));
  CHECK(error.code == errc::invalid_bitfield);
  error.clear();
  CHECK(validate_bitfield(unhex("ffc0"), 10, error));
  CHECK(validate_bitfield(unhex("ffff"), 16, error));
  CHECK(!validate_bitfield(unhex("ff01"), 9, error));
  CHECK(!error.message.empty());
  refuse(be32(1 + 256 * 1024 + 1) + "\x05", errc::message_too_large, nullptr);
}

TEST_CASE("a handshake with the wrong pstrlen or protocol string is refused early", "[wire]") {
  auto refused_after = [](std::string_view bytes) {
    ErrorInfo error;
    auto result = parse_handshake(bytes, error);
    CHECK(!result.value);
    CHECK(error.code == errc::invalid_handshake);
    return error.message;
  };
  CHECK(refused_after(unhex("12")).find("length 18") != std::string::npos);
  CHECK(refused_after("GET / HTTP/1.1\r\n").find("length 71") != std::string::npos);
  CHECK(refused_after(unhex("13") + "BitTorrent P").find("BitTorrent P") != std::string::npos);
  std::string wrong;
  encode_handshake(sample_handshake(), wrong);
  wrong[19] = 'X';  // "BitTorrent protocoX"
  refused_after(wrong);
  // The prefix of a good handshake is fine so far.
  ErrorInfo error;
  CHECK(!parse_handshake(unhex("13") + "BitTorrent", error).value);
  CHECK(!error);
  CHECK_THROWS_AS(parse_handshake(unhex("00")), Error);
}

TEST_CASE("reader errors are final and say where in the stream they happened", "[wire]") {
  auto reader = message_reader();
  reader.feed(encode(Choke{}) + encode(Have{PieceIndex(3)}) + frame(1, 42));
  ErrorInfo error;
  auto got = reader.next(error);
  CHECK(got == Message{Choke{}});
  CHECK(reader.next(error) == Message{Have{PieceIndex(3)}});
  CHECK(!reader.next(error));
  CHECK(error.code == errc::unknown_message);
  CHECK(error.message.find("at byte 14 of the stream") != std::string::npos);
  CHECK(reader.failed());
  reader.feed(encode(Unchoke{}));
  ErrorInfo again;
  CHECK(!reader.next(again));
  CHECK(again.message == error.message);
  try {
    (void)reader.next();
    FAIL("next() did not throw");
  } catch (const Error& e) {
    CHECK(e.code() == errc::unknown_message);
    CHECK(std::string(e.what()) == error.message);
  }
}

TEST_CASE("the throwing forms throw bitflow::Error with peer codes", "[wire]") {
  CHECK_THROWS_AS(parse_message(frame(2, 0), {}, &geometry()), Error);
  CHECK(parse_message(encode(Choke{}), {}, &geometry()).value == Message{Choke{}});
  MessageReader reader;
  reader.feed("\x13HTTP");
  CHECK_THROWS_WITH(reader.next_handshake(), Catch::Contains("handshake protocol string"));
  CHECK(make_error_code(errc::invalid_block).category().name() == std::string("peer"));
  CHECK(make_error_code(errc::invalid_block).message() == "invalid block");
}
