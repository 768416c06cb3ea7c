// CurlReactor against a scripted local HTTP server: transfers, limits, redirects, the
// several ways a transfer ends early, and destruction with transfers still running.
// Every test runs the io_context under a time limit and then checks what happened.
#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "net/curl_reactor.hpp"

using namespace bitflow;
using namespace bitflow::net;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::run_until;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;

namespace {

using Clock = std::chrono::steady_clock;

// The outcome of one transfer, and how many times its handler ran.
struct Outcome {
  int calls = 0;
  ErrorInfo error;
  HttpResponse response;
  Clock::duration elapsed{};
};

// Starts `request` and records its outcome into `out`.
CurlReactor::TransferId start(CurlReactor& reactor, HttpRequest request, Outcome& out) {
  auto started = Clock::now();
  return reactor.start(std::move(request), [&out, started](ErrorInfo e, HttpResponse r) {
    ++out.calls;
    out.error = std::move(e);
    out.response = std::move(r);
    out.elapsed = Clock::now() - started;
  });
}

HttpRequest get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = 10s;
  request.connect_timeout = 5s;
  return request;
}

// Runs one transfer to completion (10 s at most) and returns its outcome.
Outcome fetch(asio::io_context& io, CurlReactor& reactor, HttpRequest request) {
  Outcome out;
  start(reactor, std::move(request), out);
  REQUIRE(run_until(io, [&] { return out.calls > 0; }));
  CHECK(out.calls == 1);
  CHECK(reactor.active() == 0);
  return out;
}

// A port on 127.0.0.1 that nobody listens on (bound, then closed again).
std::uint16_t unused_port(asio::io_context& io) {
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

}  // namespace

TEST_CASE("curl reactor fetches a page with status, body and effective url", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/hello", HttpReply::ok("hello, world"));
  CurlReactor reactor(io);

  auto out = fetch(io, reactor, get(server.url("/hello?x=1")));
  INFO(out.error.message);
  CHECK_FALSE(out.error);
  CHECK(out.response.status == 200);
  CHECK(out.response.body == "hello, world");
  CHECK(out.response.effective_url == server.url("/hello?x=1"));
  REQUIRE(server.request_lines().size() == 1);
  CHECK(server.request_lines()[0] == "GET /hello?x=1 HTTP/1.1");
}

TEST_CASE("curl reactor runs 50 transfers at once and each gets its own body", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  // Each answer takes 300 ms: one after the other they would need 15 s.
  server.on("/echo", [](std::string_view target) {
    return HttpReply::ok("body of " + std::string(target)).after(300ms);
  });
  CurlReactor reactor(io);

  constexpr int count = 50;
  std::vector<Outcome> outs(count);
  for (int i = 0; i < count; ++i)
    start(reactor, get(server.url("/echo?n=" + std::to_string(i))),
          outs[static_cast<std::size_t>(i)]);
  CHECK(reactor.active() == count);

  auto begin = Clock::now();
  auto all_done = [&] {
    return std::all_of(outs.begin(), outs.end(), [](const Outcome& o) { return o.calls > 0; });
  };
  REQUIRE(run_until(io, all_done, 20s));
  CHECK(Clock::now() - begin < 5s);
  for (int i = 0; i < count; ++i) {
    const Outcome& out = outs[static_cast<std::size_t>(i)];
    INFO("transfer " << i << ": " << out.error.message);
    CHECK(out.calls == 1);
    CHECK_FALSE(out.error);
    CHECK(out.response.status == 200);
    CHECK(out.response.body == "body of /echo?n=" + std::to_string(i));
  }
  CHECK(reactor.active() == 0);
  CHECK(server.request_lines().size() == count);
}

TEST_CASE("curl reactor reports a 404 as a successful transfer with status 404", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  CurlReactor reactor(io);

  auto out = fetch(io, reactor, get(server.url("/nothing-here")));
  CHECK_FALSE(out.error);
  CHECK(out.response.status == 404);
  CHECK(out.response.body == "not found");
}

TEST_CASE("curl reactor times out a request the server is slow to answer", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/slow", HttpReply::ok("too late").after(5s));
  CurlReactor reactor(io);

  HttpRequest request = get(server.url("/slow"));
  request.timeout = 300ms;
  auto out = fetch(io, reactor, request);
  INFO(out.error.message);
  CHECK(out.error.code == errc::timed_out);
  CHECK(out.elapsed >= 250ms);
  CHECK(out.elapsed < 1s);
}

TEST_CASE("curl reactor stops a body over max_body with body_too_large", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/big", HttpReply::ok(std::string(10'000, 'b')));
  server.on("/endless", HttpReply::stream_forever());
  CurlReactor reactor(io);

  HttpRequest request = get(server.url("/big"));
  request.max_body = 1000;
  auto big = fetch(io, reactor, request);
  CHECK(big.error.code == errc::body_too_large);
  CHECK_THAT(big.error.message, Catch::Contains("1000 bytes"));

  request.max_body = 9999;
  CHECK(fetch(io, reactor, request).error.code == errc::body_too_large);
  request.max_body = 10'000;
  CHECK(fetch(io, reactor, request).response.body.size() == 10'000);

  request = get(server.url("/endless"));
  request.max_body = 4u << 20;
  auto endless = fetch(io, reactor, request);
  CHECK(endless.error.code == errc::body_too_large);
  // Once curl has dropped the connection, the server's writer notices and ends.
  CHECK(run_until(io, [&] { return server.open_connections() == 0; }));
}

TEST_CASE("curl reactor follows a redirect and reports where it landed", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/old", HttpReply::redirect(server.url("/new?y=2")));
  server.on("/relative", HttpReply::redirect("/new?z=3", 301));
  server.on("/new", HttpReply::ok("moved here"));
  CurlReactor reactor(io);

  auto out = fetch(io, reactor, get(server.url("/old")));
  INFO(out.error.message);
  CHECK_FALSE(out.error);
  CHECK(out.response.status == 200);
  CHECK(out.response.body == "moved here");
  CHECK(out.response.effective_url == server.url("/new?y=2"));

  auto relative = fetch(io, reactor, get(server.url("/relative")));
  CHECK(relative.response.body == "moved here");
  CHECK(relative.response.effective_url == server.url("/new?z=3"));
}

TEST_CASE("curl reactor does not follow redirects when max_redirects is 0", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/old", HttpReply::redirect(server.url("/new")));
  CurlReactor reactor(io);

  HttpRequest request = get(server.url("/old"));
  request.max_redirects = 0;
  auto out = fetch(io, reactor, request);
  CHECK_FALSE(out.error);
  CHECK(out.response.status == 302);
  CHECK(server.request_lines().size() == 1);
}

TEST_CASE("curl reactor fails a redirect loop with transfer_failed", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/loop", HttpReply::redirect("/loop"));
  CurlReactor reactor(io);

  HttpRequest request = get(server.url("/loop"));
  request.max_redirects = 3;
  auto out = fetch(io, reactor, request);
  CHECK(out.error.code == errc::transfer_failed);
  CHECK_THAT(out.error.message, Catch::Contains("redirect", Catch::CaseSensitive::No));
  CHECK(server.request_lines().size() == 4);  // the first request and 3 redirects
}

TEST_CASE("curl reactor cancel completes the transfer once with cancelled", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/hang", HttpReply::never_answer());
  CurlReactor reactor(io);

  Outcome out;
  auto id = start(reactor, get(server.url("/hang")), out);
  REQUIRE(run_until(io, [&] { return server.request_lines().size() == 1; }));
  CHECK(out.calls == 0);
  reactor.cancel(id);
  CHECK(reactor.active() == 0);
  reactor.cancel(id);  // unknown by now: ignored
  reactor.cancel(id + 1000);
  // Done once the handler has run and the server has seen curl drop the connection.
  REQUIRE(run_until(io, [&] { return out.calls > 0 && server.open_connections() == 0; }));
  test::run_ready(io);
  CHECK(out.calls == 1);
  CHECK(out.error.code == errc::cancelled);
}

TEST_CASE("curl reactor transfer awaited against a timer is cancelled when the timer wins",
          "[curl]") {
  using namespace boost::asio::experimental::awaitable_operators;
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/hang", HttpReply::never_answer());
  CurlReactor reactor(io);

  std::optional<std::size_t> winner;
  std::size_t active_after = 99;
  auto race = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(io, 200ms);
    HttpRequest request = get(server.url("/hang"));
    auto result = co_await (reactor.async_fetch(request) || timer.async_wait(asio::use_awaitable));
    winner = result.index();
    active_after = reactor.active();
  };
  asio::co_spawn(io, race(), asio::detached);

  REQUIRE(run_until(io, [&] { return winner.has_value(); }));
  CHECK(*winner == 1);
  CHECK(active_after == 0);
  CHECK(reactor.active() == 0);
  CHECK(server.request_lines().size() == 1);
  CHECK(run_until(io, [&] { return server.open_connections() == 0; }));
}

TEST_CASE("curl reactor transfer awaited against a timer wins when it is faster", "[curl]") {
  using namespace boost::asio::experimental::awaitable_operators;
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/fast", HttpReply::ok("first"));
  CurlReactor reactor(io);

  std::optional<std::string> body;
  auto race = [&]() -> asio::awaitable<void> {
    asio::steady_timer timer(io, 10s);
    HttpRequest request = get(server.url("/fast"));
    auto result = co_await (reactor.async_fetch(request) || timer.async_wait(asio::use_awaitable));
    if (result.index() == 0) body = std::get<1>(std::get<0>(result)).body;
  };
  asio::co_spawn(io, race(), asio::detached);

  REQUIRE(run_until(io, [&] { return body.has_value(); }));
  CHECK(*body == "first");
}

TEST_CASE("curl reactor ignores a cancellation that arrives after the transfer completed",
          "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/fast", HttpReply::ok("done"));
  std::optional<CurlReactor> reactor(std::in_place, io);
  asio::cancellation_signal signal;

  bool fetched = false, survived = false;
  auto task = [&]() -> asio::awaitable<void> {
    auto [error, response] = co_await reactor->async_fetch(get(server.url("/fast")));
    fetched = !error && response.body == "done";
    // The reactor is gone; a late cancellation of this coroutine must not reach it.
    reactor.reset();
    signal.emit(asio::cancellation_type::terminal);
    survived = true;
  };
  asio::co_spawn(io, task(), asio::bind_cancellation_slot(signal.slot(), asio::detached));

  REQUIRE(run_until(io, [&] { return survived; }));
  CHECK(fetched);
}

TEST_CASE("curl reactor callback bound to a cancellation slot leaves it free on completion",
          "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/fast", HttpReply::ok("done"));
  std::optional<CurlReactor> reactor(std::in_place, io);
  asio::cancellation_signal signal;

  int calls = 0;
  reactor->async_fetch(
      get(server.url("/fast")),
      asio::bind_cancellation_slot(signal.slot(), [&](ErrorInfo e, HttpResponse r) {
        ++calls;
        CHECK_FALSE(e);
        CHECK(r.body == "done");
      }));
  REQUIRE(run_until(io, [&] { return calls > 0; }));
  CHECK_FALSE(signal.slot().has_handler());
  // Neither a reactor that is gone nor a finished transfer may be reached from the slot.
  reactor.reset();
  signal.emit(asio::cancellation_type::terminal);
  test::run_ready(io);  // a handler the emission reached would be queued by now
  CHECK(calls == 1);
}

TEST_CASE("curl reactor refuses file:// urls and redirects to them", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/to-file", HttpReply::redirect("file:///etc/passwd"));
  CurlReactor reactor(io);

  auto direct = fetch(io, reactor, get("file:///etc/passwd"));
  CHECK(direct.error.code == errc::transfer_failed);
  CHECK(direct.response.body.empty());

  auto redirected = fetch(io, reactor, get(server.url("/to-file")));
  CHECK(redirected.error.code == errc::transfer_failed);
  CHECK(redirected.response.body.empty());
}

TEST_CASE("curl reactor reports a refused connection as transfer_failed", "[curl]") {
  asio::io_context io;
  CurlReactor reactor(io);
  std::string url = "http://127.0.0.1:" + std::to_string(unused_port(io)) + "/announce";

  auto out = fetch(io, reactor, get(url));
  INFO(out.error.message);
  CHECK(out.error.code == errc::transfer_failed);
  CHECK_THAT(out.error.message, Catch::Contains(url));
}

TEST_CASE("curl reactor reports a connection closed without an answer as transfer_failed",
          "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/close", HttpReply::close_without_answer());
  CurlReactor reactor(io);

  auto out = fetch(io, reactor, get(server.url("/close")));
  INFO(out.error.message);
  CHECK(out.error.code == errc::transfer_failed);
}

TEST_CASE("curl reactor destroyed with transfers running cancels each exactly once", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/hang", HttpReply::never_answer());
  server.on("/slow", HttpReply::ok("late").after(1s));
  server.on("/endless", HttpReply::stream_forever());
  std::optional<CurlReactor> reactor(std::in_place, io);

  std::vector<Outcome> outs(9);
  for (std::size_t i = 0; i < outs.size(); ++i) {
    const char* path = i % 3 == 0 ? "/hang" : i % 3 == 1 ? "/slow" : "/endless";
    HttpRequest request = get(server.url(path));
    request.max_body = std::size_t{1} << 40;  // the endless ones run until the end
    start(*reactor, request, outs[i]);
  }
  // Running: every request has arrived, and the three endless bodies are flowing.
  REQUIRE(run_until(io, [&] {
    return server.request_lines().size() == outs.size() && server.streams_flowing() == 3;
  }));
  reactor.reset();
  auto all_called = [&] {
    return std::all_of(outs.begin(), outs.end(), [](const Outcome& o) { return o.calls > 0; });
  };
  REQUIRE(run_until(io, [&] { return all_called() && server.open_connections() == 0; }));
  test::run_ready(io);

  for (const Outcome& out : outs) {
    CHECK(out.calls == 1);
    CHECK(out.error.code == errc::cancelled);
  }
}

TEST_CASE("curl reactor destroyed while a coroutine awaits a transfer resumes it cancelled",
          "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/hang", HttpReply::never_answer());
  std::optional<CurlReactor> reactor(std::in_place, io);

  int resumed = 0;
  ErrorInfo seen;
  auto task = [&]() -> asio::awaitable<void> {
    auto [error, response] = co_await reactor->async_fetch(get(server.url("/hang")));
    seen = error;
    ++resumed;
  };
  asio::co_spawn(io, task(), asio::detached);
  REQUIRE(run_until(io, [&] { return server.request_lines().size() == 1; }));
  reactor.reset();
  REQUIRE(run_until(io, [&] { return resumed > 0; }));
  test::run_ready(io);
  CHECK(resumed == 1);
  CHECK(seen.code == errc::cancelled);
}
