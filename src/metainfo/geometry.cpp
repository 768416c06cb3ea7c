// Piece/file arithmetic. Invariant: offsets_[i] is the sum of sizes_[0..i), so a content
// offset maps to a file by binary search over offsets_.
#include "bitflow/geometry.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace bitflow {

Geometry::Geometry(std::int64_t piece_length, std::vector<std::int64_t> file_sizes)
    : piece_length_(piece_length), sizes_(std::move(file_sizes)) {
  if (piece_length_ <= 0) throw std::invalid_argument("geometry: piece length must be positive");
  offsets_.reserve(sizes_.size());
  for (std::int64_t size : sizes_) {
    if (size < 0) throw std::invalid_argument("geometry: negative file size");
    if (size > std::numeric_limits<std::int64_t>::max() - total_size_)
      throw std::invalid_argument("geometry: total size overflows");
    offsets_.push_back(total_size_);
    total_size_ += size;
  }
  std::int64_t pieces = total_size_ / piece_length_ + (total_size_ % piece_length_ != 0);
  if (pieces > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument("geometry: too many pieces");
  num_pieces_ = static_cast<std::int32_t>(pieces);
}

std::int64_t Geometry::piece_size(PieceIndex p) const noexcept {
  std::int64_t start = piece_offset(p);
  return std::min(piece_length_, total_size_ - start);
}

FileIndex Geometry::file_at(std::int64_t offset) const noexcept {
  // The last file whose start is <= offset and that is not empty holds the byte.
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), offset);
  auto i = static_cast<std::size_t>(it - offsets_.begin());
  while (i > 0 && sizes_[i - 1] == 0)
    --i;  // empty files share their successor's offset
  return FileIndex(static_cast<std::int32_t>(i == 0 ? 0 : i - 1));
}

std::vector<FileSlice> Geometry::map_piece(PieceIndex p, std::int64_t offset,
                                           std::int64_t length) const {
  std::vector<FileSlice> slices;
  std::int64_t pos = piece_offset(p) + offset;
  std::int64_t end = pos + length;
  for (auto i = static_cast<std::size_t>(file_at(pos).value); pos < end && i < sizes_.size(); ++i) {
    std::int64_t file_end = offsets_[i] + sizes_[i];
    if (sizes_[i] == 0 || file_end <= pos) continue;
    std::int64_t take = std::min(end, file_end) - pos;
    slices.push_back(FileSlice{FileIndex(static_cast<std::int32_t>(i)), pos - offsets_[i], take});
    pos += take;
  }
  return slices;
}

PieceRange Geometry::pieces_of_file(FileIndex f) const noexcept {
  std::int64_t size = sizes_[idx(f)];
  if (size == 0) return {PieceIndex(0), PieceIndex(0)};
  std::int64_t first = offsets_[idx(f)] / piece_length_;
  std::int64_t last = (offsets_[idx(f)] + size - 1) / piece_length_ + 1;
  return {PieceIndex(static_cast<std::int32_t>(first)),
          PieceIndex(static_cast<std::int32_t>(last))};
}

}  // namespace bitflow
