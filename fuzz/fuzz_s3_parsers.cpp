// libFuzzer target for what the S3 client reads from servers and from the user's files:
// every S3 XML response parser, the CompleteMultipartUpload body built from a parsed part
// list, the AWS INI dialect and settings resolution, endpoint URLs and request targets,
// and the SigV4 signer over hostile paths, queries and header values. Invariants that
// trap: parsed part numbers are 1…10000 and a truncated page has its next marker; a built
// body is well-formed XML that gives back each ETag; an endpoint is http(s) with a host
// and a base path without a trailing '/'; an encoded path holds only unreserved bytes,
// '/' and %XX; a normalised path has no empty, '.' or '..' segment; a signature is 64 hex
// digits.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "s3/aws_config.hpp"
#include "s3/ini.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/s3_xml.hpp"
#include "s3/sigv4.hpp"
#include "s3/uri_encode.hpp"

namespace {

using namespace bitflow;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

void check_encoded(std::string_view encoded) {
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      check(i + 2 < encoded.size() && is_hex(encoded[i + 1]) && is_hex(encoded[i + 2]));
      i += 2;
      continue;
    }
    check((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_' || c == '~' || c == '/');
  }
}

void fuzz_xml(std::string_view input) {
  ErrorInfo error;
  if (auto parts = s3::parse_list_parts(input, error)) {
    for (const auto& p : parts->parts)
      check(p.part_number >= 1 && p.part_number <= 10000);
    if (parts->is_truncated) check(parts->next_part_number_marker.has_value());
    if (!parts->parts.empty()) {
      if (auto body = s3::complete_multipart_upload_body(parts->parts, error)) {
        pugi::xml_document doc;
        check(static_cast<bool>(doc.load_buffer(body->data(), body->size())));
        const auto first = doc.child("CompleteMultipartUpload").child("Part");
        check(static_cast<bool>(first));
        bool found = false;
        for (const auto& p : parts->parts)
          found = found || p.etag == first.child_value("ETag");
        check(found);
      }
    }
  }
  if (auto uploads = s3::parse_list_multipart_uploads(input, error)) {
    if (uploads->is_truncated) check(!uploads->next_key_marker.empty());
    for (const auto& u : uploads->uploads)
      check(!u.key.empty() && !u.upload_id.empty());
  }
  if (auto initiated = s3::parse_initiate_multipart_upload(input, error))
    check(!initiated->upload_id.empty());
  if (auto e = s3::parse_error(input, error)) check(!e->code.empty());
  (void)s3::parse_complete_multipart_upload(input, error);
  (void)s3::parse_list_objects(input, error);
}

void fuzz_config(std::string_view input) {
  ErrorInfo error;
  (void)s3::parse_ini(input, error);
  s3::AwsSources sources;
  sources.credentials_file = std::string(input);
  sources.config_file = std::string(input);
  if (auto settings = s3::resolve_s3_settings(sources, error)) check(!settings->region.empty());
  sources.environment["AWS_PROFILE"] = "p";
  (void)s3::resolve_s3_settings(sources, error);

  if (auto endpoint = s3::parse_endpoint(input, error)) {
    check(endpoint->scheme == "http" || endpoint->scheme == "https");
    check(!endpoint->host.empty());
    check(endpoint->base_path.empty() ||
          (endpoint->base_path.front() == '/' && endpoint->base_path.back() != '/'));
  }
  if (auto target = s3::request_target(std::nullopt, "us-east-1", s3::AddressingStyle::automatic,
                                       "bucket", input, error))
    check(target->url().starts_with("https://bucket.s3.us-east-1.amazonaws.com/"));
}

void fuzz_signer(std::string_view input) {
  const std::string text(input);
  check_encoded(s3::uri_encode(text, true));
  const std::string normal = s3::normalize_path(text);
  check(!normal.empty() && normal.front() == '/');
  check(normal.find("//") == std::string::npos);
  check(normal.find("/./") == std::string::npos && normal.find("/../") == std::string::npos);

  s3::SignableRequest request;
  request.path = text;
  request.query = {{text, text}, {"a", ""}};
  request.headers = {{"Host", "bucket.s3.amazonaws.com"}, {"X-Amz-Meta-In", text}};
  s3::SigningParams params;
  params.credentials = {"AKID", text, text};
  params.region = "us-east-1";
  params.time = std::chrono::sys_days{std::chrono::year{2024} / 1 / 1};
  params.rules.normalize_path = !input.empty() && input.front() == '/';
  const auto signed_request = s3::sign_request(request, params);
  check(signed_request.signature.size() == 64);
  check_encoded(signed_request.encoded_path);
  bitflow::ErrorInfo error;
  if (auto url = s3::presign_request(request, params, std::chrono::seconds(input.size()), error))
    check(url->signature.size() == 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_xml(input);
  fuzz_config(input);
  fuzz_signer(input);
  return 0;
}
