// RangeSet: see range_set.hpp. Invariant: the map's intervals are non-empty, disjoint and
// never touch (a gap of at least one byte between neighbours); bytes_ is their total.
#include "fetchers/range_set.hpp"

#include <algorithm>
#include <iterator>

namespace bitflow::fetch {

void RangeSet::add(std::int64_t begin, std::int64_t end) {
  if (begin >= end) return;
  // The first interval that could touch [begin, end): the one starting at or before begin.
  auto it = by_begin_.upper_bound(begin);
  if (it != by_begin_.begin() && std::prev(it)->second >= begin) --it;
  while (it != by_begin_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    bytes_ -= it->second - it->first;
    it = by_begin_.erase(it);
  }
  by_begin_.emplace(begin, end);
  bytes_ += end - begin;
}

void RangeSet::remove(std::int64_t begin, std::int64_t end) {
  if (begin >= end) return;
  auto it = by_begin_.upper_bound(begin);
  if (it != by_begin_.begin() && std::prev(it)->second > begin) --it;
  while (it != by_begin_.end() && it->first < end) {
    const std::int64_t b = it->first, e = it->second;
    bytes_ -= e - b;
    it = by_begin_.erase(it);
    if (b < begin) {
      by_begin_.emplace(b, begin);
      bytes_ += begin - b;
    }
    if (e > end) {
      by_begin_.emplace(end, e);
      bytes_ += e - end;
      break;
    }
  }
}

bool RangeSet::contains(std::int64_t begin, std::int64_t end) const {
  if (begin >= end) return true;
  auto it = by_begin_.upper_bound(begin);
  if (it == by_begin_.begin()) return false;
  --it;
  return it->first <= begin && it->second >= end;
}

std::vector<ByteRange> RangeSet::missing(std::int64_t total) const {
  std::vector<ByteRange> out;
  std::int64_t at = 0;
  for (const auto& [b, e] : by_begin_) {
    if (b >= total) break;
    if (b > at) out.push_back({at, b});
    at = std::max(at, e);
  }
  if (at < total) out.push_back({at, total});
  return out;
}

std::vector<ByteRange> RangeSet::ranges() const {
  std::vector<ByteRange> out;
  out.reserve(by_begin_.size());
  for (const auto& [b, e] : by_begin_)
    out.push_back({b, e});
  return out;
}

}  // namespace bitflow::fetch
