// The manager end to end with fetchers the test controls ("fake://" sources through the
// FetcherRegistry) and a real SQLite store: states and events in order, delivery into a
// local folder, tiers and fairness, pause/resume/remove, size admission, retries, a
// restart that keeps the queue. The real sources (torrents, HTTP, S3) are in
// tests/integration/manager_*.sh.
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "../support/fetch_support.hpp"
#include "../support/run_until.hpp"
#include "bitflow/fetcher_registry.hpp"
#include "bitflow/manager.hpp"
#include "bitflow/manager_store.hpp"
#include "bitflow/url_fetcher.hpp"
#include "manager/manager_error.hpp"

using namespace bitflow;
using namespace bitflow::manager;
using namespace std::chrono_literals;
using bitflow::test::read_file;
using bitflow::test::run_until;
using bitflow::test::TempFolder;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// What the fake fetchers of one test share: gates the test opens, and how often each
// source has been started.
struct FakeWorld {
  std::set<std::string> open_gates;
  std::map<std::string, int> starts;
  std::map<std::string, std::int64_t> download_limits;  ///< FetchOptions::download_rate_limit
};

// "fake://NAME?size=N&gate=G&fail=K": writes NAME (N bytes) into its output folder and
// completes — once gate G is open, if named; the first K starts fail with a network error
// (fetch::errc::gave_up, which the manager retries); fail=404 fails with server_refused.
class FakeFetcher final : public Fetcher {
 public:
  FakeFetcher(asio::io_context& io, FakeWorld& world, std::string source, fs::path folder)
      : world_(world), source_(std::move(source)), folder_(std::move(folder)), timer_(io) {
    const auto query = source_.find('?');
    name_ = source_.substr(7, query == std::string::npos ? std::string::npos : query - 7);
    if (query == std::string::npos) return;
    std::string rest = source_.substr(query + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string pair = rest.substr(0, amp);
      const auto eq = pair.find('=');
      params_[pair.substr(0, eq)] = pair.substr(eq + 1);
      rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
    }
  }
  void start() override {
    const int n = ++world_.starts[source_];
    const std::string fail = param("fail", "0");
    st_.state = FetchState::running;
    st_.bytes_total = std::stoll(param("size", "1000"));
    // The callback may destroy this fetcher (Fetcher's contract): a size over the tier's
    // cap fails the download right here.
    const auto alive = progress_sink();
    notify(st_);
    if (alive.expired()) return;
    if (fail == "404") return end_failed(fetch::errc::server_refused, "HTTP 404 Not Found");
    if (n <= std::stoi(fail)) return end_failed(fetch::errc::gave_up, "connection reset");
    poll();
  }
  void pause() override {}
  void resume() override {}
  void cancel() override {
    timer_.cancel();
    if (st_.state == FetchState::running) st_.state = FetchState::cancelled;
  }
  FetchStatus status() const override { return st_; }

 private:
  std::string param(const std::string& key, const std::string& fallback) const {
    auto it = params_.find(key);
    return it == params_.end() ? fallback : it->second;
  }
  void end_failed(fetch::errc code, std::string why) {
    timer_.expires_after(1ms);
    timer_.async_wait([this, alive = alive(), code, why](boost::system::error_code ec) {
      if (ec || alive.expired()) return;
      st_.state = FetchState::failed;
      st_.error = why;
      st_.error_code = fetch::make_error_code(code);
      notify(st_);
    });
  }
  void poll() {
    timer_.expires_after(2ms);
    timer_.async_wait([this, alive = alive()](boost::system::error_code ec) {
      if (ec || alive.expired() || st_.state != FetchState::running) return;
      const std::string gate = param("gate", "");
      if (!gate.empty() && !world_.open_gates.count(gate)) return poll();
      fs::create_directories(folder_);
      std::ofstream(folder_ / name_) << std::string(static_cast<std::size_t>(st_.bytes_total), 'x');
      st_.bytes_done = st_.bytes_total;
      st_.state = FetchState::completed;
      notify(st_);
    });
  }

  // A timer that already expired completes with success even when the fetcher is destroyed
  // before its handler runs (DownloadJob::stop does that): the handlers check this first.
  std::weak_ptr<const int> alive() const { return lifetime_; }

  std::shared_ptr<const int> lifetime_ = std::make_shared<const int>(0);
  FakeWorld& world_;
  std::string source_, name_;
  fs::path folder_;
  std::map<std::string, std::string> params_;
  asio::steady_timer timer_;
  FetchStatus st_;
};

struct Fixture {
  TempFolder tmp{"bitflow-manager"};
  asio::io_context io;
  FakeWorld world;
  std::vector<Event> events;

  ManagerOptions options() const {
    ManagerOptions o;
    o.work_dir = tmp.path / "work";
    o.disk_reserve = 0;
    o.retry.first_delay = 20ms;
    o.retry.max_delay = 40ms;
    o.tick = 10ms;
    o.progress_interval = 0ms;
    return o;
  }

  std::unique_ptr<Manager> make(ManagerOptions o) {
    auto m =
        std::make_unique<Manager>(io, std::move(o), open_sqlite_store(tmp.path / "m.db"), nullptr);
    FetcherFactory fake;
    fake.name = "fake";
    fake.matches = [](std::string_view s) { return s.rfind("fake://", 0) == 0; };
    fake.create = [this](asio::io_context& context, const std::string& source,
                         const FetchOptions& fo) {
      world.download_limits[source] = fo.download_rate_limit;
      return std::make_unique<FakeFetcher>(context, world, source, fo.output_dir);
    };
    m->fetchers().add(std::move(fake));
    m->subscribe([this](const Event& e) { events.push_back(e); });
    return m;
  }

  std::vector<std::string> kinds_of(const std::string& id) const {
    std::vector<std::string> out;
    for (const Event& e : events)
      if (e.download.id == id && e.kind != EventKind::progress && e.kind != EventKind::updated)
        out.push_back(to_string(e.kind));
    return out;
  }

  DownloadState state_of(Manager& m, const std::string& id) { return m.get_one(id)->state; }

  bool wait_state(Manager& m, const std::string& id, DownloadState s,
                  std::chrono::milliseconds limit = 5s) {
    return run_until(
        io, [&] { return m.get_one(id) && m.get_one(id)->state == s; }, limit);
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

TEST_CASE("a download is queued, started and completed into its destination", "[manager]") {
  Fixture f;
  auto m = f.make(f.options());
  m->start();
  AddOptions add;
  add.owner = "alice";
  add.destination = (f.tmp.path / "done").string();
  const std::string id = m->add("fake://movie.mkv?size=4096", add);
  CHECK(id.size() == 16);
  CHECK(f.state_of(*m, id) == DownloadState::queued);
  REQUIRE(f.wait_state(*m, id, DownloadState::completed));
  CHECK(f.kinds_of(id) == std::vector<std::string>{"added", "started", "finished"});
  CHECK(read_file(f.tmp.path / "done" / "movie.mkv") == std::string(4096, 'x'));
  const auto done = *m->get_one(id);
  CHECK(done.progress() == 100);
  CHECK(done.bytes_total == 4096);
  CHECK(done.owner == "alice");
  CHECK(done.type == "fake");
  CHECK(done.name == "movie.mkv");
  CHECK(done.attempts == 1);
  CHECK(done.finished_at >= done.started_at);
  REQUIRE(done.files.size() == 1);
  CHECK(done.files[0].path == "movie.mkv");
  REQUIRE(m->history("alice").size() == 1);
  CHECK(m->history("bob").empty());
  CHECK(m->get_all(Filter::finished).size() == 1);
  CHECK(m->get_all(Filter::active).empty());
  CHECK(m->clear_history("alice") == 1);
  CHECK_FALSE(m->get_one(id).has_value());
}

TEST_CASE("the free tier runs one download per user; users take turns", "[manager]") {
  Fixture f;
  auto o = f.options();
  o.max_active = 1;
  auto m = f.make(o);
  m->start();
  AddOptions a;
  a.owner = "alice";
  std::vector<std::string> alice;
  for (int i = 0; i < 5; ++i)
    alice.push_back(m->add("fake://a" + std::to_string(i) + "?gate=g" + std::to_string(i), a));
  AddOptions b;
  b.owner = "bob";
  const std::string bob = m->add("fake://b?gate=b", b);
  REQUIRE(f.wait_state(*m, alice[0], DownloadState::downloading));
  CHECK(f.state_of(*m, bob) == DownloadState::queued);
  CHECK_FALSE(m->get_one(bob)->waiting_reason.empty());
  f.world.open_gates.insert("g0");
  // Bob has waited for one slot only: his download is next, before Alice's second.
  REQUIRE(f.wait_state(*m, bob, DownloadState::downloading));
  CHECK(f.state_of(*m, alice[1]) == DownloadState::queued);
  f.world.open_gates.insert("b");
  REQUIRE(f.wait_state(*m, alice[1], DownloadState::downloading));
  CHECK(m->get_all(Filter::queued, std::string("alice")).size() == 3);
}

TEST_CASE("pause, resume and remove; moves the state machine refuses are refused", "[manager]") {
  Fixture f;
  auto m = f.make(f.options());
  m->start();
  const std::string id = m->add("fake://x?gate=x");
  REQUIRE(f.wait_state(*m, id, DownloadState::downloading));
  m->pause(id);
  CHECK(f.state_of(*m, id) == DownloadState::paused);
  CHECK(code_of([&] { m->pause(id); }) == errc::illegal_transition);
  f.world.open_gates.insert("x");
  bitflow::test::run_for(f.io, 50ms);
  CHECK(f.state_of(*m, id) == DownloadState::paused);  // nothing runs while paused
  m->resume(id);
  REQUIRE(f.wait_state(*m, id, DownloadState::completed));
  CHECK(f.kinds_of(id) ==
        std::vector<std::string>{"added", "started", "paused", "resumed", "started", "finished"});
  CHECK(code_of([&] { m->pause(id); }) == errc::not_found);
  CHECK(code_of([&] { m->remove({id, "no-such-id"}, false); }) == errc::not_found);
  CHECK(f.state_of(*m, id) == DownloadState::completed);  // nothing removed by the refusal
  const fs::path folder = f.tmp.path / "work" / id;
  CHECK(fs::exists(folder / "x"));
  m->remove({id}, true);
  CHECK(f.state_of(*m, id) == DownloadState::removed);
  CHECK_FALSE(fs::exists(folder));
  CHECK(code_of([&] { m->remove({id}, false); }) == errc::illegal_transition);
  CHECK(code_of([&] { m->add("gopher://old.example/x"); }) == fetch::errc::bad_url);
  CHECK(code_of([&] {
          AddOptions bad;
          bad.destination = "s3:///nobucket";
          m->add("fake://y", bad);
        }) == std::errc::invalid_argument);
}

TEST_CASE("a download larger than its tier allows fails, naming the limit", "[manager]") {
  Fixture f;
  auto o = f.options();
  o.tiers = {{"free", 1, 1000, 0, 0, 0}, {"pro", 5, 0, 0, 0, 0}};
  auto m = f.make(o);
  m->start();
  const std::string big = m->add("fake://big?size=5000");
  REQUIRE(f.wait_state(*m, big, DownloadState::failed));
  const auto r = *m->get_one(big);
  CHECK_THAT(r.error, Catch::Contains("free"));
  CHECK(r.retry_at == 0);
  m->set_user_tier("vip", "pro");
  AddOptions vip;
  vip.owner = "vip";
  const std::string ok = m->add("fake://big2?size=5000", vip);
  REQUIRE(f.wait_state(*m, ok, DownloadState::completed));
  CHECK(code_of([&] { m->set_user_tier("x", "gold"); }) == errc::unknown_tier);
}

TEST_CASE("a network failure is retried; a 404 is final", "[manager]") {
  Fixture f;
  auto m = f.make(f.options());
  m->start();
  const std::string flaky = m->add("fake://flaky?fail=2");
  const std::string gone = m->add("fake://gone?fail=404");
  REQUIRE(f.wait_state(*m, flaky, DownloadState::completed));
  CHECK(m->get_one(flaky)->attempts == 3);
  CHECK(f.world.starts["fake://flaky?fail=2"] == 3);
  REQUIRE(f.wait_state(*m, gone, DownloadState::failed));
  bitflow::test::run_for(f.io, 100ms);
  const auto r = *m->get_one(gone);
  CHECK(r.state == DownloadState::failed);
  CHECK(r.attempts == 1);
  CHECK_THAT(r.error, Catch::Contains("404"));
  CHECK(r.error_code.rfind("fetch:", 0) == 0);
}

TEST_CASE("the queue survives a restart in order; what ran starts again", "[manager]") {
  Fixture f;
  std::vector<std::string> ids;
  {
    auto o = f.options();
    o.max_active = 1;
    auto m = f.make(o);
    m->start();
    for (int i = 0; i < 3; ++i)
      ids.push_back(m->add("fake://r" + std::to_string(i) + "?gate=r"));
    REQUIRE(f.wait_state(*m, ids[0], DownloadState::downloading));
  }  // gone without shutdown, as after a crash
  f.world.open_gates.insert("r");
  auto m = f.make(f.options());
  const auto before = m->get_all();
  REQUIRE(before.size() == 3);
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(before[i].id == ids[i]);
  CHECK(before[0].state == DownloadState::downloading);
  CHECK(before[1].state == DownloadState::queued);
  m->start();
  for (const std::string& id : ids)
    REQUIRE(f.wait_state(*m, id, DownloadState::completed));
  CHECK(m->get_one(ids[0])->attempts == 1);  // a restart continues its attempt
}

namespace {

// get_page walked to the end, `size` at a time, as the ids it listed.
std::vector<std::string> walk_pages(Manager& m, Filter filter,
                                    const std::optional<std::string>& owner, std::size_t size) {
  std::vector<std::string> ids;
  std::optional<ListPosition> after;
  for (int pages = 0; pages < 100; ++pages) {
    DownloadPage page = m.get_page(filter, owner, after, size);
    CHECK(page.downloads.size() <= size);
    for (const DownloadRecord& r : page.downloads)
      ids.push_back(r.id);
    if (!page.next) break;
    CHECK(page.downloads.size() == size);
    after = page.next;
  }
  return ids;
}

std::vector<std::string> ids_of(const std::vector<DownloadRecord>& records) {
  std::vector<std::string> ids;
  for (const DownloadRecord& r : records)
    ids.push_back(r.id);
  return ids;
}

}  // namespace

TEST_CASE("pages of every filter list what get_all lists, before and after a restart",
          "[manager]") {
  Fixture f;
  auto o = f.options();
  o.max_active = 2;
  const auto check_pages = [&](Manager& m) {
    for (Filter filter : {Filter::all, Filter::active, Filter::queued, Filter::finished})
      for (const std::optional<std::string>& owner :
           {std::optional<std::string>{}, std::optional<std::string>{"alice"},
            std::optional<std::string>{"bob"}}) {
        const auto whole = ids_of(m.get_all(filter, owner));
        for (std::size_t size :
             {std::size_t{1}, std::size_t{2}, std::size_t{5}, whole.size() + 1}) {
          CAPTURE(static_cast<int>(filter), owner.value_or("*"), size);
          CHECK(walk_pages(m, filter, owner, size) == whole);
        }
      }
  };
  std::vector<std::string> ids;
  {
    auto m = f.make(o);
    m->start();
    AddOptions a, b;
    a.owner = "alice";
    b.owner = "bob";
    ids.push_back(m->add("fake://done?size=10", a));
    REQUIRE(f.wait_state(*m, ids.back(), DownloadState::completed));
    for (int i = 0; i < 6; ++i)
      ids.push_back(m->add("fake://q" + std::to_string(i) + "?gate=q", i % 3 ? a : b));
    REQUIRE(run_until(f.io, [&] { return m->get_all(Filter::active).size() == 2; }));
    m->pause(ids.back());
    CHECK(m->get_all(Filter::queued).size() == 3);
    check_pages(*m);
    CHECK(m->get_page(Filter::all, std::nullopt, std::nullopt, 0).downloads.empty());
  }  // gone without shutdown, as after a crash
  auto m = f.make(o);
  check_pages(*m);  // not started: everything from the store
  m->start();
  check_pages(*m);
}

TEST_CASE("a listener that throws does not hurt the manager or the others", "[manager]") {
  Fixture f;
  auto m = f.make(f.options());
  m->subscribe([](const Event&) { throw std::runtime_error("listener bug"); });
  int after = 0;
  const int handle = m->subscribe([&](const Event&) { ++after; });
  m->start();
  const std::string id = m->add("fake://l");
  REQUIRE(f.wait_state(*m, id, DownloadState::completed));
  CHECK(after >= 3);
  m->unsubscribe(handle);
  const int seen = after;
  m->add("fake://l2");
  bitflow::test::run_for(f.io, 50ms);
  CHECK(after == seen);
}

TEST_CASE("a download whose delivery failed is delivered again without fetching again",
          "[manager]") {
  Fixture f;
  auto m = f.make(f.options());
  m->start();
  const fs::path done = f.tmp.path / "done";
  fs::create_directories(done);
  std::ofstream(done / "clash.bin") << "someone else's";
  AddOptions add;
  add.destination = done.string();
  const std::string id = m->add("fake://clash.bin?size=64", add);
  REQUIRE(f.wait_state(*m, id, DownloadState::failed));  // the folder refuses to replace
  CHECK(m->get_one(id)->retry_at == 0);
  fs::remove(done / "clash.bin");
  m->resume(id);
  REQUIRE(f.wait_state(*m, id, DownloadState::completed));
  CHECK(f.world.starts["fake://clash.bin?size=64"] == 1);
  CHECK(read_file(done / "clash.bin") == std::string(64, 'x'));
}

TEST_CASE("a tier's rate limits reach its users' fetchers", "[manager]") {
  Fixture f;
  auto o = f.options();
  Tier slow;
  slow.name = "slow";
  slow.download_rate_limit = 123'456;
  Tier fast;
  fast.name = "fast";
  o.tiers = {slow, fast};
  o.default_tier = "slow";
  auto m = f.make(o);
  m->set_user_tier("bob", "fast");
  m->start();
  AddOptions a;
  a.owner = "ann";
  AddOptions b;
  b.owner = "bob";
  const std::string x = m->add("fake://x", a);
  const std::string y = m->add("fake://y", b);
  REQUIRE(f.wait_state(*m, x, DownloadState::completed));
  REQUIRE(f.wait_state(*m, y, DownloadState::completed));
  CHECK(f.world.download_limits["fake://x"] == 123'456);
  CHECK(f.world.download_limits["fake://y"] == 0);
}

namespace {

// A fetcher that runs without ever telling its size, as a URL whose server sends no length;
// only the source's inspection (late://) knows it.
class SizelessFetcher final : public Fetcher {
 public:
  void start() override {
    st_.state = FetchState::running;
    notify(st_);
  }
  void pause() override {}
  void resume() override {}
  void cancel() override { st_.state = FetchState::cancelled; }
  FetchStatus status() const override { return st_; }

 private:
  FetchStatus st_;
};

}  // namespace

TEST_CASE("a size the inspection learns after the start is checked against the tier", "[manager]") {
  Fixture f;
  auto o = f.options();
  o.tiers = {{"free", 1, 1000, 0, 0, 0}};
  auto m = f.make(o);
  FetcherFactory late;
  late.name = "late";
  late.matches = [](std::string_view s) { return s.rfind("late://", 0) == 0; };
  late.create = [](asio::io_context&, const std::string&, const FetchOptions&) {
    return std::make_unique<SizelessFetcher>();
  };
  // The inspection answers only once the download is running.
  auto timer = std::make_shared<asio::steady_timer>(f.io);
  late.inspect = [timer](asio::io_context&, const std::string&,
                         std::function<void(Inspection)> done) {
    timer->expires_after(50ms);
    timer->async_wait([done](boost::system::error_code) {
      Inspection found;
      found.source.kind = SourceKind::registered;
      found.source.type = "late";
      found.size = 5000;
      done(found);
    });
  };
  m->fetchers().add(std::move(late));
  m->start();
  const std::string id = m->add("late://big");
  REQUIRE(f.wait_state(*m, id, DownloadState::failed));
  CHECK(m->get_one(id)->attempts == 1);  // it had started before the size was known
  CHECK_THAT(m->get_one(id)->error, Catch::Contains("free"));
}
