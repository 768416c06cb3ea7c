// web_seed_url — where a BEP 19 web seed keeps a torrent's bytes: which URL serves each
// file and which HTTP byte ranges hold a given stretch of a piece. Pure: no I/O.
//
// The URL rules (BEP 19): for a single-file torrent the url-list entry names the file
// itself, unless it ends in '/', when the torrent's name is appended; for a multi-file
// torrent the file's URL is the entry, a '/' if it has none, the torrent's name, '/' and
// the file's path elements joined by '/'. Every appended element is percent-encoded
// (everything but RFC 3986's unreserved characters, byte by byte, so UTF-8 names and
// spaces are safe). The names are TorrentInfo's sanitised ones: for the torrents a server
// can serve they are the names in the file; a torrent whose paths had to be renamed (see
// TorrentInfo::warnings) names files a server is unlikely to have either way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/geometry.hpp"
#include "bitflow/metainfo.hpp"

namespace bitflow::session {

/// One stretch of a piece as it is fetched: `length` bytes from byte `first` of the file
/// at `url`, or, for a BEP 47 pad file (which no server holds), `length` zero bytes.
struct WebSeedRange {
  std::string url;  ///< empty when `zeros`
  std::int64_t first = 0;
  std::int64_t length = 0;
  std::int64_t file_size = 0;  ///< the whole file's, to check a 206's Content-Range with
  bool zeros = false;
  friend bool operator==(const WebSeedRange&, const WebSeedRange&) = default;
};

/// `text` with every byte outside A-Z a-z 0-9 - . _ ~ written as %XX (upper-case hex).
[[nodiscard]] std::string percent_encode(std::string_view text);

/// The URL of file `file` of `info` under the url-list entry `base` (rules above).
[[nodiscard]] std::string web_seed_file_url(std::string_view base, const TorrentInfo& info,
                                            FileIndex file);

/// Bytes [offset, offset + length) of piece `piece` as ranges of files, in order; the
/// range must lie inside the piece. Zero-length files never appear.
[[nodiscard]] std::vector<WebSeedRange> map_web_seed_range(std::string_view base,
                                                           const TorrentInfo& info,
                                                           PieceIndex piece, std::int64_t offset,
                                                           std::int64_t length);

/// Whether a 206 answer's Content-Range value ("bytes FIRST-LAST/TOTAL" or ".../*") is
/// exactly the range asked for, and TOTAL, when given, is `file_size`.
[[nodiscard]] bool content_range_matches(std::string_view value, std::int64_t first,
                                         std::int64_t length, std::int64_t file_size);

}  // namespace bitflow::session
