// PieceBuckets: pieces grouped by priority and bucketed by availability (see the header).
//
// Invariants, per group: start[0] == 0; start is non-decreasing; every start[a] <=
// pieces.size(); bucket a is [start[a], start[a+1]) (the last bucket ends at
// pieces.size()); pos_[p] is p's position in its group's array and group_[p] its group.
#include "piece_buckets.hpp"

#include <utility>

namespace bitflow::piece::detail {

PieceBuckets::PieceBuckets(std::int32_t num_pieces)
    : pos_(static_cast<std::size_t>(num_pieces), -1),
      group_(static_cast<std::size_t>(num_pieces), 0) {}

void PieceBuckets::swap_at(Group& g, std::int32_t i, std::int32_t j) noexcept {
  if (i == j) return;
  auto& a = g.pieces[static_cast<std::size_t>(i)];
  auto& b = g.pieces[static_cast<std::size_t>(j)];
  std::swap(a, b);
  pos_[ix(a)] = i;
  pos_[ix(b)] = j;
}

void PieceBuckets::ensure_bucket(Group& g, std::int32_t a) {
  while (g.start.size() <= ax(a))
    g.start.push_back(static_cast<std::int32_t>(g.pieces.size()));
}

void PieceBuckets::insert(PieceIndex p, int group, std::int32_t availability) {
  Group& g = groups_[gx(group)];
  ensure_bucket(g, availability);
  g.pieces.push_back(p);
  pos_[ix(p)] = static_cast<std::int32_t>(g.pieces.size() - 1);
  group_[ix(p)] = static_cast<std::uint8_t>(group);
  // p sits in the last bucket; walk it down: swap with the first element of its bucket and
  // move that bucket's start past it, which leaves p at the end of the bucket before.
  for (auto b = static_cast<std::int32_t>(g.start.size()) - 1; b > availability; --b) {
    swap_at(g, pos_[ix(p)], g.start[ax(b)]);
    ++g.start[ax(b)];
  }
}

void PieceBuckets::erase(PieceIndex p, std::int32_t availability) {
  Group& g = groups_[group_[ix(p)]];
  auto last_bucket = static_cast<std::int32_t>(g.start.size()) - 1;
  // Walk p up to the last bucket: swap with the last element of its bucket and move the
  // next bucket's start back over it.
  for (std::int32_t b = availability; b < last_bucket; ++b) {
    swap_at(g, pos_[ix(p)], g.start[ax(b + 1)] - 1);
    --g.start[ax(b + 1)];
  }
  swap_at(g, pos_[ix(p)], static_cast<std::int32_t>(g.pieces.size()) - 1);
  g.pieces.pop_back();
  pos_[ix(p)] = -1;
}

void PieceBuckets::increment(PieceIndex p, std::int32_t availability) {
  Group& g = groups_[group_[ix(p)]];
  ensure_bucket(g, availability + 1);
  std::int32_t& next_start = g.start[ax(availability + 1)];
  swap_at(g, pos_[ix(p)], next_start - 1);
  --next_start;
}

void PieceBuckets::decrement(PieceIndex p, std::int32_t availability) {
  Group& g = groups_[group_[ix(p)]];
  std::int32_t& start = g.start[ax(availability)];
  swap_at(g, pos_[ix(p)], start);
  ++start;
}

std::span<const PieceIndex> PieceBuckets::bucket(int group,
                                                 std::int32_t availability) const noexcept {
  const Group& g = groups_[gx(group)];
  if (availability < 0 || ax(availability) >= g.start.size()) return {};
  std::size_t first = ax(g.start[ax(availability)]);
  std::size_t end =
      ax(availability) + 1 < g.start.size() ? ax(g.start[ax(availability) + 1]) : g.pieces.size();
  return std::span<const PieceIndex>(g.pieces).subspan(first, end - first);
}

}  // namespace bitflow::piece::detail
