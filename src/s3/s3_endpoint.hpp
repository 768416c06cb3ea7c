// Where an S3 request goes: the endpoint (AWS's regional one or a custom S3-compatible
// store such as MinIO, Ceph or R2), path-style or virtual-hosted addressing, and the
// scheme, Host and path of a request for (bucket, key). Pure. Internal.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/s3_types.hpp"

namespace bitflow::s3 {

/// Accepts http(s)://host[:port][/path]; anything else (another scheme, user info, a
/// query or fragment, a bad port) fails with errc::invalid_config.
[[nodiscard]] std::optional<Endpoint> parse_endpoint(std::string_view url, ErrorInfo& error);

/// A name that can be a DNS label: 3–63 of a-z 0-9 . -, starting and ending with a letter
/// or digit, no "..", not shaped like an IPv4 address.
[[nodiscard]] bool is_dns_compatible_bucket(std::string_view bucket) noexcept;

/// One request's destination. `path` is decoded, ready for the signer (SignableRequest
/// path) and for url(), which encodes it the same way.
struct RequestTarget {
  std::string scheme;
  std::string host;  // the Host header
  std::string path;  // "/key" or "/bucket/key"; "/" or "/bucket" for bucket-level calls
  bool path_style = false;

  /// scheme://host/encoded-path, then '?' and `query` (already encoded) if not empty.
  [[nodiscard]] std::string url(std::string_view query = {}) const;
};

/// The target for (bucket, key) in `region`, on `endpoint` when given, else on AWS
/// (s3.<region>.amazonaws.com, https). An empty key addresses the bucket itself. Fails
/// with errc::invalid_config for an empty bucket, or when virtual-hosted addressing is
/// demanded for a bucket name that cannot be a host name.
[[nodiscard]] std::optional<RequestTarget> request_target(const std::optional<Endpoint>& endpoint,
                                                          std::string_view region,
                                                          AddressingStyle style,
                                                          std::string_view bucket,
                                                          std::string_view key, ErrorInfo& error);

}  // namespace bitflow::s3
