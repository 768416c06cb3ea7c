// Building and judging one S3 request (see s3_call.hpp). Every header handed to the
// signer is signed, so only Host, the caller's Content-MD5/Range and the signer's own
// x-amz-* headers go there; transport headers (Expect, Content-Type, User-Agent) are added
// after signing, where a proxy may rewrite them without breaking the signature.
#include "s3/s3_call.hpp"

#include "bitflow/hash.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/s3_xml.hpp"

namespace bitflow::s3 {

void prepare(Call& call) {
  call.payload_sha256 = !call.body || call.body->empty() ? std::string(empty_payload_sha256)
                                                         : sha256(*call.body).hex();
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

  net::HttpRequest out = http_request(settings, target->url(signed_req.query_string), call.method,
                                      std::string(), request.headers, signed_req);
  out.shared_body = call.body;
  // libcurl would label a POST body as a form, which is not part of S3's protocol.
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
  if (transport) return transport_failure("S3", transport);
  const long status = response.status;
  const bool ok = status >= 200 && status < 300;
  ServiceError service;
  const bool has_error = is_error_document(response.body, service);
  if (ok && !(call.error_in_ok_body && has_error)) return std::nullopt;
  return answer_failure("S3", status, has_error ? &service : nullptr,
                        call.method == "HEAD"
                            ? "S3 refused the HEAD request (its answer has no body to say why)"
                            : "S3 answered without an error document");
}

std::string final_message(const Call& call, const Failure& failure, int attempts) {
  std::string text = failure.text;
  text.append(" in ").append(call.operation).append(" s3://").append(call.bucket);
  if (!call.key.empty()) text.append("/").append(call.key);
  return text.append(after_attempts(attempts));
}

}  // namespace bitflow::s3
