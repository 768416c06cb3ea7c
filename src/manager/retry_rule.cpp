// The retry rule (retry_rule.hpp). Each error category bitflow has is listed with the values
// it retries, matched by the category's name so that the text form ("fetch:3") gets the
// same verdict as a live code. Categories not listed (storage, metainfo, bencode, magnet,
// peer extension, manager) retry nothing.
#include "manager/retry_rule.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <initializer_list>

#include "bitflow/s3_types.hpp"
#include "bitflow/tracker.hpp"
#include "bitflow/url_fetcher.hpp"
#include "bitflow/wire.hpp"
#include "net/curl_reactor.hpp"

namespace bitflow::manager {

namespace {

template <typename Enum>
bool one_of(int value, std::initializer_list<Enum> values) noexcept {
  return std::any_of(values.begin(), values.end(),
                     [value](Enum e) { return static_cast<int>(e) == value; });
}

bool fetch_retries(int v) noexcept {
  using E = fetch::errc;
  return one_of(v, {
                       E::gave_up,            // retryable failures (5xx, resets, timeouts) ran out
                       E::changed_on_server,  // a fresh start fetches the new version
                       E::bad_response,       // a wrong Content-Range or length, often a proxy
                   });
}

bool net_retries(int v) noexcept {
  using E = net::errc;
  return one_of(v, {
                       E::transfer_failed,  // connect, reset, DNS, TLS handshake
                       E::timed_out,
                       E::too_slow,  // a stalled connection
                   });
}

bool s3_retries(int v) noexcept {
  using E = s3::errc;
  return one_of(v, {
                       E::no_such_upload,  // a new attempt starts a new multipart upload
                       E::throttled,
                       E::server_error,
                       E::connection_failed,
                       E::timed_out,
                   });
}

bool tracker_retries(int v) noexcept {
  using E = tracker::errc;
  return one_of(v, {
                       E::timed_out,
                       E::transaction_mismatch,  // a UDP mix-up, not the tracker's answer
                       E::network_error,         // the tracker cannot be reached
                       E::http_status,  // trackers behind proxies answer 502/503 for a while
                   });
}

bool peer_retries(int v) noexcept {
  using E = peer::errc;
  return one_of(v, {E::timed_out, E::connection_closed});
}

bool errno_retries(int v) noexcept {
  return one_of(v, {ECONNREFUSED, ECONNRESET, ECONNABORTED, ETIMEDOUT, ENETDOWN, ENETUNREACH,
                    ENETRESET, EHOSTUNREACH, EHOSTDOWN, EAGAIN, EINTR, EPIPE, ENOTCONN});
}

std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

bool is_retryable(std::string_view category, int value) noexcept {
  if (category == "fetch") return fetch_retries(value);
  if (category == "net") return net_retries(value);
  if (category == "s3") return s3_retries(value);
  if (category == "tracker") return tracker_retries(value);
  if (category == "peer") return peer_retries(value);
  // POSIX: the system category's values are errno values, like the generic one's.
  if (category == "generic" || category == "system") return errno_retries(value);
  // storage, metainfo, bencode, magnet, peer extension, manager and the unknown: final.
  return false;
}

bool is_retryable(const std::error_code& code) noexcept {
  if (!code) return false;
  return is_retryable(code.category().name(), code.value());
}

bool is_retryable_text(std::string_view text) noexcept {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int value = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc{} || end != last || first == last) return false;
  return is_retryable(text.substr(0, colon), value);
}

std::string code_text(const std::error_code& code) {
  if (!code) return {};
  return std::string(code.category().name()) + ":" + std::to_string(code.value());
}

std::chrono::milliseconds retry_delay(int attempts, const RetryPolicy& policy,
                                      std::uint64_t seed) noexcept {
  const std::int64_t cap = std::max<std::int64_t>(0, policy.max_delay.count());
  std::int64_t delay = std::clamp<std::int64_t>(policy.first_delay.count(), 0, cap);
  // Doubling one step at a time stops at the cap, so no shift can overflow.
  for (int i = 1; i < attempts && delay < cap; ++i)
    delay = std::min(cap, delay * 2);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  // 53 random bits → a double uniform in [0, 1), the same on every platform.
  const auto bits = splitmix64(seed ^ static_cast<std::uint64_t>(attempts)) >> 11;
  const double random01 = static_cast<double>(bits) / 9007199254740992.0;
  const double shortened = static_cast<double>(delay) * (1.0 - jitter * random01);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(shortened)));
}

TimeMs next_retry_at(const std::error_code& failure, int attempts, TimeMs now,
                     const RetryPolicy& policy, std::uint64_t seed) noexcept {
  if (!is_retryable(failure) || attempts >= policy.max_attempts) return 0;
  return now + retry_delay(attempts, policy, seed).count();
}

std::uint64_t jitter_seed(std::string_view id) noexcept {
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (char c : id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace bitflow::manager
