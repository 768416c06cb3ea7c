// Pure parsers for what an HTTP (or FTP) server says about a download, and the rules that
// turn its proposed file name into a safe one. No I/O; every input is untrusted. Internal
// to the fetchers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bitflow::fetch {

/// "Content-Range: bytes FIRST-LAST/TOTAL" or "bytes FIRST-LAST/*" (RFC 9110 §14.4).
struct ContentRange {
  std::int64_t first = 0;
  std::int64_t last = 0;
  std::optional<std::int64_t> total;  ///< nullopt for "*"
};
/// nullopt for anything else: other units, "bytes */TOTAL" (an unsatisfied range),
/// last < first, last >= total, numbers beyond int64, junk.
[[nodiscard]] std::optional<ContentRange> parse_content_range(std::string_view value);

/// A Content-Length value: decimal digits only, within int64; nullopt otherwise.
[[nodiscard]] std::optional<std::int64_t> parse_content_length(std::string_view value);

/// The file name a Content-Disposition value proposes (RFC 6266): the filename*
/// parameter (RFC 8187: UTF-8 or ISO-8859-1, percent-decoded; ISO-8859-1 becomes UTF-8)
/// wins over filename (a token or a quoted-string with backslash escapes). Parameter
/// names are case-insensitive; the disposition type does not matter. The result is raw:
/// it may hold '/', "..", control characters. nullopt when no name is given.
[[nodiscard]] std::optional<std::string> content_disposition_filename(std::string_view value);

/// Retry-After (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate, RFC 850,
/// asctime) taken relative to `now` (a past date is 0 s). Capped at 24 hours; nullopt
/// for junk.
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// %XX sequences decoded (RFC 3986); a '%' not followed by two hex digits stays as it is.
[[nodiscard]] std::string percent_decode(std::string_view s);

/// The last non-empty segment of the URL's path, percent-decoded; the query and the
/// fragment are ignored. "" when the path has none ("http://host/", "ftp://host").
[[nodiscard]] std::string filename_from_url(std::string_view url);

/// One safe file name from an untrusted proposal: only what follows its last '/' or '\'
/// (a proposed path keeps its last element, as browsers do), then the torrent rule
/// (sanitize_path_component: '/', '\', control characters and invalid UTF-8 become '_',
/// at most 255 bytes keeping the extension), C1 controls and bidirectional overrides
/// (U+202E and kin, which make "x\u202Efdp.exe" look like a PDF) become '_' too, and besides:
/// surrounding white space and leading dots are dropped (a download never becomes a hidden file,
/// "." or ".."). When nothing is left, `fallback` made safe the same way, or "download".
[[nodiscard]] std::string safe_filename(std::string_view proposed, std::string_view fallback);

/// The name a download gets from what the server said, in order of preference: the
/// Content-Disposition header's file name (when there is one), the last path segment of
/// the URL after redirects, that of the URL asked for; made safe by safe_filename, with
/// "download" when none gives a name.
[[nodiscard]] std::string suggested_filename(std::optional<std::string_view> content_disposition,
                                             std::string_view effective_url, std::string_view url);

/// `name` cut to at most `max_bytes` (>= 16), keeping its extension and never splitting a
/// UTF-8 sequence: room for suffixes such as ".part.bitflow" within the 255-byte limit.
[[nodiscard]] std::string shorten_filename(std::string_view name, std::size_t max_bytes);

/// The n-th alternative to a taken name: "name (n).ext" ("archive.tar (n).gz": the number
/// goes before the last extension), "name (n)" without one. Stays within 255 bytes.
[[nodiscard]] std::string numbered_filename(std::string_view name, int n);

}  // namespace bitflow::fetch
