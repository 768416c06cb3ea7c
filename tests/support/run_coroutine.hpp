// run_coroutine(io, make, error): spawns make() on `io` and runs `io` until the coroutine
// has ended (10 s at most, else the test fails); the bitflow::Error it throws, if any,
// lands in `error`. For tests of the coroutine APIs that check an outcome or an error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <exception>

#include "bitflow/error.hpp"
#include "run_until.hpp"

namespace bitflow::test {

template <typename Make>
void run_coroutine(boost::asio::io_context& io, Make make, ErrorInfo& error) {
  bool done = false;
  boost::asio::co_spawn(io, make(), [&](std::exception_ptr e) {
    done = true;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const bitflow::Error& x) {
      error = {x.code(), x.what()};
    }
  });
  REQUIRE(run_until(io, [&] { return done; }));
}

}  // namespace bitflow::test
