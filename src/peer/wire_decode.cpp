// Peer wire decoding: one handshake or message from the front of a buffer. Pure; no
// allocation except for error messages; safe from any thread.
//
// Invariants: nothing is read outside `input`; a message's length is judged from its
// prefix and id (frame_size) before its body is looked at, so the caller never has to
// buffer more than the limits allow; a returned message re-encodes to exactly the bytes
// it came from; every index, begin and length in it lies inside the geometry (when given)
// and within options.max_block_length; views point into `input`.
#include <algorithm>
#include <limits>

#include "bitflow/wire.hpp"
#include "peer/wire_internal.hpp"
#include "util/failure.hpp"

namespace bitflow::peer {
namespace detail {
namespace {

constexpr std::uint32_t max_index =
    static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max());

std::string str(std::uint64_t v) {
  return std::to_string(v);
}

// The body length (id + payload) a message of this id must have, when it is fixed.
std::uint32_t fixed_body(MessageId id) noexcept {
  switch (id) {
    case MessageId::choke:
    case MessageId::unchoke:
    case MessageId::interested:
    case MessageId::not_interested:
    case MessageId::have_all:
    case MessageId::have_none:
      return 1;
    case MessageId::have:
    case MessageId::suggest:
    case MessageId::allowed_fast:
      return 5;
    case MessageId::request:
    case MessageId::cancel:
    case MessageId::reject:
      return 13;
    case MessageId::port:
      return 3;
    case MessageId::bitfield:
    case MessageId::piece:
    case MessageId::extended:
      break;
  }
  return 0;
}

bool is_fast(MessageId id) noexcept {
  switch (id) {
    case MessageId::suggest:
    case MessageId::have_all:
    case MessageId::have_none:
    case MessageId::reject:
    case MessageId::allowed_fast:
      return true;
    default:
      return false;
  }
}

bool is_known(std::uint8_t id) noexcept {
  return message_name(id) != "unknown";
}

// The largest body any message may have under these options: what a length prefix is
// checked against before the id is known.
std::uint64_t max_body(const DecodeOptions& options, const Geometry* geometry) noexcept {
  std::uint64_t most = 13;
  most = std::max<std::uint64_t>(most, 9 + std::uint64_t{options.max_block_length});
  if (options.extension_protocol)
    most = std::max<std::uint64_t>(most, 2 + std::uint64_t{options.max_extended_length});
  const std::uint64_t bitfield =
      geometry ? bitfield_size(geometry->num_pieces()) : std::uint64_t{options.max_bitfield_length};
  return std::max<std::uint64_t>(most, 1 + bitfield);
}

// Checks a body length against the id; returns false with `error` set.
bool check_body(MessageId id, std::uint32_t body, const DecodeOptions& options,
                const Geometry* geometry, ErrorInfo& error) {
  const std::string name(message_name(static_cast<std::uint8_t>(id)));
  auto fail = [&](errc code, std::string what) {
    set_error(error, code, std::move(what));
    return util::Failure{};
  };
  if (std::uint32_t fixed = fixed_body(id)) {
    if (body != fixed)
      return fail(errc::invalid_length,
                  name + " message with length " + str(body) + ", expected " + str(fixed));
    return true;
  }
  switch (id) {
    case MessageId::bitfield: {
      if (geometry) {
        const std::size_t expected = bitfield_size(geometry->num_pieces());
        if (body - 1 != expected)
          return fail(errc::invalid_bitfield,
                      "bitfield of " + str(body - 1) + " bytes for " +
                          str(static_cast<std::uint64_t>(geometry->num_pieces())) +
                          " pieces, expected " + str(expected));
      } else if (body - 1 > options.max_bitfield_length) {
        return fail(errc::message_too_large, "bitfield of " + str(body - 1) +
                                                 " bytes, more than the limit of " +
                                                 str(options.max_bitfield_length));
      }
      return true;
    }
    case MessageId::piece:
      if (body < 9)
        return fail(errc::invalid_length,
                    "piece message with length " + str(body) + ", expected at least 9");
      if (body - 9 > options.max_block_length)
        return fail(errc::message_too_large, "piece message with a block of " + str(body - 9) +
                                                 " bytes, more than the limit of " +
                                                 str(options.max_block_length));
      return true;
    case MessageId::extended:
      if (body < 2)
        return fail(errc::invalid_length,
                    "extended message with length " + str(body) + ", expected at least 2");
      if (body - 2 > options.max_extended_length)
        return fail(errc::message_too_large, "extended message with a payload of " + str(body - 2) +
                                                 " bytes, more than the limit of " +
                                                 str(options.max_extended_length));
      return true;
    default:
      return true;  // fixed-size ids were handled above
  }
}

}  // namespace

std::size_t frame_size(std::string_view input, const DecodeOptions& options,
                       const Geometry* geometry, ErrorInfo& error) {
  if (input.size() < length_prefix_size) return length_prefix_size;
  const std::uint32_t body = read_u32(input, 0);
  if (body == 0) return length_prefix_size;  // keep-alive
  const std::uint64_t most = max_body(options, geometry);
  if (body > most) {
    set_error(error, errc::message_too_large,
              "message length " + str(body) + " exceeds the largest allowed, " + str(most));
    return 0;
  }
  const std::size_t total = length_prefix_size + std::size_t{body};
  if (input.size() == length_prefix_size) return total;

  const auto raw_id = static_cast<std::uint8_t>(input[length_prefix_size]);
  if (!is_known(raw_id)) {
    set_error(error, errc::unknown_message,
              "unknown message id " + str(raw_id) + " (length " + str(body) + ")");
    return 0;
  }
  const auto id = static_cast<MessageId>(raw_id);
  if ((is_fast(id) && !options.fast_extension) ||
      (id == MessageId::extended && !options.extension_protocol)) {
    set_error(
        error, errc::not_negotiated,
        std::string(message_name(raw_id)) + " message, but the " +
            (id == MessageId::extended ? "extension protocol (BEP 10)" : "fast extension (BEP 6)") +
            " was not negotiated");
    return 0;
  }
  if (!check_body(id, body, options, geometry, error)) return 0;
  return total;
}

std::size_t handshake_frame_size(std::string_view input, ErrorInfo& error) {
  if (input.empty()) return handshake_size;
  const auto pstrlen = static_cast<unsigned char>(input[0]);
  if (pstrlen != protocol_string.size()) {
    set_error(error, errc::invalid_handshake,
              "handshake protocol string length " + str(pstrlen) + ", expected 19");
    return 0;
  }
  const std::string_view pstr = input.substr(1, protocol_string.size());
  if (pstr != protocol_string.substr(0, pstr.size())) {
    std::string shown;
    for (char c : pstr)
      shown += (c >= 0x20 && c < 0x7f) ? c : '?';
    set_error(error, errc::invalid_handshake,
              "handshake protocol string \"" + shown + "\", expected \"BitTorrent protocol\"");
    return 0;
  }
  return handshake_size;
}

}  // namespace detail

namespace {

using detail::read_u32;
using detail::set_error;
using detail::str;

// Decodes the body of a message whose framing frame_size() has accepted.
class BodyDecoder {
 public:
  BodyDecoder(std::string_view body, const DecodeOptions& options, const Geometry* geometry,
              ErrorInfo& error)
      : body_(body), options_(options), geometry_(geometry), error_(error) {}

  std::optional<Message> run() {
    if (body_.empty()) return KeepAlive{};
    switch (static_cast<MessageId>(body_[0])) {
      case MessageId::choke:
        return Choke{};
      case MessageId::unchoke:
        return Unchoke{};
      case MessageId::interested:
        return Interested{};
      case MessageId::not_interested:
        return NotInterested{};
      case MessageId::have_all:
        return HaveAll{};
      case MessageId::have_none:
        return HaveNone{};
      case MessageId::have:
        return indexed<Have>("have");
      case MessageId::suggest:
        return indexed<Suggest>("suggest");
      case MessageId::allowed_fast:
        return indexed<AllowedFast>("allowed fast");
      case MessageId::request:
        return block<Request>("request");
      case MessageId::cancel:
        return block<Cancel>("cancel");
      case MessageId::reject:
        return block<Reject>("reject");
      case MessageId::piece:
        return piece();
      case MessageId::bitfield:
        return bitfield();
      case MessageId::port:
        return Port{static_cast<std::uint16_t>(detail::read_be(body_, 1, 2))};
      case MessageId::extended:
        return Extended{static_cast<std::uint8_t>(body_[1]), body_.substr(2)};
    }
    // frame_size() refuses unknown ids; this is only reached if it did not run.
    set_error(error_, errc::unknown_message, "unknown message id");
    return std::nullopt;
  }

 private:
  util::Failure fail(errc code, std::string what) {
    set_error(error_, code, std::move(what));
    return {};
  }

  std::optional<PieceIndex> index(std::string_view what) {
    const std::uint32_t raw = read_u32(body_, 1);
    if (raw > detail::max_index)
      return fail(errc::invalid_piece_index,
                  std::string(what) + " for piece " + str(raw) + ", beyond any torrent's pieces");
    if (geometry_ && raw >= static_cast<std::uint32_t>(geometry_->num_pieces()))
      return fail(errc::invalid_piece_index,
                  std::string(what) + " for piece " + str(raw) + " of a torrent with " +
                      str(static_cast<std::uint64_t>(geometry_->num_pieces())) + " pieces");
    return PieceIndex(static_cast<std::int32_t>(raw));
  }

  // A block [begin, begin + length) of `piece`: not empty, within the block limit and
  // inside the piece.
  bool check_block(std::string_view what, PieceIndex piece, std::uint32_t begin,
                   std::uint32_t length) {
    auto where = [&] {
      return std::string(what) + " of " + str(length) + " bytes at offset " + str(begin) +
             " of piece " + str(static_cast<std::uint64_t>(piece.value));
    };
    if (length == 0) return fail(errc::invalid_block, where() + ": empty block");
    if (length > options_.max_block_length)
      return fail(errc::invalid_block,
                  where() + ": larger than the limit of " + str(options_.max_block_length));
    if (geometry_) {
      const std::int64_t size = geometry_->piece_size(piece);
      if (std::int64_t{begin} + std::int64_t{length} > size)
        return fail(errc::invalid_block, where() + ": past the end of the piece, which has " +
                                             str(static_cast<std::uint64_t>(size)) + " bytes");
    }
    return true;
  }

  template <typename T>
  std::optional<Message> indexed(std::string_view what) {
    auto piece = index(what);
    if (!piece) return std::nullopt;
    return T{*piece};
  }

  template <typename T>
  std::optional<Message> block(std::string_view what) {
    auto piece = index(what);
    if (!piece) return std::nullopt;
    const std::uint32_t begin = read_u32(body_, 5);
    const std::uint32_t length = read_u32(body_, 9);
    if (!check_block(what, *piece, begin, length)) return std::nullopt;
    return T{*piece, begin, length};
  }

  std::optional<Message> piece() {
    auto piece = index("piece");
    if (!piece) return std::nullopt;
    const std::uint32_t begin = read_u32(body_, 5);
    const std::string_view data = body_.substr(9);
    // frame_size() capped the block at max_block_length, so it fits in 32 bits.
    if (!check_block("piece", *piece, begin, static_cast<std::uint32_t>(data.size())))
      return std::nullopt;
    return Piece{*piece, begin, data};
  }

  std::optional<Message> bitfield() {
    const std::string_view bytes = body_.substr(1);
    if (geometry_ && !validate_bitfield(bytes, geometry_->num_pieces(), error_))
      return std::nullopt;
    return Bitfield{bytes};
  }

  std::string_view body_;
  const DecodeOptions& options_;
  const Geometry* geometry_;
  ErrorInfo& error_;
};

}  // namespace

ParseResult<Handshake> parse_handshake(std::string_view input, ErrorInfo& error) {
  ParseResult<Handshake> result;
  result.needed = detail::handshake_frame_size(input, error);
  if (result.needed == 0 || input.size() < handshake_size) return result;
  Handshake h;
  std::size_t at = 1 + protocol_string.size();
  for (auto& b : h.reserved)
    b = static_cast<std::uint8_t>(input[at++]);
  for (auto& b : h.info_hash.bytes)
    b = static_cast<std::uint8_t>(input[at++]);
  for (auto& b : h.peer_id.bytes)
    b = static_cast<std::uint8_t>(input[at++]);
  result.value = h;
  result.used = handshake_size;
  result.needed = 0;
  return result;
}

ParseResult<Handshake> parse_handshake(std::string_view input) {
  ErrorInfo error;
  auto result = parse_handshake(input, error);
  if (error) error.raise();
  return result;
}

ParseResult<Message> parse_message(std::string_view input, const DecodeOptions& options,
                                   const Geometry* geometry, ErrorInfo& error) {
  ParseResult<Message> result;
  const std::size_t size = detail::frame_size(input, options, geometry, error);
  if (size == 0) return result;
  if (size > input.size()) {
    result.needed = size;
    return result;
  }
  const std::string_view body =
      input.substr(detail::length_prefix_size, size - detail::length_prefix_size);
  result.value = BodyDecoder(body, options, geometry, error).run();
  if (result.value) result.used = size;
  return result;
}

ParseResult<Message> parse_message(std::string_view input, const DecodeOptions& options,
                                   const Geometry* geometry) {
  ErrorInfo error;
  auto result = parse_message(input, options, geometry, error);
  if (error) error.raise();
  return result;
}

bool validate_bitfield(std::string_view bytes, std::int32_t num_pieces, ErrorInfo& error) {
  const std::size_t expected = detail::bitfield_size(num_pieces);
  const auto pieces = static_cast<std::uint64_t>(std::max(num_pieces, 0));
  if (bytes.size() != expected) {
    set_error(error, errc::invalid_bitfield,
              "bitfield of " + str(bytes.size()) + " bytes for " + str(pieces) +
                  " pieces, expected " + str(expected));
    return false;
  }
  const std::size_t spare = expected * 8 - static_cast<std::size_t>(pieces);
  if (spare == 0) return true;
  const auto mask = static_cast<unsigned char>((1u << spare) - 1);
  if ((static_cast<unsigned char>(bytes.back()) & mask) != 0) {
    set_error(error, errc::invalid_bitfield,
              "bitfield for " + str(pieces) + " pieces has spare bits set in its last byte");
    return false;
  }
  return true;
}

}  // namespace bitflow::peer
