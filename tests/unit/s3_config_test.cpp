// AWS settings as the AWS CLI resolves them (environment, ~/.aws/credentials,
// ~/.aws/config, profiles), custom endpoints, and path-style vs virtual-hosted URLs.
#include <catch2/catch.hpp>

#include "s3/aws_config.hpp"
#include "s3/ini.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/s3_error.hpp"

using namespace bitflow;

namespace {

const std::string credentials_file = R"(# keys
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = secret/default+key

[work]
aws_access_key_id=AKIDWORK
aws_secret_access_key=secretwork
aws_session_token = token-work
)";

const std::string config_file = R"([default]
region = eu-west-1

[profile work]
region = ap-southeast-2
s3 =
  addressing_style = virtual
  endpoint_url = https://minio.example.com:9000

[profile minio]
aws_access_key_id = AKIDMINIO
aws_secret_access_key = secretminio
endpoint_url = http://127.0.0.1:9000/
; a comment
[work]
region = ignored-without-the-profile-prefix
)";

s3::S3Settings resolve(s3::Environment env, bool with_files = true) {
  s3::AwsSources sources;
  sources.environment = std::move(env);
  if (with_files) {
    sources.credentials_file = credentials_file;
    sources.config_file = config_file;
  }
  return s3::resolve_s3_settings(sources);
}

ErrorInfo failure(s3::AwsSources sources) {
  ErrorInfo error;
  CHECK_FALSE(s3::resolve_s3_settings(sources, error));
  CHECK(error);
  return error;
}

s3::RequestTarget target(const std::optional<s3::Endpoint>& endpoint, std::string_view bucket,
                         std::string_view key,
                         s3::AddressingStyle style = s3::AddressingStyle::automatic) {
  ErrorInfo error;
  auto out = s3::request_target(endpoint, "eu-west-1", style, bucket, key, error);
  INFO(error.message);
  REQUIRE(out);
  return *out;
}

s3::Endpoint endpoint(std::string_view url) {
  ErrorInfo error;
  auto out = s3::parse_endpoint(url, error);
  INFO(error.message);
  REQUIRE(out);
  return *out;
}

}  // namespace

TEST_CASE("aws ini reads sections, settings, comments and nested blocks", "[s3][config]") {
  ErrorInfo error;
  const auto ini = s3::parse_ini(config_file, error);
  REQUIRE(ini);
  CHECK(ini->at("default").at("region") == "eu-west-1");
  CHECK(ini->at("profile work").at("s3.addressing_style") == "virtual");
  CHECK(ini->at("profile work").at("s3.endpoint_url") == "https://minio.example.com:9000");
  CHECK(ini->at("profile minio").at("endpoint_url") == "http://127.0.0.1:9000/");
  const auto crlf = s3::parse_ini("[a]\r\nKey : value # not a comment\r\n  more\r\n", error);
  REQUIRE(crlf);
  CHECK(crlf->at("a").at("key") == "value # not a comment\nmore");
  const auto trailing = s3::parse_ini("[ profile x ] # note\nk=v\n", error);
  REQUIRE(trailing);
  CHECK(trailing->at("profile x").at("k") == "v");
}

TEST_CASE("aws ini names the line it cannot read", "[s3][config]") {
  ErrorInfo error;
  CHECK_FALSE(s3::parse_ini("key = value\n", error));
  CHECK(error.code == s3::errc::invalid_config);
  CHECK(error.message == "aws config: line 1: a setting outside any [section]");
  CHECK_FALSE(s3::parse_ini("[default]\n\n[broken\n", error));
  CHECK(error.message == "aws config: line 3: a section header without ']'");
  CHECK_FALSE(s3::parse_ini("[default]\njust words\n", error));
  CHECK(error.message == "aws config: line 2: expected '[section]' or 'name = value'");
}

TEST_CASE("aws credentials come from the environment first", "[s3][config]") {
  const auto s = resolve({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                          {"AWS_SECRET_ACCESS_KEY", "secretenv"},
                          {"AWS_SESSION_TOKEN", "tokenenv"},
                          {"AWS_PROFILE", "work"}});
  CHECK(s.credentials.access_key_id == "AKIDENV");
  CHECK(s.credentials.secret_access_key == "secretenv");
  CHECK(s.credentials.session_token == "tokenenv");
  CHECK(s.profile == "work");
  CHECK(s.region == "ap-southeast-2");  // the region still comes from the profile
}

TEST_CASE("aws credentials come from the profile's files otherwise", "[s3][config]") {
  auto s = resolve({});
  CHECK(s.profile == "default");
  CHECK(s.credentials.access_key_id == "AKIDDEFAULT");
  CHECK(s.credentials.secret_access_key == "secret/default+key");
  CHECK(s.credentials.session_token.empty());
  CHECK(s.region == "eu-west-1");
  CHECK_FALSE(s.endpoint);

  s = resolve({{"AWS_PROFILE", "work"}});
  CHECK(s.credentials.access_key_id == "AKIDWORK");
  CHECK(s.credentials.session_token == "token-work");
  CHECK(s.addressing == s3::AddressingStyle::virtual_hosted);
  REQUIRE(s.endpoint);
  CHECK(s.endpoint->host == "minio.example.com:9000");

  // Keys in the config file count too; an empty variable is unset.
  s = resolve({{"AWS_PROFILE", ""}, {"AWS_DEFAULT_PROFILE", "minio"}});
  CHECK(s.profile == "minio");
  CHECK(s.credentials.access_key_id == "AKIDMINIO");
  CHECK(s.region == "us-east-1");
  REQUIRE(s.endpoint);
  CHECK(s.endpoint->scheme == "http");
  CHECK(s.endpoint->host == "127.0.0.1:9000");
  CHECK(s.endpoint->base_path.empty());
}

TEST_CASE("aws region and endpoint follow the environment's order", "[s3][config]") {
  auto s = resolve({{"AWS_DEFAULT_REGION", "us-west-2"}});
  CHECK(s.region == "us-west-2");
  s = resolve({{"AWS_DEFAULT_REGION", "us-west-2"}, {"AWS_REGION", "ca-central-1"}});
  CHECK(s.region == "ca-central-1");
  s = resolve({{"AWS_ENDPOINT_URL", "http://localhost:4566"},
               {"AWS_ENDPOINT_URL_S3", "http://[::1]:9000"},
               {"AWS_PROFILE", "work"}});
  REQUIRE(s.endpoint);
  CHECK(s.endpoint->host == "[::1]:9000");
  s = resolve({{"AWS_ENDPOINT_URL", "http://localhost:4566"}, {"AWS_PROFILE", "work"}});
  CHECK(s.endpoint->host == "localhost:4566");
  s = resolve({{"AWS_ENDPOINT_URL", "http://localhost:4566"},
               {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"},
               {"AWS_PROFILE", "work"}});
  CHECK_FALSE(s.endpoint);
}

TEST_CASE("aws settings fail clearly", "[s3][config]") {
  auto error = failure({});
  CHECK(error.code == s3::errc::missing_credentials);
  CHECK(error.message.find("profile 'default'") != std::string::npos);

  error = failure({{{"AWS_ACCESS_KEY_ID", "AKID"}}, credentials_file, config_file});
  CHECK(error.code == s3::errc::invalid_config);
  CHECK(error.message == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");

  error = failure({{{"AWS_PROFILE", "nope"}}, credentials_file, config_file});
  CHECK(error.message ==
        "aws config: profile 'nope' is in neither the credentials nor the config file");

  error = failure({{}, std::string("[default]\naws_access_key_id = x\n"), std::nullopt});
  CHECK(error.message == "aws config: profile 'default' has only half of its access key pair");

  error = failure({{}, std::string("oops\n"), std::nullopt});
  CHECK(error.message ==
        "aws config: credentials file, line 1: expected '[section]' or 'name = value'");

  error = failure({{{"AWS_ENDPOINT_URL", "ftp://x"}}, credentials_file, config_file});
  CHECK(error.message == "aws config: endpoint URL 'ftp://x' is not http or https");

  error = failure(
      {{}, credentials_file, std::string("[default]\ns3 =\n  addressing_style = sideways\n")});
  CHECK(error.message == "aws config: addressing_style 'sideways' is not auto, path or virtual");
  CHECK_THROWS_AS(resolve({}, false), Error);
}

TEST_CASE("aws file paths honour their environment variables", "[s3][config]") {
  auto paths = s3::aws_file_paths({}, "/home/me");
  CHECK(paths.credentials == "/home/me/.aws/credentials");
  CHECK(paths.config == "/home/me/.aws/config");
  paths = s3::aws_file_paths(
      {{"AWS_SHARED_CREDENTIALS_FILE", "/etc/creds"}, {"AWS_CONFIG_FILE", "/etc/conf"}}, "/x");
  CHECK(paths.credentials == "/etc/creds");
  CHECK(paths.config == "/etc/conf");
}

TEST_CASE("s3 endpoint URLs are checked", "[s3][config]") {
  const auto e = endpoint("HTTPS://storage.example.com:8443/base/path/");
  CHECK(e.scheme == "https");
  CHECK(e.host == "storage.example.com:8443");
  CHECK(e.base_path == "/base/path");
  for (const char* bad : {"storage.example.com", "http://", "http://:9000", "http://h:0",
                          "http://h:65536", "http://h:12ab", "http://user:pw@h", "http://h/?x=1",
                          "http://h#f", "http://[::1", "http://[::1]x", "http://h h"}) {
    INFO(bad);
    ErrorInfo error;
    CHECK_FALSE(s3::parse_endpoint(bad, error));
    CHECK(error.code == s3::errc::invalid_config);
  }
}

TEST_CASE("s3 addresses AWS buckets virtual-hosted when their name allows it", "[s3][config]") {
  auto t = target(std::nullopt, "my-bucket", "dir/my file+.txt");
  CHECK_FALSE(t.path_style);
  CHECK(t.host == "my-bucket.s3.eu-west-1.amazonaws.com");
  CHECK(t.path == "/dir/my file+.txt");
  CHECK(t.url() == "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/my%20file%2B.txt");
  CHECK(t.url("uploads=") ==
        "https://my-bucket.s3.eu-west-1.amazonaws.com/dir/my%20file%2B.txt?uploads=");
  CHECK(target(std::nullopt, "my-bucket", "").path == "/");

  // Dots break the TLS certificate, capitals and underscores are not DNS names.
  for (const char* name : {"my.bucket", "My_Bucket", "192.168.1.1"}) {
    t = target(std::nullopt, name, "k");
    CHECK(t.path_style);
    CHECK(t.host == "s3.eu-west-1.amazonaws.com");
    CHECK(t.path == std::string("/") + name + "/k");
  }
  t = target(std::nullopt, "my-bucket", "k", s3::AddressingStyle::path);
  CHECK(t.url() == "https://s3.eu-west-1.amazonaws.com/my-bucket/k");
  ErrorInfo error;
  CHECK_FALSE(s3::request_target(std::nullopt, "eu-west-1", s3::AddressingStyle::virtual_hosted,
                                 "Bad_Name", "k", error));
  CHECK(error.code == s3::errc::invalid_config);
  CHECK_FALSE(s3::request_target(std::nullopt, "eu-west-1", s3::AddressingStyle::automatic, "", "k",
                                 error));
}

TEST_CASE("s3 addresses custom endpoints path-style unless told otherwise", "[s3][config]") {
  const auto minio = endpoint("http://127.0.0.1:9000");
  auto t = target(minio, "bucket", "a/b c");
  CHECK(t.path_style);
  CHECK(t.host == "127.0.0.1:9000");
  CHECK(t.url() == "http://127.0.0.1:9000/bucket/a/b%20c");
  CHECK(target(minio, "bucket", "").path == "/bucket");
  t = target(endpoint("https://r2.example.com/prefix"), "bucket", "k",
             s3::AddressingStyle::virtual_hosted);
  CHECK(t.url() == "https://bucket.r2.example.com/prefix/k");
}

TEST_CASE("s3 bucket names are checked for DNS use", "[s3][config]") {
  CHECK(s3::is_dns_compatible_bucket("abc"));
  CHECK(s3::is_dns_compatible_bucket("my.bucket-1"));
  CHECK_FALSE(s3::is_dns_compatible_bucket("ab"));
  CHECK_FALSE(s3::is_dns_compatible_bucket(std::string(64, 'a')));
  CHECK_FALSE(s3::is_dns_compatible_bucket("-abc"));
  CHECK_FALSE(s3::is_dns_compatible_bucket("abc-"));
  CHECK_FALSE(s3::is_dns_compatible_bucket("a..b"));
  CHECK_FALSE(s3::is_dns_compatible_bucket("ABC"));
  CHECK_FALSE(s3::is_dns_compatible_bucket("10.0.0.1"));
}
