// The doubling and the jitter are the download retries' (retry_delay), so both schedules
// read the same; what webhooks add is the give-up window measured from the first attempt.
#include "manager/webhook_backoff.hpp"

#include "manager/retry_rule.hpp"

namespace bitflow::manager::detail {

std::optional<TimeMs> next_delivery_attempt(const WebhookRetryPolicy& policy, int attempts,
                                            TimeMs first_attempt_at, TimeMs now,
                                            std::uint64_t seed) noexcept {
  RetryPolicy doubling;
  doubling.first_delay = policy.first_delay;
  doubling.max_delay = policy.max_delay;
  doubling.jitter = policy.jitter;
  const TimeMs next = now + retry_delay(attempts < 1 ? 1 : attempts, doubling, seed).count();
  if (next > first_attempt_at + policy.give_up_after.count()) return std::nullopt;
  return next;
}

}  // namespace bitflow::manager::detail
