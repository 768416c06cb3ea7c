// PieceBuckets: the picker's availability index (internal to src/piece/).
//
// Holds a set of pieces split into groups (the picker uses one group per priority level)
// and, inside each group, ordered by availability: one array per group, cut into
// contiguous buckets, bucket a holding the pieces that a connected peers have.
//
//   group.pieces  [ p7 p2 | p9 p4 p1 | p3 | p8 p5 ]
//   group.start     0       2          5    6        (bucket a starts at start[a])
//                   avail 0 avail 1    2    3
//
// A change of availability by one moves a piece across one bucket boundary: swap it with
// the boundary element and shift the boundary, O(1) (the libtorrent trick). Inserting or
// erasing a piece walks it from its bucket to the end of the array, O(number of buckets),
// which is at most one more than the number of peers. Scanning a bucket is reading a
// contiguous span, so rarest-first never looks at more common pieces than it must.
//
// The caller keeps each piece's availability and passes it in; this class trusts it.
// Not thread-safe; owned by one PiecePicker.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "bitflow/geometry.hpp"

namespace bitflow::piece::detail {

class PieceBuckets {
 public:
  static constexpr int num_groups = 8;

  PieceBuckets() = default;
  explicit PieceBuckets(std::int32_t num_pieces);

  [[nodiscard]] bool contains(PieceIndex p) const noexcept { return pos_[ix(p)] >= 0; }
  /// Adds `p` (not contained) to `group` with the given availability. O(buckets).
  void insert(PieceIndex p, int group, std::int32_t availability);
  /// Removes `p` (contained, with that availability). O(buckets).
  void erase(PieceIndex p, std::int32_t availability);
  /// `p` (contained) goes from `availability` to availability + 1. O(1) amortized.
  void increment(PieceIndex p, std::int32_t availability);
  /// `p` (contained) goes from `availability` (> 0) to availability - 1. O(1).
  void decrement(PieceIndex p, std::int32_t availability);

  /// Every piece of `group`, rarest first (in bucket order; arbitrary inside a bucket).
  [[nodiscard]] std::span<const PieceIndex> pieces(int group) const noexcept {
    return groups_[gx(group)].pieces;
  }
  /// Number of availability buckets of `group` (some may be empty).
  [[nodiscard]] std::int32_t num_buckets(int group) const noexcept {
    return static_cast<std::int32_t>(groups_[gx(group)].start.size());
  }
  /// The pieces of `group` that exactly `availability` peers have.
  [[nodiscard]] std::span<const PieceIndex> bucket(int group,
                                                   std::int32_t availability) const noexcept;

 private:
  struct Group {
    std::vector<PieceIndex> pieces;
    std::vector<std::int32_t> start;  // start[a]: first position of bucket a
  };

  static std::size_t ix(PieceIndex p) noexcept { return static_cast<std::size_t>(p.value); }
  static std::size_t gx(int group) noexcept { return static_cast<std::size_t>(group); }
  static std::size_t ax(std::int32_t a) noexcept { return static_cast<std::size_t>(a); }
  /// Moves the pieces at positions i and j of `g`, keeping pos_ up to date.
  void swap_at(Group& g, std::int32_t i, std::int32_t j) noexcept;
  /// Makes sure bucket `a` exists in `g` (new buckets are empty, at the end).
  static void ensure_bucket(Group& g, std::int32_t a);

  std::array<Group, num_groups> groups_;
  std::vector<std::int32_t> pos_;    // position in its group's array, -1 when absent
  std::vector<std::uint8_t> group_;  // the group a contained piece is in
};

}  // namespace bitflow::piece::detail
