// Building and judging one S3 request (see s3_call.hpp). Every header handed to the
// signer is signed, so only Host, the caller's Content-MD5/Range and the signer's own
// x-amz-* headers go there; transport headers (Expect, Content-Type, User-Agent) are added
// after signing, where a proxy may rewrite them without breaking the signature.
#include "s3/s3_call.hpp"

#include <openssl/evp.h>

#include "bitflow/hash.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/s3_xml.hpp"

namespace bitflow::s3 {

void prepare(Call& call) {
  call.payload_sha256 =
      call.body.empty() ? std::string(empty_payload_sha256) : sha256(call.body).hex();
}

net::HttpRequest signed_request(const Call& call, const ClientSettings& settings,
                                std::chrono::sys_seconds time) {
  ErrorInfo error;
  auto target = request_target(settings.endpoint, settings.region, settings.addressing, call.bucket,
                               call.key, error);
  if (!target) error.raise();

  SignableRequest request;
  request.method = call.method;
  request.path = target->path;
  request.query = call.query;
  request.headers.emplace_back("Host", target->host);
  for (const auto& h : call.headers)
    request.headers.push_back(h);
  request.payload_hash = call.payload_sha256;
  SigningParams params{settings.credentials, settings.region, "s3", time, {}};
  SignedRequest signed_req = sign_request(request, params);

  net::HttpRequest out;
  out.url = target->url(signed_req.query_string);
  out.method = call.method;
  out.body = call.body;
  out.timeout = settings.request_timeout;
  out.connect_timeout = settings.connect_timeout;
  out.max_redirects = 0;  // S3 redirects (301/307 to another region) are errors to report
  out.max_body = settings.max_response_body;
  out.verify_tls = settings.verify_tls;
  out.ca_file = settings.ca_file;
  out.decode_content = false;  // the bytes of the object, as stored
  for (const auto& h : request.headers)
    out.headers.push_back(h.first + ": " + h.second);
  for (const auto& h : signed_req.added_headers)
    out.headers.push_back(h.first + ": " + h.second);
  // libcurl would wait for "100 Continue" before a large body, and would label a POST
  // body as a form; neither is part of S3's protocol.
  out.headers.emplace_back("Expect:");
  out.headers.push_back(call.content_type.empty()
                            ? std::string("Content-Type:")
                            : std::string("Content-Type: ") + call.content_type);
  return out;
}

namespace {

bool is_error_document(std::string_view body, ServiceError& out) {
  if (body.find("<Error") == std::string_view::npos) return false;
  ErrorInfo ignored;
  auto parsed = parse_error(body, ignored);
  if (!parsed) return false;
  out = std::move(*parsed);
  return true;
}

}  // namespace

std::optional<Failure> judge(const Call& call, const ErrorInfo& transport,
                             const net::HttpResponse& response) {
  Failure f;
  if (transport) {
    f.outcome.timed_out = transport.code == net::errc::timed_out;
    f.outcome.local_failure =
        transport.code == net::errc::cancelled || transport.code == net::errc::aborted ||
        transport.code == net::errc::body_too_large || transport.code == net::errc::not_trusted;
    f.text = std::string("S3 request failed: ") + transport.message;
    f.transport_code = transport.code;
    return f;
  }
  const long status = response.status;
  const bool ok = status >= 200 && status < 300;
  ServiceError service;
  const bool has_error = is_error_document(response.body, service);
  if (ok && !(call.error_in_ok_body && has_error)) return std::nullopt;
  f.outcome.http_status = status;
  if (has_error) {
    f.outcome.s3_code = service.code;
    f.text = std::string("S3 ") + service.code;
    if (!service.message.empty()) f.text.append(": ").append(service.message);
  } else {
    f.text = call.method == "HEAD"
                 ? std::string("S3 refused the HEAD request (its answer has no body to say why)")
                 : std::string("S3 answered without an error document");
  }
  f.text.append(" (HTTP ").append(std::to_string(status)).append(")");
  return f;
}

std::error_code final_code(const Failure& failure) {
  if (failure.outcome.local_failure) return failure.transport_code;
  return make_error_code(error_code_for(failure.outcome));
}

std::string final_message(const Call& call, const Failure& failure, int attempts) {
  std::string text = failure.text;
  text.append(" in ").append(call.operation).append(" s3://").append(call.bucket);
  if (!call.key.empty()) text.append("/").append(call.key);
  text.append(" after ")
      .append(std::to_string(attempts))
      .append(attempts == 1 ? " attempt" : " attempts");
  return text;
}

std::string content_md5(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), digest, &length, EVP_md5(), nullptr);
  std::string out(4 * ((length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest, static_cast<int>(length));
  return out;
}

}  // namespace bitflow::s3
