// When to try a failed request again. Pure: the caller passes the attempt number, a random
// source and what the server said. Internal to the fetchers.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace bitflow::fetch {

struct RetryPolicy {
  int max_tries = 5;                      ///< attempts per segment, the first included
  std::chrono::milliseconds base{500};    ///< the first wait (before jitter)
  std::chrono::milliseconds cap{30'000};  ///< no wait is longer (Retry-After included)

  /// Whether an HTTP status is worth another try: 408, 429 and 5xx (a server or a proxy
  /// in trouble); every other 4xx is final.
  [[nodiscard]] static bool retryable_status(long status) noexcept {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
  }
  /// The wait before attempt `attempt` + 1 (attempt >= 1): `retry_after` when the server
  /// gave one, else base · 2^(attempt-1) with "full jitter" in [half, all] of it; capped.
  template <typename Rng>
  [[nodiscard]] std::chrono::milliseconds delay(
      int attempt, Rng& rng, std::optional<std::chrono::seconds> retry_after = std::nullopt) const {
    if (retry_after) return std::min<std::chrono::milliseconds>(*retry_after, cap);
    const int doublings = std::clamp(attempt - 1, 0, 20);
    const auto full = std::min<std::chrono::milliseconds>(base * (1LL << doublings), cap);
    std::uniform_int_distribution<long long> jitter(full.count() / 2, full.count());
    return std::chrono::milliseconds(jitter(rng));
  }
};

}  // namespace bitflow::fetch
