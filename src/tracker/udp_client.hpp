// UdpTrackerClient: the BEP 15 conversation with one UDP tracker, without the I/O.
// Internal.
//
// The shell owns the socket and the timer and drives this object:
//   * announce() / scrape() start a request and return its id;
//   * after every call, send what take_datagrams() returns, in order, to the tracker;
//   * feed every datagram from the tracker's address to on_datagram();
//   * arm a timer for next_deadline() and call on_timer() when it fires (calling it early
//     or late is harmless);
//   * collect finished requests from take_completions(): each request completes exactly
//     once, with a result, an error, or errc::cancelled after cancel().
// Time is always a parameter and randomness (transaction ids) is injected, so tests run
// a fake clock. Not thread-safe: one thread (or strand) at a time.
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/tracker.hpp"

namespace bitflow::tracker::udp {

/// Names one announce or scrape for the lifetime of a client (never reused).
struct RequestId {
  std::uint64_t value = 0;
  friend auto operator<=>(const RequestId&, const RequestId&) = default;
};

/// A finished request.
struct Completion {
  RequestId id;
  /// The announce's reply, the scrape's entries (in the order of the request's
  /// info-hashes, info_hash filled in), or why it failed.
  std::variant<AnnounceResponse, std::vector<ScrapeEntry>, ErrorInfo> result;

  [[nodiscard]] bool ok() const noexcept { return !std::holds_alternative<ErrorInfo>(result); }
};

class UdpTrackerClient {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Config {
    /// BEP 15: the n-th try waits base_timeout·2^n (15 s by the spec; less in tests).
    std::chrono::milliseconds base_timeout{15'000};
    /// Tries after the first before a request fails with errc::timed_out (8 by the spec;
    /// clamped to 0..16).
    int max_retransmits = 8;
    /// The announce goes over IPv6: peers in replies are 18 bytes each.
    bool ipv6 = false;
    /// BEP 15: a connection id may be used for one minute after it was received.
    std::chrono::seconds connection_id_lifetime{60};
    /// Requests between start and completion; more complete at once with
    /// std::errc::resource_unavailable_try_again. Bounds all memory this object holds.
    std::size_t max_in_flight = 64;
  };

  /// `random` supplies transaction ids; it should be unpredictable to the network
  /// (BEP 15 uses them to tell replies apart and to resist spoofed replies). An empty
  /// function means a std::mt19937 seeded from std::random_device.
  UdpTrackerClient(Config config, std::function<std::uint32_t()> random);

  /// Starts an announce; its first packet (a connect, unless a connection id younger than
  /// the lifetime is at hand) is ready in take_datagrams().
  [[nodiscard]] RequestId announce(const AnnounceRequest& request, TimePoint now);
  /// Starts a scrape of 1 to 74 torrents (more or none completes at once with
  /// std::errc::invalid_argument).
  [[nodiscard]] RequestId scrape(std::vector<Sha1Hash> info_hashes, TimePoint now);
  /// Completes the request with errc::cancelled; later replies for it are ignored. Does
  /// nothing if the request has already completed.
  void cancel(RequestId id);

  /// A datagram from the tracker. Replies whose transaction id matches no packet still
  /// awaited (late answers to earlier retransmissions, strays) are ignored and counted.
  void on_datagram(std::string_view datagram, TimePoint now);
  /// Retransmits or times out every request whose deadline is at or before `now`.
  void on_timer(TimePoint now);
  /// When on_timer() next has something to do; nullopt when no request is in flight.
  [[nodiscard]] std::optional<TimePoint> next_deadline() const;

  /// The packets to send now, oldest first; the client forgets them.
  [[nodiscard]] std::vector<std::string> take_datagrams();
  /// The requests finished since the last call, in the order they finished.
  [[nodiscard]] std::vector<Completion> take_completions();

  /// Requests started and not yet completed.
  [[nodiscard]] std::size_t in_flight() const noexcept { return requests_.size(); }
  /// Datagrams ignored so far because they matched no awaited transaction.
  [[nodiscard]] std::uint64_t ignored_datagrams() const noexcept { return ignored_; }

 private:
  enum class Stage { connecting, sent };

  struct Request {
    RequestId id;
    std::variant<AnnounceRequest, std::vector<Sha1Hash>> what;
    Stage stage = Stage::connecting;
    // Of the packet awaited: the connect (possibly shared with other requests) while
    // connecting, else this request's own announce or scrape.
    std::uint32_t transaction_id = 0;
    int backoff = 0;  // n in base·2^n, for the next packet
    int tries = 0;    // packets sent (or joined) on this request's behalf
    TimePoint started;
    TimePoint deadline;
  };

  struct Connection {
    std::uint64_t id = 0;
    TimePoint received;
  };

  RequestId start(std::variant<AnnounceRequest, std::vector<Sha1Hash>> what, TimePoint now);
  void send(Request& request, TimePoint now, bool retransmit);
  void timeout(RequestId id, TimePoint now);
  void on_connect_reply(std::string_view datagram, std::uint32_t action, TimePoint now);
  void on_request_reply(Request& request, std::string_view datagram, std::uint32_t action);
  void complete(RequestId id, decltype(Completion::result) result);
  void fail_connecting(const ErrorInfo& error);
  [[nodiscard]] bool connected(TimePoint now) const;
  [[nodiscard]] std::uint32_t new_transaction_id() const;
  [[nodiscard]] Request* find(RequestId id);

  Config config_;
  std::function<std::uint32_t()> random_;
  std::optional<Connection> connection_;
  std::vector<Request> requests_;  // at most config_.max_in_flight: linear search is fine
  std::vector<std::string> outbox_;
  std::vector<Completion> completions_;
  std::uint64_t next_id_ = 1;
  std::uint64_t ignored_ = 0;
};

}  // namespace bitflow::tracker::udp
