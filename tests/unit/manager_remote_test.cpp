// The Manager watching a remote client: a scripted transmission-daemon (TestHttpServer with
// the 409 session-id handshake) whose torrent appears, moves and finishes; the events reach
// the listeners with the owner and type of the configured client, and the owner's webhook
// receives the finished delivery signed. An outage is logged once and survived; shutdown()
// stops the polling.
#include <spdlog/sinks/ostream_sink.h>

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../support/fetch_support.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/error.hpp"
#include "bitflow/log.hpp"
#include "bitflow/manager.hpp"
#include "bitflow/remote_client.hpp"
#include "manager/remote_watchers.hpp"
#include "manager/webhook_signature.hpp"
#include "util/concat.hpp"

using namespace bitflow;
using namespace bitflow::manager;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::request_header;
using bitflow::test::run_until;
using bitflow::test::TempFolder;
using bitflow::test::TestHttpServer;
using Catch::Matchers::Contains;
namespace asio = boost::asio;

namespace {

const std::string hash = "89abcdef0123456789abcdef0123456789abcdef";

// torrent-get's answer with one torrent (status 4 downloading, 6 seeding), or none.
std::string answer_with(int status, int left) {
  return util::concat(R"({"result":"success","arguments":{"torrents":[{"hashString":")", hash,
                      R"(","name":"film.mkv","status":)", std::to_string(status),
                      R"(,"sizeWhenDone":1000,"leftUntilDone":)", std::to_string(left),
                      R"(,"rateDownload":5,"rateUpload":0,"error":0,"errorString":""}]}})");
}
const std::string no_torrents = R"({"result":"success","arguments":{"torrents":[]}})";

struct Fixture {
  TempFolder tmp{"bitflow-manager-remote"};
  asio::io_context io;
  TestHttpServer transmission{io};
  TestHttpServer receiver{io};
  std::string answer = no_torrents;
  bool down = false;
  int polls = 0;
  std::vector<std::string> hook_heads;
  std::vector<Event> events;
  std::vector<Delivery> delivered;

  Fixture() {
    transmission.check_heads([](std::string_view head) -> std::optional<HttpReply> {
      if (request_header(head, "X-Transmission-Session-Id") == "sid") return std::nullopt;
      HttpReply r = HttpReply::status_only(409);
      r.headers.push_back("X-Transmission-Session-Id: sid");
      return r;
    });
    transmission.on("/transmission/rpc", [this](std::string_view) {
      ++polls;
      return down ? HttpReply::status_only(500, "broken") : HttpReply::ok(answer);
    });
    receiver.on("/hook", HttpReply::ok("thanks"));
    receiver.check_heads([this](std::string_view head) -> std::optional<HttpReply> {
      hook_heads.emplace_back(head);
      return std::nullopt;
    });
  }

  std::string client_url() const {
    return util::concat("transmission+http://127.0.0.1:", std::to_string(transmission.port()),
                        "/transmission/rpc");
  }

  std::unique_ptr<Manager> make() {
    ManagerOptions o;
    o.work_dir = tmp.path / "work";
    o.disk_reserve = 0;
    o.progress_interval = 0ms;
    o.webhooks.poll_interval = 50ms;
    o.webhooks.on_delivered = [this](const Delivery& d) { delivered.push_back(d); };
    WatchedClient c;
    c.url = client_url();
    c.owner = "alice";
    c.interval = 20ms;
    o.remote_clients.push_back(c);
    auto m =
        std::make_unique<Manager>(io, std::move(o), open_sqlite_store(tmp.path / "m.db"), nullptr);
    m->subscribe([this](const Event& e) { events.push_back(e); });
    return m;
  }

  std::vector<std::string> kinds() const {
    std::vector<std::string> out;
    for (const Event& e : events)
      out.emplace_back(to_string(e.kind));
    return out;
  }
};

struct CapturedLog {
  std::ostringstream stream;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink =
      std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);
  CapturedLog() {
    auto mine = std::make_shared<spdlog::logger>("bitflow", sink);
    mine->set_level(spdlog::level::info);
    set_logger(mine);
  }
  ~CapturedLog() { set_logger(nullptr); }
  std::string text() {
    sink->flush();
    return stream.str();
  }
};

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "the manager reports a watched transmission's torrent to listeners and the owner's "
    "webhook",
    "[manager][remote]") {
  Fixture f;
  auto m = f.make();
  const Webhook w = m->add_webhook("alice", f.receiver.url("/hook"), "s3cret", {"finished"});
  m->start();
  REQUIRE(run_until(f.io, [&] { return f.polls >= 2; }));
  CHECK(f.events.empty());  // an empty client has nothing to report

  f.answer = answer_with(4, 600);
  REQUIRE(run_until(f.io, [&] { return f.events.size() >= 2; }));
  CHECK(f.kinds() == std::vector<std::string>{"added", "started"});
  const DownloadRecord first = f.events[0].download;  // a copy: more events are coming
  CHECK(first.owner == "alice");
  CHECK(first.type == "transmission");
  CHECK(first.name == "film.mkv");
  CHECK(first.bytes_done == 400);
  CHECK(std::regex_match(first.id, std::regex("transmission-[0-9a-f]{8}-" + hash)));
  CHECK(first.id == detail::remote_id(f.client_url(), hash));

  f.answer = answer_with(4, 300);
  REQUIRE(run_until(f.io, [&] { return f.kinds().back() == "progress"; }));
  CHECK(f.events.back().download.bytes_done == 700);
  f.answer = answer_with(6, 0);
  REQUIRE(run_until(f.io, [&] { return f.kinds().back() == "finished"; }));
  CHECK(f.kinds() == std::vector<std::string>{"added", "started", "progress", "finished"});
  for (const Event& e : f.events)
    CHECK(e.download.id == first.id);

  // The webhook wanted only finished: one delivery, signed with its secret.
  REQUIRE(run_until(f.io, [&] { return f.delivered.size() == 1; }));
  CHECK(f.delivered[0].webhook_id == w.id);
  REQUIRE(f.receiver.request_bodies().size() == 1);
  const std::string body = f.receiver.request_bodies()[0];
  CHECK(request_header(f.hook_heads[0], "X-Bitflow-Event") == "finished");
  CHECK(request_header(f.hook_heads[0], "X-Bitflow-Signature") ==
        detail::webhook_signature("s3cret", body));
  CHECK_THAT(body, Contains("\"id\":\"" + first.id + "\""));
  CHECK_THAT(body, Contains("\"owner\":\"alice\""));
  CHECK_THAT(body, Contains("\"type\":\"transmission\""));
  CHECK_THAT(body, Contains("\"state\":\"completed\""));
  CHECK(m->deliveries_owed("alice") == 0);

  // The last snapshot is a view of its own; the store holds none of it.
  const auto remote = m->remote_downloads("alice");
  REQUIRE(remote.size() == 1);
  CHECK(remote[0].id == first.id);
  CHECK(remote[0].state == DownloadState::completed);
  CHECK(m->remote_downloads("bob").empty());
  CHECK(m->remote_downloads().size() == 1);
  CHECK_FALSE(m->get_one(first.id));
  CHECK(m->get_all().empty());

  // Gone from the client: removed, and out of the view.
  f.answer = no_torrents;
  REQUIRE(run_until(f.io, [&] { return f.kinds().back() == "removed"; }));
  CHECK(m->remote_downloads().empty());
}

TEST_CASE("a watched client's outage is logged once, survived, and shutdown stops the polls",
          "[manager][remote]") {
  CapturedLog log;
  Fixture f;
  f.answer = answer_with(4, 600);
  auto m = f.make();
  m->start();
  REQUIRE(run_until(f.io, [&] { return f.events.size() == 2; }));

  f.down = true;
  const int before = f.polls;
  REQUIRE(run_until(f.io, [&] { return f.polls >= before + 4; }));
  CHECK(count_of(log.text(), "HTTP 500") == 1);
  CHECK(f.events.size() == 2);  // nothing "removed" because of the outage
  CHECK(m->remote_downloads().size() == 1);

  f.down = false;
  f.answer = answer_with(6, 0);
  REQUIRE(run_until(f.io, [&] { return f.kinds().back() == "finished"; }));
  CHECK_THAT(log.text(), Contains("answers again"));
  f.down = true;  // a second outage is logged again
  const int again = f.polls;
  REQUIRE(run_until(f.io, [&] { return f.polls >= again + 2; }));
  CHECK(count_of(log.text(), "HTTP 500") == 2);
  f.down = false;

  bool done = false;
  asio::co_spawn(f.io, m->shutdown(), [&](std::exception_ptr) { done = true; });
  REQUIRE(run_until(f.io, [&] { return done; }));
  test::run_for(f.io, 60ms);  // the watcher's next poll ends it
  const int stopped_at = f.polls;
  f.answer = no_torrents;
  test::run_for(f.io, 150ms);
  CHECK(f.polls == stopped_at);
  CHECK(f.kinds().back() == "finished");
}

TEST_CASE("a watched client needs a client URL and an owner", "[manager][remote]") {
  TempFolder tmp{"bitflow-manager-remote-bad"};
  asio::io_context io;
  auto make = [&](const std::string& url, const std::string& owner) {
    ManagerOptions o;
    o.work_dir = tmp.path / "work";
    WatchedClient c;
    c.url = url;
    c.owner = owner;
    o.remote_clients.push_back(c);
    Manager m(io, std::move(o), open_sqlite_store(tmp.path / "m.db"), nullptr);
  };
  try {
    make("http://127.0.0.1:9091/transmission/rpc", "alice");
    FAIL("a plain http URL was taken");
  } catch (const Error& e) {
    CHECK(e.code() == remote::errc::bad_url);
  }
  try {
    make("rtorrent+scgi://127.0.0.1:5000", "");
    FAIL("an empty owner was taken");
  } catch (const Error& e) {
    CHECK(e.code() == std::errc::invalid_argument);
  }
  CHECK(detail::remote_kind("rtorrent+scgi://127.0.0.1:5000") == "rtorrent");
  CHECK(detail::remote_id("rtorrent+scgi://127.0.0.1:5000", hash) !=
        detail::remote_id("rtorrent+scgi://127.0.0.1:5001", hash));
}
