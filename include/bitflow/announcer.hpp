// bitflow/announcer.hpp — keeps one torrent announced to its trackers for as long as it
// runs: a TrackerList (BEP 12) driven through a TrackerClient, handing the peers it
// learns to a callback.
//
// Threading: the TrackerClient's io_context thread; construct, run, stop and query there.
// Lifetime: the Announcer must outlive its run() coroutine; await stop() before
// destroying it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bitflow/tracker_client.hpp"
#include "bitflow/tracker_list.hpp"

namespace bitflow::tracker {

class Announcer {
 public:
  /// The counters an announce reports, read when it is made.
  struct Totals {
    std::int64_t uploaded = 0;
    std::int64_t downloaded = 0;
    std::int64_t left = 0;
  };
  struct Params {
    Sha1Hash info_hash;
    PeerId peer_id;
    std::uint16_t port = 0;
    std::int32_t num_want = 50;
    /// Longest one announce may take before the next tracker is tried.
    std::chrono::milliseconds attempt_timeout{60'000};
  };
  /// How one announce went: the tracker's reply, or why there is none.
  struct Result {
    std::string url;                        ///< the tracker asked
    std::optional<AnnounceResponse> reply;  ///< set when it answered
    std::string error;                      ///< set when it failed (no answer, refusal)
  };
  using TotalsFn = std::function<Totals()>;
  using PeersFn = std::function<void(const std::vector<PeerEntry>&)>;
  using ResultFn = std::function<void(const Result&)>;

  /// `on_peers` receives the peers of every reply that has some; `on_result` (optional)
  /// hears about every announce made by run(), answered or not, after on_peers. Both are
  /// called on the client's thread. Replies and failures are also logged (bitflow/log.hpp,
  /// level info) with the tracker's URL and the short info-hash.
  Announcer(TrackerClient& client, std::vector<std::vector<std::string>> tiers, Params params,
            TotalsFn totals, PeersFn on_peers, ResultFn on_result = {});

  /// Announces until stop(); co_spawn it on the client's io_context.
  boost::asio::awaitable<void> run();
  /// The download finished: tell the trackers now ("completed").
  void completed();
  /// Ask for peers again as soon as the tracker's min interval allows.
  void reannounce();
  /// Ends run() (abandoning an announce in flight), waits until it has returned, then
  /// sends "stopped" to the tracker that last answered, waiting at most `timeout` for it.
  /// Afterwards the Announcer may be destroyed.
  boost::asio::awaitable<void> stop(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  [[nodiscard]] std::vector<TrackerStatus> status() const { return list_.status(); }

 private:
  [[nodiscard]] AnnounceRequest request(Event event) const;
  boost::asio::awaitable<void> attempt(TrackerList::Attempt attempt);
  void report(const TrackerList::Attempt& attempt, const Result& result);

  TrackerClient& client_;
  std::mt19937 rng_;
  TrackerList list_;
  Params params_;
  std::uint32_t key_;
  TotalsFn totals_;
  PeersFn on_peers_;
  ResultFn on_result_;
  std::string log_tag_;                    // the short info-hash, for log lines
  boost::asio::steady_timer wakeup_;       // cancelled to wake run() early
  boost::asio::steady_timer stop_signal_;  // cancelled by stop() to end an attempt
  boost::asio::steady_timer run_done_;     // cancelled when run() returns
  bool stopping_ = false;
  bool running_ = false;
  bool warned_all_failed_ = false;  // logged "every tracker failed"; reset by a reply
};

}  // namespace bitflow::tracker
