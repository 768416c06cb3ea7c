// s3:// sources (bitflow/s3_source.hpp): the URL rules, the SigV4 request signer the
// UrlFetcher calls before every request, and the options that turn an s3:// URL into a
// signed download of the object's HTTP(S) URL. Pure but for the signer's clock.
#include "bitflow/s3_source.hpp"

#include <chrono>

#include "fetchers/http_parsing.hpp"
#include "fetchers/source_kind.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/sigv4.hpp"
#include "util/concat.hpp"

namespace bitflow::s3 {

using util::concat;

namespace {

std::optional<ObjectLocation> bad_url(ErrorInfo& error, std::string_view url,
                                      std::string_view why) {
  error.code = fetch::make_error_code(fetch::errc::bad_url);
  error.message = concat("'", url, "' ", why);
  return std::nullopt;
}

// "a=1&b" → {{"a", "1"}, {"b", ""}}, decoded.
std::vector<QueryParam> query_params(std::string_view query) {
  std::vector<QueryParam> out;
  while (!query.empty()) {
    const std::string_view item = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), item.size() + 1));
    if (item.empty()) continue;
    const auto eq = item.find('=');
    out.emplace_back(
        fetch::percent_decode(item.substr(0, eq)),
        eq == std::string_view::npos ? std::string() : fetch::percent_decode(item.substr(eq + 1)));
  }
  return out;
}

// What of `url` ("scheme://host[:port]/path?query") is signed.
SignableRequest signable(std::string_view method, std::string_view url) {
  SignableRequest r;
  r.method = std::string(method);
  r.payload_hash = empty_payload_sha256;
  const auto scheme_end = url.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto path_at = rest.find_first_of("/?");
  r.headers.emplace_back("Host", std::string(rest.substr(0, path_at)));
  if (path_at == std::string_view::npos) return r;
  rest.remove_prefix(path_at);
  const auto query_at = rest.find('?');
  const std::string_view path = rest.substr(0, query_at);
  if (!path.empty()) r.path = fetch::percent_decode(path);
  if (query_at != std::string_view::npos) r.query = query_params(rest.substr(query_at + 1));
  return r;
}

}  // namespace

std::optional<ObjectLocation> parse_object_url(std::string_view url, ErrorInfo& error) {
  if (fetch::url_scheme(url) != "s3") return bad_url(error, url, "is not an s3://bucket/key URL");
  const std::string_view rest = url.substr(url.find("://") + 3);
  const auto slash = rest.find('/');
  if (rest.empty() || slash == 0) return bad_url(error, url, "has no bucket: s3://BUCKET/KEY");
  if (slash == std::string_view::npos || slash + 1 == rest.size())
    return bad_url(error, url, "names a bucket, not an object: s3://BUCKET/KEY");
  return ObjectLocation{std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

ObjectLocation parse_object_url(std::string_view url) {
  ErrorInfo error;
  auto out = parse_object_url(url, error);
  if (!out) error.raise();
  return std::move(*out);
}

UrlFetchOptions::RequestSigner request_signer(ClientSettings settings) {
  return [settings = std::move(settings)](std::string_view method, std::string_view url) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const SigningParams params{settings.credentials, settings.region, "s3", now, {}};
    const SignedRequest signed_request = sign_request(signable(method, url), params);
    std::vector<std::string> lines;
    for (const auto& [name, value] : signed_request.added_headers)
      lines.push_back(concat(name, ": ", value));
    return lines;
  };
}

std::optional<UrlFetchOptions> object_fetch_options(std::string_view s3_url, UrlFetchOptions base,
                                                    const ClientSettings& settings,
                                                    ErrorInfo& error) {
  const auto where = parse_object_url(s3_url, error);
  if (!where) return std::nullopt;
  if (where->key.back() == '/') {  // no name to save it under
    bad_url(error, s3_url, "names a folder (a key prefix), not an object to download");
    return std::nullopt;
  }
  auto target = request_target(settings.endpoint, settings.region, settings.addressing,
                               where->bucket, where->key, error);
  if (!target) return std::nullopt;
  base.url = target->url();
  base.source_name = std::string(s3_url);
  if (base.file_name.empty())
    base.file_name = where->key.substr(where->key.rfind('/') + 1);  // npos + 1 == 0
  if (!settings.verify_tls) base.verify_tls = false;
  if (settings.ca_file) base.ca_file = *settings.ca_file;
  base.request_signer = request_signer(settings);
  return base;
}

UrlFetchOptions object_fetch_options(std::string_view s3_url, UrlFetchOptions base,
                                     const ClientSettings& settings) {
  ErrorInfo error;
  auto out = object_fetch_options(s3_url, std::move(base), settings, error);
  if (!out) error.raise();
  return std::move(*out);
}

}  // namespace bitflow::s3
