// Shared pieces of the peer wire codec: big-endian byte access and the framing check that
// both parse_message() and MessageReader::bytes_wanted() use. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/wire.hpp"

namespace bitflow::peer::detail {

/// The 4-byte length prefix of every message.
inline constexpr std::size_t length_prefix_size = 4;

/// Big-endian read of `n` <= 4 bytes at `at`; the caller has checked the size.
inline std::uint32_t read_be(std::string_view in, std::size_t at, std::size_t n) noexcept {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
inline std::uint32_t read_u32(std::string_view in, std::size_t at) noexcept {
  return read_be(in, at, 4);
}

/// Writes `v` big-endian into the 4 bytes at `out`.
inline void write_u32(char* out, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<char>(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
}

/// Bytes of a bitfield for `num_pieces` pieces.
inline std::size_t bitfield_size(std::int32_t num_pieces) noexcept {
  return num_pieces <= 0 ? 0 : (static_cast<std::size_t>(num_pieces) + 7) / 8;
}

/// Fills `error` with `code` and "peer wire: <what>".
void set_error(ErrorInfo& error, errc code, std::string what);

/// The size (prefix included) of the message at the front of `input`, checked against its
/// id, the limits and the negotiated features as far as `input` allows:
///   * <= input.size(): the whole message is there and its framing is valid;
///   * >  input.size(): more bytes are needed; the message needs at least this many;
///   * 0 with `error` set: the framing is invalid (checked from the first 4 or 5 bytes).
[[nodiscard]] std::size_t frame_size(std::string_view input, const DecodeOptions& options,
                                     const Geometry* geometry, ErrorInfo& error);

/// The checks the handshake's first bytes allow: 0 with `error` set when they already
/// cannot be a BitTorrent handshake, else handshake_size.
[[nodiscard]] std::size_t handshake_frame_size(std::string_view input, ErrorInfo& error);

}  // namespace bitflow::peer::detail
