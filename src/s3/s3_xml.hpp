// S3's XML response bodies read into plain structs, and the one XML request body the
// client sends (CompleteMultipartUpload). Pure: text in, values out; safe from any
// thread. Internal until the S3 client's public header exists.
//
// Every parser checks the document's root element (namespace prefixes ignored) and the
// elements it needs; a body that is not well-formed, has another root or lacks a needed
// element fails with a message naming what was wrong and where, never a crash. An
// <Error> document where a result was expected (S3 does answer CompleteMultipartUpload
// with 200 and an <Error> body) fails with errc::service_error, its code and message in
// the text; parse_error() gives its fields. DOCTYPEs are skipped and entities other than
// XML's five are left as they are, so a body cannot expand itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/s3_types.hpp"

namespace bitflow::s3 {

/// <Error>: what S3 says went wrong.
struct ServiceError {
  std::string code;  // "NoSuchUpload", "SlowDown", ...
  std::string message;
  std::string request_id;
  std::string resource;
};

/// <InitiateMultipartUploadResult> (CreateMultipartUpload).
struct InitiateMultipartUploadResult {
  std::string bucket;
  std::string key;
  std::string upload_id;  // never empty
};

struct ObjectEntry {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

/// <ListBucketResult> of ListObjectsV2 (or of the older ListObjects). The page cannot tell
/// which call it answers, so the caller checks that a truncated page carries its call's
/// marker (ListObjects without a delimiter continues after the last key instead).
struct ListObjectsResult {
  std::vector<ObjectEntry> objects;
  std::vector<std::string> common_prefixes;
  bool is_truncated = false;
  std::string next_continuation_token;  // ListObjectsV2
  std::string next_marker;              // ListObjects, when a delimiter was given
};

[[nodiscard]] ServiceError parse_error(std::string_view body);
[[nodiscard]] std::optional<ServiceError> parse_error(std::string_view body, ErrorInfo& error);

[[nodiscard]] InitiateMultipartUploadResult parse_initiate_multipart_upload(std::string_view body);
[[nodiscard]] std::optional<InitiateMultipartUploadResult> parse_initiate_multipart_upload(
    std::string_view body, ErrorInfo& error);

[[nodiscard]] CompleteMultipartUploadResult parse_complete_multipart_upload(std::string_view body);
[[nodiscard]] std::optional<CompleteMultipartUploadResult> parse_complete_multipart_upload(
    std::string_view body, ErrorInfo& error);

[[nodiscard]] ListPartsResult parse_list_parts(std::string_view body);
[[nodiscard]] std::optional<ListPartsResult> parse_list_parts(std::string_view body,
                                                              ErrorInfo& error);

[[nodiscard]] ListMultipartUploadsResult parse_list_multipart_uploads(std::string_view body);
[[nodiscard]] std::optional<ListMultipartUploadsResult> parse_list_multipart_uploads(
    std::string_view body, ErrorInfo& error);

[[nodiscard]] ListObjectsResult parse_list_objects(std::string_view body);
[[nodiscard]] std::optional<ListObjectsResult> parse_list_objects(std::string_view body,
                                                                  ErrorInfo& error);

/// The CompleteMultipartUpload request body: the parts in ascending part-number order
/// (they may be given in any order), ETags escaped as XML text. Part numbers outside
/// 1 … 10000, a number given twice, an empty list or an ETag with characters XML cannot
/// carry (controls other than tab, CR, LF) fail with errc::invalid_part.
[[nodiscard]] std::string complete_multipart_upload_body(std::vector<UploadedPart> parts);
[[nodiscard]] std::optional<std::string> complete_multipart_upload_body(
    std::vector<UploadedPart> parts, ErrorInfo& error);

}  // namespace bitflow::s3
