// What the clients of the SigV4 services (S3, SQS) share around one request: a failed
// attempt as the retry policy judges it and as the caller reads it, and the signed request
// put into the form the CurlReactor sends. No I/O. Internal.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bitflow/s3.hpp"
#include "net/curl_reactor.hpp"
#include "s3/retry_policy.hpp"
#include "s3/s3_xml.hpp"
#include "s3/sigv4.hpp"

namespace bitflow::s3 {

/// A failed attempt: what the answer (or its absence) says.
struct Failure {
  AttemptOutcome outcome;
  std::string text;  // "S3 NoSuchBucket: The specified bucket does not exist (HTTP 404)"
  /// The transport's own code (net::errc) when there was no answer: a local failure
  /// (cancelled, body too large, untrusted certificate) is reported with it.
  std::error_code transport_code;
};

/// No HTTP answer: "<service> request failed: <the transport's message>".
[[nodiscard]] Failure transport_failure(std::string_view service, const ErrorInfo& transport);

/// An HTTP answer that is an error: "<service> <Code>: <Message> (HTTP <status>)"; when
/// the body named no error (`error` null), `without_document` stands for code and message.
[[nodiscard]] Failure answer_failure(std::string_view service, long status,
                                     const ServiceError* error, std::string_view without_document);

/// The code a call that failed for good is reported with.
[[nodiscard]] std::error_code final_code(const Failure& failure);

/// " after 1 attempt", " after 3 attempts": the end of a final message.
[[nodiscard]] std::string after_attempts(int attempts);

/// The request as sent to `url`: the settings' deadlines, body cap and TLS choices, no
/// redirects (an AWS redirect names another region: an error to report, not follow), the
/// body as stored (no content decoding), every signed header and those the signer added,
/// and no "Expect: 100-continue" (libcurl's wait before a large body is not part of the
/// protocol).
[[nodiscard]] net::HttpRequest http_request(const ClientSettings& settings, std::string url,
                                            std::string method, std::string body,
                                            const std::vector<Header>& signed_headers,
                                            const SignedRequest& signed_req);

/// MD5 of `data` as 32 lowercase hex digits (SQS's MD5OfMessageBody).
[[nodiscard]] std::string md5_hex(std::string_view data);

/// base64(MD5(body)), the Content-MD5 header's value.
[[nodiscard]] std::string content_md5(std::string_view body);

}  // namespace bitflow::s3
