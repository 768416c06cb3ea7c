// Announcer: the loop that makes TrackerList's attempts through the TrackerClient.
// Each attempt is bounded by attempt_timeout (the loser of the race is cancelled), so a
// silent tracker delays failover by at most that long.
#include "bitflow/announcer.hpp"

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
                     Params params, TotalsFn totals, PeersFn on_peers)
    : client_(client),
      rng_(std::random_device{}()),
      list_(std::move(tiers), rng_),
      params_(std::move(params)),
      key_(static_cast<std::uint32_t>(rng_())),
      totals_(std::move(totals)),
      on_peers_(std::move(on_peers)),
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
  try {
    auto reply =
        co_await with_timeout(client_.announce(a.url, request(a.event)), params_.attempt_timeout);
    if (!reply) {
      list_.on_failure(
          "no answer within " + std::to_string(params_.attempt_timeout.count()) + " ms",
          Clock::now());
      co_return;
    }
    list_.on_success(*reply, Clock::now());
    if (on_peers_ && !reply->peers.empty()) on_peers_(reply->peers);
  } catch (const Error& e) {
    list_.on_failure(e.what(), Clock::now());
  }
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
  } catch (const Error&) {
    // The torrent is going away either way; a tracker that missed "stopped" forgets the
    // peer after its interval.
  }
}

}  // namespace bitflow::tracker
