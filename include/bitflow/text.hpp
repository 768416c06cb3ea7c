// bitflow/text.hpp — helpers for showing torrent strings (names, comments) to people.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bitflow {

/// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so
/// it can go into JSON or a terminal. Valid input is returned unchanged.
[[nodiscard]] std::string to_valid_utf8(std::string_view text);

/// "1.5 MiB", "425 B": a size for people, with binary prefixes.
[[nodiscard]] std::string format_size(std::int64_t bytes);

}  // namespace bitflow
