// Which failed downloads the manager tries again, and when. A failure is judged by its
// error code alone — category and value — so the verdict is the same for a live
// std::error_code and for the "category:value" text a DownloadRecord keeps across restarts.
// Pure: time and randomness are parameters. Any thread.
//
// Retried: failures of the network or of a server that may well pass (no connection, a
// reset, a timeout, a stall, HTTP 5xx and throttling after the fetcher's own retries,
// trackers that cannot be reached, S3's retryable errors). Not retried: answers that will
// be the same next time (404, 403, a denied login, an untrusted certificate), bad input (a
// bad URL, torrent, magnet or bencoding), local trouble (disk errors, a path that escapes
// the folder), the manager's own refusals (too large, never fits) and cancellations.
// A code from a category this file does not know is not retried either: retrying blindly
// would hammer a source for a reason nobody understood.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager {

/// Whether a failure with this code is worth another attempt (see above). An empty code
/// (a failure the fetcher gave no code for) is not.
[[nodiscard]] bool is_retryable(const std::error_code& code) noexcept;
/// The same verdict for a category's name ("fetch", "s3", "generic", "system" …) and value.
[[nodiscard]] bool is_retryable(std::string_view category, int value) noexcept;
/// The same verdict for the text form ("fetch:3") of DownloadRecord::error_code; false for
/// text that is not of that form.
[[nodiscard]] bool is_retryable_text(std::string_view code_text) noexcept;

/// "fetch:3": how DownloadRecord::error_code keeps `code`; empty for an empty code.
[[nodiscard]] std::string code_text(const std::error_code& code);

/// The wait before the next start of a download that has failed after `attempts` starts
/// (1 after the first): first_delay × 2^(attempts-1), at most max_delay, less the jitter
/// drawn from `seed`. The same arguments always give the same wait.
[[nodiscard]] std::chrono::milliseconds retry_delay(int attempts, const RetryPolicy& policy,
                                                    std::uint64_t seed) noexcept;

/// When a download that failed with `failure` at `now` after `attempts` starts is due
/// again (DownloadRecord::retry_at), or 0 when it is not to be retried: the failure is not
/// retryable, or max_attempts starts were made.
[[nodiscard]] TimeMs next_retry_at(const std::error_code& failure, int attempts, TimeMs now,
                                   const RetryPolicy& policy, std::uint64_t seed) noexcept;

/// A seed for retry_delay() from a download's id that is the same on every platform and
/// run (std::hash is not), so a restarted manager schedules the same retry times.
[[nodiscard]] std::uint64_t jitter_seed(std::string_view id) noexcept;

}  // namespace bitflow::manager
