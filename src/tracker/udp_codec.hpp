// BEP 15 UDP tracker packets: the requests a client sends and the replies it reads.
// Internal. Pure: integers and structs in, bytes out, and back; no sockets, no clocks.
//
// Every multi-byte field is big-endian. Requests are built exactly as BEP 15 lays them
// out; replies are checked for the sizes BEP 15 gives and for nothing more (extra bytes
// after a connect reply are allowed, as the BEP asks, but an announce or scrape reply
// whose tail is not a whole number of entries is refused: it is not a reply to us).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/tracker.hpp"

namespace bitflow::tracker::udp {

/// The magic connection id of a connect request.
inline constexpr std::uint64_t protocol_id = 0x41727101980;

enum class Action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

inline constexpr std::size_t connect_request_size = 16;
inline constexpr std::size_t announce_request_size = 98;
inline constexpr std::size_t scrape_request_header_size = 16;
/// BEP 15: "up to about 74 torrents can be scraped at once" (16 + 74·20 = 1496 bytes,
/// which fits an Ethernet MTU).
inline constexpr std::size_t max_scrape_hashes = 74;

inline constexpr std::size_t reply_header_size = 8;  ///< action + transaction id
inline constexpr std::size_t connect_reply_size = 16;
inline constexpr std::size_t announce_reply_header_size = 20;
inline constexpr std::size_t ipv4_peer_size = 6;
inline constexpr std::size_t ipv6_peer_size = 18;
inline constexpr std::size_t scrape_entry_size = 12;
/// Nothing larger can arrive in one UDP datagram; anything larger is refused unread.
inline constexpr std::size_t max_datagram_size = 64 * 1024;

/// BEP 15's event numbers: none 0, completed 1, started 2, stopped 3.
[[nodiscard]] std::uint32_t event_code(Event event) noexcept;

/// True when one scrape packet can carry `count` torrents (1 to max_scrape_hashes); else
/// std::errc::invalid_argument and a message.
[[nodiscard]] bool check_scrape_count(std::size_t count, ErrorInfo& error);

/// The 16-byte connect request.
[[nodiscard]] std::string encode_connect(std::uint32_t transaction_id);
/// The 98-byte announce request. The IP field is always 0 (the tracker uses the packet's
/// source address); tracker_id has no place in the UDP protocol and is not sent.
[[nodiscard]] std::string encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                          const AnnounceRequest& request);
/// The scrape request for 1 to max_scrape_hashes torrents; nullopt and the error of
/// check_scrape_count() for none or more.
[[nodiscard]] std::optional<std::string> encode_scrape(std::uint64_t connection_id,
                                                       std::uint32_t transaction_id,
                                                       std::span<const Sha1Hash> info_hashes,
                                                       ErrorInfo& error);

struct ConnectReply {
  std::uint32_t transaction_id = 0;
  std::uint64_t connection_id = 0;
};

struct AnnounceReply {
  std::uint32_t transaction_id = 0;
  AnnounceResponse response;  ///< interval, seeders, leechers and peers are filled in
};

/// One torrent's counts, in the order of the request's info-hashes.
struct ScrapeCounts {
  std::int64_t seeders = 0;
  std::int64_t completed = 0;
  std::int64_t leechers = 0;
  friend bool operator==(const ScrapeCounts&, const ScrapeCounts&) = default;
};

struct ScrapeReply {
  std::uint32_t transaction_id = 0;
  std::vector<ScrapeCounts> entries;
};

struct ErrorReply {
  std::uint32_t transaction_id = 0;
  std::string message;  ///< the tracker's text, trailing NUL bytes removed
};

using Reply = std::variant<ConnectReply, AnnounceReply, ScrapeReply, ErrorReply>;

/// The 8 bytes every reply starts with.
struct ReplyHeader {
  std::uint32_t action = 0;  ///< raw: may be a value Action does not name
  std::uint32_t transaction_id = 0;
};

/// The header of `datagram`, or nullopt when it is shorter than 8 bytes. Lets a client
/// find the transaction a reply belongs to before decoding it.
[[nodiscard]] std::optional<ReplyHeader> peek_header(std::string_view datagram) noexcept;

/// Decodes one reply datagram.
///   ipv6_peers: the announce went over IPv6, so peers are 18 bytes each (BEP 15: the
///               format follows the address family of the packet), else 6.
///   scraped_count: how many info-hashes the scrape request carried; a scrape reply must
///               have exactly that many entries. Ignored for other replies.
/// Peers with port 0 are dropped (trackers pad with them). A reply with more than
/// max_peers_per_response peers is truncated, not refused: the extra peers are dropped
/// and the response's `warning` says so. (A 64 KiB datagram holds at most 10,919 IPv4
/// peers, so the cap bites only for absurd replies, and the peers before it are as good
/// as any.) Every malformed reply gives errc::invalid_response and a message naming what
/// was wrong.
[[nodiscard]] std::optional<Reply> decode_reply(std::string_view datagram, bool ipv6_peers,
                                                std::size_t scraped_count, ErrorInfo& error);

/// The transaction id any reply carries.
[[nodiscard]] std::uint32_t transaction_id_of(const Reply& reply) noexcept;

/// "connect", "announce", "scrape", "error", or "action N" for an unknown number.
[[nodiscard]] std::string describe_action(std::uint32_t action);

}  // namespace bitflow::tracker::udp
