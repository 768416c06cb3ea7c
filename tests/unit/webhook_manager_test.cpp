// Webhooks end to end: a Manager downloads a file over HTTP from one TestHttpServer and
// POSTs its events to another, the receiver; the test checks what the receiver got (order,
// headers, signatures) and how failures are retried, given up and survive a restart.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "../support/fetch_support.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/error.hpp"
#include "bitflow/manager.hpp"
#include "bitflow/version.hpp"
#include "manager/manager_error.hpp"
#include "manager/webhook_signature.hpp"

using namespace bitflow;
using namespace bitflow::manager;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::request_header;
using bitflow::test::run_until;
using bitflow::test::TempFolder;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;

namespace {

// One POST as the receiver saw it.
struct Post {
  std::string event, delivery, signature, content_type, user_agent, body;
};

struct Fixture {
  TempFolder tmp{"bitflow-webhooks"};
  asio::io_context io;
  TestHttpServer files{io};
  TestHttpServer receiver{io};
  std::vector<std::string> heads;  // every request head the receiver got, in order
  std::vector<std::pair<Delivery, std::string>> failures;
  std::vector<Delivery> dead, delivered;

  Fixture() {
    files.on_file("/movie.mkv", std::string(50'000, 'm'));
    receiver.on("/hook", HttpReply::ok("thanks"));
    receiver.check_heads([this](std::string_view head) -> std::optional<HttpReply> {
      heads.emplace_back(head);
      return std::nullopt;
    });
  }

  ManagerOptions options() {
    ManagerOptions o;
    o.work_dir = tmp.path / "work";
    o.disk_reserve = 0;
    o.tick = 10ms;
    o.webhooks.retry.first_delay = 30ms;
    o.webhooks.retry.max_delay = 60ms;
    o.webhooks.retry.jitter = 0;
    o.webhooks.poll_interval = 50ms;
    o.webhooks.on_delivery_failed = [this](const Delivery& d, const std::string& why) {
      failures.emplace_back(d, why);
    };
    o.webhooks.on_delivery_dead = [this](const Delivery& d) { dead.push_back(d); };
    o.webhooks.on_delivered = [this](const Delivery& d) { delivered.push_back(d); };
    return o;
  }

  std::unique_ptr<Manager> make(ManagerOptions o) {
    return std::make_unique<Manager>(io, std::move(o), open_sqlite_store(tmp.path / "m.db"),
                                     nullptr);
  }

  std::vector<Post> posts() const {
    std::vector<Post> out;
    const auto& bodies = receiver.request_bodies();
    for (std::size_t i = 0; i < heads.size() && i < bodies.size(); ++i)
      out.push_back({request_header(heads[i], "X-Bitflow-Event"),
                     request_header(heads[i], "X-Bitflow-Delivery"),
                     request_header(heads[i], "X-Bitflow-Signature"),
                     request_header(heads[i], "Content-Type"),
                     request_header(heads[i], "User-Agent"), bodies[i]});
    return out;
  }

  std::vector<std::string> events_posted() const {
    std::vector<std::string> out;
    for (const Post& p : posts())
      out.push_back(p.event);
    return out;
  }
};

std::error_code code_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.code();
  }
  return {};
}

}  // namespace

TEST_CASE("a finished download reaches the webhook as added, started, finished, each signed",
          "[webhooks]") {
  Fixture f;
  auto m = f.make(f.options());
  const Webhook w = m->add_webhook("alice", f.receiver.url("/hook"), "top secret",
                                   {"added", "started", "finished"});
  m->start();
  AddOptions add;
  add.owner = "alice";
  const std::string id = m->add(f.files.url("/movie.mkv"), add);
  REQUIRE(run_until(f.io, [&] { return f.delivered.size() == 3; }));
  test::run_ready(f.io);

  CHECK(f.events_posted() == std::vector<std::string>{"added", "started", "finished"});
  std::set<std::string> ids;
  for (const Post& p : f.posts()) {
    INFO(p.body);
    CHECK(p.signature == detail::webhook_signature("top secret", p.body));
    CHECK(p.signature.size() == 7 + 64);
    CHECK(p.content_type == "application/json");
    CHECK(p.user_agent == bitflow::user_agent);
    CHECK_THAT(p.body, Catch::Contains("\"event\":\"" + p.event + "\""));
    CHECK_THAT(p.body, Catch::Contains("\"id\":\"" + id + "\""));
    ids.insert(p.delivery);
  }
  CHECK(ids.size() == 3);  // a delivery id of its own for each
  CHECK_THAT(f.posts().back().body, Catch::Contains("\"state\":\"completed\""));
  CHECK(f.failures.empty());
  CHECK(m->deliveries_owed("alice") == 0);
  CHECK(f.delivered[0].webhook_id == w.id);
}

TEST_CASE("a webhook without a filter gets every event but progress, other owners' none",
          "[webhooks]") {
  Fixture f;
  auto m = f.make(f.options());
  m->add_webhook("alice", f.receiver.url("/hook"), "k");
  m->start();
  AddOptions bob;
  bob.owner = "bob";
  const std::string bobs = m->add(f.files.url("/movie.mkv"), bob);
  AddOptions alice;
  alice.owner = "alice";
  const std::string alices = m->add(f.files.url("/movie.mkv"), alice);
  REQUIRE(run_until(f.io, [&] {
    return m->get_one(bobs)->state == DownloadState::completed && f.delivered.size() >= 3 &&
           f.events_posted().back() == "finished";
  }));
  const auto events = f.events_posted();
  CHECK(events.front() == "added");
  CHECK(std::count(events.begin(), events.end(), "progress") == 0);
  CHECK(std::count(events.begin(), events.end(), "finished") == 1);
  for (const Post& p : f.posts()) {
    CHECK_THAT(p.body, Catch::Contains(alices));
    CHECK_THAT(p.body, !Catch::Contains(bobs));
  }
}

TEST_CASE("a receiver answering 500 gets the same delivery again after the backoff", "[webhooks]") {
  Fixture f;
  f.receiver.fail_next("/hook", 1, HttpReply::status_only(500, "try later"));
  auto m = f.make(f.options());
  m->add_webhook("alice", f.receiver.url("/hook"), "k", {"added"});
  m->start();
  AddOptions add;
  add.owner = "alice";
  m->add(f.files.url("/movie.mkv"), add);
  REQUIRE(run_until(f.io, [&] { return f.delivered.size() == 1; }));

  REQUIRE(f.failures.size() == 1);
  CHECK(f.failures[0].second == "HTTP 500: try later");
  CHECK(f.failures[0].first.attempts == 1);
  CHECK(f.failures[0].first.last_status == 500);
  CHECK(f.failures[0].first.next_attempt_at >= f.failures[0].first.created_at + 30);
  const auto posts = f.posts();
  REQUIRE(posts.size() == 2);
  CHECK(posts[0].delivery == posts[1].delivery);  // the receiver can tell it is a retry
  CHECK(posts[0].body == posts[1].body);
  CHECK(posts[0].signature == posts[1].signature);
  CHECK(f.delivered[0].attempts == 2);
  CHECK(f.dead.empty());
}

TEST_CASE("a delivery that keeps failing past the retry window is dead and listed", "[webhooks]") {
  Fixture f;
  f.receiver.on("/hook", HttpReply::status_only(503));
  ManagerOptions o = f.options();
  o.webhooks.retry.give_up_after = 150ms;
  auto m = f.make(o);
  m->add_webhook("alice", f.receiver.url("/hook"), "k", {"added", "started"});
  m->start();
  AddOptions add;
  add.owner = "alice";
  m->add(f.files.url("/movie.mkv"), add);
  REQUIRE(run_until(f.io, [&] { return f.dead.size() == 2; }));

  CHECK(f.dead[0].event == "added");  // in order: "started" waited behind "added"
  CHECK(f.dead[1].event == "started");
  CHECK(f.dead[0].attempts >= 2);
  const auto listed = m->dead_deliveries("alice");
  REQUIRE(listed.size() == 2);
  // Oldest death first; two in the same millisecond come by id.
  CHECK(std::set<std::string>{listed[0].delivery_id, listed[1].delivery_id} ==
        std::set<std::string>{f.dead[0].delivery_id, f.dead[1].delivery_id});
  CHECK(listed[0].dead_at <= listed[1].dead_at);
  for (const Delivery& d : listed) {
    CHECK(d.last_status == 503);
    CHECK(d.last_error == "HTTP 503");
    CHECK(d.dead_at > 0);
  }
  CHECK(m->deliveries_owed("alice") == 0);
  CHECK(m->dead_deliveries("bob").empty());
}

TEST_CASE("a receiver that never answers holds up no download; a restart delivers what is owed",
          "[webhooks]") {
  Fixture f;
  bool answering = false;
  f.receiver.on("/hook", [&](std::string_view) {
    return answering ? HttpReply::ok("ok") : HttpReply::never_answer();
  });
  std::string id;
  {
    auto m = f.make(f.options());
    m->add_webhook("alice", f.receiver.url("/hook"), "k", {"added", "started", "finished"});
    m->start();
    AddOptions add;
    add.owner = "alice";
    id = m->add(f.files.url("/movie.mkv"), add);
    REQUIRE(run_until(f.io, [&] { return m->get_one(id)->state == DownloadState::completed; }));
    CHECK(f.delivered.empty());
    CHECK(f.heads.size() == 1);  // "added" is on the way, the rest wait behind it
    CHECK(m->deliveries_owed("alice") == 3);
  }
  answering = true;
  auto again = f.make(f.options());
  again->start();
  REQUIRE(run_until(f.io, [&] { return f.delivered.size() == 3; }));
  const auto posts = f.posts();
  REQUIRE(posts.size() == 4);
  CHECK(posts[0].delivery == posts[1].delivery);  // the one cut off is sent again, first
  CHECK(f.events_posted() == std::vector<std::string>{"added", "added", "started", "finished"});
  CHECK(again->deliveries_owed(std::nullopt) == 0);
}

TEST_CASE("webhooks are added, listed and removed per owner, and bad ones refused", "[webhooks]") {
  Fixture f;
  auto m = f.make(f.options());
  const Webhook a = m->add_webhook("alice", "https://hooks.example.com/a", "k", {"failed"});
  const Webhook b = m->add_webhook("alice", "http://127.0.0.1:9/b", "k2");
  m->add_webhook("bob", "http://127.0.0.1:9/c", "k3");
  CHECK(a.id.size() == 16);
  CHECK(a.id != b.id);
  const auto alices = m->webhooks("alice");
  REQUIRE(alices.size() == 2);
  CHECK((alices[0].id == a.id || alices[1].id == a.id));
  CHECK(m->webhooks("bob").size() == 1);

  CHECK(code_of([&] { m->remove_webhook("bob", a.id); }) ==
        make_error_code(errc::webhook_not_found));
  CHECK(code_of([&] { m->remove_webhook("alice", "nope"); }) ==
        make_error_code(errc::webhook_not_found));
  m->remove_webhook("alice", a.id);
  CHECK(m->webhooks("alice").size() == 1);

  CHECK(code_of([&] { m->add_webhook("alice", "ftp://x/", "k"); }) ==
        make_error_code(errc::bad_webhook));
  CHECK(code_of([&] { m->add_webhook("alice", "https://x/", ""); }) ==
        make_error_code(errc::bad_webhook));
  CHECK(code_of([&] { m->add_webhook("alice", "https://x/", "k", {"finish"}); }) ==
        make_error_code(errc::bad_webhook));
  CHECK(m->webhooks("alice").size() == 1);  // nothing refused was stored
}

TEST_CASE("at most max_in_flight POSTs are on the way; a receiver past the timeout is retried",
          "[webhooks]") {
  Fixture f;
  for (const char* path : {"/a", "/b", "/c"})
    f.receiver.on(path, HttpReply::never_answer());
  ManagerOptions o = f.options();
  o.webhooks.max_in_flight = 2;
  o.webhooks.timeout = 300ms;
  auto m = f.make(o);
  for (const char* path : {"/a", "/b", "/c"})
    m->add_webhook("alice", f.receiver.url(path), "k", {"added"});
  m->start();
  AddOptions add;
  add.owner = "alice";
  m->add(f.files.url("/movie.mkv"), add);
  REQUIRE(run_until(f.io, [&] { return f.heads.size() == 2; }));
  test::run_for(f.io, 100ms);  // well inside the timeout: the third must still wait
  CHECK(f.heads.size() == 2);
  CHECK(f.failures.empty());

  // The timeout frees the slots: the third goes out, the two are rescheduled.
  REQUIRE(run_until(f.io, [&] { return f.heads.size() >= 3 && f.failures.size() >= 2; }));
  CHECK_THAT(f.failures[0].second, Catch::Contains("timed out") || Catch::Contains("Timeout") ||
                                       Catch::Contains("timeout"));
  CHECK(f.failures[0].first.attempts == 1);
}

TEST_CASE("a receiver's redirect is a failed attempt: the signed body goes nowhere else",
          "[webhooks]") {
  Fixture f;
  f.receiver.on("/hook", HttpReply::redirect(f.receiver.url("/elsewhere"), 307));
  f.receiver.on("/elsewhere", HttpReply::ok("took it"));
  auto m = f.make(f.options());
  m->add_webhook("alice", f.receiver.url("/hook"), "k", {"added"});
  m->start();
  AddOptions add;
  add.owner = "alice";
  m->add(f.files.url("/movie.mkv"), add);
  REQUIRE(run_until(f.io, [&] { return f.failures.size() >= 2; }));
  CHECK(f.delivered.empty());
  for (const std::string& line : f.receiver.request_lines())
    CHECK_THAT(line, Catch::StartsWith("POST /hook "));
}
