// Announcer end to end on loopback: a TrackerList driven through a real TrackerClient
// against scripted HTTP trackers (failover, peers handed out, completed, stopped).
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <string>

#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/announcer.hpp"
#include "bitflow/bencode.hpp"

using namespace bitflow;
using namespace bitflow::tracker;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::run_until;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;

namespace {

// A compact reply holding one peer, 10.0.0.<last>:6881.
std::string reply_with_peer(int last) {
  bencode::Value v;
  v["interval"] = 1800;
  v["peers"] = std::string{10, 0, 0, static_cast<char>(last), 0x1a, static_cast<char>(0xe1)};
  return bencode::encode(v);
}

Announcer::Params params() {
  Announcer::Params p;
  p.info_hash = sha1("announcer test");
  p.peer_id = PeerId::generate();
  p.port = 6881;
  p.attempt_timeout = 2s;
  return p;
}

bool saw(const TestHttpServer& server, std::string_view needle) {
  for (const auto& line : server.request_lines())
    if (line.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("announcer fails over to the next tracker and hands out its peers", "[announcer]") {
  asio::io_context io;
  TestHttpServer broken(io), good(io);
  broken.on("/announce", HttpReply::status_only(500));
  good.on("/announce", HttpReply::ok(reply_with_peer(7)));
  TrackerClient client(io);
  std::vector<PeerEntry> peers;
  Announcer announcer(
      client, {{broken.url("/announce")}, {good.url("/announce")}}, params(),
      [] {
        return Announcer::Totals{0, 0, 1000};
      },
      [&](const std::vector<PeerEntry>& found) { peers = found; });
  asio::co_spawn(io, announcer.run(), asio::detached);
  REQUIRE(run_until(io, [&] { return !peers.empty(); }));
  CHECK(peers[0].host == "10.0.0.7");
  CHECK(peers[0].port == 6881);
  auto status = announcer.status();
  REQUIRE(status.size() == 2);
  INFO(status[0].url << ": " << status[0].last_error);
  CHECK(status[0].last_error.find("HTTP status 500") != std::string::npos);
  CHECK(status[1].last_error.empty());
  CHECK(status[1].last_reply.has_value());
  CHECK(saw(good, "event=started"));
  CHECK(saw(good, "left=1000"));

  bool stopped = false;
  asio::co_spawn(io, announcer.stop(), [&](std::exception_ptr) { stopped = true; });
  REQUIRE(run_until(io, [&] { return stopped; }));
  CHECK(saw(good, "event=stopped"));
  CHECK_FALSE(saw(broken, "event=stopped"));
}

TEST_CASE("announcer tells the tracker when the download completes", "[announcer]") {
  asio::io_context io;
  TestHttpServer tracker(io);
  tracker.on("/announce", HttpReply::ok(reply_with_peer(1)));
  TrackerClient client(io);
  int replies = 0;
  Announcer announcer(client, {{tracker.url("/announce")}}, params(), nullptr,
                      [&](const std::vector<PeerEntry>&) { ++replies; });
  asio::co_spawn(io, announcer.run(), asio::detached);
  REQUIRE(run_until(io, [&] { return replies == 1; }));
  announcer.completed();
  REQUIRE(run_until(io, [&] { return replies == 2; }));
  CHECK(saw(tracker, "event=completed"));
  bool stopped = false;
  asio::co_spawn(io, announcer.stop(), [&](std::exception_ptr) { stopped = true; });
  REQUIRE(run_until(io, [&] { return stopped; }));
}

TEST_CASE("announcer fails over as soon as a tracker fails, not after the timeout", "[announcer]") {
  asio::io_context io;
  TestHttpServer broken(io), good(io);
  broken.on("/announce", HttpReply::ok("garbage"));
  good.on("/announce", HttpReply::ok(reply_with_peer(9)));
  TrackerClient client(io);
  auto p = params();
  p.attempt_timeout = 30s;
  bool got = false;
  Announcer announcer(client, {{broken.url("/announce")}, {good.url("/announce")}}, p, nullptr,
                      [&](const std::vector<PeerEntry>&) { got = true; });
  asio::co_spawn(io, announcer.run(), asio::detached);
  auto begin = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      io, [&] { return got; }, 10s));
  CHECK(std::chrono::steady_clock::now() - begin < 2s);
  CHECK(announcer.status()[0].last_error.find("not bencoded") != std::string::npos);
  bool stopped = false;
  asio::co_spawn(io, announcer.stop(), [&](std::exception_ptr) { stopped = true; });
  REQUIRE(run_until(io, [&] { return stopped; }));
}

TEST_CASE("announcer stop ends an announce that hangs and returns promptly", "[announcer]") {
  asio::io_context io;
  TestHttpServer tracker(io);
  tracker.on("/announce", HttpReply::never_answer());
  TrackerClient client(io);
  Announcer announcer(client, {{tracker.url("/announce")}}, params(), nullptr, nullptr);
  bool run_returned = false;
  asio::co_spawn(io, announcer.run(), [&](std::exception_ptr) { run_returned = true; });
  REQUIRE(run_until(io, [&] { return !tracker.request_lines().empty(); }));
  bool stopped = false;
  auto begin = std::chrono::steady_clock::now();
  asio::co_spawn(io, announcer.stop(), [&](std::exception_ptr) { stopped = true; });
  REQUIRE(run_until(
      io, [&] { return stopped && run_returned; }, 5s));
  CHECK(std::chrono::steady_clock::now() - begin < 1s);
  CHECK_FALSE(saw(tracker, "event=stopped"));  // it never answered: nothing to stop
}
