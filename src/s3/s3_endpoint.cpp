#include "s3/s3_endpoint.hpp"

#include <algorithm>

#include "s3/s3_error.hpp"
#include "s3/uri_encode.hpp"
#include "util/concat.hpp"

namespace bitflow::s3 {

namespace {

using util::concat;

std::optional<Endpoint> bad_endpoint(ErrorInfo& error, std::string_view url, std::string_view why) {
  error.code = errc::invalid_config;
  error.message = concat("aws config: endpoint URL '", url, "' ", why);
  return std::nullopt;
}

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit))
    return false;
  const int value = std::stoi(std::string(port));
  return value >= 1 && value <= 65535;
}

// host, [v6], host:port or [v6]:port, with nothing URL-special inside.
bool valid_authority(std::string_view authority) {
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = authority.substr(0, close + 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (!valid_port(port)) return false;
    }
    return true;
  }
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (!valid_port(port)) return false;
  }
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
           c == '.' || c == '_';
  });
}

bool looks_like_ipv4(std::string_view name) {
  int dots = 0;
  for (char c : name) {
    if (c == '.')
      ++dots;
    else if (!is_digit(c))
      return false;
  }
  return dots == 3;
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view url, ErrorInfo& error) {
  Endpoint out;
  const auto separator = url.find("://");
  if (separator == std::string_view::npos) return bad_endpoint(error, url, "has no scheme");
  out.scheme = std::string(url.substr(0, separator));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (out.scheme != "http" && out.scheme != "https")
    return bad_endpoint(error, url, "is not http or https");
  const std::string_view rest = url.substr(separator + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad_endpoint(error, url, "has a query or fragment");
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos)
    return bad_endpoint(error, url, "has user information");
  if (!valid_authority(authority)) return bad_endpoint(error, url, "has no valid host[:port]");
  out.host = std::string(authority);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/')
      path.remove_suffix(1);
    out.base_path = std::string(path);
  }
  return out;
}

bool is_dns_compatible_bucket(std::string_view bucket) noexcept {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c); };
  if (!alnum(bucket.front()) || !alnum(bucket.back())) return false;
  if (bucket.find("..") != std::string_view::npos) return false;
  if (!std::all_of(bucket.begin(), bucket.end(),
                   [&](char c) { return alnum(c) || c == '-' || c == '.'; }))
    return false;
  return !looks_like_ipv4(bucket);
}

std::string RequestTarget::url(std::string_view query) const {
  std::string out = concat(scheme, "://", host, uri_encode(path, true));
  if (!query.empty()) out.append("?").append(query);
  return out;
}

std::optional<RequestTarget> request_target(const std::optional<Endpoint>& endpoint,
                                            std::string_view region, AddressingStyle style,
                                            std::string_view bucket, std::string_view key,
                                            ErrorInfo& error) {
  auto fail = [&](std::string message) -> std::optional<RequestTarget> {
    error.code = errc::invalid_config;
    error.message = concat("s3: ", message);
    return std::nullopt;
  };
  if (bucket.empty()) return fail("no bucket name");
  if (!endpoint && region.empty()) return fail("no region for the AWS endpoint");
  const Endpoint aws{"https", concat("s3.", region, ".amazonaws.com"), ""};
  const Endpoint& base = endpoint ? *endpoint : aws;

  bool path_style = style == AddressingStyle::path;
  if (style == AddressingStyle::automatic) {
    // A dot in the name breaks the TLS wildcard certificate of bucket.s3.<region>...
    const bool dotted_over_tls = base.scheme == "https" && bucket.find('.') != bucket.npos;
    path_style = endpoint || !is_dns_compatible_bucket(bucket) || dotted_over_tls;
  } else if (style == AddressingStyle::virtual_hosted && !is_dns_compatible_bucket(bucket)) {
    return fail(
        concat("bucket '", bucket, "' cannot be addressed virtual-hosted (not a DNS name)"));
  }

  RequestTarget out;
  out.scheme = base.scheme;
  out.path_style = path_style;
  if (path_style) {
    out.host = base.host;
    out.path = concat(base.base_path, "/", bucket);
    if (!key.empty()) out.path.append("/").append(key);
  } else {
    out.host = concat(bucket, ".", base.host);
    out.path = concat(base.base_path, "/", key);
  }
  return out;
}

}  // namespace bitflow::s3
