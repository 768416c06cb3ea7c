// run_until — runs an io_context until a condition holds or a time limit passes, so a test
// of asynchronous code can never hang the suite: it checks the outcome afterwards.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>

namespace bitflow::test {

/// Runs `io` in short slices until `done()` is true or `limit` has passed; returns done().
template <typename Done>
bool run_until(boost::asio::io_context& io, Done done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

/// Runs the handlers that are ready now (and those they make ready at once), without
/// waiting for timers or I/O: after the condition a test waited for, whatever that same
/// step has queued (a duplicate completion, say) runs before the test checks.
inline void run_ready(boost::asio::io_context& io) {
  if (io.stopped()) io.restart();
  io.poll();
}

/// Runs `io` for `duration`: only for checks that something does *not* happen within a
/// window, never to wait for something that should (use run_until for that).
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  run_until(
      io, [] { return false; }, duration);
}

}  // namespace bitflow::test
