// bitflow/wire.hpp — the BitTorrent peer wire protocol as plain values: the handshake and
// every message of BEP 3 (core), BEP 5 (port), BEP 6 (fast extension) and BEP 10
// (extension protocol), their encoders, and a decoder that parses one message from the
// front of a buffer. bitflow/message_reader.hpp wraps the decoder for a byte stream.
//
// Everything here is pure: no sockets, no clocks, no threads; safe to call from any thread
// on distinct objects.
//
// Wire layout (every integer big-endian):
//   handshake  <pstrlen=19><"BitTorrent protocol"><reserved:8><info_hash:20><peer_id:20>
//   message    <length:4><id:1><payload:length-1>, or <length=0> for a keep-alive
//
// Decoding is strict. Every message's length is checked against its id as soon as the
// 4-byte prefix and the id byte have arrived, so a hostile length is refused before a
// single byte of the body is buffered; contents (piece index, block range, bitfield size
// and spare bits) are checked against the torrent's Geometry when one is given.
//
// Unknown message ids are errors (errc::unknown_message), as in libtorrent: every
// extension since 2008 travels inside the BEP 10 "extended" message precisely so that
// peers never see ids they did not negotiate, so an unknown id means a broken peer or a
// stream that has lost its framing, and nothing after it can be trusted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/peer_id.hpp"  // PeerId

namespace bitflow::peer {

/// Why the peer's bytes were refused. After any of these the connection must be closed:
/// the stream cannot be resynchronised.
enum class errc {
  invalid_handshake = 1,  ///< the handshake's pstrlen or protocol string is not BitTorrent's
  message_too_large,      ///< the length prefix exceeds what that message may carry
  invalid_length,         ///< a fixed-size message with the wrong length (a have of 7 bytes)
  unknown_message,        ///< a message id that no supported BEP defines
  not_negotiated,         ///< a BEP 6 or BEP 10 message the handshakes did not enable
  invalid_piece_index,    ///< a piece index outside the torrent
  invalid_block,          ///< a block of length 0, above the block limit, or past its piece
  invalid_bitfield,       ///< a bitfield of the wrong size or with spare bits set
  timed_out,              ///< connect, handshake, or the peer's answers took too long
  connection_closed,      ///< the connection was closed (by us or the peer)
  wrong_torrent,          ///< the peer answered for another torrent, or is ourselves
  encryption_failed,      ///< the MSE/PE handshake failed, or the encryption policy refused
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::peer

template <>
struct std::is_error_code_enum<bitflow::peer::errc> : std::true_type {};

namespace bitflow::peer {

// ---- the handshake --------------------------------------------------------------------

/// "BitTorrent protocol", the only protocol string BEP 3 defines.
inline constexpr std::string_view protocol_string = "BitTorrent protocol";
/// 1 + 19 + 8 + 20 + 20 bytes.
inline constexpr std::size_t handshake_size = 68;

/// The handshake each side sends first. `reserved` carries the feature bits; the helpers
/// read and set the three that bitflow knows.
struct Handshake {
  std::array<std::uint8_t, 8> reserved{};
  Sha1Hash info_hash;
  PeerId peer_id;

  /// BEP 10 extension protocol: reserved[5] & 0x10.
  [[nodiscard]] bool supports_extensions() const noexcept { return (reserved[5] & 0x10) != 0; }
  /// BEP 6 fast extension: reserved[7] & 0x04.
  [[nodiscard]] bool supports_fast() const noexcept { return (reserved[7] & 0x04) != 0; }
  /// BEP 5 DHT (the peer may send a port message): reserved[7] & 0x01.
  [[nodiscard]] bool supports_dht() const noexcept { return (reserved[7] & 0x01) != 0; }

  void set_supports_extensions(bool on) noexcept { set_bit(5, 0x10, on); }
  void set_supports_fast(bool on) noexcept { set_bit(7, 0x04, on); }
  void set_supports_dht(bool on) noexcept { set_bit(7, 0x01, on); }

  friend bool operator==(const Handshake&, const Handshake&) = default;

 private:
  void set_bit(std::size_t byte, std::uint8_t mask, bool on) noexcept {
    reserved[byte] = static_cast<std::uint8_t>(on ? reserved[byte] | mask : reserved[byte] & ~mask);
  }
};

// ---- messages -------------------------------------------------------------------------

/// The id byte of each message (BEP 4's table).
enum class MessageId : std::uint8_t {
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  port = 9,  ///< BEP 5
  suggest = 0x0D,
  have_all = 0x0E,
  have_none = 0x0F,
  reject = 0x10,
  allowed_fast = 0x11,
  extended = 20,  ///< BEP 10
};

// Messages that carry bytes (Bitfield, Piece, Extended) hold a string_view, never a copy.
// A decoded message's view points into the buffer it was decoded from: into the caller's
// input for parse_message(), into the reader's buffer for MessageReader (see there for how
// long that stays valid). To encode, point the view at any bytes that outlive the call.

struct KeepAlive {
  friend bool operator==(KeepAlive, KeepAlive) = default;
};
struct Choke {
  friend bool operator==(Choke, Choke) = default;
};
struct Unchoke {
  friend bool operator==(Unchoke, Unchoke) = default;
};
struct Interested {
  friend bool operator==(Interested, Interested) = default;
};
struct NotInterested {
  friend bool operator==(NotInterested, NotInterested) = default;
};
struct Have {
  PieceIndex piece;
  friend bool operator==(Have, Have) = default;
};
/// One bit per piece, most significant bit of the first byte = piece 0; the spare bits
/// of the last byte are zero.
struct Bitfield {
  std::string_view bytes;
  friend bool operator==(Bitfield, Bitfield) = default;
};
struct Request {
  PieceIndex piece;
  std::uint32_t begin = 0;   ///< byte offset inside the piece
  std::uint32_t length = 0;  ///< bytes asked for
  friend bool operator==(Request, Request) = default;
};
/// A block of data. Decoded, `data` is a view into the input: no copy is made.
struct Piece {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::string_view data;
  friend bool operator==(Piece, Piece) = default;
};
struct Cancel {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(Cancel, Cancel) = default;
};
/// BEP 5: the peer's DHT port.
struct Port {
  std::uint16_t port = 0;
  friend bool operator==(Port, Port) = default;
};
/// BEP 6: "you might like to download this piece".
struct Suggest {
  PieceIndex piece;
  friend bool operator==(Suggest, Suggest) = default;
};
/// BEP 6: the sender has every piece (instead of a bitfield).
struct HaveAll {
  friend bool operator==(HaveAll, HaveAll) = default;
};
/// BEP 6: the sender has no piece (instead of a bitfield).
struct HaveNone {
  friend bool operator==(HaveNone, HaveNone) = default;
};
/// BEP 6: the sender will not serve this request.
struct Reject {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(Reject, Reject) = default;
};
/// BEP 6: the receiver may request blocks of this piece even while choked.
struct AllowedFast {
  PieceIndex piece;
  friend bool operator==(AllowedFast, AllowedFast) = default;
};
/// BEP 10: an extension message; id 0 is the extended handshake, the others are the ids
/// the receiver assigned in its extended handshake. `payload` is usually bencoded.
struct Extended {
  std::uint8_t id = 0;
  std::string_view payload;
  friend bool operator==(Extended, Extended) = default;
};

using Message =
    std::variant<KeepAlive, Choke, Unchoke, Interested, NotInterested, Have, Bitfield, Request,
                 Piece, Cancel, Port, Suggest, HaveAll, HaveNone, Reject, AllowedFast, Extended>;

/// "have", "piece", "extended", ... for logs; "unknown" for an id no BEP here defines.
[[nodiscard]] std::string_view message_name(std::uint8_t id) noexcept;
/// The name of a message's kind ("keep-alive" for KeepAlive).
[[nodiscard]] std::string_view message_name(const Message& message) noexcept;

// ---- encoding -------------------------------------------------------------------------

/// <length:4><id=7><piece:4><begin:4>, the part of a piece message before its data.
inline constexpr std::size_t piece_header_size = 13;
/// The largest body (id + payload) encode() accepts; the length prefix is 32 bits.
inline constexpr std::size_t max_encoded_body = 0xFFFF'FFFFu;

/// Appends the 68-byte handshake to `out`.
void encode_handshake(const Handshake& handshake, std::string& out);
/// Appends `message` with its length prefix to `out`. Piece indices must be >= 0; a body
/// longer than max_encoded_body throws std::length_error (it cannot be framed).
void encode(const Message& message, std::string& out);
/// The encoded message as a new string.
[[nodiscard]] std::string encode(const Message& message);
/// How many bytes encode() appends for `message` (prefix included).
[[nodiscard]] std::size_t encoded_size(const Message& message) noexcept;
/// The 13 bytes that precede a block of `block_length` bytes in a piece message, so a
/// sender can write header and block as two buffers without copying the block.
/// encode_piece_header(p, b, data.size()) + data == encode(Piece{p, b, data}).
[[nodiscard]] std::array<char, piece_header_size> encode_piece_header(
    PieceIndex piece, std::uint32_t begin, std::uint32_t block_length) noexcept;

// ---- decoding -------------------------------------------------------------------------

/// Requests larger than 16 KiB are refused by most clients (BEP 3); 128 KiB is the most
/// any client is known to ask for, and the most DecodeOptions::max_block_length may be.
inline constexpr std::uint32_t default_block_length = 16 * 1024;
inline constexpr std::uint32_t max_block_length_limit = 128 * 1024;

/// Limits and negotiated features the decoder checks messages against.
struct DecodeOptions {
  /// Largest block in a request, cancel, reject or piece message; 1..max_block_length_limit.
  std::uint32_t max_block_length = default_block_length;
  /// Largest payload of an extended message (after its id byte). ut_metadata pieces are
  /// 16 KiB plus a small dictionary; PEX messages are a few KiB.
  std::uint32_t max_extended_length = 1024 * 1024;
  /// Largest bitfield accepted while the torrent's Geometry is unknown (a magnet link
  /// before the metadata arrived): 256 KiB is 2 M pieces. Re-check it with
  /// validate_bitfield() once the metadata is known.
  std::uint32_t max_bitfield_length = 256 * 1024;
  /// Whether both handshakes set the BEP 6 bit. When false, suggest, have all, have none,
  /// reject and allowed fast are refused with errc::not_negotiated.
  bool fast_extension = true;
  /// Whether both handshakes set the BEP 10 bit. When false, extended messages are refused
  /// with errc::not_negotiated.
  bool extension_protocol = true;
};

/// The outcome of parsing the front of a buffer. Three states:
///   * `value` set: a whole valid message; it took the first `used` bytes;
///   * `value` empty, ErrorInfo empty: need more bytes: the message is not complete until
///     the buffer holds at least `needed` bytes (always more than it holds now);
///   * `value` empty, ErrorInfo set: the bytes are invalid; the connection must close.
template <typename T>
struct ParseResult {
  std::optional<T> value;
  std::size_t used = 0;
  std::size_t needed = 0;
};

/// Parses the handshake at the front of `input`. A wrong pstrlen or protocol string is
/// refused as soon as the first differing byte is present (errc::invalid_handshake), so
/// a peer speaking another protocol is caught without waiting for 68 bytes. The reserved
/// bits are not checked: unknown feature bits are normal.
[[nodiscard]] ParseResult<Handshake> parse_handshake(std::string_view input, ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] ParseResult<Handshake> parse_handshake(std::string_view input);

/// Parses the message at the front of `input`. `geometry` is the torrent's, or null while
/// it is unknown (then piece indices are only checked to be non-negative, block ranges
/// only against max_block_length, and bitfields only against max_bitfield_length). The
/// length prefix is checked against the message's id before the body is needed: a prefix
/// too large for the id fails with only 5 bytes present (4 when it is too large for any
/// message). Bitfield, Piece and Extended views point into `input`.
[[nodiscard]] ParseResult<Message> parse_message(std::string_view input,
                                                 const DecodeOptions& options,
                                                 const Geometry* geometry, ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] ParseResult<Message> parse_message(std::string_view input,
                                                 const DecodeOptions& options,
                                                 const Geometry* geometry);

/// Checks a bitfield against a torrent of `num_pieces` pieces: exactly ceil(num_pieces/8)
/// bytes and no spare bit set. For a bitfield received before the metadata.
[[nodiscard]] bool validate_bitfield(std::string_view bytes, std::int32_t num_pieces,
                                     ErrorInfo& error);

}  // namespace bitflow::peer
