// The AWS settings users already have, resolved the way the AWS CLI resolves them, from
// inputs passed in (the environment as a map, the two files' contents), so it is pure
// and testable; the caller reads the real environment and files. Internal.
//
// Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
// profile's keys in ~/.aws/credentials ([NAME]), else in ~/.aws/config ([profile NAME],
// [default] for the default profile). The profile is AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else "default". Region: AWS_REGION, AWS_DEFAULT_REGION, the
// profile's region, else us-east-1. Endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
// profile's nested "s3 = endpoint_url = …", its endpoint_url, else AWS itself; all of them
// are ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true. Addressing: the profile's
// nested "s3 = addressing_style = auto|path|virtual". SSO, assume-role, process and
// instance-metadata credentials are not read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/sigv4.hpp"

namespace bitflow::s3 {

using Environment = std::map<std::string, std::string, std::less<>>;

/// What the resolution reads. A file that does not exist is nullopt.
struct AwsSources {
  Environment environment;
  std::optional<std::string> credentials_file;  // contents of ~/.aws/credentials
  std::optional<std::string> config_file;       // contents of ~/.aws/config
};

/// Where the two files are: AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE, else under
/// `home`/.aws/.
struct AwsFilePaths {
  std::string credentials;
  std::string config;
};
[[nodiscard]] AwsFilePaths aws_file_paths(const Environment& environment, std::string_view home);

struct S3Settings {
  std::string profile;  // the profile that was read
  Credentials credentials;
  std::string region;
  std::optional<Endpoint> endpoint;  // nullopt: AWS's own endpoint
  AddressingStyle addressing = AddressingStyle::automatic;
};

/// Fails with errc::missing_credentials when no access key is found, and with
/// errc::invalid_config for a file that does not parse, a named profile found in neither
/// file, half a key pair, a bad endpoint URL or an unknown addressing style.
[[nodiscard]] std::optional<S3Settings> resolve_s3_settings(const AwsSources& sources,
                                                            ErrorInfo& error);
[[nodiscard]] S3Settings resolve_s3_settings(const AwsSources& sources);

}  // namespace bitflow::s3
