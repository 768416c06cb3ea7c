#include "dht/routing_table.hpp"

#include <algorithm>

namespace bitflow::dht {

namespace {

// Leading bits `a` and `b` have in common, 0 to 160.
std::size_t common_prefix(const Id& a, const Id& b) noexcept {
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned>(a[i] ^ b[i]);
    if (x == 0) continue;
    std::size_t bits = i * 8;
    for (unsigned mask = 0x80; (x & mask) == 0; mask >>= 1)
      ++bits;
    return bits;
  }
  return 160;
}

Clock::time_point last_heard(const RoutingNode& n) {
  return std::max(n.last_answer, n.last_query);
}

}  // namespace

Id distance(const Id& a, const Id& b) noexcept {
  Id d{};
  for (std::size_t i = 0; i < d.size(); ++i)
    d[i] = static_cast<std::uint8_t>(a[i] ^ b[i]);
  return d;
}

bool closer(const Id& target, const Id& a, const Id& b) noexcept {
  return distance(target, a) < distance(target, b);  // std::array compares bytes in order
}

RoutingTable::RoutingTable(Id own_id) : own_(own_id), buckets_(1) {}

std::size_t RoutingTable::bucket_index(const Id& id) const noexcept {
  return std::min(common_prefix(own_, id), buckets_.size() - 1);
}

void RoutingTable::split_last() {
  Bucket& last = buckets_.back();
  Bucket deeper;
  deeper.depth = last.depth + 1;
  deeper.changed = last.changed;
  auto moves = std::stable_partition(
      last.nodes.begin(), last.nodes.end(),
      [&](const RoutingNode& n) { return common_prefix(own_, n.info.id) == last.depth; });
  deeper.nodes.assign(moves, last.nodes.end());
  last.nodes.erase(moves, last.nodes.end());
  buckets_.push_back(std::move(deeper));
}

NodeState RoutingTable::state(const RoutingNode& node, Clock::time_point now) const {
  if (node.failures >= bad_after) return NodeState::bad;
  const bool ever_answered = node.last_answer != Clock::time_point{};
  if (ever_answered && (now - node.last_answer < good_for || now - node.last_query < good_for))
    return NodeState::good;
  return NodeState::questionable;
}

RoutingTable::Result RoutingTable::heard_from(const NodeInfo& node, bool answered,
                                              Clock::time_point now) {
  if (node.id == own_) return {Outcome::dropped, std::nullopt};
  for (;;) {
    Bucket& bucket = buckets_[bucket_index(node.id)];
    auto it = std::find_if(bucket.nodes.begin(), bucket.nodes.end(),
                           [&](const RoutingNode& n) { return n.info.id == node.id; });
    if (it != bucket.nodes.end()) {
      it->info.endpoint = node.endpoint;
      (answered ? it->last_answer : it->last_query) = now;
      if (answered) it->failures = 0;
      bucket.changed = now;
      return {Outcome::updated, std::nullopt};
    }
    RoutingNode entry{node, {}, {}, 0};
    (answered ? entry.last_answer : entry.last_query) = now;
    if (bucket.nodes.size() < k) {
      bucket.nodes.push_back(std::move(entry));
      bucket.changed = now;
      return {Outcome::added, std::nullopt};
    }
    // Full. Only the bucket our own id falls in splits (and not past 159 shared bits).
    if (&bucket == &buckets_.back() && bucket.depth < 159) {
      split_last();
      continue;
    }
    auto bad = std::find_if(bucket.nodes.begin(), bucket.nodes.end(),
                            [&](const RoutingNode& n) { return state(n, now) == NodeState::bad; });
    if (bad != bucket.nodes.end()) {
      *bad = std::move(entry);
      bucket.changed = now;
      return {Outcome::replaced, std::nullopt};
    }
    const RoutingNode* stalest = nullptr;
    for (const auto& n : bucket.nodes)
      if (state(n, now) == NodeState::questionable &&
          (!stalest || last_heard(n) < last_heard(*stalest)))
        stalest = &n;
    if (stalest && answered) return {Outcome::ping_first, stalest->info};
    return {Outcome::dropped, std::nullopt};
  }
}

void RoutingTable::failed(const Id& id) {
  auto& bucket = buckets_[bucket_index(id)];
  for (auto& n : bucket.nodes)
    if (n.info.id == id) ++n.failures;
}

std::vector<NodeInfo> RoutingTable::closest(const Id& target, std::size_t count,
                                            Clock::time_point now) const {
  std::vector<const RoutingNode*> all;
  for (const auto& b : buckets_)
    for (const auto& n : b.nodes)
      if (state(n, now) != NodeState::bad) all.push_back(&n);
  const std::size_t n = std::min(count, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [&](const RoutingNode* a, const RoutingNode* b) {
                      return closer(target, a->info.id, b->info.id);
                    });
  std::vector<NodeInfo> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(all[i]->info);
  return out;
}

std::size_t RoutingTable::size() const noexcept {
  std::size_t total = 0;
  for (const auto& b : buckets_)
    total += b.nodes.size();
  return total;
}

std::vector<Id> RoutingTable::refresh_targets(Clock::time_point now) const {
  std::vector<Id> out;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    const Bucket& b = buckets_[i];
    if (now - b.changed < good_for) continue;
    Id target = own_;
    if (i + 1 < buckets_.size()) {
      // An id sharing exactly `depth` leading bits with ours: flip the next bit.
      target[b.depth / 8] =
          static_cast<std::uint8_t>(target[b.depth / 8] ^ (0x80u >> (b.depth % 8)));
    }
    out.push_back(target);
  }
  return out;
}

std::vector<NodeInfo> RoutingTable::nodes() const {
  std::vector<NodeInfo> out;
  for (const auto& b : buckets_)
    for (const auto& n : b.nodes)
      out.push_back(n.info);
  return out;
}

}  // namespace bitflow::dht
