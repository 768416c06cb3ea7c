// bitflow/s3_source.hpp — s3://bucket/key as a download source: a UrlFetcher of the
// object's HTTP(S) URL (path-style or virtual-hosted, by the endpoint rules of
// s3::ClientSettings) whose every request — the probe HEAD, each ranged GET, each retry —
// carries a fresh SigV4 Authorization header. Segmented, resumable and verified like any
// URL download (bitflow/url_fetcher.hpp); FetcherRegistry creates one for s3:// sources.
//
// Header-signed rather than presigned: some S3-compatible stores (moto in auth mode)
// refuse presigned URLs, and a header signature does not expire during a long download.
// Content-MD5 is never checked: on a ranged answer it is the whole object's (moto).
//
// Pure functions; the signer reads the system clock each time it is called.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/s3.hpp"
#include "bitflow/url_fetcher.hpp"

namespace bitflow::s3 {

/// s3://bucket/key taken apart.
struct ObjectLocation {
  std::string bucket;
  /// Everything after "bucket/", as written (like `aws s3 cp`): not percent-decoded,
  /// '?', '#' and spaces included.
  std::string key;
};

/// Parses "s3://bucket/key" (the scheme in any case). Fails with fetch::errc::bad_url and
/// a message saying what is missing: no bucket, or a bucket alone ("s3://b", "s3://b/").
[[nodiscard]] std::optional<ObjectLocation> parse_object_url(std::string_view url,
                                                             ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] ObjectLocation parse_object_url(std::string_view url);

/// A signer for UrlFetchOptions::request_signer: SigV4 for service "s3" in
/// settings.region, with settings.credentials, an empty payload (x-amz-content-sha256 is
/// the SHA-256 of ""), signing Host and the x-amz-* headers it adds (X-Amz-Date,
/// X-Amz-Content-SHA256, X-Amz-Security-Token with a session token; then Authorization).
/// The URL it is given is signed as it is: scheme://host[:port]/path, the path decoded
/// once for the canonical request (S3's single encoding), any query sorted in.
[[nodiscard]] UrlFetchOptions::RequestSigner request_signer(ClientSettings settings);

/// `base` made into the options that download `s3_url`: url = the object's URL on
/// settings' endpoint, request_signer = request_signer(settings), source_name = s3_url,
/// file_name = the key's last segment unless base has one, and settings' TLS choices
/// (verify_tls off, ca_file) applied. Fails with fetch::errc::bad_url for a bad s3://
/// URL or a key that names a folder ("s3://b/dir/"), errc::invalid_config when the bucket cannot be
/// addressed.
[[nodiscard]] std::optional<UrlFetchOptions> object_fetch_options(std::string_view s3_url,
                                                                  UrlFetchOptions base,
                                                                  const ClientSettings& settings,
                                                                  ErrorInfo& error);
/// Throws bitflow::Error instead.
[[nodiscard]] UrlFetchOptions object_fetch_options(std::string_view s3_url, UrlFetchOptions base,
                                                   const ClientSettings& settings);

}  // namespace bitflow::s3
