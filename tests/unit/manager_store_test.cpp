// The SQLite store: every field of a download survives the round trip, lists filter and
// order, history is per owner, the webhook outbox orders, retries and keeps its dead, the
// file survives a reopen in WAL mode, and the schema migrates once and refuses a newer one.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "../support/fetch_support.hpp"
#include "bitflow/error.hpp"
#include "bitflow/manager_store.hpp"
#include "manager/sqlite_db.hpp"
#include "manager/sqlite_schema.hpp"
#include "manager/sqlite_store.hpp"

namespace {

using namespace bitflow::manager;
using bitflow::test::TempFolder;

const int kSchema = static_cast<int>(detail::sqlite_migrations().size());

DownloadRecord make_record(const std::string& id, const std::string& owner, DownloadState state,
                           std::int64_t queue_seq) {
  DownloadRecord r;
  r.id = id;
  r.owner = owner;
  r.source = "magnet:?xt=urn:btih:" + id;
  r.type = "magnet";
  r.name = id + " name";
  r.destination = "/srv/downloads/" + owner;
  r.state = state;
  r.queue_seq = queue_seq;
  return r;
}

// A record in which every field differs from its default, so a column that is not stored or
// read back (or read into the wrong field) shows.
DownloadRecord full_record() {
  DownloadRecord r = make_record("dl-1", "alice", DownloadState::uploading, 42);
  r.source = "https://example.com/a b/ünïcode.iso?x=1&y=2";
  r.type = "http";
  r.name = "ünïcode.iso";
  r.destination = "s3://bucket/prefix/";
  r.file_priorities = {1, 0, 7, -1};
  r.waiting_reason = "waiting for disk space: 3 GiB needed";
  r.bytes_done = 5'000'000'000;
  r.bytes_total = 6'000'000'001;
  r.bytes_uploaded = 4'000'000'002;
  r.download_rate = 12'345'678;
  r.upload_rate = 876'543;
  r.error = "the server said 503";
  r.error_code = "fetch:3";
  r.attempts = 4;
  r.retry_at = 1'700'000'000'500;
  r.created_at = 1'700'000'000'001;
  r.started_at = 1'700'000'000'002;
  r.finished_at = 1'700'000'000'003;
  r.files = {{"a/first.bin", 1'000, 10, true},
             {"a/second.bin", 3'000'000'000, 0, false},
             {"third 'quoted'.txt", 0, 0, true}};
  return r;
}

void require_same(const DownloadRecord& got, const DownloadRecord& want) {
  CHECK(got.id == want.id);
  CHECK(got.owner == want.owner);
  CHECK(got.source == want.source);
  CHECK(got.type == want.type);
  CHECK(got.name == want.name);
  CHECK(got.destination == want.destination);
  CHECK(got.file_priorities == want.file_priorities);
  CHECK(got.state == want.state);
  CHECK(got.waiting_reason == want.waiting_reason);
  CHECK(got.bytes_done == want.bytes_done);
  CHECK(got.bytes_total == want.bytes_total);
  CHECK(got.bytes_uploaded == want.bytes_uploaded);
  CHECK(got.download_rate == want.download_rate);
  CHECK(got.upload_rate == want.upload_rate);
  CHECK(got.error == want.error);
  CHECK(got.error_code == want.error_code);
  CHECK(got.attempts == want.attempts);
  CHECK(got.retry_at == want.retry_at);
  CHECK(got.created_at == want.created_at);
  CHECK(got.started_at == want.started_at);
  CHECK(got.finished_at == want.finished_at);
  CHECK(got.queue_seq == want.queue_seq);
  REQUIRE(got.files.size() == want.files.size());
  for (std::size_t i = 0; i < got.files.size(); ++i) {
    CHECK(got.files[i].path == want.files[i].path);
    CHECK(got.files[i].size == want.files[i].size);
    CHECK(got.files[i].bytes_done == want.files[i].bytes_done);
    CHECK(got.files[i].selected == want.files[i].selected);
  }
}

std::vector<std::string> ids(const std::vector<DownloadRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records)
    out.push_back(r.id);
  return out;
}

std::vector<std::string> ids(const std::vector<Delivery>& deliveries) {
  std::vector<std::string> out;
  for (const auto& d : deliveries)
    out.push_back(d.delivery_id);
  return out;
}

Delivery make_delivery(const std::string& id, const std::string& webhook_id, TimeMs due_at,
                       TimeMs created_at) {
  Delivery d;
  d.delivery_id = id;
  d.webhook_id = webhook_id;
  d.event = "finished";
  d.body = R"({"id":"dl-1","state":"completed"})";
  d.next_attempt_at = due_at;
  d.created_at = created_at;
  return d;
}

// Runs `call`, which must throw bitflow::Error with `code`; returns the message.
template <typename Call>
std::string error_of(Call&& call, store_errc code) {
  try {
    call();
  } catch (const bitflow::Error& e) {
    CHECK(e.code() == code);
    return e.what();
  }
  FAIL("no bitflow::Error was thrown");
  return {};
}

int count_rows(detail::Db& db, const char* sql) {
  auto q = db.query(sql, "count rows");
  REQUIRE(q.step());
  return q.column_int32(0);
}

}  // namespace

TEST_CASE("a download round-trips with every field and its files", "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  const DownloadRecord record = full_record();
  store->insert(record);

  auto got = store->get("dl-1");
  REQUIRE(got);
  require_same(*got, record);
  CHECK_FALSE(store->get("dl-2"));

  SECTION("update replaces every field, files included") {
    DownloadRecord changed = make_record("dl-1", "bob", DownloadState::failed, 7);
    changed.bytes_total = -1;
    changed.files = {{"only.bin", 5, 5, false}};
    REQUIRE(store->update(changed));
    require_same(*store->get("dl-1"), changed);

    changed.files.clear();
    REQUIRE(store->update(changed));
    CHECK(store->get("dl-1")->files.empty());
  }
  SECTION("update and remove of an unknown id say so") {
    CHECK_FALSE(store->update(make_record("nobody", "alice", DownloadState::queued, 1)));
    CHECK_FALSE(store->remove("nobody"));
    CHECK_FALSE(store->get("nobody"));
  }
  SECTION("a second insert with the same id is refused and changes nothing") {
    const std::string message =
        error_of([&] { store->insert(make_record("dl-1", "mallory", DownloadState::queued, 1)); },
                 store_errc::constraint);
    CHECK_THAT(message, Catch::Contains("insert download") && Catch::Contains(":memory:"));
    require_same(*store->get("dl-1"), record);
  }
  SECTION("remove forgets the download, its files and its resume data") {
    REQUIRE(store->put_resume("dl-1", "d8:piecesi3ee"));
    REQUIRE(store->remove("dl-1"));
    CHECK_FALSE(store->get("dl-1"));
    CHECK_FALSE(store->get_resume("dl-1"));
    CHECK_FALSE(store->remove("dl-1"));
    // Inserting the id again starts from nothing: no files or resume data were left behind.
    store->insert(make_record("dl-1", "alice", DownloadState::queued, 1));
    CHECK(store->get("dl-1")->files.empty());
    CHECK_FALSE(store->get_resume("dl-1"));
  }
}

TEST_CASE("list filters by state and owner and orders by queue_seq", "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  store->insert(make_record("q-late", "alice", DownloadState::queued, 30));
  store->insert(make_record("run", "alice", DownloadState::downloading, 20));
  store->insert(make_record("q-early", "alice", DownloadState::queued, 10));
  store->insert(make_record("up", "bob", DownloadState::uploading, 25));
  store->insert(make_record("paused", "bob", DownloadState::paused, 5));
  store->insert(make_record("done", "alice", DownloadState::completed, 1));
  store->insert(make_record("broken", "bob", DownloadState::failed, 2));
  store->insert(make_record("gone", "alice", DownloadState::removed, 3));
  store->insert(make_record("q-bob", "bob", DownloadState::queued, 15));

  using V = std::vector<std::string>;
  CHECK(ids(store->list(ListFilter::all, std::nullopt)) ==
        V{"done", "broken", "gone", "paused", "q-early", "q-bob", "run", "up", "q-late"});
  CHECK(ids(store->list(ListFilter::active, std::nullopt)) == V{"run", "up"});
  CHECK(ids(store->list(ListFilter::queued, std::nullopt)) == V{"q-early", "q-bob", "q-late"});
  CHECK(ids(store->list(ListFilter::unfinished, std::nullopt)) ==
        V{"paused", "q-early", "q-bob", "run", "up", "q-late"});
  CHECK(ids(store->list(ListFilter::finished, std::nullopt)) == V{"done", "broken", "gone"});

  CHECK(ids(store->list(ListFilter::all, "alice")) ==
        V{"done", "gone", "q-early", "run", "q-late"});
  CHECK(ids(store->list(ListFilter::queued, "bob")) == V{"q-bob"});
  CHECK(ids(store->list(ListFilter::active, "bob")) == V{"up"});
  CHECK(store->list(ListFilter::all, "carol").empty());

  CHECK(store->count_queued("alice") == 2);
  CHECK(store->count_queued("bob") == 1);
  CHECK(store->count_queued("carol") == 0);

  SECTION("listed records carry their files") {
    DownloadRecord r = full_record();
    r.id = "with-files";
    r.owner = "dave";
    store->insert(r);
    auto listed = store->list(ListFilter::all, "dave");
    REQUIRE(listed.size() == 1);
    require_same(listed.front(), r);
  }
}

TEST_CASE("list_page walks list() a page at a time, seeking by queue_seq then id",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  // Two pairs share a queue_seq (an import can do that): the id breaks the tie.
  const std::vector<std::tuple<const char*, const char*, DownloadState, std::int64_t>> rows{
      {"b-tie", "alice", DownloadState::queued, 7},
      {"a-tie", "alice", DownloadState::queued, 7},
      {"run", "alice", DownloadState::downloading, 3},
      {"done", "bob", DownloadState::completed, 1},
      {"q-bob", "bob", DownloadState::queued, 9},
      {"late", "alice", DownloadState::queued, 12},
      {"z-tie", "bob", DownloadState::failed, 12},
      {"paused", "alice", DownloadState::paused, 2}};
  for (const auto& [id, owner, state, seq] : rows)
    store->insert(make_record(id, owner, state, seq));

  for (ListFilter filter : {ListFilter::all, ListFilter::active, ListFilter::queued,
                            ListFilter::unfinished, ListFilter::finished}) {
    for (const std::optional<std::string>& owner :
         {std::optional<std::string>{}, std::optional<std::string>{"alice"},
          std::optional<std::string>{"bob"}}) {
      const auto whole = ids(store->list(filter, owner));
      for (std::size_t size = 1; size <= whole.size() + 1; ++size) {
        // The SQLite seek and the interface's default (filtering list()) page alike.
        for (bool seek : {true, false}) {
          std::vector<std::string> walked;
          std::optional<ListPosition> after;
          for (int pages = 0; pages < 20; ++pages) {
            auto page = seek ? store->list_page(filter, owner, after, size)
                             : store->Store::list_page(filter, owner, after, size);
            REQUIRE(page.size() <= size);
            for (const DownloadRecord& r : page)
              walked.push_back(r.id);
            if (page.size() < size) break;
            after = ListPosition{page.back().queue_seq, page.back().id};
          }
          CAPTURE(static_cast<int>(filter), owner.value_or("*"), size, seek);
          CHECK(walked == whole);
        }
      }
    }
  }
  using V = std::vector<std::string>;
  CHECK(ids(store->list_page(ListFilter::queued, "alice", ListPosition{7, "a-tie"}, 5)) ==
        V{"b-tie", "late"});
  CHECK(store->list_page(ListFilter::all, std::nullopt, ListPosition{12, "z-tie"}, 5).empty());
  // A position that is no download's still seeks: a page's end may have been removed since.
  CHECK(ids(store->list_page(ListFilter::all, std::nullopt, ListPosition{8, "gone"}, 5)) ==
        V{"q-bob", "late", "z-tie"});
}

TEST_CASE("next_queue_seq grows past every number it gave and every stored one",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  const std::int64_t first = store->next_queue_seq();
  const std::int64_t second = store->next_queue_seq();
  CHECK(second > first);

  store->insert(make_record("imported", "alice", DownloadState::queued, 1000));
  const std::int64_t third = store->next_queue_seq();
  CHECK(third > 1000);

  // Removing the download with the largest number does not hand that number out again.
  REQUIRE(store->remove("imported"));
  CHECK(store->next_queue_seq() > third);
}

TEST_CASE("history is the owner's finished downloads, newest first; clearing it is per owner",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  auto finished = [&](const std::string& id, const std::string& owner, DownloadState state,
                      TimeMs at) {
    DownloadRecord r = make_record(id, owner, state, store->next_queue_seq());
    r.finished_at = at;
    r.files = {{id + ".bin", 1, 1, true}};
    store->insert(r);
    REQUIRE(store->put_resume(id, "resume of " + id));
  };
  finished("a-old", "alice", DownloadState::completed, 100);
  finished("a-new", "alice", DownloadState::failed, 300);
  finished("a-mid", "alice", DownloadState::removed, 200);
  finished("b-done", "bob", DownloadState::completed, 150);
  store->insert(make_record("a-running", "alice", DownloadState::downloading, 50));
  store->insert(make_record("a-paused", "alice", DownloadState::paused, 51));

  using V = std::vector<std::string>;
  CHECK(ids(store->history("alice")) == V{"a-new", "a-mid", "a-old"});
  CHECK(ids(store->history("bob")) == V{"b-done"});
  CHECK(store->history("carol").empty());
  CHECK(store->history("alice").front().files.size() == 1);

  CHECK(store->clear_history("alice") == 3);
  CHECK(store->history("alice").empty());
  CHECK_FALSE(store->get_resume("a-old"));
  CHECK(ids(store->list(ListFilter::all, "alice")) == V{"a-running", "a-paused"});
  CHECK(ids(store->history("bob")) == V{"b-done"});
  CHECK(store->get_resume("b-done") == "resume of b-done");
  CHECK(store->clear_history("alice") == 0);
}

TEST_CASE("user tiers are set, replaced and forgotten", "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  CHECK(store->user_tiers().empty());
  store->set_user_tier("alice", "pro");
  store->set_user_tier("bob", "free");
  store->set_user_tier("alice", "enterprise");
  CHECK(store->user_tiers() ==
        std::map<std::string, std::string>{{"alice", "enterprise"}, {"bob", "free"}});
  store->set_user_tier("bob", "");
  CHECK(store->user_tiers() == std::map<std::string, std::string>{{"alice", "enterprise"}});
  store->set_user_tier("nobody", "");  // forgetting someone unknown is not an error
  CHECK(store->user_tiers().size() == 1);
}

TEST_CASE("webhooks keep their event filter in order and are listed per owner",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  store->add_webhook({"wh-b", "alice", "https://a.example/hook", "s3cr3t", {"finished", "failed"}});
  store->add_webhook({"wh-a", "alice", "https://a.example/all", "other", {}});
  store->add_webhook({"wh-c", "bob", "https://b.example/", "bobs", {"added"}});

  auto one = store->webhook("wh-b");
  REQUIRE(one);
  CHECK(one->owner == "alice");
  CHECK(one->url == "https://a.example/hook");
  CHECK(one->secret == "s3cr3t");
  CHECK(one->events == std::vector<std::string>{"finished", "failed"});
  CHECK(store->webhook("wh-a")->events.empty());
  CHECK_FALSE(store->webhook("wh-z"));

  auto alices = store->webhooks("alice");
  REQUIRE(alices.size() == 2);
  CHECK(alices[0].id == "wh-a");
  CHECK(alices[1].id == "wh-b");
  CHECK(alices[1].events.size() == 2);
  CHECK(store->webhooks(std::nullopt).size() == 3);

  error_of(
      [&] {
        store->add_webhook({"wh-c", "mallory", "https://m/", "", {"x"}});
      },
      store_errc::constraint);
  CHECK(store->webhook("wh-c")->owner == "bob");  // the refused add left nothing behind
  CHECK(store->webhook("wh-c")->events == std::vector<std::string>{"added"});

  CHECK(store->remove_webhook("wh-b"));
  CHECK_FALSE(store->remove_webhook("wh-b"));
  CHECK(store->webhooks("alice").size() == 1);
}

TEST_CASE("the outbox hands out due deliveries in order, retries them and keeps the dead",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  store->add_webhook({"wh-a", "alice", "https://a.example/", "k", {}});
  store->add_webhook({"wh-b", "bob", "https://b.example/", "k", {}});
  store->enqueue(make_delivery("d3", "wh-a", 300, 3));
  store->enqueue(make_delivery("d1", "wh-a", 100, 1));
  store->enqueue(make_delivery("d2", "wh-b", 200, 2));
  store->enqueue(make_delivery("d2b", "wh-a", 200, 1));  // same time, created earlier
  store->enqueue(make_delivery("later", "wh-b", 10'000, 4));

  using V = std::vector<std::string>;
  CHECK(ids(store->due(300, 10)) == V{"d1", "d2b", "d2", "d3"});
  CHECK(ids(store->due(300, 2)) == V{"d1", "d2b"});
  CHECK(ids(store->due(99, 10)).empty());
  CHECK(store->due(300, 0).empty());

  const auto first = store->due(100, 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].webhook_id == "wh-a");
  CHECK(first[0].event == "finished");
  CHECK(first[0].body == R"({"id":"dl-1","state":"completed"})");
  CHECK(first[0].attempts == 0);
  CHECK(first[0].created_at == 1);
  CHECK(first[0].last_status == 0);
  CHECK(first[0].dead_at == 0);

  SECTION("a delivery id is refused a second time, live or dead") {
    const std::string message = error_of([&] { store->enqueue(make_delivery("d1", "wh-b", 5, 5)); },
                                         store_errc::constraint);
    CHECK_THAT(message, Catch::Contains("enqueue webhook delivery"));
    REQUIRE(store->mark_dead("d1", 1, 500, "boom", 400));
    error_of([&] { store->enqueue(make_delivery("d1", "wh-b", 5, 5)); }, store_errc::constraint);
  }
  SECTION("a delivery to a webhook that does not exist is refused") {
    error_of([&] { store->enqueue(make_delivery("orphan", "wh-none", 5, 5)); },
             store_errc::constraint);
  }
  SECTION("reschedule moves a delivery back in the line and records the failure") {
    REQUIRE(store->reschedule("d1", 1, 250, "connection refused"));
    CHECK(ids(store->due(300, 10)) == V{"d2b", "d2", "d1", "d3"});
    const auto d1 = store->due(250, 10).back();
    CHECK(d1.delivery_id == "d1");
    CHECK(d1.attempts == 1);
    CHECK(d1.next_attempt_at == 250);
    CHECK(d1.last_error == "connection refused");
    CHECK_FALSE(store->reschedule("nope", 1, 1, ""));
  }
  SECTION("delivered ones leave the outbox") {
    REQUIRE(store->mark_delivered("d1"));
    CHECK_FALSE(store->mark_delivered("d1"));
    CHECK(ids(store->due(300, 10)) == V{"d2b", "d2", "d3"});
  }
  SECTION("dead ones leave due() for good and are listed per owner") {
    REQUIRE(store->mark_dead("d1", 8, 502, "bad gateway", 5000));
    REQUIRE(store->mark_dead("d2", 3, 0, "TLS handshake failed", 4000));
    CHECK(ids(store->due(1'000'000, 10)) == V{"d2b", "d3", "later"});
    CHECK_FALSE(store->mark_dead("d1", 9, 500, "again", 6000));
    CHECK_FALSE(store->reschedule("d1", 9, 1, "revived?"));

    CHECK(ids(store->dead_deliveries(std::nullopt)) == V{"d2", "d1"});  // oldest death first
    const auto alices = store->dead_deliveries("alice");
    REQUIRE(alices.size() == 1);
    CHECK(alices[0].delivery_id == "d1");
    CHECK(alices[0].attempts == 8);
    CHECK(alices[0].last_status == 502);
    CHECK(alices[0].last_error == "bad gateway");
    CHECK(alices[0].dead_at == 5000);
    CHECK(ids(store->dead_deliveries("bob")) == V{"d2"});
    CHECK(store->dead_deliveries("carol").empty());

    // Removing a webhook drops what it was owed, dead letters included.
    REQUIRE(store->remove_webhook("wh-a"));
    CHECK(store->dead_deliveries("alice").empty());
    CHECK(ids(store->due(1'000'000, 10)) == V{"later"});
  }
}

TEST_CASE("resume data is any bytes, replaced whole, and only for known downloads",
          "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  store->insert(make_record("dl", "alice", DownloadState::downloading, 1));
  CHECK_FALSE(store->get_resume("dl"));

  // Built char by char: a NUL, a byte above 0x7f, a control byte, none of them text.
  const std::string binary = std::string("d5:bytes3:") + '\0' + '\xff' + '\x01' + 'e';
  REQUIRE(binary.size() == 14);
  REQUIRE(store->put_resume("dl", binary));
  CHECK(store->get_resume("dl") == binary);
  REQUIRE(store->put_resume("dl", "short"));
  CHECK(store->get_resume("dl") == "short");
  REQUIRE(store->put_resume("dl", ""));
  auto empty = store->get_resume("dl");
  REQUIRE(empty);  // stored as empty, which is not the same as none
  CHECK(empty->empty());

  CHECK_FALSE(store->put_resume("unknown", "x"));
  CHECK_FALSE(store->get_resume("unknown"));
}

TEST_CASE("a transaction keeps all of its calls or none of them", "[manager][store]") {
  auto store = open_sqlite_store(":memory:");
  store->add_webhook({"wh", "alice", "https://a/", "k", {}});

  store->transaction([&] {
    store->insert(make_record("kept", "alice", DownloadState::completed, 1));
    store->enqueue(make_delivery("kept-event", "wh", 1, 1));
  });
  CHECK(store->get("kept"));
  CHECK(store->due(1, 10).size() == 1);

  CHECK_THROWS_AS(store->transaction([&] {
    store->insert(make_record("lost", "alice", DownloadState::completed, 2));
    store->transaction([&] { store->enqueue(make_delivery("lost-event", "wh", 1, 1)); });
    throw std::runtime_error("the manager changed its mind");
  }),
                  std::runtime_error);
  CHECK_FALSE(store->get("lost"));
  CHECK(store->due(1, 10).size() == 1);

  SECTION("an inner failure that is caught undoes only the inner part") {
    store->transaction([&] {
      store->insert(make_record("outer", "alice", DownloadState::queued, 3));
      try {
        store->transaction([&] {
          store->insert(make_record("inner", "alice", DownloadState::queued, 4));
          store->insert(make_record("outer", "alice", DownloadState::queued, 5));  // duplicate
        });
      } catch (const bitflow::Error&) {
      }
    });
    CHECK(store->get("outer"));
    CHECK_FALSE(store->get("inner"));
  }
}

TEST_CASE("the database file survives a reopen, in WAL mode", "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "manager.db";
  const DownloadRecord record = full_record();
  {
    auto store = open_sqlite_store(path);
    store->insert(record);
    REQUIRE(store->put_resume(record.id, std::string("\0resume\0", 8)));
    store->set_user_tier("alice", "pro");
    store->add_webhook({"wh", "alice", "https://a/", "k", {"finished"}});
    store->enqueue(make_delivery("d1", "wh", 10, 1));
    store->enqueue(make_delivery("d2", "wh", 20, 2));
    REQUIRE(store->mark_dead("d2", 5, 404, "not found", 30));
    (void)store->next_queue_seq();
  }
  auto store = open_sqlite_store(path);
  auto got = store->get(record.id);
  REQUIRE(got);
  require_same(*got, record);
  CHECK(store->get_resume(record.id) == std::string("\0resume\0", 8));
  CHECK(store->user_tiers().at("alice") == "pro");
  CHECK(store->webhook("wh")->events == std::vector<std::string>{"finished"});
  CHECK(ids(store->due(100, 10)) == std::vector<std::string>{"d1"});
  CHECK(ids(store->dead_deliveries("alice")) == std::vector<std::string>{"d2"});
  CHECK(store->next_queue_seq() > record.queue_seq);

  // WAL is a property of the file: another connection sees it too.
  detail::Db raw(path);
  auto q = raw.query("PRAGMA journal_mode", "read journal mode");
  REQUIRE(q.step());
  CHECK(q.column_text(0) == "wal");
}

TEST_CASE("migrations run once: reopening applies nothing twice", "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "manager.db";
  {
    SqliteStore store(path);
    CHECK(store.schema_version() == kSchema);
    store.insert(make_record("dl", "alice", DownloadState::queued, 1));
  }
  for (int i = 0; i < 2; ++i) {
    SqliteStore store(path);
    CHECK(store.schema_version() == kSchema);
    CHECK(store.get("dl"));
  }
  detail::Db raw(path);
  CHECK(count_rows(raw, "SELECT count(*) FROM schema_version") == kSchema);
  CHECK(count_rows(raw, "SELECT max(version) FROM schema_version") == kSchema);
  CHECK(count_rows(raw, "SELECT count(*) FROM counters") == 1);
}

TEST_CASE("a database written by a newer schema is refused with the versions named",
          "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "manager.db";
  { SqliteStore store(path); }
  {
    detail::Db raw(path);
    raw.exec("INSERT INTO schema_version (version) VALUES (7)", "pretend to be newer");
  }
  const std::string message =
      error_of([&] { (void)open_sqlite_store(path); }, store_errc::schema_too_new);
  CHECK_THAT(message, Catch::Contains("database schema 7 is newer than this bitflow (" +
                                      std::to_string(kSchema) + ")"));
  CHECK_THAT(message, Catch::Contains(path.string()));
}

TEST_CASE("a migration step applies whole or not at all, in order", "[manager][store]") {
  TempFolder tmp("bitflow-store");
  detail::Db db(tmp.path / "steps.db");
  const detail::Migration good[] = {
      {1, "CREATE TABLE one (x INTEGER)"},
      {2, "CREATE TABLE two (x INTEGER); INSERT INTO two VALUES (2)"},
  };
  const detail::Migration broken[] = {
      good[0],
      good[1],
      {3, "CREATE TABLE three (x INTEGER); INSERT INTO no_such_table VALUES (3)"},
  };
  CHECK(detail::migrate(db, std::span(good, 1)) == 1);
  const std::string message =
      error_of([&] { (void)detail::migrate(db, broken); }, store_errc::database_error);
  CHECK_THAT(message, Catch::Contains("migrate to schema 3") && Catch::Contains("no_such_table"));
  // Step 2 committed before step 3 failed; step 3's table went with its transaction.
  CHECK(count_rows(db, "SELECT max(version) FROM schema_version") == 2);
  CHECK(count_rows(db, "SELECT count(*) FROM two") == 1);
  CHECK(count_rows(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'three'") == 0);
  CHECK(detail::migrate(db, good) == 2);

  const detail::Migration misnumbered[] = {{1, "SELECT 1"}, {3, "SELECT 3"}};
  CHECK_THROWS_AS(detail::migrate(db, misnumbered), std::logic_error);
}

TEST_CASE("a file that is not a database is refused, naming it", "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "not-a.db";
  std::ofstream(path) << "this is a text file, long enough to be read as a database header\n";
  const std::string message =
      error_of([&] { (void)open_sqlite_store(path); }, store_errc::cannot_open);
  CHECK_THAT(message, Catch::Contains(path.string()));
  CHECK_THROWS_AS(open_sqlite_store(tmp.path / "missing-folder" / "x.db"), bitflow::Error);
}

TEST_CASE("two stores on one file see each other's writes", "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "shared.db";
  auto first = open_sqlite_store(path);
  auto second = open_sqlite_store(path);

  first->insert(make_record("dl", "alice", DownloadState::queued, first->next_queue_seq()));
  auto seen = second->get("dl");
  REQUIRE(seen);
  seen->state = DownloadState::downloading;
  REQUIRE(second->update(*seen));
  CHECK(first->get("dl")->state == DownloadState::downloading);
  // The counter is in the file, so the two never hand out the same number.
  const std::int64_t a = first->next_queue_seq();
  const std::int64_t b = second->next_queue_seq();
  CHECK(a != b);
  CHECK(first->next_queue_seq() > b);
}

TEST_CASE("a cached statement is handed to one query at a time", "[manager][store]") {
  detail::Db db(":memory:");
  {
    auto q = db.query("SELECT 1", "first use");
    CHECK_THROWS_AS(db.query("SELECT 1", "second use"), std::logic_error);
    REQUIRE(q.step());
    CHECK(q.column_int(0) == 1);
  }
  auto again = db.query("SELECT 1", "after the first ended");
  REQUIRE(again.step());
  CHECK(again.column_int(0) == 1);
}

TEST_CASE("a row bitflow cannot read is reported as corrupt, naming the download",
          "[manager][store]") {
  TempFolder tmp("bitflow-store");
  const auto path = tmp.path / "manager.db";
  auto store = open_sqlite_store(path);
  DownloadRecord record = make_record("dl", "alice", DownloadState::queued, 1);
  record.file_priorities = {1, 0};
  store->insert(record);
  {
    detail::Db raw(path);
    raw.exec("UPDATE downloads SET file_priorities = '1,x' WHERE id = 'dl'", "damage the row");
  }
  const std::string message = error_of([&] { (void)store->get("dl"); }, store_errc::corrupt);
  CHECK_THAT(message,
             Catch::Contains("read download dl") && Catch::Contains("unreadable file priorities"));
}
