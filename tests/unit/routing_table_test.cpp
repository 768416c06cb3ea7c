// The DHT routing table: XOR distance, bucket splitting only around our own id, BEP 5's
// node liveness (good, questionable, bad) and replacement, refresh targets; and, over a
// simulated network of thousands of tables, that greedy lookups through them find the
// closest node in O(log n) rounds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "dht/routing_table.hpp"

using namespace bitflow::dht;
using namespace std::chrono_literals;

namespace {

Id random_id(std::mt19937& rng) {
  Id id{};
  for (auto& b : id)
    b = static_cast<std::uint8_t>(rng());
  return id;
}

NodeInfo node(const Id& id, std::uint16_t port = 6881) {
  return {id, {{127, 0, 0, 1}, port}};
}

// An id sharing exactly `bits` leading bits with `own` (the rest random).
Id at_prefix(const Id& own, std::size_t bits, std::mt19937& rng) {
  Id id = random_id(rng);
  for (std::size_t i = 0; i < bits; ++i) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    id[i / 8] = static_cast<std::uint8_t>((id[i / 8] & ~mask) | (own[i / 8] & mask));
  }
  const auto mask = static_cast<std::uint8_t>(0x80u >> (bits % 8));
  id[bits / 8] = static_cast<std::uint8_t>((id[bits / 8] & ~mask) | (~own[bits / 8] & mask));
  return id;
}

const Clock::time_point t0 = Clock::time_point{} + 1000h;

}  // namespace

TEST_CASE("XOR distance orders ids by shared leading bits", "[dht]") {
  Id zero{}, one{}, high{};
  one[19] = 1;
  high[0] = 0x80;
  CHECK(distance(zero, zero) == Id{});
  CHECK(closer(zero, one, high));
  CHECK_FALSE(closer(zero, high, one));
  CHECK(distance(one, high) == distance(high, one));
}

TEST_CASE("only the bucket holding our own id splits; far buckets stay at k", "[dht]") {
  std::mt19937 rng(1);
  const Id own = random_id(rng);
  RoutingTable table(own);
  CHECK(table.heard_from(node(own), true, t0).outcome == RoutingTable::Outcome::dropped);
  // 8 far nodes (no shared bit) fill the first bucket; our own range is not split yet.
  for (int i = 0; i < 8; ++i)
    CHECK(table.heard_from(node(at_prefix(own, 0, rng)), true, t0).outcome ==
          RoutingTable::Outcome::added);
  CHECK(table.bucket_count() == 1);
  // A ninth node splits the bucket (it holds our id); the far half stays full.
  CHECK(table.heard_from(node(at_prefix(own, 3, rng)), true, t0).outcome ==
        RoutingTable::Outcome::added);
  CHECK(table.bucket_count() == 2);
  // Another far node: its bucket is full of good nodes and does not split.
  CHECK(table.heard_from(node(at_prefix(own, 0, rng)), true, t0).outcome ==
        RoutingTable::Outcome::dropped);
  CHECK(table.size() == 9);
  // Near us, the table keeps taking nodes by splitting.
  for (std::size_t bits = 4; bits < 40; ++bits)
    CHECK(table.heard_from(node(at_prefix(own, bits, rng)), true, t0).outcome ==
          RoutingTable::Outcome::added);
  CHECK(table.size() == 9 + 36);
}

TEST_CASE("liveness: good for 15 minutes, then questionable; bad after two failures", "[dht]") {
  std::mt19937 rng(2);
  const Id own = random_id(rng);
  RoutingTable table(own);
  std::vector<Id> far;
  for (int i = 0; i < 8; ++i) {
    far.push_back(at_prefix(own, 0, rng));
    REQUIRE(table.heard_from(node(far.back()), true, t0 + std::chrono::seconds(i)).outcome ==
            RoutingTable::Outcome::added);
  }
  REQUIRE(table.heard_from(node(at_prefix(own, 1, rng)), true, t0).outcome ==
          RoutingTable::Outcome::added);  // splits: far nodes are in a bucket of their own now
  const Id newcomer = at_prefix(own, 0, rng);
  // All good: no room.
  CHECK(table.heard_from(node(newcomer), true, t0 + 14min).outcome ==
        RoutingTable::Outcome::dropped);
  // 15 minutes later they are questionable: ping the stalest (the first heard) first.
  auto r = table.heard_from(node(newcomer), true, t0 + 16min);
  CHECK(r.outcome == RoutingTable::Outcome::ping_first);
  REQUIRE(r.stale);
  CHECK(r.stale->id == far[0]);
  // A node that only queried us does not push anyone out.
  CHECK(table.heard_from(node(newcomer), false, t0 + 16min).outcome ==
        RoutingTable::Outcome::dropped);
  // The stalest fails twice: it is bad, left out of answers, and replaced.
  table.failed(far[0]);
  CHECK(table.heard_from(node(newcomer), true, t0 + 16min).outcome ==
        RoutingTable::Outcome::ping_first);
  table.failed(far[0]);
  auto listed = table.closest(far[0], 50, t0 + 16min);
  CHECK(std::none_of(listed.begin(), listed.end(),
                     [&](const NodeInfo& n) { return n.id == far[0]; }));
  CHECK(table.heard_from(node(newcomer), true, t0 + 16min).outcome ==
        RoutingTable::Outcome::replaced);
  // Hearing from a known node again refreshes it (and its address).
  auto again = table.heard_from(node(newcomer, 7000), true, t0 + 17min);
  CHECK(again.outcome == RoutingTable::Outcome::updated);
  auto nodes = table.nodes();
  auto it =
      std::find_if(nodes.begin(), nodes.end(), [&](const NodeInfo& n) { return n.id == newcomer; });
  REQUIRE(it != nodes.end());
  CHECK(it->endpoint.port == 7000);
}

TEST_CASE("buckets left alone for 15 minutes ask to be refreshed with an id in their range",
          "[dht]") {
  std::mt19937 rng(3);
  const Id own = random_id(rng);
  RoutingTable table(own);
  for (std::size_t bits = 0; bits < 12; ++bits)
    for (int i = 0; i < 3; ++i)
      table.heard_from(node(at_prefix(own, bits, rng)), true, t0);
  CHECK(table.refresh_targets(t0 + 10min).empty());
  auto targets = table.refresh_targets(t0 + 16min);
  REQUIRE(targets.size() == table.bucket_count());
  // Each target falls in its bucket: its lookup refreshes that part of the id space.
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) {
    const auto d = distance(own, targets[i]);
    std::size_t bits = 0;
    while (bits < 160 && ((d[bits / 8] >> (7 - bits % 8)) & 1) == 0)
      ++bits;
    CHECK(bits == i);
  }
}

TEST_CASE("over 2048 simulated nodes, greedy lookups find the closest node in O(log n) rounds",
          "[dht]") {
  std::mt19937 rng(4);
  constexpr std::size_t n = 2048;
  std::vector<Id> ids;
  for (std::size_t i = 0; i < n; ++i)
    ids.push_back(random_id(rng));
  // Each node has heard from every other, in an order of its own: its table keeps what
  // BEP 5 says to keep (everyone near it, 8 of each farther half).
  std::vector<RoutingTable> tables;
  tables.reserve(n);
  std::vector<std::uint16_t> order(n);
  for (std::size_t i = 0; i < n; ++i)
    order[i] = static_cast<std::uint16_t>(i);
  for (std::size_t i = 0; i < n; ++i) {
    tables.emplace_back(ids[i]);
    std::shuffle(order.begin(), order.end(), rng);
    for (auto other : order)
      tables[i].heard_from(node(ids[other], other), true, t0);
  }
  const auto index_of = [&](const NodeInfo& info) { return info.endpoint.port; };
  int worst_rounds = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const Id target = random_id(rng);
    const Id best = *std::min_element(
        ids.begin(), ids.end(), [&](const Id& a, const Id& b) { return closer(target, a, b); });
    // α = 3 queries a round to the closest nodes not yet asked; stop when a round brings
    // nothing closer than the k best known.
    std::vector<NodeInfo> known = tables[rng() % n].closest(target, 8, t0);
    std::set<std::uint16_t> asked;
    int rounds = 0;
    for (;;) {
      std::sort(known.begin(), known.end(),
                [&](const NodeInfo& a, const NodeInfo& b) { return closer(target, a.id, b.id); });
      std::vector<NodeInfo> ask;
      for (const auto& k : known)
        if (ask.size() < 3 && !asked.count(index_of(k))) ask.push_back(k);
      if (ask.empty()) break;
      ++rounds;
      const Id before = known.front().id;
      for (const auto& a : ask) {
        asked.insert(index_of(a));
        for (const auto& found : tables[index_of(a)].closest(target, 8, t0))
          if (std::none_of(known.begin(), known.end(),
                           [&](const NodeInfo& k) { return k.id == found.id; }))
            known.push_back(found);
      }
      std::sort(known.begin(), known.end(),
                [&](const NodeInfo& a, const NodeInfo& b) { return closer(target, a.id, b.id); });
      if (known.size() > 8) known.resize(8);
      if (known.front().id == before && rounds > 1 &&
          std::all_of(known.begin(), known.end(),
                      [&](const NodeInfo& k) { return asked.count(index_of(k)) > 0; }))
        break;
    }
    CHECK(known.front().id == best);
    worst_rounds = std::max(worst_rounds, rounds);
  }
  INFO("worst lookup: " << worst_rounds << " rounds over " << n << " nodes");
  // Each table holds about 8·log2(n/8) of the n nodes, yet no lookup needs more rounds
  // than log2(n) (11 here).
  CHECK(worst_rounds <= static_cast<int>(std::log2(n)));
}
