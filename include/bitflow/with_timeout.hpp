// bitflow/with_timeout.hpp — await a coroutine for a bounded time.
//
// Asio's `a || b` waits for the first operation to *succeed*: an operation that fails at
// once would still wait for the timer. with_timeout() races the operation against a
// timer so that whichever *finishes* first decides: the operation's value, its exception
// (rethrown at once), or nullopt when the time ran out (the operation is then cancelled
// through per-operation cancellation before with_timeout returns).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <optional>

namespace bitflow {

namespace detail {
// The outcome of an operation as a value, so that failing still counts as finishing. (A
// struct, not a variant: Asio's || flattens variants.)
template <typename T>
struct Outcome {
  std::optional<T> value;
  std::exception_ptr error;
};

template <typename T>
boost::asio::awaitable<Outcome<T>> capture(boost::asio::awaitable<T> op) {
  Outcome<T> out;
  try {
    out.value.emplace(co_await std::move(op));
  } catch (...) {  // handed back to the caller, who rethrows it
    out.error = std::current_exception();
  }
  co_return out;
}
}  // namespace detail

/// `op`'s value, or nullopt if `limit` passed first. Exceptions from `op` propagate.
template <typename T>
boost::asio::awaitable<std::optional<T>> with_timeout(boost::asio::awaitable<T> op,
                                                      std::chrono::steady_clock::duration limit) {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, limit);
  auto result = co_await (detail::capture(std::move(op)) ||
                          timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable)));
  if (result.index() == 1) co_return std::nullopt;
  auto& outcome = std::get<0>(result);
  if (outcome.error) std::rethrow_exception(outcome.error);
  co_return std::move(outcome.value);
}

}  // namespace bitflow
