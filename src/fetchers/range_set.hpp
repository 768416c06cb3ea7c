// RangeSet — a set of byte offsets kept as sorted, disjoint, non-adjacent half-open
// intervals [begin, end). The segmented downloader records what it has (and what is still
// to hand out) with it. Pure data structure. Internal to the fetchers.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

namespace bitflow::fetch {

struct ByteRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;  ///< one past the last byte
  [[nodiscard]] std::int64_t size() const noexcept { return end - begin; }
  friend bool operator==(const ByteRange&, const ByteRange&) = default;
};

class RangeSet {
 public:
  /// Adds [begin, end), merging with what it overlaps or touches. Empty ranges are ignored.
  void add(std::int64_t begin, std::int64_t end);
  /// Removes [begin, end), splitting an interval it falls inside.
  void remove(std::int64_t begin, std::int64_t end);
  /// Whether every byte of [begin, end) is in the set (true for an empty range).
  [[nodiscard]] bool contains(std::int64_t begin, std::int64_t end) const;
  /// The parts of [0, total) not in the set, in order.
  [[nodiscard]] std::vector<ByteRange> missing(std::int64_t total) const;
  /// The intervals, in order.
  [[nodiscard]] std::vector<ByteRange> ranges() const;
  /// Bytes in the set.
  [[nodiscard]] std::int64_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] bool empty() const noexcept { return by_begin_.empty(); }
  void clear() noexcept {
    by_begin_.clear();
    bytes_ = 0;
  }
  friend bool operator==(const RangeSet&, const RangeSet&) = default;

 private:
  std::map<std::int64_t, std::int64_t> by_begin_;  // begin -> end
  std::int64_t bytes_ = 0;
};

}  // namespace bitflow::fetch
