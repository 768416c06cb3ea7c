#include "sinks/part_plan.hpp"

#include <algorithm>
#include <stdexcept>

#include "bitflow/sink.hpp"

namespace bitflow::sinks {

std::uint64_t choose_part_size(std::uint64_t file_size, std::uint64_t requested) {
  constexpr std::uint64_t mib = 1u << 20;
  std::uint64_t part = std::max(requested, s3_min_part_size);
  const auto most = static_cast<std::uint64_t>(s3_max_parts);
  if ((file_size + part - 1) / part > most) {
    part = (file_size + most - 1) / most;
    part = (part + mib - 1) / mib * mib;
  }
  return part;
}

PartPlan::PartPlan(std::uint64_t size, std::uint64_t part_size)
    : size_(size), part_size_(part_size), count_(0) {
  if (part_size == 0) throw std::invalid_argument("PartPlan: part size 0");
  const std::uint64_t parts = size == 0 ? 1 : (size + part_size - 1) / part_size;
  if (parts > static_cast<std::uint64_t>(s3_max_parts))
    throw std::invalid_argument("PartPlan: more than 10000 parts");
  count_ = static_cast<int>(parts);
}

PartSpan PartPlan::part(int number) const {
  if (number < 1 || number > count_) throw std::out_of_range("PartPlan: no such part");
  const std::uint64_t offset = static_cast<std::uint64_t>(number - 1) * part_size_;
  return {offset, std::min(part_size_, size_ - offset)};
}

std::vector<int> PartTracker::add(std::uint64_t offset, std::uint64_t length) {
  std::vector<int> whole;
  const std::uint64_t end = std::min(plan_.size(), offset + length);
  if (offset >= end) return whole;
  verified_.add(static_cast<std::int64_t>(offset), static_cast<std::int64_t>(end));
  // Only the parts the new range touches can have become whole.
  const auto first = static_cast<int>(offset / plan_.part_size()) + 1;
  const auto last = static_cast<int>((end - 1) / plan_.part_size()) + 1;
  for (int n = first; n <= last; ++n) {
    auto done = returned_[static_cast<std::size_t>(n - 1)];
    const PartSpan span = plan_.part(n);
    if (done || !verified_.contains(static_cast<std::int64_t>(span.offset),
                                    static_cast<std::int64_t>(span.offset + span.length)))
      continue;
    done = true;
    whole.push_back(n);
  }
  return whole;
}

std::vector<int> PartTracker::add_all() {
  std::vector<int> whole;
  verified_.add(0, static_cast<std::int64_t>(plan_.size()));
  for (int n = 1; n <= plan_.count(); ++n) {
    auto done = returned_[static_cast<std::size_t>(n - 1)];
    if (done) continue;
    done = true;
    whole.push_back(n);
  }
  return whole;
}

bool PartTracker::complete() const {
  return std::all_of(returned_.begin(), returned_.end(), [](bool b) { return b; });
}

}  // namespace bitflow::sinks
