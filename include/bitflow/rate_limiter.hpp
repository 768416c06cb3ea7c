// bitflow/rate_limiter.hpp — bandwidth limits (token buckets) and when to stop seeding.
//
// TokenBucket. A bucket holds up to `burst` tokens (bytes) and gains `rate` tokens per
// second. Sending n bytes takes n tokens. The refill is exact integer arithmetic: the bucket
// keeps the fraction of a byte earned so far (in units of 1e-9 byte), so over any span of
// time exactly floor(elapsed_ns * rate / 1e9) tokens are added unless the bucket was full,
// with no drift however the time is sliced. A full bucket stops filling; time before the
// first call does not count (a new bucket is full). Time points earlier than the latest one
// seen are treated as the latest one.
//
// Debt. consume() may take more tokens than there are: the count goes negative and the
// bucket must earn the debt back before anything else passes. That is how a message larger
// than the burst (a 16 KiB block with a 4 KiB burst) still gets through: the caller waits
// until the bucket holds min(n, burst) tokens (wait_time), then consumes n. try_consume()
// uses the same threshold, so try_consume(n, now + wait_time(n, now)) always succeeds.
//
// Limits: rate in [0, max_rate] (0 = unlimited: every call succeeds, wait_time is 0),
// burst in [0, max_burst]; anything else throws std::invalid_argument. Debt saturates at
// -max_burst. With these bounds no intermediate value overflows, for any idle time.
//
// Several buckets (global and per torrent) are combined with the free functions below: a
// transfer waits for the slowest and is charged to all.
//
// SeedLimits / seeding_done: the pure policy that says when a finished torrent stops
// seeding.
//
// Threading: plain values; no I/O, no clocks (time is passed in), no threads. Not
// thread-safe; the owner (the session or a torrent) calls it from its strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace bitflow {

class TokenBucket {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  static constexpr std::int64_t max_rate = std::int64_t{1} << 34;   ///< 16 GiB/s
  static constexpr std::int64_t max_burst = std::int64_t{1} << 50;  ///< 1 PiB

  /// A full bucket. rate 0 means unlimited. Throws std::invalid_argument outside the limits.
  TokenBucket(std::int64_t rate_bytes_per_s, std::int64_t burst_bytes);

  /// Changes the limits from `now` on: tokens earned until `now` are credited at the old
  /// rate, then capped to the new burst. A bucket that was unlimited starts full.
  void set_rate(std::int64_t rate_bytes_per_s, std::int64_t burst_bytes, time_point now);

  [[nodiscard]] std::int64_t rate() const noexcept { return rate_; }
  [[nodiscard]] std::int64_t burst() const noexcept { return burst_; }
  [[nodiscard]] bool unlimited() const noexcept { return rate_ == 0; }

  /// Tokens in the bucket at `now`; negative while in debt; INT64_MAX when unlimited.
  [[nodiscard]] std::int64_t available(time_point now);

  /// Takes n tokens if the bucket holds at least min(n, burst) at `now`; false (and takes
  /// nothing) otherwise. Always true when unlimited.
  [[nodiscard]] bool try_consume(std::int64_t n, time_point now);

  /// Takes n tokens unconditionally, going into debt if needed. n <= 0 takes nothing.
  void consume(std::int64_t n, time_point now);

  /// How long from `now` until the bucket holds min(n, burst) tokens: 0 if it already does
  /// or is unlimited. Rounded up to a whole nanosecond; nanoseconds::max() if beyond reach.
  [[nodiscard]] std::chrono::nanoseconds wait_time(std::int64_t n, time_point now);

 private:
  void refill(time_point now) noexcept;

  std::int64_t rate_;
  std::int64_t burst_;
  std::int64_t tokens_;
  std::int64_t fraction_ = 0;  ///< earned but not yet whole bytes, in 1e-9 byte; < 1e9
  std::optional<time_point> last_;
};

/// The longest wait_time() of the buckets (null pointers are skipped): when a transfer of n
/// bytes may pass all of them.
[[nodiscard]] std::chrono::nanoseconds wait_time(std::span<TokenBucket* const> buckets,
                                                 std::int64_t n, TokenBucket::time_point now);
/// consume(n, now) on every bucket.
void consume_all(std::span<TokenBucket* const> buckets, std::int64_t n,
                 TokenBucket::time_point now);
/// If every bucket would let n bytes pass now, consumes them from all and returns true;
/// otherwise takes nothing and returns false.
[[nodiscard]] bool try_consume_all(std::span<TokenBucket* const> buckets, std::int64_t n,
                                   TokenBucket::time_point now);

/// When a complete torrent stops seeding. Both unset: seed forever.
struct SeedLimits {
  /// Stop once uploaded >= ratio * total size (finite, >= 0). Default: never past 1:1.
  std::optional<double> ratio = 1.0;
  /// Stop after seeding this long.
  std::optional<std::chrono::seconds> time;
};

/// True when either limit is reached: uploaded bytes against the torrent's total size, and
/// the time spent seeding so far.
[[nodiscard]] bool seeding_done(const SeedLimits& limits, std::int64_t uploaded,
                                std::int64_t total_size, std::chrono::seconds seeding_for);

}  // namespace bitflow
