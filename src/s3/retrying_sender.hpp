// The attempt loop of the SigV4 services' clients (S3, SQS): sign at the corrected time,
// send through the io_context's CurlReactor, judge the answer, and wait and retry as
// decide_retry() (retry_policy.hpp) says; a RequestTimeTooSkewed answer teaches the clock
// offset from its Date header and is retried at once, once. The policy is pure; this shell
// only does the waiting and the clock. Runs on the io_context's one thread; no locks.
// Internal.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "net/curl_reactor.hpp"
#include "s3/aws_exchange.hpp"

namespace bitflow::s3 {

/// One request as the loop sees it: the service's own parts.
struct Exchange {
  /// The request signed at this time (local clock plus the learnt offset).
  std::function<net::HttpRequest(std::chrono::sys_seconds)> sign;
  /// nullopt when the answer is a success.
  std::function<std::optional<Failure>(const ErrorInfo&, const net::HttpResponse&)> judge;
  /// The message of the error thrown when the request failed for good.
  std::function<std::string(const Failure&, int attempts)> final_message;
};

class RetryingSender {
 public:
  RetryingSender(boost::asio::io_context& io, RetrySettings retry);

  /// The local clock plus the offset learnt from a RequestTimeTooSkewed answer.
  [[nodiscard]] std::chrono::sys_seconds now() const;
  [[nodiscard]] std::chrono::seconds clock_offset() const noexcept { return offset_; }

  /// The successful answer; throws bitflow::Error (final_code(), exchange.final_message())
  /// when the last attempt failed.
  boost::asio::awaitable<net::HttpResponse> execute(Exchange exchange);

 private:
  boost::asio::io_context& io_;
  net::CurlReactor& reactor_;
  RetrySettings retry_;
  std::chrono::seconds offset_{0};
  std::mt19937_64 random_;
};

}  // namespace bitflow::s3
