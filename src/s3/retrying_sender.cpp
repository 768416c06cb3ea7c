// See retrying_sender.hpp.
#include "s3/retrying_sender.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bitflow::s3 {

namespace asio = boost::asio;
using namespace std::chrono;

RetryingSender::RetryingSender(asio::io_context& io, RetrySettings retry)
    : io_(io), reactor_(net::shared_reactor(io)), retry_(retry), random_(std::random_device{}()) {}

sys_seconds RetryingSender::now() const {
  return floor<seconds>(system_clock::now()) + offset_;
}

asio::awaitable<net::HttpResponse> RetryingSender::execute(Exchange exchange) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int attempts = 0;
  bool clock_corrected = false;
  for (;;) {
    ++attempts;
    auto [transport, response] =
        co_await reactor_.async_fetch(exchange.sign(now()), asio::use_awaitable);
    auto failure = exchange.judge(transport, response);
    if (!failure) co_return std::move(response);

    const RetryDecision decision =
        decide_retry(failure->outcome, attempts, clock_corrected, retry_, uniform(random_));
    if (decision.action == RetryAction::correct_clock_and_retry) {
      auto date = response.header("Date");
      auto learnt =
          date ? s3::clock_offset(*date, floor<seconds>(system_clock::now())) : std::nullopt;
      if (learnt) {
        offset_ = *learnt;
        clock_corrected = true;
        --attempts;  // the skewed attempt is not one of the bounded retries
        continue;
      }
    } else if (decision.action == RetryAction::retry) {
      asio::steady_timer timer(io_, decision.delay);
      co_await timer.async_wait(asio::use_awaitable);
      continue;
    }
    throw Error(final_code(*failure), exchange.final_message(*failure, attempts));
  }
}

}  // namespace bitflow::s3
