// Magnet URI parsing and formatting. Pure: string in, Magnet out.
#include "bitflow/magnet.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "util/error_category.hpp"
#include "util/failure.hpp"
#include "util/hex.hpp"

namespace bitflow {
namespace magnet {
namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::not_a_magnet:
      return "not a magnet link";
    case errc::missing_info_hash:
      return "magnet link has no info-hash";
    case errc::invalid_info_hash:
      return "invalid info-hash in magnet link";
    case errc::conflicting_info_hash:
      return "magnet link has conflicting info-hashes";
    case errc::invalid_percent_encoding:
      return "invalid percent-encoding in magnet link";
    case errc::invalid_parameter:
      return "invalid parameter in magnet link";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("magnet", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace magnet

namespace {

using magnet::errc;

constexpr std::string_view scheme = "magnet:";
constexpr std::size_t max_select_ranges = 10'000;

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

class MagnetParser {
 public:
  explicit MagnetParser(ErrorInfo& error) : error_(error) {}

  std::optional<Magnet> parse(std::string_view uri) {
    if (!is_magnet_uri(uri) || uri.size() <= scheme.size() || uri[scheme.size()] != '?')
      return fail(errc::not_a_magnet, "does not start with 'magnet:?'");
    std::string_view query = uri.substr(scheme.size() + 1);
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      if (!pair.empty() && !parameter(pair)) return std::nullopt;
    }
    if (!m_.info_hash && !m_.info_hash_v2)
      return fail(errc::missing_info_hash, "no xt=urn:btih: or xt=urn:btmh: parameter");
    return std::move(m_);
  }

 private:
  util::Failure fail(errc code, std::string_view what) {
    error_.code = magnet::make_error_code(code);
    error_.message = "magnet: " + std::string(what);
    return {};
  }

  std::optional<std::string> decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%') {
        int hi = i + 2 < text.size() ? util::hex_value(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? util::hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
          fail(errc::invalid_percent_encoding,
               "'%' at offset " + std::to_string(i) + " is not followed by two hex digits");
          return std::nullopt;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else if (text[i] == '+' && plus_is_space) {
        out.push_back(' ');
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  }

  // "tr.1" -> "tr": numbered forms of the repeatable keys.
  static std::string_view base_key(std::string_view key) {
    std::size_t dot = key.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == key.size()) return key;
    std::string_view number = key.substr(dot + 1);
    if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return key;
    std::string_view base = key.substr(0, dot);
    if (base == "xt" || base == "tr" || base == "dn" || base == "ws") return base;
    return key;
  }

  bool parameter(std::string_view pair) {
    std::size_t eq = pair.find('=');
    auto key_text = decode(pair.substr(0, eq), false);
    if (!key_text) return false;
    std::string_view key = base_key(*key_text);
    std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto value = decode(raw_value, key == "dn");
    if (!value) return false;
    if (key == "xt") return exact_topic(*value);
    if (key == "dn") {
      if (m_.display_name.empty()) m_.display_name = std::move(*value);
    } else if (key == "tr") {
      add_unique(m_.trackers, std::move(*value));
    } else if (key == "ws") {
      add_unique(m_.web_seeds, std::move(*value));
    } else if (key == "x.pe") {
      if (!valid_peer(*value))
        return fail(errc::invalid_parameter, "bad x.pe peer '" + *value + "'");
      add_unique(m_.peers, std::move(*value));
    } else if (key == "so") {
      return select_only(*value);
    } else if (key == "xl") {
      std::int64_t length = -1;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), length);
      if (ec != std::errc() || end != value->data() + value->size() || length < 0)
        return fail(errc::invalid_parameter, "bad xl length '" + *value + "'");
      m_.exact_length = length;
    } else {
      m_.extra.emplace_back(std::string(key), std::move(*value));
    }
    return true;
  }

  static void add_unique(std::vector<std::string>& list, std::string value) {
    if (value.empty() || std::find(list.begin(), list.end(), value) != list.end()) return;
    list.push_back(std::move(value));
  }

  bool exact_topic(std::string_view value) {
    if (iequals_prefix(value, "urn:btih:")) {
      std::string_view text = value.substr(9);
      std::optional<Sha1Hash> hash;
      if (text.size() == 40)
        hash = Sha1Hash::from_hex(text);
      else if (text.size() == 32)
        if (auto raw = util::from_base32(text)) hash = Sha1Hash::from_bytes(*raw);
      if (!hash)
        return fail(errc::invalid_info_hash,
                    "urn:btih: wants 40 hex digits or 32 base32 characters, got '" +
                        std::string(text) + "'");
      if (m_.info_hash && *m_.info_hash != *hash)
        return fail(errc::conflicting_info_hash, "two different urn:btih: hashes");
      m_.info_hash = hash;
      return true;
    }
    if (iequals_prefix(value, "urn:btmh:")) {
      std::string_view text = value.substr(9);
      std::optional<Sha256Hash> hash;
      // multihash: 0x12 = sha2-256, 0x20 = 32 bytes, then the digest
      if (text.size() == 68 && iequals_prefix(text, "1220"))
        hash = Sha256Hash::from_hex(text.substr(4));
      if (!hash)
        return fail(errc::invalid_info_hash,
                    "urn:btmh: wants a SHA-256 multihash (1220 + 64 hex digits), got '" +
                        std::string(text) + "'");
      if (m_.info_hash_v2 && *m_.info_hash_v2 != *hash)
        return fail(errc::conflicting_info_hash, "two different urn:btmh: hashes");
      m_.info_hash_v2 = hash;
      return true;
    }
    m_.extra.emplace_back("xt", std::string(value));  // another URN scheme: keep it
    return true;
  }

  static bool parse_port(std::string_view text) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    return ec == std::errc() && end == text.data() + text.size() && port > 0 && port <= 65535;
  }

  static bool valid_peer(std::string_view peer) {
    std::size_t colon = peer.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string_view host = peer.substr(0, colon);
    if (host.front() == '[' && host.back() != ']') return false;
    return parse_port(peer.substr(colon + 1));
  }

  bool select_only(std::string_view value) {
    while (!value.empty()) {
      std::size_t comma = value.find(',');
      std::string_view item = value.substr(0, comma);
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
      std::size_t dash = item.find('-');
      auto first = index(item.substr(0, dash));
      auto last = dash == std::string_view::npos ? first : index(item.substr(dash + 1));
      if (!first || !last || *last < *first)
        return fail(errc::invalid_parameter, "bad so range '" + std::string(item) + "'");
      if (m_.select_only.size() >= max_select_ranges)
        return fail(errc::invalid_parameter, "too many so ranges");
      m_.select_only.push_back({*first, *last});
    }
    return true;
  }

  static std::optional<std::int32_t> index(std::string_view text) {
    std::int32_t v = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0)
      return std::nullopt;
    return v;
  }

  ErrorInfo& error_;
  Magnet m_;
};

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
  return out;
}

}  // namespace

bool is_magnet_uri(std::string_view text) noexcept {
  return iequals_prefix(text, scheme);
}

std::optional<Magnet> Magnet::parse(std::string_view uri, ErrorInfo& error) {
  error.clear();
  return MagnetParser(error).parse(uri);
}

Magnet Magnet::parse(std::string_view uri) {
  ErrorInfo error;
  auto m = parse(uri, error);
  if (!m) error.raise();
  return std::move(*m);
}

std::string Magnet::to_uri() const {
  std::string out = "magnet:?";
  auto add = [&](std::string_view key, std::string_view value) {
    if (out.back() != '?') out.push_back('&');
    out.append(key).append("=").append(value);
  };
  if (info_hash) add("xt", "urn:btih:" + info_hash->hex());
  if (info_hash_v2) add("xt", "urn:btmh:1220" + info_hash_v2->hex());
  if (!display_name.empty()) add("dn", encode(display_name));
  if (exact_length) add("xl", std::to_string(*exact_length));
  for (const auto& t : trackers)
    add("tr", encode(t));
  for (const auto& w : web_seeds)
    add("ws", encode(w));
  for (const auto& p : peers)
    add("x.pe", encode(p));
  if (!select_only.empty()) {
    std::string so;
    for (const auto& r : select_only) {
      if (!so.empty()) so.push_back(',');
      so += std::to_string(r.first);
      if (r.last != r.first) {
        so.push_back('-');
        so += std::to_string(r.last);
      }
    }
    add("so", so);
  }
  for (const auto& [key, value] : extra)
    add(encode(key), encode(value));
  return out;
}

}  // namespace bitflow

namespace bitflow {

namespace {
// One bencoded string: <length>:<bytes>.
void put_string(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}
}  // namespace

std::string torrent_file_from_metadata(std::string_view info_bytes, const Magnet& magnet) {
  // Keys in sorted order, as bencoding requires: announce, announce-list, info, url-list.
  std::string out = "d";
  if (!magnet.trackers.empty()) {
    put_string(out, "announce");
    put_string(out, magnet.trackers.front());
    put_string(out, "announce-list");
    out += 'l';
    for (const auto& url : magnet.trackers) {
      out += 'l';
      put_string(out, url);
      out += 'e';
    }
    out += 'e';
  }
  put_string(out, "info");
  out += info_bytes;
  if (!magnet.web_seeds.empty()) {
    put_string(out, "url-list");
    out += 'l';
    for (const auto& url : magnet.web_seeds)
      put_string(out, url);
    out += 'e';
  }
  out += 'e';
  return out;
}

}  // namespace bitflow
