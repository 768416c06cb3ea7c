// Pure rules that tell what a source string is, for FetcherRegistry::detect and the
// URL fetcher: the URL's scheme and host, and the built-in source kinds. No I/O: whether a
// path names a local file is asked by the caller and passed in.
#pragma once

#include <string>
#include <string_view>

#include "bitflow/fetcher_registry.hpp"

namespace bitflow::fetch {

/// The scheme of "scheme://…", lowercased; "" when `url` has no "://".
[[nodiscard]] std::string url_scheme(std::string_view url);

/// The host of "scheme://[user[:password]@]host[:port]/…", lowercased, without the
/// brackets of an IPv6 literal; "" when there is none.
[[nodiscard]] std::string url_host(std::string_view url);

/// http, https, ftp, ftps or sftp (lowercase, as url_scheme gives it).
[[nodiscard]] bool is_fetchable_scheme(std::string_view scheme) noexcept;

/// Whether `host` is `domain` or a subdomain of it (both compared case-insensitively).
[[nodiscard]] bool host_in_domain(std::string_view host, std::string_view domain);

/// The built-in kinds (FetcherRegistry's table): a magnet link; any s3:// URL (even a bad
/// one: its errors come from s3::parse_object_url); a fetchable URL, a torrent_url when
/// its path ends in ".torrent"; anything else that is not a URL is a
/// torrent_file when it ends in ".torrent" or `is_local_file` says it names one.
[[nodiscard]] DetectedSource classify_source(std::string_view source, bool is_local_file);

}  // namespace bitflow::fetch
