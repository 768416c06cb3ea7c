#include "s3/s3_error.hpp"

#include "util/error_category.hpp"

namespace bitflow::s3 {

namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::invalid_expiry:
      return "presigned URL expiry out of range";
    case errc::malformed_xml:
      return "malformed XML in an S3 response";
    case errc::unexpected_xml:
      return "unexpected XML document in an S3 response";
    case errc::invalid_number:
      return "invalid number in an S3 response";
    case errc::service_error:
      return "S3 returned an error";
    case errc::invalid_part:
      return "invalid part list for CompleteMultipartUpload";
    case errc::invalid_config:
      return "invalid AWS configuration";
    case errc::missing_credentials:
      return "no AWS credentials";
    case errc::no_such_bucket:
      return "no such S3 bucket";
    case errc::no_such_key:
      return "no such S3 object";
    case errc::no_such_upload:
      return "no such multipart upload";
    case errc::access_denied:
      return "S3 access denied";
    case errc::bad_credentials:
      return "S3 rejected the credentials";
    case errc::clock_skew:
      return "the clock differs too much from S3's";
    case errc::throttled:
      return "S3 throttled the request";
    case errc::server_error:
      return "S3 server error";
    case errc::entity_too_small:
      return "multipart part too small";
    case errc::invalid_range:
      return "invalid byte range";
    case errc::connection_failed:
      return "cannot reach S3";
    case errc::timed_out:
      return "S3 request timed out";
    case errc::size_mismatch:
      return "S3 object has the wrong size";
    case errc::no_such_queue:
      return "no such SQS queue";
    case errc::checksum_mismatch:
      return "the service's checksum of the message differs from ours";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("s3", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace bitflow::s3
