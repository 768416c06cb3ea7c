// Peer wire encoders. Pure; safe from any thread.
//
// Invariant: encode() appends exactly encoded_size() bytes, and every message parse_message()
// accepts re-encodes to the very bytes it was parsed from (the encoding is canonical).
#include <stdexcept>
#include <type_traits>

#include "bitflow/wire.hpp"
#include "peer/wire_internal.hpp"

namespace bitflow::peer {
namespace {

// id + payload size of each message (the body), without the 4-byte prefix.
struct BodySize {
  std::size_t operator()(KeepAlive) const noexcept { return 0; }
  std::size_t operator()(Have) const noexcept { return 5; }
  std::size_t operator()(Suggest) const noexcept { return 5; }
  std::size_t operator()(AllowedFast) const noexcept { return 5; }
  std::size_t operator()(const Bitfield& m) const noexcept { return 1 + m.bytes.size(); }
  std::size_t operator()(Request) const noexcept { return 13; }
  std::size_t operator()(Cancel) const noexcept { return 13; }
  std::size_t operator()(Reject) const noexcept { return 13; }
  std::size_t operator()(const Piece& m) const noexcept { return 9 + m.data.size(); }
  std::size_t operator()(Port) const noexcept { return 3; }
  std::size_t operator()(const Extended& m) const noexcept { return 2 + m.payload.size(); }
  // Choke, Unchoke, Interested, NotInterested, HaveAll, HaveNone: the id alone.
  template <typename T>
  std::size_t operator()(const T&) const noexcept {
    return 1;
  }
};

// Appends big-endian integers and raw bytes.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    char bytes[4];
    detail::write_u32(bytes, v);
    out_.append(bytes, 4);
  }
  void index(PieceIndex p) { u32(static_cast<std::uint32_t>(p.value)); }
  void id(MessageId id) { u8(static_cast<std::uint8_t>(id)); }
  void raw(std::string_view bytes) { out_.append(bytes); }

 private:
  std::string& out_;
};

// Writes the body (id + payload) of each message.
struct BodyWriter {
  Writer& w;

  void operator()(KeepAlive) const {}
  void operator()(Choke) const { w.id(MessageId::choke); }
  void operator()(Unchoke) const { w.id(MessageId::unchoke); }
  void operator()(Interested) const { w.id(MessageId::interested); }
  void operator()(NotInterested) const { w.id(MessageId::not_interested); }
  void operator()(Have m) const { indexed(MessageId::have, m.piece); }
  void operator()(const Bitfield& m) const {
    w.id(MessageId::bitfield);
    w.raw(m.bytes);
  }
  void operator()(Request m) const { block(MessageId::request, m.piece, m.begin, m.length); }
  void operator()(const Piece& m) const {
    w.id(MessageId::piece);
    w.index(m.piece);
    w.u32(m.begin);
    w.raw(m.data);
  }
  void operator()(Cancel m) const { block(MessageId::cancel, m.piece, m.begin, m.length); }
  void operator()(Port m) const {
    w.id(MessageId::port);
    w.u16(m.port);
  }
  void operator()(Suggest m) const { indexed(MessageId::suggest, m.piece); }
  void operator()(HaveAll) const { w.id(MessageId::have_all); }
  void operator()(HaveNone) const { w.id(MessageId::have_none); }
  void operator()(Reject m) const { block(MessageId::reject, m.piece, m.begin, m.length); }
  void operator()(AllowedFast m) const { indexed(MessageId::allowed_fast, m.piece); }
  void operator()(const Extended& m) const {
    w.id(MessageId::extended);
    w.u8(m.id);
    w.raw(m.payload);
  }

 private:
  void indexed(MessageId id, PieceIndex piece) const {
    w.id(id);
    w.index(piece);
  }
  void block(MessageId id, PieceIndex piece, std::uint32_t begin, std::uint32_t length) const {
    indexed(id, piece);
    w.u32(begin);
    w.u32(length);
  }
};

}  // namespace

void encode_handshake(const Handshake& handshake, std::string& out) {
  out.reserve(out.size() + handshake_size);
  Writer w(out);
  w.u8(static_cast<std::uint8_t>(protocol_string.size()));
  w.raw(protocol_string);
  w.raw({reinterpret_cast<const char*>(handshake.reserved.data()), handshake.reserved.size()});
  w.raw(handshake.info_hash.view());
  w.raw(handshake.peer_id.view());
}

std::size_t encoded_size(const Message& message) noexcept {
  return detail::length_prefix_size + std::visit(BodySize{}, message);
}

void encode(const Message& message, std::string& out) {
  const std::size_t body = std::visit(BodySize{}, message);
  if (body > max_encoded_body)
    throw std::length_error("peer wire: " + std::string(message_name(message)) + " message of " +
                            std::to_string(body) + " bytes cannot be framed");
  out.reserve(out.size() + detail::length_prefix_size + body);
  Writer w(out);
  w.u32(static_cast<std::uint32_t>(body));
  std::visit(BodyWriter{w}, message);
}

std::string encode(const Message& message) {
  std::string out;
  encode(message, out);
  return out;
}

std::array<char, piece_header_size> encode_piece_header(PieceIndex piece, std::uint32_t begin,
                                                        std::uint32_t block_length) noexcept {
  std::array<char, piece_header_size> header{};
  // 9 + block_length wraps only for blocks within 9 bytes of 4 GiB, which no caller sends.
  detail::write_u32(header.data(), 9 + block_length);
  header[4] = static_cast<char>(MessageId::piece);
  detail::write_u32(header.data() + 5, static_cast<std::uint32_t>(piece.value));
  detail::write_u32(header.data() + 9, begin);
  return header;
}

}  // namespace bitflow::peer
