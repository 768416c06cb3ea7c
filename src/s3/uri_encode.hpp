// URI encoding as SigV4 defines it, shared by the signer and by whoever builds S3 URLs, so
// that the path and query sent are exactly the ones signed. Internal.
#pragma once

#include <string>
#include <string_view>

namespace bitflow::s3 {

/// Percent-encodes every byte except the unreserved A-Z a-z 0-9 - . _ ~ as %XX (uppercase
/// hex); with `keep_slash`, '/' also stays (an S3 object key in a path keeps its folders).
/// UTF-8 is encoded byte by byte, which is what AWS expects.
[[nodiscard]] std::string uri_encode(std::string_view text, bool keep_slash);

/// RFC 3986 dot-segment removal plus collapsing of empty segments ("//"), the path
/// normalisation of generic SigV4 services (never applied for S3, where "a//b" and
/// "a/./b" are distinct keys). The result starts with '/', and keeps a trailing '/'
/// when the input ends in '/', "/." or "/..".
[[nodiscard]] std::string normalize_path(std::string_view path);

}  // namespace bitflow::s3
