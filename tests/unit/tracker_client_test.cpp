// TrackerClient end to end on loopback: HTTP announces and scrapes against the scripted
// test server (what the tracker saw, how each kind of failure is reported), and UDP
// announces against a tiny BEP 15 responder written here.
#include <catch2/catch.hpp>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <string>

#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/tracker_client.hpp"

using namespace bitflow;
using namespace bitflow::tracker;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::run_until;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;

namespace {

// The outcome of one client call: its value, or the bitflow::Error it threw.
template <typename T>
struct Finished {
  bool done = false;
  std::optional<T> value;
  std::error_code code;
  std::string message;
};

template <typename T>
Finished<T> run(asio::io_context& io, asio::awaitable<T> task) {
  Finished<T> f;
  asio::co_spawn(io, std::move(task), [&f](std::exception_ptr e, T v) {
    f.done = true;
    if (!e) {
      f.value = std::move(v);
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const Error& error) {
      f.code = error.code();
      f.message = error.what();
    }
  });
  REQUIRE(run_until(
      io, [&] { return f.done; }, 15s));
  return f;
}

std::string raw(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes)
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(b)));
  return out;
}

std::string be32(std::uint32_t v) {
  return raw({static_cast<int>(v >> 24), static_cast<int>((v >> 16) & 0xff),
              static_cast<int>((v >> 8) & 0xff), static_cast<int>(v & 0xff)});
}

std::uint32_t read32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

AnnounceRequest sample_request() {
  AnnounceRequest r;
  for (std::size_t i = 0; i < r.info_hash.bytes.size(); ++i)
    r.info_hash.bytes[i] = static_cast<std::uint8_t>(0xf0 + i);  // 0xf0 ... 0x03
  r.info_hash.bytes[19] = 'A';
  r.peer_id = PeerId::generate();
  r.port = 6881;
  r.left = 1000;
  r.event = Event::started;
  return r;
}

const std::string two_peers = raw({10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0x1a, 0xe2});

ClientOptions fast_options() {
  ClientOptions options;
  options.http_timeout = 5s;
  options.udp_base_timeout = 100ms;
  options.udp_max_retransmits = 1;
  return options;
}

}  // namespace

// ---- HTTP ----------------------------------------------------------------------------

TEST_CASE("tracker client announces over http and gets the tracker's peers", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::ok("d8:intervali900e5:peers12:" + two_peers + "e"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/announce"), sample_request()));
  INFO(f.message);
  REQUIRE(f.value);
  CHECK(f.value->interval == 900s);
  REQUIRE(f.value->peers.size() == 2);
  CHECK(f.value->peers[0] == PeerEntry{"10.0.0.1", 6881, std::nullopt});
  CHECK(f.value->peers[1] == PeerEntry{"10.0.0.2", 6882, std::nullopt});

  REQUIRE(server.request_lines().size() == 1);
  const std::string& line = server.request_lines()[0];
  INFO(line);
  CHECK(
      line.starts_with("GET /announce?info_hash=%F0%F1%F2%F3%F4%F5%F6%F7%F8%F9%FA%FB%FC%FD%FE%FF"
                       "%00%01%02A&peer_id=-bf0100-"));
  CHECK(line.find("&port=6881&") != std::string::npos);
  CHECK(line.find("&left=1000&") != std::string::npos);
  CHECK(line.find("&compact=1&") != std::string::npos);
  CHECK(line.find("&event=started") != std::string::npos);
  CHECK(line.ends_with(" HTTP/1.1"));
}

TEST_CASE("tracker client reports a non-200 reply's failure reason as tracker_failure",
          "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::status_only(400, "d14:failure reason15:unknown torrente"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/announce"), sample_request()));
  CHECK_FALSE(f.value);
  CHECK(f.code == errc::tracker_failure);
  CHECK_THAT(f.message, Catch::Contains("unknown torrent"));
  CHECK_THAT(f.message, Catch::Contains(server.url("/announce")));
}

TEST_CASE("tracker client reports a 200 reply's failure reason as tracker_failure",
          "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::ok("d14:failure reason6:bannede"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/announce"), sample_request()));
  CHECK(f.code == errc::tracker_failure);
  CHECK_THAT(f.message, Catch::Contains("banned"));
}

TEST_CASE("tracker client reports a non-200 reply without a reason as http_status",
          "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::status_only(500, "<html>oops</html>"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/announce"), sample_request()));
  CHECK(f.code == errc::http_status);
  CHECK_THAT(f.message, Catch::Contains("500"));

  // A 404 (no handler at all) is the same kind of failure.
  auto missing = run(io, client.announce(server.url("/elsewhere/announce"), sample_request()));
  CHECK(missing.code == errc::http_status);
  CHECK_THAT(missing.message, Catch::Contains("404"));
}

TEST_CASE("tracker client reports a garbage 200 reply as invalid_response", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::ok("<html>this is not a tracker</html>"));
  server.on("/scrape", HttpReply::ok("d5:filesi3ee"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/announce"), sample_request()));
  CHECK(f.code == errc::invalid_response);
  CHECK_THAT(f.message, Catch::Contains(server.url("/announce")));
  auto s = run(io, client.scrape(server.url("/announce"), {Sha1Hash{}}));
  CHECK(s.code == errc::invalid_response);
}

TEST_CASE("tracker client turns transfer failures into tracker errors", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/slow", HttpReply::ok("d5:peers0:e").after(5s));
  server.on("/huge", HttpReply::stream_forever());
  server.on("/close", HttpReply::close_without_answer());
  ClientOptions options = fast_options();
  options.http_timeout = 300ms;
  TrackerClient client(io, options);

  CHECK(run(io, client.announce(server.url("/slow"), sample_request())).code == errc::timed_out);
  CHECK(run(io, client.announce(server.url("/huge"), sample_request())).code ==
        errc::response_too_large);
  CHECK(run(io, client.announce(server.url("/close"), sample_request())).code ==
        errc::network_error);
}

TEST_CASE("tracker client follows a redirect to the real announce url", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/old/announce", [&](std::string_view target) {
    std::string query(target.substr(target.find('?')));
    return HttpReply::redirect("/new/announce" + query);
  });
  server.on("/new/announce", HttpReply::ok("d5:peers6:" + two_peers.substr(0, 6) + "e"));
  TrackerClient client(io, fast_options());

  auto f = run(io, client.announce(server.url("/old/announce"), sample_request()));
  INFO(f.message);
  REQUIRE(f.value);
  CHECK(f.value->peers.size() == 1);
  REQUIRE(server.request_lines().size() == 2);
  CHECK(server.request_lines()[1].starts_with("GET /new/announce?info_hash=%F0"));
}

TEST_CASE("tracker client scrapes through the BEP 48 url", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  const std::string a(20, 'a'), b(20, 'b');
  server.on("/x/scrape",
            HttpReply::ok("d5:filesd20:" + a + "d8:completei3e10:downloadedi4e10:incompletei5ee" +
                          "20:" + b + "d8:completei1eeee"));
  TrackerClient client(io, fast_options());

  auto hash_a = *Sha1Hash::from_bytes(a);
  auto hash_b = *Sha1Hash::from_bytes(b);
  auto f = run(io, client.scrape(server.url("/x/announce?passkey=1"), {hash_a, hash_b}));
  INFO(f.message);
  REQUIRE(f.value);
  REQUIRE(f.value->size() == 2);
  CHECK((*f.value)[0] == ScrapeEntry{hash_a, 3, 4, 5});
  CHECK((*f.value)[1] == ScrapeEntry{hash_b, 1, 0, 0});
  REQUIRE(server.request_lines().size() == 1);
  CHECK(server.request_lines()[0] ==
        "GET /x/scrape?passkey=1&info_hash=" + a + "&info_hash=" + b + " HTTP/1.1");
}

TEST_CASE("tracker client refuses to scrape a tracker without a BEP 48 url", "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  TrackerClient client(io, fast_options());

  auto f = run(io, client.scrape(server.url("/tracker.php"), {Sha1Hash{}}));
  CHECK(f.code == errc::no_scrape_url);
  CHECK(server.request_lines().empty());
}

TEST_CASE("tracker client refuses urls that are not http, https or udp", "[tracker-client]") {
  asio::io_context io;
  TrackerClient client(io, fast_options());

  for (const char* url : {"ftp://127.0.0.1/announce", "file:///etc/passwd", "127.0.0.1:80",
                          "wss://127.0.0.1/announce", ""}) {
    INFO(url);
    CHECK(run(io, client.announce(url, sample_request())).code == errc::unsupported_url);
    CHECK(run(io, client.scrape(url, {Sha1Hash{}})).code == errc::unsupported_url);
  }
}

TEST_CASE("tracker client announce abandoned by its caller's timeout", "[tracker-client]") {
  using namespace boost::asio::experimental::awaitable_operators;
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::never_answer());
  TrackerClient client(io, fast_options());

  auto race = [&]() -> asio::awaitable<std::size_t> {
    asio::steady_timer timer(io, 200ms);
    auto result = co_await (client.announce(server.url("/announce"), sample_request()) ||
                            timer.async_wait(asio::use_awaitable));
    co_return result.index();
  };
  auto f = run(io, race());
  INFO(f.message);
  CHECK(f.value == 1u);
  CHECK(server.request_lines().size() == 1);  // the announce was under way when abandoned
  CHECK(run_until(io, [&] { return server.open_connections() == 0; }));
}

TEST_CASE("tracker client destroyed during an http announce ends it with cancelled",
          "[tracker-client]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/announce", HttpReply::never_answer());
  std::optional<TrackerClient> client(std::in_place, io, fast_options());

  auto announce = client->announce(server.url("/announce"), sample_request());
  Finished<AnnounceResponse> f;
  asio::co_spawn(io, std::move(announce), [&f](std::exception_ptr e, AnnounceResponse) {
    f.done = true;
    try {
      if (e) std::rethrow_exception(e);
    } catch (const Error& error) {
      f.code = error.code();
    }
  });
  REQUIRE(run_until(io, [&] { return server.request_lines().size() == 1; }));
  client.reset();
  REQUIRE(run_until(io, [&] { return f.done; }));
  CHECK(f.code == errc::cancelled);
}

// ---- UDP -----------------------------------------------------------------------------

namespace {

// Plays a BEP 15 tracker on `socket`: answers connects, and announces with `peers`.
asio::awaitable<void> udp_tracker(asio::ip::udp::socket& socket, std::string peers,
                                  std::vector<std::string>& seen) {
  std::array<char, 2048> buffer{};
  for (;;) {
    asio::ip::udp::endpoint from;
    std::size_t n =
        co_await socket.async_receive_from(asio::buffer(buffer), from, asio::use_awaitable);
    std::string packet(buffer.data(), n);
    seen.push_back(packet);
    if (n < 16) continue;
    std::uint32_t action = read32(packet, 8), txid = read32(packet, 12);
    std::string reply;
    if (action == 0) reply = be32(0) + be32(txid) + be32(0x11223344) + be32(0x55667788);
    if (action == 1) reply = be32(1) + be32(txid) + be32(600) + be32(2) + be32(3) + peers;
    if (reply.empty()) continue;
    co_await socket.async_send_to(asio::buffer(reply), from, asio::use_awaitable);
  }
}

}  // namespace

TEST_CASE("tracker client announces over udp to a BEP 15 tracker", "[tracker-client]") {
  asio::io_context io;
  asio::ip::udp::socket socket(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  std::vector<std::string> seen;
  asio::co_spawn(io, udp_tracker(socket, two_peers, seen), asio::detached);
  TrackerClient client(io, fast_options());
  std::string url = "udp://127.0.0.1:" + std::to_string(socket.local_endpoint().port());

  AnnounceRequest request = sample_request();
  auto f = run(io, client.announce(url + "/announce", request));
  INFO(f.message);
  REQUIRE(f.value);
  CHECK(f.value->interval == 600s);
  CHECK(f.value->leechers == 2);
  CHECK(f.value->seeders == 3);
  REQUIRE(f.value->peers.size() == 2);
  CHECK(f.value->peers[1] == PeerEntry{"10.0.0.2", 6882, std::nullopt});

  REQUIRE(seen.size() == 2);  // connect, announce
  CHECK(seen[0].size() == 16);
  REQUIRE(seen[1].size() == 98);
  CHECK(seen[1].substr(0, 8) == be32(0x11223344) + be32(0x55667788));  // our connection id
  CHECK(seen[1].substr(16, 20) == std::string(request.info_hash.view()));

  // A second announce reuses the connection id: no new connect.
  CHECK(run(io, client.announce(url, request)).value);
  CHECK(seen.size() == 3);
  socket.close();
}

TEST_CASE("tracker client gives up on a udp tracker that never answers", "[tracker-client]") {
  asio::io_context io;
  asio::ip::udp::socket silent(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  TrackerClient client(io, fast_options());  // 100 ms, then 200 ms, then give up
  std::string url = "udp://127.0.0.1:" + std::to_string(silent.local_endpoint().port());

  auto begin = std::chrono::steady_clock::now();
  auto f = run(io, client.announce(url, sample_request()));
  CHECK(f.code == errc::timed_out);
  CHECK(std::chrono::steady_clock::now() - begin < 3s);
  // It did ask: the connect request, and its one retransmission, are waiting unread.
  silent.non_blocking(true);
  int datagrams = 0;
  std::array<char, 64> packet{};
  boost::system::error_code ec;
  while (silent.receive(asio::buffer(packet), 0, ec) > 0 && !ec)
    ++datagrams;
  CHECK(datagrams == 2);
}
