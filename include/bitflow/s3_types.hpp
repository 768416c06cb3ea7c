// bitflow/s3_types.hpp — the plain types shared by the S3 client's public header and its
// pure cores: the error codes (category "s3"), credentials, a custom endpoint and the
// addressing style. No I/O; safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace bitflow::s3 {

/// What S3 operations, the SQS notifier and their cores report. Service errors that callers
/// commonly branch on have codes of their own; the S3 code and message are always in the text
/// ("S3 NoSuchBucket: The specified bucket does not exist (HTTP 404)").
enum class errc {
  invalid_expiry = 1,   // a presigned URL's lifetime outside 1 s … 7 days
  malformed_xml,        // a response body that is not well-formed XML
  unexpected_xml,       // well-formed, but not the document asked for (root, elements)
  invalid_number,       // a numeric element that is not a number in range
  service_error,        // S3 answered with an error not listed below
  invalid_part,         // a part list CompleteMultipartUpload cannot carry; InvalidPart
  invalid_config,       // an unreadable credentials/config value or endpoint URL
  missing_credentials,  // no access key found anywhere
  no_such_bucket,       // NoSuchBucket
  no_such_key,          // NoSuchKey, or 404 to a HEAD (which has no body to tell more)
  no_such_upload,       // NoSuchUpload: the multipart upload was completed or aborted
  access_denied,        // AccessDenied, 403 without a body
  bad_credentials,      // InvalidAccessKeyId, SignatureDoesNotMatch: fix the keys
  clock_skew,           // RequestTimeTooSkewed even after correcting the clock once
  throttled,            // SlowDown / 503 after every attempt
  server_error,         // InternalError, 5xx after every attempt
  entity_too_small,     // EntityTooSmall: a part other than the last under 5 MiB
  invalid_range,        // InvalidRange (416)
  connection_failed,    // no HTTP answer: refused, reset, DNS, TLS (after every attempt)
  timed_out,            // the request's deadline passed (after every attempt)
  no_such_queue,        // SQS: AWS.SimpleQueueService.NonExistentQueue, QueueDoesNotExist
  checksum_mismatch,    // SQS: the MD5 the service computed of the message is not ours
  size_mismatch,        // an object S3 reports with another size than was uploaded
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term keys, no token
};

/// A custom endpoint URL taken apart: "http://127.0.0.1:9000" or "https://host/base".
struct Endpoint {
  std::string scheme;     // "http" or "https"
  std::string host;       // with ":port" when the URL gave one; IPv6 in brackets
  std::string base_path;  // "" or "/base" (no trailing '/')
};

enum class AddressingStyle {
  automatic,       // virtual-hosted on AWS when the bucket name allows it; path-style on
                   // a custom endpoint (most S3-compatible stores have no bucket DNS)
  path,            // https://host/bucket/key
  virtual_hosted,  // https://bucket.host/key
};

/// <CompleteMultipartUploadResult>.
struct CompleteMultipartUploadResult {
  std::string location;
  std::string bucket;
  std::string key;
  std::string etag;
};

/// A part as ListParts reports it, and as CompleteMultipartUpload names it.
struct UploadedPart {
  int part_number = 0;  // 1 … 10000
  std::string etag;     // as S3 sent it, quotes included
  std::uint64_t size = 0;
};

/// <ListPartsResult>: one page of an upload's parts.
struct ListPartsResult {
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::vector<UploadedPart> parts;
  bool is_truncated = false;
  /// Where the next page starts; always set when is_truncated.
  std::optional<int> next_part_number_marker;
};

struct MultipartUploadEntry {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO 8601, as sent
};

/// <ListMultipartUploadsResult>: one page of a bucket's unfinished uploads.
struct ListMultipartUploadsResult {
  std::vector<MultipartUploadEntry> uploads;
  bool is_truncated = false;
  /// Where the next page starts; next_key_marker is always set when is_truncated.
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

/// Retries in the AWS SDKs' standard mode: transient failures (no answer, a timeout,
/// HTTP 500/502/503/504, SlowDown, RequestTimeout, InternalError, throttling codes) are
/// tried again after a delay drawn uniformly from [0, min(base_delay·2^(n-1), max_backoff))
/// before the n-th retry ("full jitter"), up to max_attempts attempts in all.
struct RetrySettings {
  int max_attempts = 3;  ///< the first attempt included; 1 turns retries off
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_backoff{20'000};
};

}  // namespace bitflow::s3

template <>
struct std::is_error_code_enum<bitflow::s3::errc> : std::true_type {};
