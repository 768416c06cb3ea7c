// TokenBucket and the seeding policy described in bitflow/rate_limiter.hpp.
//
// Job: exact, drift-free token accounting for bandwidth limits, given time points from the
// caller; and the pure "stop seeding?" test.
//
// Invariants (limited bucket, rate_ > 0):
//   * -max_burst <= tokens_ <= burst_, and fraction_ is in [0, 1e9) (units of 1e-9 byte);
//   * a full bucket (tokens_ == burst_) has fraction_ == 0;
//   * tokens_ + fraction_ / 1e9 grows by exactly elapsed_ns * rate_ / 1e9 between calls,
//     until it reaches burst_.
// Overflow: every product is bounded by the limits in the header: whole seconds are
// credited as seconds * rate only when that is at most burst_ - tokens_ (<= 2^51), and the
// sub-second part, ns * rate + fraction_ < 1e9 * 2^34 + 1e9, fits in 64 unsigned bits.
// Threading: none; see the header.
#include "bitflow/rate_limiter.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace bitflow {

namespace {

constexpr std::int64_t ns_per_s = 1'000'000'000;
constexpr std::uint64_t uns_per_s = 1'000'000'000;

void check_limits(std::int64_t rate, std::int64_t burst) {
  if (rate < 0 || rate > TokenBucket::max_rate)
    throw std::invalid_argument("token bucket: rate " + std::to_string(rate) +
                                " is outside [0, 2^34] bytes/s");
  if (burst < 0 || burst > TokenBucket::max_burst)
    throw std::invalid_argument("token bucket: burst " + std::to_string(burst) +
                                " is outside [0, 2^50] bytes");
}

}  // namespace

TokenBucket::TokenBucket(std::int64_t rate_bytes_per_s, std::int64_t burst_bytes)
    : rate_(rate_bytes_per_s), burst_(burst_bytes), tokens_(burst_bytes) {
  check_limits(rate_bytes_per_s, burst_bytes);
}

void TokenBucket::refill(time_point now) noexcept {
  if (last_ && now <= *last_) return;
  const std::optional<time_point> before = std::exchange(last_, now);
  if (!before || rate_ == 0) return;
  if (tokens_ >= burst_) {
    fraction_ = 0;
    return;
  }
  const std::int64_t elapsed =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - *before).count();
  const std::int64_t need = burst_ - tokens_;
  const std::int64_t secs = elapsed / ns_per_s;
  if (secs > need / rate_) {  // secs * rate_ > need: full
    tokens_ = burst_;
    fraction_ = 0;
    return;
  }
  const std::uint64_t sub =
      static_cast<std::uint64_t>(elapsed % ns_per_s) * static_cast<std::uint64_t>(rate_) +
      static_cast<std::uint64_t>(fraction_);
  tokens_ += secs * rate_ + static_cast<std::int64_t>(sub / uns_per_s);
  fraction_ = static_cast<std::int64_t>(sub % uns_per_s);
  if (tokens_ >= burst_) {
    tokens_ = burst_;
    fraction_ = 0;
  }
}

void TokenBucket::set_rate(std::int64_t rate_bytes_per_s, std::int64_t burst_bytes,
                           time_point now) {
  check_limits(rate_bytes_per_s, burst_bytes);
  refill(now);
  const bool was_unlimited = rate_ == 0;
  rate_ = rate_bytes_per_s;
  burst_ = burst_bytes;
  if (was_unlimited || tokens_ >= burst_) {
    tokens_ = burst_;
    fraction_ = 0;
  }
}

std::int64_t TokenBucket::available(time_point now) {
  refill(now);
  return rate_ == 0 ? std::numeric_limits<std::int64_t>::max() : tokens_;
}

bool TokenBucket::try_consume(std::int64_t n, time_point now) {
  refill(now);
  if (rate_ == 0 || n <= 0) return true;
  if (tokens_ < std::min(n, burst_)) return false;
  consume(n, now);
  return true;
}

void TokenBucket::consume(std::int64_t n, time_point now) {
  refill(now);
  if (rate_ == 0 || n <= 0) return;
  // tokens_ >= -max_burst, so subtracting at most 2 * max_burst cannot overflow.
  tokens_ = std::max(tokens_ - std::min(n, 2 * max_burst), -max_burst);
}

std::chrono::nanoseconds TokenBucket::wait_time(std::int64_t n, time_point now) {
  using std::chrono::nanoseconds;
  refill(now);
  if (rate_ == 0) return nanoseconds{0};
  const std::int64_t target = std::clamp<std::int64_t>(n, 0, burst_);
  if (tokens_ >= target) return nanoseconds{0};
  // Smallest t with t * rate_ + fraction_ >= deficit * 1e9, split as whole seconds q plus
  // ceil((r * 1e9 - fraction_) / rate_) nanoseconds, r the remainder of deficit / rate_.
  const std::int64_t deficit = target - tokens_;
  std::int64_t q = deficit / rate_;
  auto r = static_cast<std::uint64_t>(deficit % rate_);
  const auto rate = static_cast<std::uint64_t>(rate_);
  const auto fraction = static_cast<std::uint64_t>(fraction_);
  if (r * uns_per_s < fraction) {  // r == 0: borrow one second
    q -= 1;
    r = rate;
  }
  const auto extra = static_cast<std::int64_t>((r * uns_per_s - fraction + rate - 1) / rate);
  if (q > (std::numeric_limits<std::int64_t>::max() - extra) / ns_per_s) return nanoseconds::max();
  return nanoseconds{q * ns_per_s + extra};
}

std::chrono::nanoseconds wait_time(std::span<TokenBucket* const> buckets, std::int64_t n,
                                   TokenBucket::time_point now) {
  std::chrono::nanoseconds longest{0};
  for (TokenBucket* bucket : buckets)
    if (bucket != nullptr) longest = std::max(longest, bucket->wait_time(n, now));
  return longest;
}

void consume_all(std::span<TokenBucket* const> buckets, std::int64_t n,
                 TokenBucket::time_point now) {
  for (TokenBucket* bucket : buckets)
    if (bucket != nullptr) bucket->consume(n, now);
}

bool try_consume_all(std::span<TokenBucket* const> buckets, std::int64_t n,
                     TokenBucket::time_point now) {
  if (wait_time(buckets, n, now) != std::chrono::nanoseconds{0}) return false;
  consume_all(buckets, n, now);
  return true;
}

bool seeding_done(const SeedLimits& limits, std::int64_t uploaded, std::int64_t total_size,
                  std::chrono::seconds seeding_for) {
  if (limits.time && seeding_for >= *limits.time) return true;
  if (limits.ratio &&
      static_cast<double>(uploaded) >= *limits.ratio * static_cast<double>(total_size))
    return true;
  return false;
}

}  // namespace bitflow
