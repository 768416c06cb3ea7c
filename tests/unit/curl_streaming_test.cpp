// CurlReactor's download features: streamed bodies (on_start/on_data), response headers,
// stopping a transfer from the receiver, ranges, HEAD, and the shared per-io_context
// reactor.
#include <catch2/catch.hpp>

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

struct Outcome {
  int calls = 0;
  ErrorInfo error;
  HttpResponse response;
};

Outcome fetch(asio::io_context& io, HttpRequest request) {
  Outcome out;
  request.timeout = 10s;
  shared_reactor(io).start(std::move(request), [&out](ErrorInfo e, HttpResponse r) {
    ++out.calls;
    out.error = std::move(e);
    out.response = std::move(r);
  });
  REQUIRE(run_until(io, [&] { return out.calls > 0; }));
  return out;
}

}  // namespace

TEST_CASE("a streamed body arrives in chunks after the headers, and is not collected", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  const std::string body(300'000, 'x');
  server.on("/file", HttpReply{HttpReply::Kind::respond, 200, {"ETag: \"v1\"", "X-Two: a"}, body});
  HttpRequest r;
  r.url = server.url("/file");
  std::string seen_etag, received;
  int starts = 0;
  r.on_start = [&](const HttpResponse& head) {
    ++starts;
    CHECK(head.status == 200);
    seen_etag = head.header("etag").value_or("");  // case-insensitive
    CHECK(received.empty());                       // before the first byte
    return true;
  };
  r.on_data = [&](std::string_view chunk) {
    received += chunk;
    return true;
  };
  auto out = fetch(io, r);
  INFO(out.error.message);
  CHECK_FALSE(out.error);
  CHECK(starts == 1);
  CHECK(seen_etag == "\"v1\"");
  CHECK(received == body);
  CHECK(out.response.body.empty());
  CHECK(out.response.header("X-Two") == "a");
  CHECK_FALSE(out.response.header("X-Missing"));
}

TEST_CASE("a receiver that says stop ends the transfer with errc::aborted", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/endless", HttpReply::stream_forever());
  HttpRequest r;
  r.url = server.url("/endless");
  std::size_t received = 0;
  r.on_data = [&](std::string_view chunk) {
    received += chunk.size();
    return received < 100'000;
  };
  auto out = fetch(io, r);
  CHECK(out.error.code == errc::aborted);
  CHECK(received >= 100'000);
  CHECK(out.response.status == 200);

  // Refusing at on_start stops before any byte is handed over.
  HttpRequest refused;
  refused.url = server.url("/endless");
  bool data_seen = false;
  refused.on_start = [](const HttpResponse&) { return false; };
  refused.on_data = [&](std::string_view) { return data_seen = true; };
  auto out2 = fetch(io, refused);
  CHECK(out2.error.code == errc::aborted);
  CHECK_FALSE(data_seen);
}

TEST_CASE("a streaming request whose answer has no body still calls on_start", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/gone", HttpReply::status_only(404));
  HttpRequest r;
  r.url = server.url("/gone");
  long status = 0;
  r.on_start = [&](const HttpResponse& head) {
    status = head.status;
    return true;
  };
  r.on_data = [](std::string_view) { return true; };
  auto out = fetch(io, r);
  CHECK_FALSE(out.error);
  CHECK(status == 404);
  CHECK(out.response.status == 404);
}

TEST_CASE("range and HEAD requests send what they should", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/f", HttpReply{HttpReply::Kind::respond, 200, {"Accept-Ranges: bytes"}, "0123456789"});
  HttpRequest head;
  head.url = server.url("/f");
  head.method = "HEAD";
  auto out = fetch(io, head);
  CHECK_FALSE(out.error);
  CHECK(out.response.header("Content-Length") == "10");
  CHECK(out.response.header("Accept-Ranges") == "bytes");
  CHECK(out.response.body.empty());
  REQUIRE(server.request_lines().size() == 1);
  CHECK(server.request_lines()[0] == "HEAD /f HTTP/1.1");
}

TEST_CASE("a stalled transfer ends with errc::too_slow", "[curl]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/stall", HttpReply::never_answer());
  HttpRequest r;
  r.url = server.url("/stall");
  r.low_speed_limit = 1;
  r.low_speed_time = 1s;
  auto out = fetch(io, r);
  INFO(out.error.message);
  CHECK(out.error.code == errc::too_slow);
}

TEST_CASE("every user of one io_context shares one reactor", "[curl]") {
  asio::io_context io;
  CHECK(&shared_reactor(io) == &shared_reactor(io));
  asio::io_context other;
  CHECK(&shared_reactor(io) != &shared_reactor(other));
}
