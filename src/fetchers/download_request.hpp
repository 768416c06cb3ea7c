// The request every download of a URL starts from (the URL fetcher's transfers, the
// registry's HEAD for inspect(), the fetch of a .torrent): the URL, the allowed
// protocols, the user's TLS/SSH/netrc settings and the stall rule.
#pragma once

#include "bitflow/url_fetcher.hpp"
#include "net/curl_reactor.hpp"

namespace bitflow::fetch {

/// A `method` request of options.url with no overall deadline (downloads take as long as
/// they take; stalls end by low speed), up to 10 redirects among http/https/ftp/ftps/sftp,
/// credentials from ~/.netrc, and no content decoding (byte ranges are of the file). With
/// a request_signer: its headers, computed now, and no redirects.
[[nodiscard]] net::HttpRequest download_request(const UrlFetchOptions& options,
                                                std::string_view method = "GET");

/// How messages name the download: options.source_name, else the redacted URL.
[[nodiscard]] std::string shown_name(const UrlFetchOptions& options);

}  // namespace bitflow::fetch
