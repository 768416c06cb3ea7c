// bitflow/tracker_list.hpp — which tracker to ask, when, and with which event (BEP 12).
//
// The algorithm (BEP 12, "multitracker"):
//   * trackers are kept in tiers; each tier is shuffled once, when the list is made;
//   * one announce at a time goes to the first tracker of the first tier; when it fails,
//     the next tracker of the same tier is tried, then the first of the next tier, and so
//     on; when every tracker has failed in a row, the list waits (60 s, doubling up to
//     one hour) and starts over from the top;
//   * a tracker that answers moves to the front of its tier, and the next regular
//     announce starts from the top again;
//   * the tracker's interval is honoured (clamped to [60 s, 24 h]); a forced re-announce
//     still waits for its min interval.
// Events: the first successful announce carries "started"; "completed" is carried by the
// next announce after completed() was called; stop() yields the final "stopped"
// announce to the tracker that last answered.
//
// TrackerList is pure: time and randomness are parameters, it does no I/O. Not
// thread-safe; the announcer that drives it owns it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bitflow/tracker.hpp"

namespace bitflow::tracker {

/// What is known of one tracker, for display and the API.
struct TrackerStatus {
  std::string url;
  std::size_t tier = 0;
  std::optional<std::chrono::steady_clock::time_point> last_reply;
  std::optional<std::chrono::steady_clock::time_point> next_announce;
  std::string last_error;  ///< empty when the last contact succeeded
  std::optional<std::int64_t> seeders;
  std::optional<std::int64_t> leechers;
  std::size_t peers_received = 0;  ///< in the last reply
  int consecutive_failures = 0;
  bool updating = false;  ///< a request is in flight
};

class TrackerList {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  /// One announce to make: to `url`, carrying `event`.
  struct Attempt {
    std::string url;
    Event event = Event::none;
  };

  /// Empty tiers and repeated URLs are dropped; `rng` shuffles each tier.
  TrackerList(std::vector<std::vector<std::string>> tiers, std::mt19937& rng);

  [[nodiscard]] bool empty() const noexcept { return trackers_.empty(); }

  /// The announce to make now, if one is due and none is in flight.
  [[nodiscard]] std::optional<Attempt> next_attempt(TimePoint now);
  /// When next_attempt() will next have something (nullopt: never, e.g. after stop()).
  [[nodiscard]] std::optional<TimePoint> next_wakeup() const;

  /// The attempt from next_attempt() succeeded.
  void on_success(const AnnounceResponse& reply, TimePoint now);
  /// The attempt from next_attempt() failed with `error`.
  void on_failure(const std::string& error, TimePoint now);

  /// The download finished: the next announce (made at once) carries "completed".
  void completed(TimePoint now);
  /// Announce again as soon as the tracker's min interval allows.
  void reannounce(TimePoint now);
  /// The torrent is going away: the "stopped" announce to make, if any tracker ever
  /// answered (and nothing more afterwards).
  [[nodiscard]] std::optional<Attempt> stop();

  /// The tracker id a tracker gave us, to echo back (BEP 3).
  [[nodiscard]] const std::optional<std::string>& tracker_id() const noexcept {
    return tracker_id_;
  }
  /// Every tracker, tier by tier, in current order.
  [[nodiscard]] std::vector<TrackerStatus> status() const;

 private:
  [[nodiscard]] Event pending_event() const noexcept;
  void promote(std::size_t index);

  std::vector<TrackerStatus> trackers_;  // tier by tier
  std::size_t current_ = 0;              // the tracker to try next
  std::size_t failures_in_row_ = 0;
  std::optional<std::size_t> in_flight_;
  Event in_flight_event_ = Event::none;
  std::string last_answered_url_;
  TimePoint due_{};                   // when the next regular announce is due
  std::optional<TimePoint> min_due_;  // a reannounce() may not come before this
  bool started_sent_ = false;
  bool completed_pending_ = false;
  bool stopped_ = false;
  int backoff_round_ = 0;
  std::optional<std::string> tracker_id_;
};

}  // namespace bitflow::tracker
