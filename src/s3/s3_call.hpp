// One S3 request as the client shell describes it (operation, bucket, key, query, body),
// turned into a signed net::HttpRequest, and a failed answer turned into the outcome the
// retry policy judges and the message the caller reads. No I/O. Internal.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bitflow/s3.hpp"
#include "net/curl_reactor.hpp"
#include "s3/aws_exchange.hpp"
#include "s3/sigv4.hpp"

namespace bitflow::s3 {

struct Call {
  std::string operation;  // "PutObject": for messages
  std::string method = "GET";
  std::string bucket;
  std::string key;
  std::vector<QueryParam> query;
  /// Signed besides Host and the signer's own (Content-MD5, Range).
  std::vector<Header> headers;
  std::string content_type;  // sent unsigned; empty: none
  /// Null: no body. Shared: each attempt's request sends this buffer, not a copy of it.
  std::shared_ptr<const std::string> body;
  std::string payload_sha256;  // hex; filled in by prepare()
  /// CompleteMultipartUpload: a 200 answer may still carry an <Error> document.
  bool error_in_ok_body = false;
};

/// Hashes the body once for every attempt.
void prepare(Call& call);

/// The request signed at `time` (the local clock plus the learnt offset). Throws
/// bitflow::Error (errc::invalid_config) when the bucket cannot be addressed.
[[nodiscard]] net::HttpRequest signed_request(const Call& call, const ClientSettings& settings,
                                              std::chrono::sys_seconds time);

/// nullopt when the answer is a success (2xx, and no <Error> body where one may hide).
[[nodiscard]] std::optional<Failure> judge(const Call& call, const ErrorInfo& transport,
                                           const net::HttpResponse& response);

/// The message of the error thrown for a call that failed for good.
[[nodiscard]] std::string final_message(const Call& call, const Failure& failure, int attempts);

}  // namespace bitflow::s3
