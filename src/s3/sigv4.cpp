// AWS Signature Version 4. The job: turn a request description into the exact canonical
// request, string to sign and HMAC-SHA256 signature AWS computes on its side, in the
// Authorization-header form and the presigned-URL (query) form.
//
// Invariants: the path and query sent are the ones signed (both come from uri_encode
// here); the canonical query is sorted by encoded key, then encoded value, as bytes;
// canonical headers are sorted by lowercased name, stable, so repeated names keep their
// order when joined. Pure and thread-safe: no clock, no shared state.
#include "s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>

#include "bitflow/hash.hpp"
#include "s3/s3_error.hpp"
#include "s3/uri_encode.hpp"
#include "util/hex.hpp"

namespace bitflow::s3 {

namespace {

constexpr const char* algorithm = "AWS4-HMAC-SHA256";

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length))
    throw std::runtime_error("sigv4: OpenSSL HMAC-SHA256 failed");
  return {reinterpret_cast<const char*>(out.data()), length};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Trimall: no leading or trailing whitespace, every inner run of it one space (folded
// multi-line values included).
std::string trim_all(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool has_header(const std::vector<Header>& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return lowercase(h.first) == lower_name; });
}

struct CanonicalHeaders {
  std::string block;         // "name:value\n" for each name
  std::string signed_names;  // "name;name"
};

CanonicalHeaders canonical_headers(const std::vector<Header>& headers) {
  std::vector<Header> lowered;
  lowered.reserve(headers.size());
  for (const auto& [name, value] : headers)
    lowered.emplace_back(lowercase(name), trim_all(value));
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const Header& a, const Header& b) { return a.first < b.first; });
  CanonicalHeaders out;
  for (std::size_t i = 0; i < lowered.size(); ++i) {
    const bool repeat = i > 0 && lowered[i].first == lowered[i - 1].first;
    if (repeat) {
      out.block.pop_back();  // the previous line's '\n': the values share one line
      out.block.push_back(',');
    } else {
      if (!out.signed_names.empty()) out.signed_names.push_back(';');
      out.signed_names.append(lowered[i].first);
      out.block.append(lowered[i].first).push_back(':');
    }
    out.block.append(lowered[i].second).push_back('\n');
  }
  return out;
}

std::string canonical_query(const std::vector<QueryParam>& params) {
  std::vector<QueryParam> encoded;
  encoded.reserve(params.size());
  for (const auto& [key, value] : params)
    encoded.emplace_back(uri_encode(key, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(key).append("=").append(value);
  }
  return out;
}

std::string canonical_path(const std::string& path, const SigningRules& rules) {
  std::string encoded = uri_encode(rules.normalize_path ? normalize_path(path) : path, true);
  return rules.double_encode_path ? uri_encode(encoded, true) : encoded;
}

std::string date_of(const std::string& amz_timestamp) {
  return amz_timestamp.substr(0, 8);
}

std::string credential_scope(const SigningParams& params, const std::string& timestamp) {
  return date_of(timestamp) + "/" + params.region + "/" + params.service + "/aws4_request";
}

// Fills in the canonical request, the string to sign and the signature.
void sign_canonical(SignedRequest& out, const SigningParams& params, const std::string& timestamp,
                    const std::string& method, const std::string& path, const std::string& query,
                    const CanonicalHeaders& headers, const std::string& payload_hash) {
  out.canonical_request = method;
  out.canonical_request.append("\n").append(path).append("\n").append(query).append("\n");
  out.canonical_request.append(headers.block).append("\n").append(headers.signed_names);
  out.canonical_request.append("\n").append(payload_hash);

  out.string_to_sign = algorithm;
  out.string_to_sign.append("\n").append(timestamp).append("\n");
  out.string_to_sign.append(credential_scope(params, timestamp)).append("\n");
  out.string_to_sign.append(sha256(out.canonical_request).hex());

  std::string key =
      hmac_sha256(std::string("AWS4") + params.credentials.secret_access_key, date_of(timestamp));
  key = hmac_sha256(key, params.region);
  key = hmac_sha256(key, params.service);
  key = hmac_sha256(key, "aws4_request");
  out.signature = util::to_hex(hmac_sha256(key, out.string_to_sign));
}

void require_host(const SignableRequest& request) {
  if (!has_header(request.headers, "host"))
    throw std::invalid_argument("sigv4: the request to sign has no Host header");
}

}  // namespace

std::string amz_date(std::chrono::sys_seconds time) {
  const auto day = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{time - day};
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%04d%02u%02uT%02d%02d%02dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return text.data();
}

SignedRequest sign_request(const SignableRequest& request, const SigningParams& params) {
  require_host(request);
  const std::string timestamp = amz_date(params.time);
  const std::string& token = params.credentials.session_token;
  const SigningRules& rules = params.rules;

  std::vector<Header> added{{"X-Amz-Date", timestamp}};
  if (rules.content_sha256_header) added.emplace_back("X-Amz-Content-SHA256", request.payload_hash);
  if (!token.empty() && rules.sign_session_token) added.emplace_back("X-Amz-Security-Token", token);

  // A header the signer sets replaces the request's own (a retry carries the last ones).
  std::vector<Header> signed_headers;
  for (const Header& h : request.headers) {
    const std::string name = lowercase(h.first);
    const bool replaced = name == "x-amz-date" || name == "authorization" ||
                          (name == "x-amz-content-sha256" && rules.content_sha256_header) ||
                          (name == "x-amz-security-token" && !token.empty());
    if (!replaced) signed_headers.push_back(h);
  }
  signed_headers.insert(signed_headers.end(), added.begin(), added.end());
  const CanonicalHeaders headers = canonical_headers(signed_headers);

  SignedRequest out;
  out.encoded_path = uri_encode(request.path, true);
  out.query_string = canonical_query(request.query);
  sign_canonical(out, params, timestamp, request.method, canonical_path(request.path, rules),
                 out.query_string, headers, request.payload_hash);

  out.authorization = std::string(algorithm) + " Credential=" + params.credentials.access_key_id +
                      "/" + credential_scope(params, timestamp) +
                      ", SignedHeaders=" + headers.signed_names + ", Signature=" + out.signature;
  if (!token.empty() && !rules.sign_session_token)
    added.emplace_back("X-Amz-Security-Token", token);
  added.emplace_back("Authorization", out.authorization);
  out.added_headers = std::move(added);
  return out;
}

std::optional<SignedRequest> presign_request(const SignableRequest& request,
                                             const SigningParams& params,
                                             std::chrono::seconds expires, ErrorInfo& error) {
  require_host(request);
  if (expires < std::chrono::seconds(1) || expires > max_presign_expiry) {
    error.code = errc::invalid_expiry;
    error.message = "sigv4: a presigned URL must expire within 1 to 604800 seconds (7 days), not " +
                    std::to_string(expires.count());
    return std::nullopt;
  }
  const std::string timestamp = amz_date(params.time);
  const std::string& token = params.credentials.session_token;
  const CanonicalHeaders headers = canonical_headers(request.headers);

  std::vector<QueryParam> query = request.query;
  query.emplace_back("X-Amz-Algorithm", algorithm);
  query.emplace_back("X-Amz-Credential",
                     params.credentials.access_key_id + "/" + credential_scope(params, timestamp));
  query.emplace_back("X-Amz-Date", timestamp);
  query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  query.emplace_back("X-Amz-SignedHeaders", headers.signed_names);
  if (!token.empty() && params.rules.sign_session_token)
    query.emplace_back("X-Amz-Security-Token", token);

  SignedRequest out;
  out.encoded_path = uri_encode(request.path, true);
  const std::string signed_query = canonical_query(query);
  sign_canonical(out, params, timestamp, request.method, canonical_path(request.path, params.rules),
                 signed_query, headers, request.payload_hash);
  out.query_string = signed_query + "&X-Amz-Signature=" + out.signature;
  if (!token.empty() && !params.rules.sign_session_token)
    out.query_string.append("&X-Amz-Security-Token=").append(uri_encode(token, false));
  return out;
}

SignedRequest presign_request(const SignableRequest& request, const SigningParams& params,
                              std::chrono::seconds expires) {
  ErrorInfo error;
  auto out = presign_request(request, params, expires, error);
  if (!out) error.raise();
  return std::move(*out);
}

}  // namespace bitflow::s3
