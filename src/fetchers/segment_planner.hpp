// SegmentPlanner — which bytes of a file each connection of a segmented download fetches
// (aria2's -x/-s/-k). Pure: no I/O, no clocks; the fetcher reports what arrived.
//
// The rules. What is missing starts out unassigned. An idle connection gets the front of
// the first unassigned gap: at most an equal share of the unassigned bytes among the
// connections not running yet (so N connections starting together split the file evenly),
// and at least min_segment.
// When nothing is unassigned, an idle connection steals: the running segment with the most
// bytes still to come is cut in half, if each half would hold at least min_segment, and
// the idle connection takes the back half. A segment's owner learns that its end moved
// from received(): bytes past the end are not taken, and the segment is done there.
// A connection that fails gives its segment's unreceived bytes back (release()).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "fetchers/range_set.hpp"

namespace bitflow::fetch {

struct Segment {
  int id = 0;
  std::int64_t begin = 0;  ///< where the connection's request starts
  std::int64_t next = 0;   ///< the next byte expected
  std::int64_t end = 0;    ///< one past the segment's last byte (may shrink when stolen from)
};

class SegmentPlanner {
 public:
  /// A file of `total` bytes of which `done` are already here; min_segment >= 1.
  SegmentPlanner(std::int64_t total, RangeSet done, std::int64_t min_segment);

  /// Work for an idle connection, given how many connections the download runs at most
  /// (for the equal share); nullopt when there is nothing left to hand out.
  [[nodiscard]] std::optional<Segment> assign(int connections);
  /// `n` bytes arrived for segment `id` at its `next` offset: returns how many of them
  /// belong to it (fewer when its end has moved); those are now done.
  std::int64_t received(int id, std::int64_t n);
  /// The segment as it stands (nullopt once finished or released).
  [[nodiscard]] std::optional<Segment> segment(int id) const;
  /// Segment `id` reached its end, or its connection is over: unreceived bytes go back to
  /// the unassigned pool.
  void release(int id);
  /// Everything is here.
  [[nodiscard]] bool complete() const noexcept { return done_.bytes() >= total_; }
  [[nodiscard]] const RangeSet& done() const noexcept { return done_; }
  [[nodiscard]] std::int64_t total() const noexcept { return total_; }
  [[nodiscard]] std::size_t running() const noexcept { return segments_.size(); }

 private:
  std::int64_t total_;
  std::int64_t min_segment_;
  RangeSet done_;
  RangeSet unassigned_;
  std::map<int, Segment> segments_;
  int next_id_ = 1;
};

}  // namespace bitflow::fetch
