// bitflow/tracker.hpp — talking to BitTorrent trackers: the values exchanged (BEP 3, 7,
// 15, 23, 48) and the codecs that turn them into bytes and back.
//
// Everything in this header is pure: plain structs and functions over bytes, no sockets
// and no clocks, safe to call from any thread. The networking shells that use them
// (HTTP through libcurl, UDP through Asio) are in bitflow/tracker_client.hpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/peer_id.hpp"

namespace bitflow::tracker {

/// Why an announce or scrape failed.
enum class errc {
  invalid_response = 1,  ///< the reply is not what the protocol says (garbage, truncated)
  tracker_failure,       ///< the tracker said no ("failure reason" or the UDP error action)
  response_too_large,    ///< the reply exceeds the size limit
  timed_out,             ///< no answer within the deadline (or after all UDP retries)
  transaction_mismatch,  ///< a UDP reply for another transaction
  unsupported_url,       ///< neither http(s):// nor udp://
  no_scrape_url,         ///< the announce URL does not follow the scrape convention (BEP 48)
  network_error,         ///< the transfer itself failed (DNS, refused, TLS, redirects...)
  http_status,           ///< the tracker answered with a non-200 HTTP status
  cancelled,             ///< the request was cancelled
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::tracker

template <>
struct std::is_error_code_enum<bitflow::tracker::errc> : std::true_type {};

namespace bitflow {

/// A peer as a tracker reported it.
struct PeerEntry {
  std::string host;  ///< IPv4 dotted quad, IPv6 text form, or (dictionary form) a name
  std::uint16_t port = 0;
  std::optional<std::string> peer_id;  ///< only in the non-compact dictionary form
  friend bool operator==(const PeerEntry&, const PeerEntry&) = default;
};

namespace tracker {

enum class Event { none, started, completed, stopped };

/// "started", "completed", "stopped", or "" for none.
[[nodiscard]] std::string_view to_string(Event e) noexcept;

struct AnnounceRequest {
  Sha1Hash info_hash;
  PeerId peer_id;
  std::uint16_t port = 0;       ///< where we listen for peers
  std::int64_t uploaded = 0;    ///< bytes, since the started event
  std::int64_t downloaded = 0;  ///< bytes, since the started event
  std::int64_t left = 0;        ///< bytes still missing
  Event event = Event::none;
  std::int32_t num_want = 50;             ///< peers wanted; -1 lets the tracker choose
  std::uint32_t key = 0;                  ///< lets the tracker recognise us across IP changes
  std::optional<std::string> tracker_id;  ///< echoed back when the tracker gave one
};

struct AnnounceResponse {
  std::vector<PeerEntry> peers;
  std::chrono::seconds interval{1800};
  std::optional<std::chrono::seconds> min_interval;
  std::optional<std::string> tracker_id;
  std::optional<std::string> warning;
  std::optional<std::int64_t> seeders;   ///< "complete"
  std::optional<std::int64_t> leechers;  ///< "incomplete"
};

/// One torrent's counts in a scrape reply.
struct ScrapeEntry {
  Sha1Hash info_hash;
  std::int64_t seeders = 0;    ///< complete
  std::int64_t completed = 0;  ///< downloaded (times the torrent was completed)
  std::int64_t leechers = 0;   ///< incomplete
  friend bool operator==(const ScrapeEntry&, const ScrapeEntry&) = default;
};

/// Limits on what a tracker may send back.
inline constexpr std::size_t max_response_bytes = 4u << 20;
inline constexpr std::size_t max_peers_per_response = 10'000;

// ---- HTTP(S) trackers (BEP 3, 7, 23, 48) -------------------------------------------

/// The announce URL with the request's query appended (info_hash and peer_id
/// percent-encoded byte by byte, compact=1, event when not none, ...). Keeps any query
/// the tracker URL already has.
[[nodiscard]] std::string build_announce_url(std::string_view announce_url,
                                             const AnnounceRequest& request);
/// BEP 48 convention: ".../announce[suffix]" becomes ".../scrape[suffix]"; nullopt when
/// the last path element does not start with "announce".
[[nodiscard]] std::optional<std::string> scrape_url_for(std::string_view announce_url);
/// The scrape URL with one info_hash parameter per torrent.
[[nodiscard]] std::string build_scrape_url(std::string_view scrape_url,
                                           const std::vector<Sha1Hash>& info_hashes);
/// Parses an HTTP tracker's bencoded announce reply: compact "peers" (6 bytes each) or
/// the dictionary list, "peers6" (18 bytes each), and the optional fields. A "failure
/// reason" becomes errc::tracker_failure with the tracker's text in the message.
[[nodiscard]] std::optional<AnnounceResponse> parse_announce_response(std::string_view body,
                                                                      ErrorInfo& error);
/// Parses an HTTP scrape reply ("files" dictionary keyed by raw info-hash).
[[nodiscard]] std::optional<std::vector<ScrapeEntry>> parse_scrape_response(std::string_view body,
                                                                            ErrorInfo& error);

}  // namespace tracker
}  // namespace bitflow
