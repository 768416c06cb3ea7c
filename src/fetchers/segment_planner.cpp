// SegmentPlanner: see segment_planner.hpp. Invariants: done_, unassigned_ and the running
// segments' [next, end) ranges are disjoint and together cover [0, total_); a segment with
// next == end holds nothing more and is removed by release().
#include "fetchers/segment_planner.hpp"

#include <algorithm>
#include <stdexcept>

namespace bitflow::fetch {

SegmentPlanner::SegmentPlanner(std::int64_t total, RangeSet done, std::int64_t min_segment)
    : total_(total), min_segment_(std::max<std::int64_t>(1, min_segment)), done_(std::move(done)) {
  if (total < 0) throw std::invalid_argument("SegmentPlanner: negative size");
  for (const ByteRange& gap : done_.missing(total_))
    unassigned_.add(gap.begin, gap.end);
}

std::optional<Segment> SegmentPlanner::assign(int connections) {
  if (!unassigned_.empty()) {
    const ByteRange first = unassigned_.ranges().front();
    // An equal share for each connection not running yet (this one included).
    const auto idle = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(connections) - static_cast<std::int64_t>(segments_.size()));
    const std::int64_t share = std::max(min_segment_, (unassigned_.bytes() + idle - 1) / idle);
    const std::int64_t end = std::min(first.end, first.begin + share);
    unassigned_.remove(first.begin, end);
    Segment s{next_id_++, first.begin, first.begin, end};
    segments_.emplace(s.id, s);
    return s;
  }
  // Steal the back half of the segment with the most still to come.
  Segment* victim = nullptr;
  for (auto& [id, s] : segments_)
    if (!victim || s.end - s.next > victim->end - victim->next) victim = &s;
  if (!victim || victim->end - victim->next < 2 * min_segment_) return std::nullopt;
  const std::int64_t middle = victim->next + (victim->end - victim->next) / 2;
  Segment s{next_id_++, middle, middle, victim->end};
  victim->end = middle;
  segments_.emplace(s.id, s);
  return s;
}

std::int64_t SegmentPlanner::received(int id, std::int64_t n) {
  auto it = segments_.find(id);
  if (it == segments_.end() || n <= 0) return 0;
  Segment& s = it->second;
  const std::int64_t taken = std::min(n, s.end - s.next);
  done_.add(s.next, s.next + taken);
  s.next += taken;
  return taken;
}

std::optional<Segment> SegmentPlanner::segment(int id) const {
  auto it = segments_.find(id);
  if (it == segments_.end()) return std::nullopt;
  return it->second;
}

void SegmentPlanner::release(int id) {
  auto it = segments_.find(id);
  if (it == segments_.end()) return;
  unassigned_.add(it->second.next, it->second.end);
  segments_.erase(it);
}

}  // namespace bitflow::fetch
