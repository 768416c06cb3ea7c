// The AWS SDKs' standard retry mode (see retry_policy.hpp). The retry quota (token bucket)
// of the SDKs is not modelled: a client here is one transfer's, not a whole process's.
#include "s3/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace bitflow::s3 {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 11> transient_codes = {
    "SlowDown",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
};

bool is_throttling(std::string_view code) noexcept {
  return code == "SlowDown" || code == "Throttling" || code == "ThrottlingException" ||
         code == "ThrottledException" || code == "RequestThrottled" ||
         code == "TooManyRequestsException" || code == "BandwidthLimitExceeded";
}

bool parse_int(std::string_view text, int& out) noexcept {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

bool is_transient(const AttemptOutcome& outcome) noexcept {
  if (outcome.local_failure) return false;
  if (outcome.http_status == 0) return true;  // reset, refused, timed out: no answer
  const long s = outcome.http_status;
  if (s == 500 || s == 502 || s == 503 || s == 504) return true;
  return std::find(transient_codes.begin(), transient_codes.end(), outcome.s3_code) !=
         transient_codes.end();
}

milliseconds backoff_delay(int retry, const RetrySettings& settings, double random01) noexcept {
  const double cap = static_cast<double>(settings.max_backoff.count());
  double ceiling = static_cast<double>(settings.base_delay.count());
  for (int i = 1; i < retry && ceiling < cap; ++i)
    ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  const double r = std::clamp(random01, 0.0, 1.0);
  return milliseconds{static_cast<milliseconds::rep>(r * ceiling)};
}

RetryDecision decide_retry(const AttemptOutcome& outcome, int attempts_made, bool clock_corrected,
                           const RetrySettings& settings, double random01) noexcept {
  if (outcome.s3_code == "RequestTimeTooSkewed")
    return {clock_corrected ? RetryAction::give_up : RetryAction::correct_clock_and_retry,
            milliseconds{0}};
  if (!is_transient(outcome) || attempts_made >= settings.max_attempts) return {};
  return {RetryAction::retry, backoff_delay(attempts_made, settings, random01)};
}

errc error_code_for(const AttemptOutcome& outcome) noexcept {
  const std::string_view code = outcome.s3_code;
  if (outcome.http_status == 0)
    return outcome.timed_out ? errc::timed_out : errc::connection_failed;
  if (code == "NoSuchBucket") return errc::no_such_bucket;
  if (code == "NoSuchKey") return errc::no_such_key;
  if (code == "NoSuchUpload") return errc::no_such_upload;
  if (code == "AccessDenied") return errc::access_denied;
  // InvalidClientTokenId: the unknown key id of the AWS services other than S3 (SQS).
  if (code == "InvalidAccessKeyId" || code == "InvalidClientTokenId" ||
      code == "SignatureDoesNotMatch")
    return errc::bad_credentials;
  if (code == "AWS.SimpleQueueService.NonExistentQueue" || code == "QueueDoesNotExist")
    return errc::no_such_queue;
  if (code == "RequestTimeTooSkewed") return errc::clock_skew;
  if (code == "EntityTooSmall") return errc::entity_too_small;
  if (code == "InvalidPart" || code == "InvalidPartOrder") return errc::invalid_part;
  if (code == "InvalidRange") return errc::invalid_range;
  if (code == "RequestTimeout" || code == "RequestTimeoutException") return errc::timed_out;
  if (is_throttling(code)) return errc::throttled;
  // InternalFailure, ServiceUnavailable: the 5xx codes of the services other than S3.
  if (code == "InternalError" || code == "InternalFailure" || code == "ServiceUnavailable")
    return errc::server_error;
  if (code.empty()) {  // no body: HEAD, or a proxy's page
    if (outcome.http_status == 404) return errc::no_such_key;
    if (outcome.http_status == 403) return errc::access_denied;
    if (outcome.http_status == 416) return errc::invalid_range;
    if (outcome.http_status == 503) return errc::throttled;
    if (outcome.http_status >= 500) return errc::server_error;
  }
  return errc::service_error;
}

std::optional<sys_seconds> parse_http_date(std::string_view t) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  static constexpr std::array<std::string_view, 12> months = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (t.size() != 29 || t[3] != ',' || t[4] != ' ' || t[7] != ' ' || t[11] != ' ' || t[16] != ' ' ||
      t[19] != ':' || t[22] != ':' || t.substr(25) != " GMT")
    return std::nullopt;
  int day = 0, year = 0, h = 0, m = 0, s = 0;
  if (!parse_int(t.substr(5, 2), day) || !parse_int(t.substr(12, 4), year) ||
      !parse_int(t.substr(17, 2), h) || !parse_int(t.substr(20, 2), m) ||
      !parse_int(t.substr(23, 2), s))
    return std::nullopt;
  auto month = std::find(months.begin(), months.end(), t.substr(8, 3));
  if (month == months.end() || h > 23 || m > 59 || s > 60) return std::nullopt;
  const year_month_day date{std::chrono::year{year},
                            std::chrono::month{static_cast<unsigned>(month - months.begin() + 1)},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date} + hours{h} + minutes{m} + seconds{s};
}

std::optional<seconds> clock_offset(std::string_view date_header, sys_seconds local) {
  auto server = parse_http_date(date_header);
  if (!server) return std::nullopt;
  return *server - local;
}

}  // namespace bitflow::s3
