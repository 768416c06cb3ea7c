#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "bitflow/rate_limiter.hpp"

using namespace bitflow;
using namespace std::chrono_literals;

namespace {

const TokenBucket::time_point t0 = TokenBucket::time_point{} + 24h;
constexpr std::int64_t block = 16 * 1024;

/// Sends 16 KiB blocks for `span`, each as soon as wait_time allows; returns bytes sent.
std::int64_t send_blocks(std::span<TokenBucket* const> buckets, std::chrono::seconds span) {
  std::int64_t sent = 0;
  auto now = t0;
  while (true) {
    now += wait_time(buckets, block, now);
    if (now >= t0 + span) return sent;
    consume_all(buckets, block, now);
    sent += block;
  }
}

bool within_one_percent(std::int64_t actual, std::int64_t expected) {
  const std::int64_t diff = actual > expected ? actual - expected : expected - actual;
  return diff * 100 <= expected;
}

}  // namespace

TEST_CASE("token bucket long-run average equals the rate", "[rate]") {
  for (std::int64_t burst : {std::int64_t{4096}, block, 64 * block}) {
    for (std::int64_t rate :
         {std::int64_t{30'000}, std::int64_t{1'000'000}, std::int64_t{123'457}}) {
      CAPTURE(burst, rate);
      TokenBucket bucket(rate, burst);
      std::array<TokenBucket*, 1> one{&bucket};
      const std::int64_t sent = send_blocks(one, 100s);
      CHECK(within_one_percent(sent, rate * 100 + burst));
      // Never more than the burst plus what the rate allows, plus the one block in debt.
      CHECK(sent <= burst + rate * 100 + block);
    }
  }
}

TEST_CASE("token bucket refill does not drift however time is sliced", "[rate]") {
  TokenBucket sliced(7, 100);
  TokenBucket whole(7, 100);
  sliced.consume(100, t0);
  whole.consume(100, t0);
  auto now = t0;
  for (int i = 0; i < 3; ++i)
    CHECK(sliced.available(now += 333'333'333ns) == 2 * (i + 1));
  CHECK(sliced.available(now) == 6);  // 6.999999993 bytes earned
  CHECK(sliced.available(now += 1ns) == 7);
  CHECK(whole.available(t0 + 1s) == 7);
  for (int i = 0; i < 1000; ++i)
    now += 1'000'001ns;  // 1.000001 s in 1000 steps
  (void)sliced.available(now);
  CHECK(sliced.available(now) == 14);
  CHECK(whole.available(t0 + 2'000'001'000ns) == 14);
}

TEST_CASE("token bucket holds at most its burst after idling", "[rate]") {
  TokenBucket bucket(1000, 5000);
  CHECK(bucket.available(t0) == 5000);  // starts full
  CHECK(bucket.try_consume(5000, t0));
  CHECK(bucket.available(t0) == 0);
  CHECK(bucket.available(t0 + 1h) == 5000);
  CHECK(bucket.try_consume(2000, t0 + 1h));
  CHECK(bucket.available(t0 + 1h + 999ms) == 3000 + 999);
  CHECK(bucket.available(t0 + 1h + 2s) == 5000);
}

TEST_CASE("token bucket goes into debt and recovers", "[rate]") {
  TokenBucket bucket(1000, 4096);
  CHECK(bucket.wait_time(block, t0) == 0ns);  // a full bucket may send more than its burst
  bucket.consume(block, t0);
  CHECK(bucket.available(t0) == 4096 - block);
  // The debt and then min(n, burst) = 4096 tokens: 16384 bytes at 1000 bytes/s.
  const auto wait = bucket.wait_time(block, t0);
  CHECK(wait == 16'384ms);
  CHECK_FALSE(bucket.try_consume(block, t0 + wait - 1ns));
  CHECK(bucket.try_consume(block, t0 + wait));
  CHECK(bucket.available(t0 + wait) == 4096 - block);
  CHECK(bucket.wait_time(0, t0 + wait) == 12'288ms);  // back to zero
  CHECK(bucket.wait_time(-5, t0 + wait) == 12'288ms);
}

TEST_CASE("token bucket wait_time is exact to the nanosecond", "[rate]") {
  TokenBucket bucket(3, 10);
  bucket.consume(10, t0);
  (void)bucket.available(t0 + 100ns);  // a fraction of a byte earned
  const auto wait = bucket.wait_time(1, t0 + 100ns);
  CHECK(wait == 333'333'334ns - 100ns);
  CHECK(bucket.available(t0 + 100ns + wait - 1ns) == 0);
  CHECK(bucket.available(t0 + 100ns + wait) == 1);
  CHECK(bucket.wait_time(3, t0 + 1s) == 0ns);
}

TEST_CASE("unlimited token bucket lets everything through", "[rate]") {
  TokenBucket bucket(0, 0);
  CHECK(bucket.unlimited());
  CHECK(bucket.available(t0) == std::numeric_limits<std::int64_t>::max());
  bucket.consume(std::int64_t{1} << 60, t0);
  CHECK(bucket.try_consume(std::int64_t{1} << 60, t0));
  CHECK(bucket.wait_time(std::int64_t{1} << 60, t0) == 0ns);
  CHECK(bucket.available(t0) == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("token bucket rate can change mid-way", "[rate]") {
  TokenBucket bucket(1000, 10'000);
  bucket.consume(10'000, t0);
  bucket.set_rate(2000, 10'000, t0 + 5s);  // 5 s at the old rate
  CHECK(bucket.available(t0 + 5s) == 5000);
  CHECK(bucket.available(t0 + 6s) == 7000);
  bucket.set_rate(2000, 3000, t0 + 6s);  // a smaller burst caps the tokens
  CHECK(bucket.available(t0 + 6s) == 3000);
  bucket.set_rate(0, 3000, t0 + 7s);
  bucket.consume(1'000'000, t0 + 7s);
  bucket.set_rate(500, 2000, t0 + 8s);  // from unlimited: starts full
  CHECK(bucket.available(t0 + 8s) == 2000);

  TokenBucket averaged(50'000, block);
  std::array<TokenBucket*, 1> one{&averaged};
  std::int64_t sent = send_blocks(one, 50s);
  averaged.set_rate(100'000, block, t0 + 50s);
  auto now = t0 + 50s;
  while (true) {
    now += averaged.wait_time(block, now);
    if (now >= t0 + 100s) break;
    averaged.consume(block, now);
    sent += block;
  }
  CHECK(within_one_percent(sent, 50'000 * 50 + 100'000 * 50));
}

TEST_CASE("token bucket survives huge rates and idle times without overflow", "[rate]") {
  const std::int64_t ten_gib = std::int64_t{10} << 30;
  TokenBucket fast(ten_gib, TokenBucket::max_burst);
  fast.consume(TokenBucket::max_burst, t0);
  CHECK(fast.available(t0 + 1500ms) == ten_gib * 3 / 2);
  CHECK(fast.available(t0 + 24h * 30) == TokenBucket::max_burst);

  TokenBucket fastest(TokenBucket::max_rate, 1 << 30);
  fastest.consume(std::numeric_limits<std::int64_t>::max(), t0);  // debt saturates
  CHECK(fastest.available(t0) == -TokenBucket::max_burst);
  CHECK(fastest.available(t0 + 999'999'999ns) > -TokenBucket::max_burst);
  CHECK(fastest.available(t0 + 24h * 365) == 1 << 30);

  TokenBucket slow(1, TokenBucket::max_burst);
  slow.consume(std::numeric_limits<std::int64_t>::max(), t0);
  CHECK(slow.wait_time(1, t0) == std::chrono::nanoseconds::max());
  CHECK(slow.available(t0 + 24h * 365 * 100) == -TokenBucket::max_burst + 3'153'600'000);
}

TEST_CASE("token bucket refuses limits out of range", "[rate]") {
  CHECK_THROWS_AS(TokenBucket(-1, 10), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(TokenBucket::max_rate + 1, 10), std::invalid_argument);
  CHECK_THROWS_AS(TokenBucket(10, -1), std::invalid_argument);
  TokenBucket bucket(10, 10);
  CHECK_THROWS_AS(bucket.set_rate(10, TokenBucket::max_burst + 1, t0), std::invalid_argument);
  CHECK(bucket.rate() == 10);
}

TEST_CASE("combined buckets obey the slower one", "[rate]") {
  TokenBucket global(100'000, block);
  TokenBucket torrent(40'000, block);
  std::array<TokenBucket*, 3> both{&global, nullptr, &torrent};
  CHECK(within_one_percent(send_blocks(both, 100s), 40'000 * 100 + block));

  TokenBucket g(1000, 1000);
  TokenBucket t(1000, 1000);
  std::array<TokenBucket*, 2> pair{&g, &t};
  t.consume(1000, t0);
  CHECK(wait_time(pair, 500, t0) == 500ms);
  CHECK_FALSE(try_consume_all(pair, 500, t0));
  CHECK(g.available(t0) == 1000);  // nothing taken from the global bucket
  CHECK(try_consume_all(pair, 500, t0 + 500ms));
  CHECK(g.available(t0 + 500ms) == 500);
  CHECK(t.available(t0 + 500ms) == 0);
}

TEST_CASE("seed limits stop seeding at the ratio or the time", "[rate]") {
  const SeedLimits defaults;
  CHECK_FALSE(seeding_done(defaults, 999, 1000, 24h));
  CHECK(seeding_done(defaults, 1000, 1000, 0s));

  SeedLimits forever;
  forever.ratio.reset();
  CHECK_FALSE(seeding_done(forever, 1'000'000, 1000, 24h * 365));

  SeedLimits two_hours_or_2x;
  two_hours_or_2x.ratio = 2.0;
  two_hours_or_2x.time = 2h;
  CHECK_FALSE(seeding_done(two_hours_or_2x, 1999, 1000, 1h));
  CHECK(seeding_done(two_hours_or_2x, 2000, 1000, 1h));
  CHECK(seeding_done(two_hours_or_2x, 0, 1000, 2h));

  SeedLimits no_seeding;
  no_seeding.ratio = 0.0;
  CHECK(seeding_done(no_seeding, 0, 1000, 0s));

  CHECK(seeding_done(defaults, 0, 0, 0s));  // an empty torrent has nothing to give back
  const std::int64_t big = std::int64_t{1} << 50;
  CHECK_FALSE(seeding_done(defaults, big - 1024, big, 1h));
  CHECK(seeding_done(defaults, big, big, 1h));
}
