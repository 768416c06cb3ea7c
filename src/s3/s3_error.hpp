// The S3 client's error codes (category "s3"): what the pure cores (the signer, the XML
// response parsers, the configuration readers) report for bad input. Internal until the
// client's public header exists.
#pragma once

#include <system_error>

namespace bitflow::s3 {

enum class errc {
  invalid_expiry = 1,   // a presigned URL's lifetime outside 1 s … 7 days
  malformed_xml,        // a response body that is not well-formed XML
  unexpected_xml,       // well-formed, but not the document asked for (root, elements)
  invalid_number,       // a numeric element that is not a number in range
  service_error,        // S3 answered with an <Error> document
  invalid_part,         // a part list CompleteMultipartUpload cannot carry
  invalid_config,       // an unreadable credentials/config value or endpoint URL
  missing_credentials,  // no access key found anywhere
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::s3

template <>
struct std::is_error_code_enum<bitflow::s3::errc> : std::true_type {};
