// Webhooks in the SQLite store: a round-trip of every field, each webhook's outbox handed
// out in enqueue order (its head only), the owed count, and the migration that numbered
// deliveries a version-1 database already held.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "../support/fetch_support.hpp"
#include "bitflow/manager_store.hpp"
#include "manager/sqlite_db.hpp"
#include "manager/sqlite_schema.hpp"
#include "manager/sqlite_store.hpp"

using namespace bitflow::manager;
using bitflow::test::TempFolder;
using V = std::vector<std::string>;

namespace {

Webhook hook(const std::string& id, const std::string& owner) {
  Webhook w;
  w.id = id;
  w.owner = owner;
  w.url = "http://127.0.0.1:9/" + id;
  w.secret = "secret of " + id;
  return w;
}

Delivery delivery(const std::string& id, const std::string& webhook_id, TimeMs due_at) {
  Delivery d;
  d.delivery_id = id;
  d.webhook_id = webhook_id;
  d.event = "added";
  d.body = "{}";
  d.next_attempt_at = due_at;
  d.created_at = due_at;
  return d;
}

V ids(const std::vector<Delivery>& deliveries) {
  V out;
  for (const Delivery& d : deliveries)
    out.push_back(d.delivery_id);
  return out;
}

}  // namespace

TEST_CASE("a webhook round-trips through a reopened database with its filter", "[webhooks]") {
  TempFolder tmp("bitflow-webhooks");
  Webhook w = hook("wh-1", "alice");
  w.url = "https://hooks.example.com/in?token=a%20b";
  w.secret = "ünïcode secret with 'quotes'";
  w.events = {"finished", "failed", "progress"};
  open_sqlite_store(tmp.path / "m.db")->add_webhook(w);
  auto store = open_sqlite_store(tmp.path / "m.db");
  const auto got = store->webhook("wh-1");
  REQUIRE(got);
  CHECK(got->id == w.id);
  CHECK(got->owner == w.owner);
  CHECK(got->url == w.url);
  CHECK(got->secret == w.secret);
  CHECK(got->events == w.events);
  CHECK(store->webhooks("alice").size() == 1);
  CHECK(store->webhooks("bob").empty());
}

TEST_CASE("each webhook's deliveries come out one at a time in enqueue order", "[webhooks]") {
  auto store = open_sqlite_store(":memory:");
  store->add_webhook(hook("wh-a", "alice"));
  store->add_webhook(hook("wh-b", "bob"));
  // Enqueued in this order, all due at once; a1's retry time will not change its place.
  store->enqueue(delivery("a1", "wh-a", 100));
  store->enqueue(delivery("b1", "wh-b", 100));
  store->enqueue(delivery("a2", "wh-a", 100));
  store->enqueue(delivery("a3", "wh-a", 50));  // due earlier, but enqueued after a2
  store->enqueue(delivery("b2", "wh-b", 100));

  CHECK(ids(store->due_in_order(1000, 10)) == V{"a1", "b1"});
  CHECK(ids(store->due_in_order(1000, 1)) == V{"a1"});
  CHECK(store->due_in_order(99, 10).empty());  // the heads are not due yet
  CHECK(store->count_owed(std::nullopt) == 5);
  CHECK(store->count_owed("alice") == 3);
  CHECK(store->count_owed("carol") == 0);

  // A head waiting for its retry holds back its webhook's line, not the others'.
  REQUIRE(store->reschedule("a1", 1, 5000, "HTTP 500"));
  CHECK(ids(store->due_in_order(1000, 10)) == V{"b1"});
  REQUIRE(store->mark_delivered("b1"));
  CHECK(ids(store->due_in_order(1000, 10)) == V{"b2"});
  CHECK(ids(store->due_in_order(5000, 10)) == V{"b2", "a1"});

  // Delivered or dead, the head makes way for the next in enqueue order.
  REQUIRE(store->mark_dead("a1", 5, 500, "HTTP 500", 6000));
  CHECK(ids(store->due_in_order(6000, 10)) == V{"a2", "b2"});
  REQUIRE(store->mark_delivered("a2"));
  CHECK(ids(store->due_in_order(6000, 10)) == V{"a3", "b2"});
  CHECK(store->count_owed("alice") == 1);  // the dead one is not owed

  // A delivery enqueued after everything was delivered still comes after what is left.
  REQUIRE(store->mark_delivered("a3"));
  store->enqueue(delivery("a4", "wh-a", 10));
  store->enqueue(delivery("a5", "wh-a", 10));
  CHECK(ids(store->due_in_order(6000, 10)) == V{"a4", "b2"});
}

TEST_CASE("schema 2 numbers the deliveries a version-1 database holds in their insert order",
          "[webhooks]") {
  TempFolder tmp("bitflow-webhooks");
  const auto path = tmp.path / "old.db";
  {
    bitflow::manager::detail::Db raw(path);
    REQUIRE(bitflow::manager::detail::migrate(raw, detail::sqlite_migrations().first(1)) == 1);
    raw.exec(
        "INSERT INTO webhooks (id, owner, url, secret) VALUES ('wh', 'alice', 'http://h/', 'k');"
        "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event, body, attempts, "
        "next_attempt_at, created_at) VALUES ('z-first', 'wh', 'added', '{}', 0, 5, 5),"
        "('a-second', 'wh', 'started', '{}', 0, 5, 5)",
        "write a version-1 outbox");
  }
  SqliteStore store(path);
  CHECK(store.schema_version() == 2);
  CHECK(ids(store.due_in_order(10, 10)) == V{"z-first"});
  REQUIRE(store.mark_delivered("z-first"));
  store.enqueue(delivery("new", "wh", 1));
  CHECK(ids(store.due_in_order(10, 10)) == V{"a-second"});
}
