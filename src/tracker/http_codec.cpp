// HTTP tracker requests and replies (BEP 3, 7, 23, 48). Pure: strings in, values out.
//
// Replies are decoded leniently (trackers in the wild send unsorted keys) but every
// field used is type-checked; peer lists are capped at max_peers_per_response.
#include <arpa/inet.h>

#include <charconv>

#include "bitflow/bencode.hpp"
#include "bitflow/tracker.hpp"
#include "util/failure.hpp"

namespace bitflow::tracker {
namespace {

using bencode::Node;

// Percent-encodes every byte outside RFC 3986's unreserved set.
void append_encoded(std::string& out, std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (char ch : bytes) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
}

class QueryBuilder {
 public:
  explicit QueryBuilder(std::string_view base) : url_(base) {
    separator_ = url_.find('?') == std::string::npos ? '?' : '&';
    if (!url_.empty() && (url_.back() == '?' || url_.back() == '&')) separator_ = '\0';
  }
  QueryBuilder& raw(std::string_view key, std::string_view value) {
    if (separator_) url_.push_back(separator_);
    separator_ = '&';
    url_.append(key).push_back('=');
    url_.append(value);
    return *this;
  }
  QueryBuilder& bytes(std::string_view key, std::string_view value) {
    std::string encoded;
    append_encoded(encoded, value);
    return raw(key, encoded);
  }
  QueryBuilder& number(std::string_view key, std::int64_t value) {
    return raw(key, std::to_string(value));
  }
  std::string take() { return std::move(url_); }

 private:
  std::string url_;
  char separator_;
};

std::string format_ip(const void* raw, int family) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, raw, text, sizeof text);
  return text;
}

// Compact peers: 4 or 16 address bytes then a big-endian port, per peer.
bool read_compact(std::string_view bytes, std::size_t address_size, std::vector<PeerEntry>& out) {
  std::size_t stride = address_size + 2;
  if (bytes.size() % stride != 0) return false;
  for (std::size_t i = 0; i + stride <= bytes.size() && out.size() < max_peers_per_response;
       i += stride) {
    auto port =
        static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[i + address_size]) << 8) |
                                   static_cast<unsigned char>(bytes[i + address_size + 1]));
    if (port == 0) continue;  // unusable; some trackers pad with zeros
    out.push_back(
        {format_ip(bytes.data() + i, address_size == 4 ? AF_INET : AF_INET6), port, std::nullopt});
  }
  return true;
}

class ReplyParser {
 public:
  explicit ReplyParser(ErrorInfo& error) : error_(error) {}

  // Decodes `body` as a dictionary and handles "failure reason".
  std::optional<Node> open(std::string_view body, std::string_view what) {
    if (body.size() > max_response_bytes)
      return fail(errc::response_too_large, std::string(what) + " reply larger than " +
                                                std::to_string(max_response_bytes) + " bytes");
    bencode::DecodeOptions options;
    options.strict = false;
    ErrorInfo decode_error;
    doc_ = bencode::decode(body, decode_error, options);
    if (!doc_)
      return fail(errc::invalid_response,
                  std::string(what) + " reply is not bencoded (" + decode_error.message + ")");
    Node root = doc_->root();
    if (!root.is_dict())
      return fail(errc::invalid_response, std::string(what) + " reply is not a dictionary");
    if (auto reason = root.find_string("failure reason"))
      return fail(errc::tracker_failure, "tracker: " + std::string(*reason));
    return root;
  }

  util::Failure fail(errc code, std::string what) {
    error_.code = make_error_code(code);
    error_.message = std::move(what);
    return {};
  }

 private:
  ErrorInfo& error_;
  std::optional<bencode::Document> doc_;
};

bool read_peer_dicts(Node list, std::vector<PeerEntry>& out) {
  for (Node item : list.items()) {
    if (out.size() >= max_peers_per_response) break;
    auto ip = item.find_string("ip");
    auto port = item.find_int("port");
    if (!ip || !port) return false;
    if (*port <= 0 || *port > 65535 || ip->empty()) continue;
    PeerEntry peer{std::string(*ip), static_cast<std::uint16_t>(*port), std::nullopt};
    if (auto id = item.find_string("peer id")) peer.peer_id = std::string(*id);
    out.push_back(std::move(peer));
  }
  return true;
}

std::optional<std::chrono::seconds> seconds_field(Node root, std::string_view key, bool& bad) {
  Node n = root.find(key);
  if (!n) return std::nullopt;
  auto v = n.int_value();
  if (!v || *v < 0 || *v > 365 * 24 * 3600) {
    bad = true;
    return std::nullopt;
  }
  return std::chrono::seconds(*v);
}

}  // namespace

std::string build_announce_url(std::string_view announce_url, const AnnounceRequest& r) {
  QueryBuilder q(announce_url);
  q.bytes("info_hash", r.info_hash.view())
      .bytes("peer_id", r.peer_id.view())
      .number("port", r.port)
      .number("uploaded", r.uploaded)
      .number("downloaded", r.downloaded)
      .number("left", r.left)
      .raw("compact", "1")
      .number("numwant", r.num_want);
  char key[9];
  std::snprintf(key, sizeof key, "%08x", r.key);
  q.raw("key", key);
  if (r.event != Event::none) q.raw("event", to_string(r.event));
  if (r.tracker_id) q.bytes("trackerid", *r.tracker_id);
  return q.take();
}

std::optional<std::string> scrape_url_for(std::string_view announce_url) {
  std::size_t query = announce_url.find('?');
  std::size_t slash = announce_url.rfind('/', query == std::string_view::npos ? query : query - 1);
  // The slash must start a path element, not be the second one of "scheme://".
  std::size_t scheme = announce_url.substr(0, query).find("://");
  if (slash == std::string_view::npos || (scheme != std::string_view::npos && slash <= scheme + 2))
    return std::nullopt;
  std::string_view element = announce_url.substr(slash + 1);
  if (!element.starts_with("announce")) return std::nullopt;
  std::string out(announce_url.substr(0, slash + 1));
  out += "scrape";
  out += announce_url.substr(slash + 1 + 8);
  return out;
}

std::string build_scrape_url(std::string_view scrape_url, const std::vector<Sha1Hash>& hashes) {
  QueryBuilder q(scrape_url);
  for (const auto& h : hashes)
    q.bytes("info_hash", h.view());
  return q.take();
}

std::optional<AnnounceResponse> parse_announce_response(std::string_view body, ErrorInfo& error) {
  error.clear();
  ReplyParser parser(error);
  auto root = parser.open(body, "announce");
  if (!root) return std::nullopt;
  AnnounceResponse r;
  bool bad_time = false;
  r.interval = seconds_field(*root, "interval", bad_time).value_or(std::chrono::seconds(1800));
  r.min_interval = seconds_field(*root, "min interval", bad_time);
  if (bad_time)
    return parser.fail(errc::invalid_response, "announce reply has an invalid interval");
  if (auto id = root->find_string("tracker id")) r.tracker_id = std::string(*id);
  if (auto warning = root->find_string("warning message")) r.warning = std::string(*warning);
  if (auto n = root->find_int("complete"); n && *n >= 0) r.seeders = *n;
  if (auto n = root->find_int("incomplete"); n && *n >= 0) r.leechers = *n;

  Node peers = root->find("peers");
  Node peers6 = root->find("peers6");
  if (!peers && !peers6)
    return parser.fail(errc::invalid_response, "announce reply has no 'peers'");
  if (auto compact = peers.string_value()) {
    if (!read_compact(*compact, 4, r.peers))
      return parser.fail(errc::invalid_response, "announce reply's compact 'peers' is " +
                                                     std::to_string(compact->size()) +
                                                     " bytes, not a multiple of 6");
  } else if (peers.is_list()) {
    if (!read_peer_dicts(peers, r.peers))
      return parser.fail(errc::invalid_response, "announce reply has a malformed peer entry");
  } else if (peers) {
    return parser.fail(errc::invalid_response,
                       "announce reply's 'peers' is neither a string nor a list");
  }
  if (peers6) {
    auto compact6 = peers6.string_value();
    if (!compact6 || !read_compact(*compact6, 16, r.peers))
      return parser.fail(errc::invalid_response,
                         "announce reply's 'peers6' is not a multiple of 18 bytes");
  }
  return r;
}

std::optional<std::vector<ScrapeEntry>> parse_scrape_response(std::string_view body,
                                                              ErrorInfo& error) {
  error.clear();
  ReplyParser parser(error);
  auto root = parser.open(body, "scrape");
  if (!root) return std::nullopt;
  Node files = root->find_dict("files");
  if (!files) return parser.fail(errc::invalid_response, "scrape reply has no 'files' dictionary");
  std::vector<ScrapeEntry> out;
  for (auto [key, value] : files.entries()) {
    auto hash = Sha1Hash::from_bytes(key);
    Node counts = value;  // a named copy: lambdas cannot capture structured bindings (C++20)
    if (!hash || !counts.is_dict())
      return parser.fail(errc::invalid_response, "scrape reply has a malformed 'files' entry");
    auto count = [&](std::string_view field) {
      auto v = counts.find_int(field);
      return v && *v >= 0 ? *v : 0;
    };
    out.push_back({*hash, count("complete"), count("downloaded"), count("incomplete")});
    if (out.size() >= max_peers_per_response) break;
  }
  return out;
}

}  // namespace bitflow::tracker
