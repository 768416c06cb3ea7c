// See aws_exchange.hpp.
#include "s3/aws_exchange.hpp"

#include <openssl/evp.h>

#include <array>

#include "util/concat.hpp"

namespace bitflow::s3 {

namespace {

struct Md5 {
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int length = 0;
};

Md5 md5(std::string_view data) {
  Md5 out;
  EVP_Digest(data.data(), data.size(), out.bytes.data(), &out.length, EVP_md5(), nullptr);
  return out;
}

}  // namespace

Failure transport_failure(std::string_view service, const ErrorInfo& transport) {
  Failure f;
  f.outcome.timed_out = transport.code == net::errc::timed_out;
  f.outcome.local_failure =
      transport.code == net::errc::cancelled || transport.code == net::errc::aborted ||
      transport.code == net::errc::body_too_large || transport.code == net::errc::not_trusted;
  f.text = util::concat(service, " request failed: ", transport.message);
  f.transport_code = transport.code;
  return f;
}

Failure answer_failure(std::string_view service, long status, const ServiceError* error,
                       std::string_view without_document) {
  Failure f;
  f.outcome.http_status = status;
  if (error) {
    f.outcome.s3_code = error->code;
    f.text = util::concat(service, " ", error->code);
    if (!error->message.empty()) f.text.append(": ").append(error->message);
  } else {
    f.text = std::string(without_document);
  }
  f.text.append(" (HTTP ").append(std::to_string(status)).append(")");
  return f;
}

std::error_code final_code(const Failure& failure) {
  if (failure.outcome.local_failure) return failure.transport_code;
  return make_error_code(error_code_for(failure.outcome));
}

std::string after_attempts(int attempts) {
  return util::concat(" after ", std::to_string(attempts),
                      attempts == 1 ? " attempt" : " attempts");
}

net::HttpRequest http_request(const ClientSettings& settings, std::string url, std::string method,
                              std::string body, const std::vector<Header>& signed_headers,
                              const SignedRequest& signed_req) {
  net::HttpRequest out;
  out.url = std::move(url);
  out.method = std::move(method);
  out.body = std::move(body);
  out.timeout = settings.request_timeout;
  out.connect_timeout = settings.connect_timeout;
  out.max_redirects = 0;
  out.max_body = settings.max_response_body;
  out.verify_tls = settings.verify_tls;
  out.ca_file = settings.ca_file;
  out.decode_content = false;
  for (const auto& h : signed_headers)
    out.headers.push_back(h.first + ": " + h.second);
  for (const auto& h : signed_req.added_headers)
    out.headers.push_back(h.first + ": " + h.second);
  out.headers.emplace_back("Expect:");
  return out;
}

std::string md5_hex(std::string_view data) {
  static constexpr char digits[] = "0123456789abcdef";
  const Md5 digest = md5(data);
  std::string out;
  for (unsigned int i = 0; i < digest.length; ++i) {
    out.push_back(digits[digest.bytes[i] >> 4]);
    out.push_back(digits[digest.bytes[i] & 0x0f]);
  }
  return out;
}

std::string content_md5(std::string_view body) {
  const Md5 digest = md5(body);
  std::string out(4 * ((digest.length + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), digest.bytes.data(),
                  static_cast<int>(digest.length));
  return out;
}

}  // namespace bitflow::s3
