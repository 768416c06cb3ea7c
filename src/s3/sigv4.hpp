// AWS Signature Version 4 (header and presigned-URL forms), pure: the request, the
// credentials and the time come in as plain data, the canonical request, the string to
// sign and the signature come out. No clock, no I/O; safe from any thread. Internal until
// the S3 client's public header exists.
//
// The caller decides what is signed: every header in the request is (lowercased, values
// trimmed and their inner whitespace runs collapsed, sorted by name; repeated names are
// joined with ',' in the order given), so transport headers that a proxy may rewrite
// (User-Agent, Expect, ...) should be left out and added after signing.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/s3_types.hpp"

namespace bitflow::s3 {

/// The payload hash for a body that is not hashed (S3 over TLS, presigned URLs).
inline constexpr const char* unsigned_payload = "UNSIGNED-PAYLOAD";
/// SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr const char* empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// The longest lifetime S3 accepts for a presigned URL (7 days).
inline constexpr std::chrono::seconds max_presign_expiry{604800};

using Header = std::pair<std::string, std::string>;      // name (any case), value
using QueryParam = std::pair<std::string, std::string>;  // decoded key, decoded value

/// The request to sign.
struct SignableRequest {
  std::string method = "GET";
  /// The decoded path ("/bucket/my key.txt"); encoded with uri_encode(path, true) both
  /// when signing and when sent (see SigningRules for the generic services' extra pass).
  std::string path = "/";
  /// Decoded parameters; a valueless one ("?uploads") has an empty value.
  std::vector<QueryParam> query;
  /// Must hold Host (with the port when it is not the scheme's default).
  std::vector<Header> headers;
  /// Lowercase hex SHA-256 of the body, or unsigned_payload.
  std::string payload_hash = unsigned_payload;
};

/// How the canonical request is formed. The defaults are S3's; the generic rules (other
/// AWS services, and the published SigV4 test suite) normalise the path, and their
/// servers compare against the sent path encoded once more (double_encode_path).
struct SigningRules {
  bool normalize_path = false;
  bool double_encode_path = false;
  /// Header form: send the payload hash as x-amz-content-sha256 (S3 requires it).
  bool content_sha256_header = true;
  /// False: the session token is sent but left out of the signature (a few legacy
  /// services want that); S3 signs it.
  bool sign_session_token = true;
};

struct SigningParams {
  Credentials credentials;
  std::string region;          // "us-east-1"
  std::string service = "s3";  // the credential scope's service
  std::chrono::sys_seconds time;
  SigningRules rules;
};

/// What signing produced. The intermediate strings are kept because they are what AWS
/// error responses (SignatureDoesNotMatch) quote back, and what the tests compare.
struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // 64 lowercase hex digits
  /// Header form: "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…";
  /// empty in the query form.
  std::string authorization;
  /// Header form: the headers to add to the request as sent (X-Amz-Date,
  /// X-Amz-Content-SHA256, X-Amz-Security-Token, Authorization); empty in the query form.
  std::vector<Header> added_headers;
  /// The encoded query to send after '?': the request's parameters, and in the query
  /// form also the X-Amz-* ones ending with X-Amz-Signature. Empty when there is none.
  std::string query_string;
  /// The encoded path to send (the request's path encoded once).
  std::string encoded_path;
};

/// Signs for an Authorization header. The headers the signer sets replace those already
/// in `request` (a retry): X-Amz-Date and Authorization always, X-Amz-Content-SHA256 when
/// rules.content_sha256_header, X-Amz-Security-Token when there is a session token.
/// Throws std::invalid_argument when the request has no Host header.
[[nodiscard]] SignedRequest sign_request(const SignableRequest& request,
                                         const SigningParams& params);

/// Signs into the query string (a presigned URL) valid for `expires` from params.time.
/// An expiry outside 1 s … 7 days fails with errc::invalid_expiry. Throws
/// std::invalid_argument when the request has no Host header.
[[nodiscard]] SignedRequest presign_request(const SignableRequest& request,
                                            const SigningParams& params,
                                            std::chrono::seconds expires);
[[nodiscard]] std::optional<SignedRequest> presign_request(const SignableRequest& request,
                                                           const SigningParams& params,
                                                           std::chrono::seconds expires,
                                                           ErrorInfo& error);

/// "20150830T123600Z", the form of X-Amz-Date.
[[nodiscard]] std::string amz_date(std::chrono::sys_seconds time);

}  // namespace bitflow::s3
