#include <catch2/catch.hpp>
#include <set>

#include "bitflow/tracker_list.hpp"

using namespace bitflow::tracker;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

AnnounceResponse reply(std::chrono::seconds interval = 1800s) {
  AnnounceResponse r;
  r.interval = interval;
  r.seeders = 3;
  r.leechers = 4;
  r.peers = {{"127.0.0.1", 6881, std::nullopt}};
  return r;
}

std::vector<std::string> urls(const TrackerList& list) {
  std::vector<std::string> out;
  for (const auto& s : list.status())
    out.push_back(s.url);
  return out;
}

}  // namespace

TEST_CASE("tracker list keeps tiers in order and shuffles within each tier", "[tracker-list]") {
  std::set<std::vector<std::string>> orders;
  for (unsigned seed = 0; seed < 30; ++seed) {
    std::mt19937 rng(seed);
    TrackerList list({{"a1", "a2", "a3"}, {}, {"b1", "a1"}}, rng);
    auto order = urls(list);
    REQUIRE(order.size() == 4);  // a1 appears once, the empty tier is gone
    CHECK(order[3] == "b1");
    CHECK(std::set<std::string>(order.begin(), order.begin() + 3) ==
          std::set<std::string>{"a1", "a2", "a3"});
    CHECK(list.status()[3].tier == 1);
    orders.insert(order);
  }
  CHECK(orders.size() > 1);  // really shuffled
}

TEST_CASE("tracker list sends started first, then regular announces after the interval",
          "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"http://a/announce"}}, rng);
  auto t0 = Clock::time_point{} + 1000s;
  auto first = list.next_attempt(t0);
  REQUIRE(first);
  CHECK(first->event == Event::started);
  CHECK_FALSE(list.next_attempt(t0));  // one in flight at a time
  list.on_success(reply(900s), t0);
  CHECK(list.next_wakeup() == t0 + 900s);
  CHECK_FALSE(list.next_attempt(t0 + 899s));
  auto second = list.next_attempt(t0 + 900s);
  REQUIRE(second);
  CHECK(second->event == Event::none);
}

TEST_CASE("tracker list clamps hostile intervals", "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"a"}}, rng);
  auto t0 = Clock::time_point{} + 1000s;
  (void)list.next_attempt(t0);
  list.on_success(reply(0s), t0);
  CHECK(list.next_wakeup() == t0 + 60s);
  (void)list.next_attempt(t0 + 60s);
  list.on_success(reply(std::chrono::seconds(10'000'000)), t0 + 60s);
  CHECK(list.next_wakeup() == t0 + 60s + 24h);
}

TEST_CASE("tracker list fails over within a tier, then to the next tier", "[tracker-list]") {
  std::mt19937 rng(7);
  TrackerList list({{"a1", "a2"}, {"b1"}}, rng);
  auto order = urls(list);
  auto t = Clock::time_point{} + 1000s;
  auto a = list.next_attempt(t);
  CHECK(a->url == order[0]);
  list.on_failure("refused", t);
  auto b = list.next_attempt(t);
  REQUIRE(b);
  CHECK(b->url == order[1]);
  CHECK(b->event == Event::started);  // started has not been delivered yet
  list.on_failure("timed out", t);
  auto c = list.next_attempt(t);
  REQUIRE(c);
  CHECK(c->url == "b1");
  list.on_success(reply(), t);
  auto status = list.status();
  CHECK(status[0].last_error == "refused");
  CHECK(status[0].consecutive_failures == 1);
  CHECK(status[2].last_error.empty());
  CHECK(status[2].seeders == 3);
  CHECK(status[2].peers_received == 1);
  CHECK(status[2].last_reply == t);
}

TEST_CASE("tracker list promotes the tracker that answers to the front of its tier",
          "[tracker-list]") {
  std::mt19937 rng(3);
  TrackerList list({{"x", "y", "z"}}, rng);
  auto order = urls(list);
  auto t = Clock::time_point{} + 1000s;
  (void)list.next_attempt(t);
  list.on_failure("no", t);
  (void)list.next_attempt(t);
  list.on_failure("no", t);
  auto third = list.next_attempt(t);
  CHECK(third->url == order[2]);
  list.on_success(reply(), t);
  auto now = urls(list);
  CHECK(now == std::vector<std::string>{order[2], order[0], order[1]});
  // The next regular announce starts from the top: the promoted tracker.
  auto next = list.next_attempt(t + 1800s);
  CHECK(next->url == order[2]);
}

TEST_CASE("tracker list backs off when every tracker failed, doubling up to an hour",
          "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"a"}, {"b"}}, rng);
  auto t = Clock::time_point{} + 1000s;
  std::vector<std::chrono::seconds> waits;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 2; ++i) {
      REQUIRE(list.next_attempt(t));
      list.on_failure("down", t);
    }
    REQUIRE(list.next_wakeup());
    waits.push_back(std::chrono::duration_cast<std::chrono::seconds>(*list.next_wakeup() - t));
    t = *list.next_wakeup();
  }
  CHECK(waits ==
        std::vector<std::chrono::seconds>{60s, 120s, 240s, 480s, 960s, 1920s, 3600s, 3600s});
}

TEST_CASE("tracker list sends completed at once and only once", "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"a"}}, rng);
  auto t = Clock::time_point{} + 1000s;
  (void)list.next_attempt(t);
  list.on_success(reply(), t);
  list.completed(t + 10s);
  auto c = list.next_attempt(t + 10s);
  REQUIRE(c);
  CHECK(c->event == Event::completed);
  list.on_failure("oops", t + 10s);  // not delivered: retried
  auto again = list.next_attempt(*list.next_wakeup());
  REQUIRE(again);
  CHECK(again->event == Event::completed);
  list.on_success(reply(), t + 100s);
  auto regular = list.next_attempt(t + 100s + 1800s);
  CHECK(regular->event == Event::none);
}

TEST_CASE("tracker list reannounce honours the min interval", "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"a"}}, rng);
  auto t = Clock::time_point{} + 1000s;
  (void)list.next_attempt(t);
  auto r = reply(1800s);
  r.min_interval = 300s;
  list.on_success(r, t);
  list.reannounce(t + 10s);
  CHECK(list.next_wakeup() == t + 300s);
  list.reannounce(t + 400s);
  CHECK(list.next_wakeup() == t + 400s);
}

TEST_CASE("tracker list stop goes to the tracker that last answered, then nothing more",
          "[tracker-list]") {
  std::mt19937 rng(5);
  TrackerList never({{"a"}}, rng);
  CHECK_FALSE(never.stop());  // never announced: nothing to stop

  TrackerList list({{"a", "b"}}, rng);
  auto t = Clock::time_point{} + 1000s;
  auto first = list.next_attempt(t);
  list.on_failure("no", t);
  auto second = list.next_attempt(t);
  list.on_success(reply(), t);
  auto stop = list.stop();
  REQUIRE(stop);
  CHECK(stop->url == second->url);
  CHECK(stop->event == Event::stopped);
  CHECK_FALSE(list.next_attempt(t + 1h));
  CHECK_FALSE(list.next_wakeup());
  CHECK_FALSE(list.stop());
  (void)first;
}

TEST_CASE("tracker list remembers the tracker id", "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{"a"}}, rng);
  auto t = Clock::time_point{} + 1000s;
  (void)list.next_attempt(t);
  auto r = reply();
  r.tracker_id = "abc";
  list.on_success(r, t);
  CHECK(list.tracker_id() == "abc");
}

TEST_CASE("an empty tracker list never asks anything", "[tracker-list]") {
  std::mt19937 rng(1);
  TrackerList list({{}, {""}}, rng);
  CHECK(list.empty());
  CHECK_FALSE(list.next_attempt(Clock::now()));
  CHECK_FALSE(list.next_wakeup());
}
