// When a failed S3 request is tried again, after how long, and which error code it ends
// with when it is not: the AWS SDKs' standard retry mode as a pure function. The attempt's
// outcome, the attempt count, the randomness and (for clock skew) the times are
// parameters, so every branch is unit-tested. Safe from any thread. Internal.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "bitflow/s3_types.hpp"

namespace bitflow::s3 {

/// How one attempt failed.
struct AttemptOutcome {
  long http_status = 0;    ///< 0: no HTTP answer at all
  std::string s3_code;     ///< the <Error> document's Code; empty when there was none
  bool timed_out = false;  ///< no answer within the request's deadline
  /// No answer because the request was cancelled or refused locally (body too large):
  /// never retried.
  bool local_failure = false;
};

enum class RetryAction {
  give_up,
  retry,                    ///< after `delay`; counts as an attempt
  correct_clock_and_retry,  ///< RequestTimeTooSkewed: fix the offset, retry at once, once
};

struct RetryDecision {
  RetryAction action = RetryAction::give_up;
  std::chrono::milliseconds delay{0};
};

/// A failure the standard mode retries (a transient one).
[[nodiscard]] bool is_transient(const AttemptOutcome& outcome) noexcept;

/// The wait before retry number `retry` (1 for the first), `random01` uniform in [0, 1).
[[nodiscard]] std::chrono::milliseconds backoff_delay(int retry, const RetrySettings& settings,
                                                      double random01) noexcept;

/// What to do after the `attempts_made`-th attempt (1 for the first) failed with
/// `outcome`. `clock_corrected`: the skew correction was already used for this request.
[[nodiscard]] RetryDecision decide_retry(const AttemptOutcome& outcome, int attempts_made,
                                         bool clock_corrected, const RetrySettings& settings,
                                         double random01) noexcept;

/// The error code a failure that is not retried (any more) is reported with.
[[nodiscard]] errc error_code_for(const AttemptOutcome& outcome) noexcept;

/// An HTTP date in the IMF-fixdate form S3 sends ("Sun, 06 Nov 1994 08:49:37 GMT").
[[nodiscard]] std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);

/// Server clock minus local clock, from the server's Date header and the local time the
/// answer arrived; nullopt when the header does not parse.
[[nodiscard]] std::optional<std::chrono::seconds> clock_offset(std::string_view date_header,
                                                               std::chrono::sys_seconds local);

}  // namespace bitflow::s3
