#include "fetchers/source_kind.hpp"

#include <algorithm>
#include <cctype>

namespace bitflow::fetch {
namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool ends_with_torrent(std::string_view path) {
  constexpr std::string_view suffix = ".torrent";
  return path.size() > suffix.size() &&
         lowercase(path.substr(path.size() - suffix.size())) == suffix;
}

}  // namespace

std::string url_scheme(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return {};
  std::string_view scheme = url.substr(0, colon);
  // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  if (!std::isalpha(static_cast<unsigned char>(scheme.front()))) return {};
  for (char c : scheme)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return {};
  return lowercase(scheme);
}

std::string url_host(std::string_view url) {
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  std::string_view authority = url.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    return close == std::string_view::npos ? std::string{}
                                           : lowercase(authority.substr(1, close - 1));
  }
  return lowercase(authority.substr(0, authority.find(':')));
}

bool is_fetchable_scheme(std::string_view scheme) noexcept {
  return scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "ftps" ||
         scheme == "sftp";
}

bool host_in_domain(std::string_view host, std::string_view domain) {
  const std::string h = lowercase(host), d = lowercase(domain);
  if (d.empty() || h.size() < d.size()) return false;
  if (h == d) return true;
  return h.size() > d.size() && h.compare(h.size() - d.size(), d.size(), d) == 0 &&
         h[h.size() - d.size() - 1] == '.';
}

DetectedSource classify_source(std::string_view source, bool is_local_file) {
  if (is_magnet_uri(source)) return {SourceKind::magnet, "magnet"};
  const std::string scheme = url_scheme(source);
  if (!scheme.empty()) {
    // Every s3:// URL: a bucket without a key is refused by create() and inspect(),
    // with a message saying so.
    if (scheme == "s3") return {SourceKind::s3, "s3"};
    if (!is_fetchable_scheme(scheme) || url_host(source).empty()) return {};
    const std::string_view path = source.substr(0, source.find_first_of("?#"));
    if (ends_with_torrent(path)) return {SourceKind::torrent_url, "torrent"};
    return {SourceKind::url, scheme};
  }
  if (source.empty()) return {};
  if (ends_with_torrent(source) || is_local_file) return {SourceKind::torrent_file, "torrent"};
  return {};
}

}  // namespace bitflow::fetch
