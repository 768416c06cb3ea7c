// The remote clients' shells against scripted servers: transmission's RPC on TestHttpServer
// (the 409 session-id handshake, HTTP errors, deadlines, size caps) and rTorrent's XML-RPC
// on a small SCGI server of this test; the URLs make_remote_client takes and refuses.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "../support/run_coroutine.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/remote_client.hpp"
#include "util/concat.hpp"

using namespace bitflow;
using namespace bitflow::remote;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

const std::string hash_a = "0123456789abcdef0123456789abcdef01234567";
const std::string one_torrent = util::concat(
    R"({"result":"success","arguments":{"torrents":[{"hashString":")", hash_a,
    R"(","name":"a.bin","status":4,"sizeWhenDone":1000,"leftUntilDone":600,"rateDownload":1,)"
    R"("rateUpload":2,"error":0,"errorString":""}]}})");

// A transmission-daemon look-alike: requests without the current session id get 409.
struct Transmission {
  asio::io_context io;
  test::TestHttpServer server{io};
  std::string session_id = "first-id";
  std::string answer = one_torrent;
  std::unique_ptr<RemoteClient> client;
  int refused = 0;

  explicit Transmission(RemoteOptions options = {}) {
    server.check_heads([this](std::string_view head) -> std::optional<test::HttpReply> {
      if (test::request_header(head, "X-Transmission-Session-Id") == session_id)
        return std::nullopt;
      ++refused;
      test::HttpReply r = test::HttpReply::status_only(409, "<h1>409: Conflict</h1>");
      r.headers.push_back(util::concat("X-Transmission-Session-Id: ", session_id));
      return r;
    });
    server.on("/transmission/rpc",
              [this](std::string_view) { return test::HttpReply::ok(answer); });
    client = make_remote_client(io,
                                util::concat("transmission+http://127.0.0.1:",
                                             std::to_string(server.port()), "/transmission/rpc"),
                                options);
  }

  std::vector<RemoteTorrent> list(ErrorInfo& error) {
    std::vector<RemoteTorrent> out;
    test::run_coroutine(
        io, [&]() -> asio::awaitable<void> { out = co_await client->list(); }, error);
    return out;
  }
};

}  // namespace

TEST_CASE("transmission: the client learns the session id from a 409 and keeps it", "[remote]") {
  Transmission t;
  ErrorInfo error;
  auto torrents = t.list(error);
  REQUIRE_FALSE(error);
  REQUIRE(torrents.size() == 1);
  CHECK(torrents[0].hash == hash_a);
  CHECK(torrents[0].bytes_done == 400);
  CHECK(t.refused == 1);
  CHECK(t.server.request_lines().size() == 2);
  CHECK_THAT(t.server.request_bodies().back(), Contains(R"("method":"torrent-get")"));
  (void)t.list(error);
  CHECK(t.refused == 1);
  CHECK(t.server.request_lines().size() == 3);
  // The daemon restarted: a new id, one more 409, and the call still succeeds.
  t.session_id = "second-id";
  CHECK(t.list(error).size() == 1);
  CHECK_FALSE(error);
  CHECK(t.refused == 2);
}

TEST_CASE("transmission: get, pause, resume and remove send the torrent's id", "[remote]") {
  Transmission t;
  ErrorInfo error;
  std::optional<RemoteTorrent> found, missing;
  test::run_coroutine(
      t.io,
      [&]() -> asio::awaitable<void> {
        found = co_await t.client->get("0123456789ABCDEF0123456789ABCDEF01234567");
        t.answer = R"({"result":"success","arguments":{"torrents":[]}})";
        missing = co_await t.client->get(hash_a);
        t.answer = R"({"result":"success","arguments":{}})";
        co_await t.client->pause(hash_a);
        co_await t.client->resume(hash_a);
        co_await t.client->remove(hash_a, true);
      },
      error);
  REQUIRE_FALSE(error);
  REQUIRE(found);
  CHECK(found->name == "a.bin");
  CHECK_FALSE(missing);
  const auto& bodies = t.server.request_bodies();
  REQUIRE(bodies.size() >= 5);
  CHECK_THAT(bodies[bodies.size() - 3], Contains(R"("method":"torrent-stop")"));
  CHECK_THAT(bodies[bodies.size() - 3], Contains(hash_a));
  CHECK_THAT(bodies[bodies.size() - 2], Contains(R"("method":"torrent-start")"));
  CHECK_THAT(bodies.back(), Contains(R"("delete-local-data":true)"));
}

TEST_CASE("transmission: a refused call and HTTP errors are reported clearly", "[remote]") {
  Transmission t;
  ErrorInfo error;
  t.answer = R"({"result":"invalid or missing argument","arguments":{}})";
  test::run_coroutine(
      t.io, [&]() -> asio::awaitable<void> { co_await t.client->pause(hash_a); }, error);
  CHECK(error.code == errc::rpc_failed);
  CHECK_THAT(error.message, Contains("refused: invalid or missing argument"));

  error.clear();
  t.server.fail_next("/transmission/rpc", 1, test::HttpReply::status_only(401, "Unauthorized"));
  (void)t.list(error);
  CHECK(error.code == errc::http_status);
  CHECK_THAT(error.message, Contains("HTTP 401 (the RPC wants a user and password"));

  // A 409 that comes again with the id just sent is not retried forever.
  error.clear();
  t.server.check_heads([](std::string_view) -> std::optional<test::HttpReply> {
    test::HttpReply r = test::HttpReply::status_only(409);
    r.headers.push_back("X-Transmission-Session-Id: always-new");
    return r;
  });
  (void)t.list(error);
  CHECK(error.code == errc::http_status);
  CHECK_THAT(error.message, Contains("HTTP 409"));
}

TEST_CASE("transmission: deadlines, size caps and unreachable daemons", "[remote]") {
  SECTION("no answer") {
    RemoteOptions o;
    o.timeout = 300ms;
    Transmission t(o);
    t.server.on("/transmission/rpc", test::HttpReply::never_answer());
    ErrorInfo error;
    (void)t.list(error);
    CHECK(error.code == errc::timed_out);
  }
  SECTION("too large") {
    RemoteOptions o;
    o.max_response = 100;
    Transmission t(o);
    ErrorInfo error;
    (void)t.list(error);
    CHECK(error.code == errc::response_too_large);
  }
  SECTION("malformed") {
    Transmission t;
    t.answer = "{\"result\":";
    ErrorInfo error;
    (void)t.list(error);
    CHECK(error.code == errc::malformed_response);
    CHECK_THAT(error.message, Contains("transmission 127.0.0.1:"));
  }
  SECTION("nobody listening") {
    asio::io_context io;
    tcp::acceptor closed(io, {asio::ip::address_v4::loopback(), 0});
    const auto port = closed.local_endpoint().port();
    closed.close();
    auto client = make_remote_client(
        io,
        util::concat("transmission+http://127.0.0.1:", std::to_string(port), "/transmission/rpc"));
    ErrorInfo error;
    test::run_coroutine(
        io, [&]() -> asio::awaitable<void> { (void)co_await client->list(); }, error);
    CHECK(error.code == errc::connection_failed);
  }
}

namespace {

// rTorrent's SCGI port, scripted: reads one netstring-framed request per connection,
// records its headers and body, writes `answer` (or nothing, when hang) and closes.
struct ScgiState {
  explicit ScgiState(asio::io_context& io) : acceptor(io, {asio::ip::address_v4::loopback(), 0}) {}
  tcp::acceptor acceptor;
  std::vector<std::string> headers;
  std::vector<std::string> bodies;
  std::string answer;
  bool hang = false;
  std::vector<std::shared_ptr<tcp::socket>> held;  // hung connections, kept open
};

asio::awaitable<void> serve_one(std::shared_ptr<ScgiState> s, std::shared_ptr<tcp::socket> socket) {
  std::string buffer;
  const std::size_t colon = co_await asio::async_read_until(*socket, asio::dynamic_buffer(buffer),
                                                            ':', asio::use_awaitable);
  const std::size_t length = std::stoul(buffer.substr(0, colon - 1));
  buffer.erase(0, colon);
  if (buffer.size() < length + 1)
    co_await asio::async_read(*socket, asio::dynamic_buffer(buffer),
                              asio::transfer_exactly(length + 1 - buffer.size()),
                              asio::use_awaitable);
  std::string headers = buffer.substr(0, length);
  REQUIRE(buffer[length] == ',');
  buffer.erase(0, length + 1);
  // CONTENT_LENGTH comes first, as SCGI requires.
  REQUIRE(headers.starts_with(std::string("CONTENT_LENGTH\0", 15)));
  const std::size_t body_size = std::stoul(headers.substr(15));
  if (buffer.size() < body_size)
    co_await asio::async_read(*socket, asio::dynamic_buffer(buffer),
                              asio::transfer_exactly(body_size - buffer.size()),
                              asio::use_awaitable);
  s->headers.push_back(std::move(headers));
  s->bodies.push_back(buffer.substr(0, body_size));
  if (s->hang) {
    s->held.push_back(socket);
    co_return;
  }
  co_await asio::async_write(*socket, asio::buffer(s->answer), asio::use_awaitable);
  socket->close();
}

asio::awaitable<void> accept_scgi(std::shared_ptr<ScgiState> s) {
  for (;;) {
    auto socket =
        std::make_shared<tcp::socket>(co_await s->acceptor.async_accept(asio::use_awaitable));
    asio::co_spawn(s->acceptor.get_executor(), serve_one(s, std::move(socket)), asio::detached);
  }
}

std::string scgi_answer(const std::string& xml) {
  return util::concat("Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: ",
                      std::to_string(xml.size()), "\r\n\r\n", xml);
}

std::string xml_answer(const std::string& value) {
  return scgi_answer("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param>" +
                     value + "</param></params></methodResponse>");
}

const std::string one_row =
    "<value><array><data><value><array><data>"
    "<value><string>0123456789ABCDEF0123456789ABCDEF01234567</string></value>"
    "<value><string>a &amp; b.bin</string></value>"
    "<value><i8>1</i8></value><value><i8>1</i8></value><value><i8>0</i8></value>"
    "<value><i8>0</i8></value><value><i8>5000000000</i8></value><value><i8>8000000000</i8></value>"
    "<value><i8>1024</i8></value><value><i8>0</i8></value><value><string></string></value>"
    "</data></array></value></data></array></value>";

struct Rtorrent {
  asio::io_context io;
  std::shared_ptr<ScgiState> server = std::make_shared<ScgiState>(io);
  std::unique_ptr<RemoteClient> client;

  explicit Rtorrent(RemoteOptions options = {}) {
    asio::co_spawn(io, accept_scgi(server), asio::detached);
    client =
        make_remote_client(io,
                           util::concat("rtorrent+scgi://127.0.0.1:",
                                        std::to_string(server->acceptor.local_endpoint().port())),
                           options);
  }
  ~Rtorrent() {
    boost::system::error_code ignored;
    server->acceptor.close(ignored);
    for (auto& s : server->held)
      s->close(ignored);
  }

  std::vector<RemoteTorrent> list(ErrorInfo& error) {
    std::vector<RemoteTorrent> out;
    test::run_coroutine(
        io, [&]() -> asio::awaitable<void> { out = co_await client->list(); }, error);
    return out;
  }
};

}  // namespace

TEST_CASE("rtorrent: list is one d.multicall2 over SCGI", "[remote]") {
  Rtorrent r;
  r.server->answer = xml_answer(one_row);
  ErrorInfo error;
  auto torrents = r.list(error);
  REQUIRE_FALSE(error);
  REQUIRE(torrents.size() == 1);
  CHECK(torrents[0].hash == hash_a);
  CHECK(torrents[0].name == "a & b.bin");
  CHECK(torrents[0].state == RemoteState::downloading);
  CHECK(torrents[0].bytes_done == 5000000000);
  CHECK(torrents[0].bytes_total == 8000000000);
  CHECK(torrents[0].download_rate == 1024);
  REQUIRE(r.server->bodies.size() == 1);
  CHECK_THAT(r.server->bodies[0], Contains("<methodName>d.multicall2</methodName>"));
  CHECK_THAT(r.server->headers[0], Contains(std::string("SCGI\0"
                                                        "1\0",
                                                        7)));
  CHECK(r.client->describe() ==
        util::concat("rtorrent 127.0.0.1:",
                     std::to_string(r.server->acceptor.local_endpoint().port())));
}

TEST_CASE("rtorrent: pause, resume and remove call d.stop, d.start and d.erase", "[remote]") {
  Rtorrent r;
  r.server->answer = xml_answer("<value><i8>0</i8></value>");
  ErrorInfo error;
  test::run_coroutine(
      r.io,
      [&]() -> asio::awaitable<void> {
        co_await r.client->pause(hash_a);
        co_await r.client->resume(hash_a);
        co_await r.client->remove(hash_a, false);
      },
      error);
  REQUIRE_FALSE(error);
  REQUIRE(r.server->bodies.size() == 3);
  CHECK_THAT(r.server->bodies[0], Contains("<methodName>d.stop</methodName>"));
  CHECK_THAT(r.server->bodies[0], Contains("0123456789ABCDEF0123456789ABCDEF01234567"));
  CHECK_THAT(r.server->bodies[1], Contains("<methodName>d.start</methodName>"));
  CHECK_THAT(r.server->bodies[2], Contains("<methodName>d.erase</methodName>"));
}

TEST_CASE("rtorrent: faults, deletion of data and broken answers fail clearly", "[remote]") {
  SECTION("a fault") {
    Rtorrent r;
    r.server->answer = scgi_answer(
        "<methodResponse><fault><value><struct><member><name>faultCode</name><value><i4>-501</i4>"
        "</value></member><member><name>faultString</name><value><string>Could not find "
        "info-hash.</string></value></member></struct></value></fault></methodResponse>");
    ErrorInfo error;
    test::run_coroutine(
        r.io, [&]() -> asio::awaitable<void> { co_await r.client->pause(hash_a); }, error);
    CHECK(error.code == errc::rpc_failed);
    CHECK_THAT(error.message, Contains("fault -501: Could not find info-hash."));
  }
  SECTION("deleting data is refused before anything is sent") {
    Rtorrent r;
    ErrorInfo error;
    test::run_coroutine(
        r.io, [&]() -> asio::awaitable<void> { co_await r.client->remove(hash_a, true); }, error);
    CHECK(error.code == errc::unsupported);
    CHECK(r.server->bodies.empty());
  }
  SECTION("a truncated answer") {
    Rtorrent r;
    const std::string full = xml_answer(one_row);
    r.server->answer = full.substr(0, full.size() - 20);
    ErrorInfo error;
    (void)r.list(error);
    CHECK(error.code == errc::malformed_response);
    CHECK_THAT(error.message, Contains("truncated"));
  }
  SECTION("an answer over the cap") {
    RemoteOptions o;
    o.max_response = 200;
    Rtorrent r(o);
    r.server->answer = xml_answer(one_row);
    ErrorInfo error;
    (void)r.list(error);
    CHECK(error.code == errc::response_too_large);
  }
  SECTION("no answer") {
    RemoteOptions o;
    o.timeout = 300ms;
    Rtorrent r(o);
    r.server->hang = true;
    ErrorInfo error;
    (void)r.list(error);
    CHECK(error.code == errc::timed_out);
    CHECK_THAT(error.message, Contains("no complete answer within 300 ms"));
  }
}

TEST_CASE("make_remote_client takes the two URL forms and refuses others", "[remote]") {
  asio::io_context io;
  CHECK(make_remote_client(io, "transmission+http://127.0.0.1:9091/transmission/rpc")->describe() ==
        "transmission 127.0.0.1:9091");
  CHECK(make_remote_client(io, "transmission+https://u:secret@host:9091/transmission/rpc")
            ->describe() == "transmission host:9091");
  CHECK(make_remote_client(io, "rtorrent+scgi://127.0.0.1:5000")->describe() ==
        "rtorrent 127.0.0.1:5000");
  CHECK(make_remote_client(io, "rtorrent+scgi://[::1]:5000/")->describe() == "rtorrent [::1]:5000");
  for (const char* bad : {"http://127.0.0.1:9091/transmission/rpc", "transmission+ftp://h/x",
                          "transmission+http://", "rtorrent+scgi://host", "rtorrent+scgi://host:0",
                          "rtorrent+scgi://host:70000", "rtorrent+scgi://host:5000/RPC2",
                          "rtorrent+scgi://::1:5000", "rtorrent+scgi://[::1:5000"}) {
    INFO(bad);
    try {
      (void)make_remote_client(io, bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == errc::bad_url);
    }
  }
  try {
    (void)make_remote_client(io, "transmission+ftp://user:secret@h/x");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), !Contains("secret"));
  }
}
