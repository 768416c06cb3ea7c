// Announcer: the loop that makes TrackerList's attempts through the TrackerClient.
// Each attempt is bounded by attempt_timeout (the loser of the race is cancelled), so a
// silent tracker delays failover by at most that long.
#include "bitflow/announcer.hpp"

#include <algorithm>

#include "bitflow/log.hpp"
#include "bitflow/with_timeout.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bitflow::tracker {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

Announcer::Announcer(TrackerClient& client, std::vector<std::vector<std::string>> tiers,
                     Params params, TotalsFn totals, PeersFn on_peers, ResultFn on_result)
    : client_(client),
      rng_(std::random_device{}()),
      list_(std::move(tiers), rng_),
      params_(std::move(params)),
      key_(static_cast<std::uint32_t>(rng_())),
      totals_(std::move(totals)),
      on_peers_(std::move(on_peers)),
      on_result_(std::move(on_result)),
      log_tag_(params_.info_hash.hex().substr(0, 8)),
      wakeup_(client.get_executor()),
      stop_signal_(client.get_executor(), Clock::time_point::max()),
      run_done_(client.get_executor(), Clock::time_point::max()) {}

AnnounceRequest Announcer::request(Event event) const {
  Totals t = totals_ ? totals_() : Totals{};
  AnnounceRequest r;
  r.info_hash = params_.info_hash;
  r.peer_id = params_.peer_id;
  r.port = params_.port;
  r.uploaded = t.uploaded;
  r.downloaded = t.downloaded;
  r.left = t.left;
  r.event = event;
  r.num_want = event == Event::stopped ? 0 : params_.num_want;
  r.key = key_;
  r.tracker_id = list_.tracker_id();
  return r;
}

asio::awaitable<void> Announcer::attempt(TrackerList::Attempt a) {
  Result result{a.url, std::nullopt, {}};
  try {
    auto reply =
        co_await with_timeout(client_.announce(a.url, request(a.event)), params_.attempt_timeout);
    if (reply)
      result.reply = std::move(*reply);
    else
      result.error = "no answer within " + std::to_string(params_.attempt_timeout.count()) + " ms";
  } catch (const Error& e) {
    result.error = e.what();
  }
  report(a, result);
}

// Feeds the outcome to the TrackerList, the log and the callbacks, in that order (a
// callback may look at status()).
void Announcer::report(const TrackerList::Attempt& a, const Result& result) {
  auto log = logger();
  if (result.reply) {
    const AnnounceResponse& reply = *result.reply;
    list_.on_success(reply, Clock::now());
    warned_all_failed_ = false;
    log->info("[{}] tracker {} ({}): {} peers, interval {} s{}{}", log_tag_, a.url,
              a.event == Event::none ? "announce" : to_string(a.event), reply.peers.size(),
              reply.interval.count(), reply.warning ? ", warning: " : "",
              reply.warning.value_or(""));
    if (on_peers_ && !reply.peers.empty()) on_peers_(reply.peers);
  } else {
    list_.on_failure(result.error, Clock::now());
    // Most errors name the URL already.
    std::string what =
        result.error.find(a.url) == std::string::npos ? a.url + ": " + result.error : result.error;
    log->info("[{}] tracker failed: {}", log_tag_, what);
    auto trackers = list_.status();
    bool all_failed = std::all_of(trackers.begin(), trackers.end(),
                                  [](const TrackerStatus& t) { return !t.last_error.empty(); });
    if (all_failed && !trackers.empty() && !warned_all_failed_) {
      warned_all_failed_ = true;  // once until one answers again
      log->warn("[{}] every tracker failed (last: {})", log_tag_, what);
    }
  }
  if (on_result_) on_result_(result);
}

asio::awaitable<void> Announcer::run() {
  running_ = true;
  while (!stopping_) {
    if (auto a = list_.next_attempt(Clock::now())) {
      // stop() ends a pending attempt by cancelling stop_signal_.
      (void)co_await (attempt(std::move(*a)) ||
                      stop_signal_.async_wait(asio::as_tuple(asio::use_awaitable)));
      continue;
    }
    auto when = list_.next_wakeup();
    wakeup_.expires_at(when ? *when : Clock::time_point::max());
    // completed(), reannounce() and stop() cancel the timer to wake us early.
    (void)co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  running_ = false;
  run_done_.cancel();
}

void Announcer::completed() {
  list_.completed(Clock::now());
  wakeup_.cancel();
}

void Announcer::reannounce() {
  list_.reannounce(Clock::now());
  wakeup_.cancel();
}

asio::awaitable<void> Announcer::stop(std::chrono::milliseconds timeout) {
  stopping_ = true;
  wakeup_.cancel();
  stop_signal_.cancel();
  while (running_)
    (void)co_await run_done_.async_wait(asio::as_tuple(asio::use_awaitable));
  auto last = list_.stop();
  if (!last) co_return;
  try {
    (void)co_await with_timeout(client_.announce(last->url, request(Event::stopped)), timeout);
  } catch (const Error& e) {
    // The torrent is going away either way; a tracker that missed "stopped" forgets the
    // peer after its interval.
    logger()->debug("[{}] tracker {}: 'stopped' not delivered: {}", log_tag_, last->url, e.what());
  }
}

}  // namespace bitflow::tracker
