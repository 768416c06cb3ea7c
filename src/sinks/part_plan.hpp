// Part plans for S3 multipart uploads, pure: how large each file's parts are, which bytes
// each part holds, and which parts become whole as verified byte ranges come in (in any
// order). No I/O, no clock. Internal to the sinks.
#pragma once

#include <cstdint>
#include <vector>

#include "fetchers/range_set.hpp"

namespace bitflow::sinks {

/// The part size for a file of `file_size` bytes: `requested` (at least 5 MiB), grown to
/// whole MiB when the file would otherwise need more than 10 000 parts.
[[nodiscard]] std::uint64_t choose_part_size(std::uint64_t file_size, std::uint64_t requested);

struct PartSpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const PartSpan&, const PartSpan&) = default;
};

/// A file of `size` bytes cut into parts of `part_size` (the last one shorter). Part
/// numbers start at 1, as S3 counts them; an empty file has one empty part.
class PartPlan {
 public:
  PartPlan(std::uint64_t size, std::uint64_t part_size);

  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t part_size() const noexcept { return part_size_; }
  [[nodiscard]] int count() const noexcept { return count_; }
  /// Part `number` (1 … count()).
  [[nodiscard]] PartSpan part(int number) const;

 private:
  std::uint64_t size_;
  std::uint64_t part_size_;
  int count_;
};

/// Which parts of a plan have all their bytes verified.
class PartTracker {
 public:
  explicit PartTracker(PartPlan plan) : plan_(plan) {}

  [[nodiscard]] const PartPlan& plan() const noexcept { return plan_; }
  /// Records bytes [offset, offset + length) as verified (clipped to the file) and returns
  /// the parts that this made whole, in ascending order; each part is returned once.
  std::vector<int> add(std::uint64_t offset, std::uint64_t length);
  /// Every part not returned before, as if the whole file were verified now.
  std::vector<int> add_all();
  [[nodiscard]] bool complete() const;

 private:
  PartPlan plan_;
  fetch::RangeSet verified_;
  std::vector<bool> returned_ = std::vector<bool>(static_cast<std::size_t>(plan_.count()), false);
};

}  // namespace bitflow::sinks
