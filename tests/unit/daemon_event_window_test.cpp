// bitflowd's event window: SSE framing, ids, and what a reconnecting client is replayed.
#include <catch2/catch.hpp>

#include "daemon/event_window.hpp"

using namespace bitflow::daemon;

namespace {

std::vector<std::uint64_t> seqs(const EventWindow::Replay& r) {
  std::vector<std::uint64_t> out;
  for (const WindowEvent* e : r.events)
    out.push_back(e->seq);
  return out;
}

}  // namespace

TEST_CASE("format_sse frames an event with its id and name", "[daemon]") {
  CHECK(format_sse("7-1", "added", R"({"a":1})") == "id: 7-1\nevent: added\ndata: {\"a\":1}\n\n");
  CHECK(format_sse("", "resync", "{}") == "event: resync\ndata: {}\n\n");
  CHECK(sse_keepalive().front() == ':');
  CHECK(sse_keepalive().ends_with("\n\n"));
}

TEST_CASE("event ids name the run and count up", "[daemon]") {
  EventWindow w(1700, 8);
  const WindowEvent& a = w.push("alice", "added", "{}");
  CHECK(w.id_of(a) == "1700-1");
  CHECK(w.id_of(w.push("alice", "started", "{}")) == "1700-2");
  const auto id = parse_event_id("1700-2");
  REQUIRE(id);
  CHECK(id->boot == 1700);
  CHECK(id->seq == 2);
  CHECK_FALSE(parse_event_id(""));
  CHECK_FALSE(parse_event_id("12"));
  CHECK_FALSE(parse_event_id("-3"));
  CHECK_FALSE(parse_event_id("1-"));
  CHECK_FALSE(parse_event_id("1-2x"));
  CHECK_FALSE(parse_event_id("a-2"));
}

TEST_CASE("a reconnect replays only what the owner missed", "[daemon]") {
  EventWindow w(5, 16);
  w.push("alice", "added", "{}");     // 1
  w.push("bob", "added", "{}");       // 2
  w.push("alice", "started", "{}");   // 3
  w.push("alice", "finished", "{}");  // 4
  const auto r = w.replay("alice", "5-1");
  CHECK_FALSE(r.gap);
  CHECK(seqs(r) == std::vector<std::uint64_t>{3, 4});
  CHECK(seqs(w.replay("bob", "5-1")) == std::vector<std::uint64_t>{2});
  CHECK(w.replay("alice", "5-4").events.empty());
}

TEST_CASE("a reconnect without a usable id replays the whole window", "[daemon]") {
  EventWindow w(5, 16);
  w.push("alice", "added", "{}");
  w.push("alice", "started", "{}");
  const auto fresh = w.replay("alice", "garbage");
  CHECK_FALSE(fresh.gap);
  CHECK(seqs(fresh) == std::vector<std::uint64_t>{1, 2});
  const auto earlier_run = w.replay("alice", "4-99");
  CHECK(earlier_run.gap);
  CHECK(seqs(earlier_run) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("the window is bounded and says when missed events are gone", "[daemon]") {
  EventWindow w(5, 3);
  for (int i = 0; i < 6; ++i)
    w.push("alice", "progress", "{}");  // seqs 1..6, only 4..6 kept
  const auto r = w.replay("alice", "5-2");
  CHECK(r.gap);
  CHECK(seqs(r) == std::vector<std::uint64_t>{4, 5, 6});
  const auto just_in = w.replay("alice", "5-3");
  CHECK_FALSE(just_in.gap);
  CHECK(seqs(just_in) == std::vector<std::uint64_t>{4, 5, 6});
}
