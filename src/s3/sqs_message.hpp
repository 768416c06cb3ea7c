// SQS SendMessage in the query protocol as pure functions: the queue URL taken apart, the
// form body, the request to sign and its signing parameters, the answer read
// (SendMessageResponse or ErrorResponse) and the MD5 check; also JSON string escaping for
// the delivery notice. Strings in, values out; no clock, no I/O; safe from any thread.
// Internal (the public face is bitflow/sqs.hpp).
//
// The query protocol was chosen over the JSON one (X-Amz-Target: AmazonSQS.SendMessage)
// because both AWS and moto 5 answer it, and its XML is read like S3's.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/s3_types.hpp"
#include "s3/s3_xml.hpp"
#include "s3/sigv4.hpp"

namespace bitflow::s3 {

inline constexpr const char* sqs_api_version = "2012-11-05";

/// A queue URL taken apart: "https://sqs.us-east-1.amazonaws.com/123456789012/q".
struct QueueUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase, with ":port" unless it is the scheme's default
  std::string path;    // "/123456789012/q": unreserved characters and '/' only
  [[nodiscard]] std::string url() const { return scheme + "://" + host + path; }
};

/// Fails with errc::invalid_config for anything but http(s)://host[:port]/path with no
/// user info, query or fragment, and a path of unreserved characters (A-Z a-z 0-9 - . _ ~)
/// and '/' (queue names and account ids are made of those; nothing needs encoding).
[[nodiscard]] std::optional<QueueUrl> parse_queue_url(std::string_view url, ErrorInfo& error);
[[nodiscard]] QueueUrl parse_queue_url(std::string_view url);

/// The region of an AWS queue host ("sqs.eu-west-1.amazonaws.com", also ".amazonaws.com.cn"),
/// else `fallback` (a local server's host says nothing about a region).
[[nodiscard]] std::string queue_region(const QueueUrl& queue, std::string_view fallback);

/// "Action=SendMessage&MessageBody=<message>&Version=2012-11-05", the message encoded as
/// application/x-www-form-urlencoded the way botocore (Python's urlencode) writes it:
/// every byte but A-Z a-z 0-9 - . _ ~ as %XX, spaces as '+'. moto 5 verifies the signature
/// against that re-encoding of the form, so "%20" for a space would not match there.
[[nodiscard]] std::string send_message_form(std::string_view message);

/// The POST of `form` to the queue's path, to sign: Host and
/// "Content-Type: application/x-www-form-urlencoded" (both signed, as botocore does),
/// and the form's real SHA-256 as the payload hash.
[[nodiscard]] SignableRequest send_message_request(const QueueUrl& queue, std::string_view form);

/// Service "sqs" under the generic SigV4 rules (the path normalised and encoded twice) and
/// no x-amz-content-sha256 header, which only S3 wants.
[[nodiscard]] SigningParams sqs_signing_params(Credentials credentials, std::string region,
                                               std::chrono::sys_seconds time);

struct SendMessageResult {
  std::string message_id;
  std::string md5_of_message_body;  // 32 hex digits
};

/// <SendMessageResponse><SendMessageResult> with MessageId and MD5OfMessageBody (both
/// required). An <ErrorResponse> fails with errc::service_error, its code in the text.
[[nodiscard]] std::optional<SendMessageResult> parse_send_message_response(std::string_view body,
                                                                           ErrorInfo& error);

/// <ErrorResponse><Error><Code>…</Code><Message>…</Message></Error><RequestId>… as AWS
/// sends it; also <ErrorResponse><Errors><Error> (moto's authentication errors) and a
/// bare <Error>. The Code is required.
[[nodiscard]] std::optional<ServiceError> parse_sqs_error(std::string_view body, ErrorInfo& error);

/// True when SQS's MD5OfMessageBody is the MD5 of `message` (hex, any case); else
/// errc::checksum_mismatch with both digests in the message.
[[nodiscard]] bool check_message_md5(const SendMessageResult& result, std::string_view message,
                                     ErrorInfo& error);

/// `text` as a JSON string, quotes included: '"', '\' and control characters escaped
/// (\n, \t, ... or \u00XX), bytes that are not well-formed UTF-8 replaced by U+FFFD, and
/// the noncharacters U+FFFE and U+FFFF written as \uFFFE and \uFFFF, so that the JSON
/// holds only characters an SQS message may carry.
[[nodiscard]] std::string json_string(std::string_view text);

}  // namespace bitflow::s3
