// When a failed webhook delivery is tried again, or that it is given up. Pure: time and
// randomness are parameters, so a restarted manager computes the same schedule. Any thread.
#pragma once

#include <cstdint>
#include <optional>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager::detail {

/// The time of the next attempt of a delivery whose attempt number `attempts` (1 for the
/// first) failed at `now`, the first one having been due at `first_attempt_at` (the sender
/// passes Delivery::created_at):
/// now + first_delay × 2^(attempts-1), capped at max_delay, less a jitter drawn from
/// `seed`. nullopt when that time lies past first_attempt_at + give_up_after: the delivery
/// is dead.
[[nodiscard]] std::optional<TimeMs> next_delivery_attempt(const WebhookRetryPolicy& policy,
                                                          int attempts, TimeMs first_attempt_at,
                                                          TimeMs now, std::uint64_t seed) noexcept;

}  // namespace bitflow::manager::detail
