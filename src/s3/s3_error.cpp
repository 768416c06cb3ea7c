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
