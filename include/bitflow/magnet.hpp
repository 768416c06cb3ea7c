// bitflow/magnet.hpp — magnet links (BEP 9, with BEP 52's btmh and BEP 53's so).
//
// Magnet::parse reads a "magnet:?..." URI: xt=urn:btih: (40 hex digits or 32 base32
// characters), xt=urn:btmh: (a SHA-256 multihash, "1220" + 64 hex digits), dn, tr (any
// number), ws, x.pe (host:port peers), so (file indices "0,2,4-6"), xl (exact length).
// Values are percent-decoded; '+' means a space in dn only. Numbered keys such as
// "tr.1" are read as their base key. Unknown parameters are kept, in order, and written
// back by to_uri(). Magnet is a plain value type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"

namespace bitflow::magnet {

enum class errc {
  not_a_magnet = 1,          ///< does not start with "magnet:?"
  missing_info_hash,         ///< no urn:btih or urn:btmh
  invalid_info_hash,         ///< a hash of the wrong length or alphabet
  conflicting_info_hash,     ///< two different hashes of the same kind
  invalid_percent_encoding,  ///< '%' not followed by two hex digits
  invalid_parameter,         ///< a malformed x.pe, so or xl value
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::magnet

template <>
struct std::is_error_code_enum<bitflow::magnet::errc> : std::true_type {};

namespace bitflow {

/// An inclusive range of file indices from a BEP 53 "so" parameter.
struct FileIndexRange {
  std::int32_t first = 0;
  std::int32_t last = 0;
  friend bool operator==(const FileIndexRange&, const FileIndexRange&) = default;
};

struct Magnet {
  std::optional<Sha1Hash> info_hash;         ///< v1 (urn:btih)
  std::optional<Sha256Hash> info_hash_v2;    ///< v2 (urn:btmh)
  std::string display_name;                  ///< dn
  std::vector<std::string> trackers;         ///< tr, in order, without repeats
  std::vector<std::string> web_seeds;        ///< ws
  std::vector<std::string> peers;            ///< x.pe, each "host:port" or "[v6]:port"
  std::vector<FileIndexRange> select_only;   ///< so
  std::optional<std::int64_t> exact_length;  ///< xl
  /// Parameters bitflow does not interpret, decoded, in their original order.
  std::vector<std::pair<std::string, std::string>> extra;

  /// Parses a magnet URI. Throws bitflow::Error.
  static Magnet parse(std::string_view uri);
  /// Non-throwing form: nullopt and `error` filled in on failure.
  static std::optional<Magnet> parse(std::string_view uri, ErrorInfo& error);

  /// The magnet as a URI, percent-encoding every value; parse(to_uri()) gives it back.
  [[nodiscard]] std::string to_uri() const;

  friend bool operator==(const Magnet&, const Magnet&) = default;
};

/// A .torrent file around an info dictionary fetched for a magnet link (BEP 9): the
/// dictionary's bytes unchanged (so the info-hash stays), the magnet's trackers one per
/// tier as announce / announce-list, and its web seeds as url-list.
[[nodiscard]] std::string torrent_file_from_metadata(std::string_view info_bytes,
                                                     const Magnet& magnet);

/// True if `text` looks like a magnet link (starts with "magnet:", any case).
[[nodiscard]] bool is_magnet_uri(std::string_view text) noexcept;

}  // namespace bitflow
