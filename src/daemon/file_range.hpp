// Serving a download's file over HTTP: which bytes a Range header asks for, and the
// Content-Type a player expects from the file's extension. Pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace bitflow::daemon {

/// What to send of a file of `size` bytes.
struct ByteRange {
  enum class Kind {
    whole,          ///< 200: no Range, or one we do not serve (several ranges, other units)
    partial,        ///< 206: bytes first..last (inclusive)
    unsatisfiable,  ///< 416: the range starts past the end
  };
  Kind kind = Kind::whole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  ///< inclusive; meaningful for partial only
};

/// Parses a Range header ("bytes=0-99", "bytes=100-", "bytes=-500") against a file of
/// `size` bytes (RFC 9110 §14). A malformed header, another unit, or a list of ranges is
/// answered with the whole file, as the RFC allows; a last position past the end is cut to
/// the end.
[[nodiscard]] ByteRange parse_range(std::string_view header, std::uint64_t size) noexcept;

/// The Content-Type for a file name by its extension (case-insensitive): the common video,
/// audio, image and document types; application/octet-stream for anything else. Markup
/// (.html, .svg, .js) is served as text/plain, so that a downloaded page never runs in the
/// API's origin.
[[nodiscard]] std::string_view content_type_for(std::string_view file_name) noexcept;

}  // namespace bitflow::daemon
