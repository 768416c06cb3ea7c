// BEP 15 UDP tracker packets. Pure: no sockets, no clocks, safe from any thread.
//
// Invariants: the encoders produce exactly the sizes BEP 15 gives (16, 98, 16 + 20·n);
// the decoder reads only inside the datagram, checks every size before reading, never
// allocates more than the datagram's size implies, and returns at most
// max_peers_per_response peers, none with port 0.
#include "tracker/udp_codec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "util/failure.hpp"

namespace bitflow::tracker::udp {
namespace {

// Appends big-endian integers to a packet.
class Writer {
 public:
  explicit Writer(std::size_t capacity) { out_.reserve(capacity); }

  Writer& u16(std::uint16_t v) { return bytes_be(v, 2); }
  Writer& u32(std::uint32_t v) { return bytes_be(v, 4); }
  Writer& u64(std::uint64_t v) { return bytes_be(v, 8); }
  Writer& i32(std::int32_t v) { return u32(static_cast<std::uint32_t>(v)); }
  Writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  Writer& raw(std::string_view bytes) {
    out_.append(bytes);
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  Writer& bytes_be(std::uint64_t v, int n) {
    for (int shift = 8 * (n - 1); shift >= 0; shift -= 8)
      out_.push_back(static_cast<char>(static_cast<std::uint8_t>(v >> shift)));
    return *this;
  }

  std::string out_;
};

// Big-endian reads at an offset the caller has already checked against the size.
std::uint64_t read_be(std::string_view in, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
std::uint16_t read_u16(std::string_view in, std::size_t at) {
  return static_cast<std::uint16_t>(read_be(in, at, 2));
}
std::uint32_t read_u32(std::string_view in, std::size_t at) {
  return static_cast<std::uint32_t>(read_be(in, at, 4));
}

std::string format_ip(const char* raw, bool ipv6) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, raw, text.data(), text.size())) return {};
  return text.data();
}

class ReplyDecoder {
 public:
  ReplyDecoder(std::string_view in, ErrorInfo& error) : in_(in), error_(error) {}

  std::optional<Reply> run(bool ipv6_peers, std::size_t scraped_count) {
    if (in_.size() > max_datagram_size)
      return fail("reply of " + std::to_string(in_.size()) + " bytes, larger than the " +
                  std::to_string(max_datagram_size) + " a datagram can hold");
    auto header = peek_header(in_);
    if (!header)
      return fail("reply of " + std::to_string(in_.size()) + " bytes, shorter than the " +
                  std::to_string(reply_header_size) + "-byte header");
    txid_ = header->transaction_id;
    switch (header->action) {
      case static_cast<std::uint32_t>(Action::connect):
        return connect();
      case static_cast<std::uint32_t>(Action::announce):
        return announce(ipv6_peers);
      case static_cast<std::uint32_t>(Action::scrape):
        return scrape(scraped_count);
      case static_cast<std::uint32_t>(Action::error):
        return error_reply();
      default:
        return fail("reply with unknown action " + std::to_string(header->action));
    }
  }

 private:
  util::Failure fail(std::string what) {
    error_.code = make_error_code(errc::invalid_response);
    error_.message = "udp tracker: " + std::move(what);
    return {};
  }

  util::Failure too_short(std::string_view what, std::size_t expected) {
    return fail(std::string(what) + " reply of " + std::to_string(in_.size()) +
                " bytes, expected at least " + std::to_string(expected));
  }

  std::optional<Reply> connect() {
    // BEP 15: "check whether the packet is at least 16 bytes"; later bytes are extensions.
    if (in_.size() < connect_reply_size) return too_short("connect", connect_reply_size);
    return ConnectReply{txid_, read_be(in_, 8, 8)};
  }

  std::optional<Reply> announce(bool ipv6_peers) {
    if (in_.size() < announce_reply_header_size)
      return too_short("announce", announce_reply_header_size);
    const std::size_t stride = ipv6_peers ? ipv6_peer_size : ipv4_peer_size;
    const std::size_t address_size = stride - 2;
    const std::size_t peer_bytes = in_.size() - announce_reply_header_size;
    if (peer_bytes % stride != 0)
      return fail("announce reply has " + std::to_string(peer_bytes) +
                  " bytes of peers, not a whole number of " + std::to_string(stride) + "-byte " +
                  (ipv6_peers ? "IPv6" : "IPv4") + " peers");
    AnnounceReply reply{txid_, {}};
    AnnounceResponse& r = reply.response;
    // Unsigned on the wire in practice (opentracker, xbt); as unsigned they can never be
    // negative, and the caller clamps the interval to its own bounds.
    r.interval = std::chrono::seconds(read_u32(in_, 8));
    r.leechers = read_u32(in_, 12);
    r.seeders = read_u32(in_, 16);
    const std::size_t count = peer_bytes / stride;
    r.peers.reserve(std::min(count, max_peers_per_response));
    for (std::size_t at = announce_reply_header_size; at < in_.size(); at += stride) {
      if (r.peers.size() >= max_peers_per_response) {
        r.warning = "udp tracker: reply has " + std::to_string(count) + " peers, kept the first " +
                    std::to_string(max_peers_per_response);
        break;
      }
      std::uint16_t port = read_u16(in_, at + address_size);
      if (port == 0) continue;  // unusable; some trackers pad with zeros
      r.peers.push_back({format_ip(in_.data() + at, ipv6_peers), port, std::nullopt});
    }
    return reply;
  }

  std::optional<Reply> scrape(std::size_t scraped_count) {
    const std::size_t entry_bytes = in_.size() - reply_header_size;
    if (entry_bytes % scrape_entry_size != 0)
      return fail("scrape reply has " + std::to_string(entry_bytes) +
                  " bytes of entries, not a whole number of " + std::to_string(scrape_entry_size) +
                  "-byte entries");
    const std::size_t count = entry_bytes / scrape_entry_size;
    if (count != scraped_count)
      return fail("scrape reply has " + std::to_string(count) + " entries for " +
                  std::to_string(scraped_count) + " torrents asked for");
    ScrapeReply reply{txid_, {}};
    reply.entries.reserve(count);
    for (std::size_t at = reply_header_size; at < in_.size(); at += scrape_entry_size)
      reply.entries.push_back({read_u32(in_, at), read_u32(in_, at + 4), read_u32(in_, at + 8)});
    return reply;
  }

  std::optional<Reply> error_reply() {
    std::string_view message = in_.substr(reply_header_size);
    while (!message.empty() && message.back() == '\0')
      message.remove_suffix(1);
    return ErrorReply{txid_, std::string(message)};
  }

  std::string_view in_;
  ErrorInfo& error_;
  std::uint32_t txid_ = 0;
};

}  // namespace

std::uint32_t event_code(Event event) noexcept {
  switch (event) {
    case Event::completed:
      return 1;
    case Event::started:
      return 2;
    case Event::stopped:
      return 3;
    case Event::none:
      break;
  }
  return 0;
}

bool check_scrape_count(std::size_t count, ErrorInfo& error) {
  if (count >= 1 && count <= max_scrape_hashes) return true;
  error.code = std::make_error_code(std::errc::invalid_argument);
  error.message = "udp tracker: scrape of " + std::to_string(count) +
                  " torrents; one packet carries 1 to " + std::to_string(max_scrape_hashes);
  return false;
}

std::string encode_connect(std::uint32_t transaction_id) {
  return Writer(connect_request_size)
      .u64(protocol_id)
      .u32(static_cast<std::uint32_t>(Action::connect))
      .u32(transaction_id)
      .take();
}

std::string encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                            const AnnounceRequest& r) {
  return Writer(announce_request_size)
      .u64(connection_id)
      .u32(static_cast<std::uint32_t>(Action::announce))
      .u32(transaction_id)
      .raw(r.info_hash.view())
      .raw(r.peer_id.view())
      .i64(r.downloaded)
      .i64(r.left)
      .i64(r.uploaded)
      .u32(event_code(r.event))
      .u32(0)  // IP address: the packet's source
      .u32(r.key)
      .i32(r.num_want)
      .u16(r.port)
      .take();
}

std::optional<std::string> encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                                         std::span<const Sha1Hash> info_hashes, ErrorInfo& error) {
  if (!check_scrape_count(info_hashes.size(), error)) return std::nullopt;
  Writer w(scrape_request_header_size + 20 * info_hashes.size());
  w.u64(connection_id).u32(static_cast<std::uint32_t>(Action::scrape)).u32(transaction_id);
  for (const Sha1Hash& hash : info_hashes)
    w.raw(hash.view());
  return w.take();
}

std::optional<ReplyHeader> peek_header(std::string_view datagram) noexcept {
  if (datagram.size() < reply_header_size) return std::nullopt;
  return ReplyHeader{read_u32(datagram, 0), read_u32(datagram, 4)};
}

std::optional<Reply> decode_reply(std::string_view datagram, bool ipv6_peers,
                                  std::size_t scraped_count, ErrorInfo& error) {
  return ReplyDecoder(datagram, error).run(ipv6_peers, scraped_count);
}

std::uint32_t transaction_id_of(const Reply& reply) noexcept {
  return std::visit([](const auto& r) { return r.transaction_id; }, reply);
}

std::string describe_action(std::uint32_t action) {
  switch (action) {
    case static_cast<std::uint32_t>(Action::connect):
      return "connect";
    case static_cast<std::uint32_t>(Action::announce):
      return "announce";
    case static_cast<std::uint32_t>(Action::scrape):
      return "scrape";
    case static_cast<std::uint32_t>(Action::error):
      return "error";
    default:
      return "action " + std::to_string(action);
  }
}

}  // namespace bitflow::tracker::udp
