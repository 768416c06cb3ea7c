// BlockGeometry: pieces cut into 16 KiB blocks (see bitflow/block_geometry.hpp).
// Invariant: piece_length_ > 0 fits in int32, so every in-piece offset and length does too.
#include "bitflow/block_geometry.hpp"

#include <limits>
#include <stdexcept>

namespace bitflow {

BlockGeometry::BlockGeometry(const Geometry& geometry)
    : num_pieces_(geometry.num_pieces()), total_size_(geometry.total_size()) {
  if (geometry.piece_length() <= 0 ||
      geometry.piece_length() > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument("block geometry: piece length must be in [1, 2^31)");
  piece_length_ = static_cast<std::int32_t>(geometry.piece_length());
}

std::optional<BlockIndex> BlockGeometry::block_at(PieceIndex p, std::uint32_t begin,
                                                  std::uint32_t length) const noexcept {
  if (p.value < 0 || p.value >= num_pieces_) return std::nullopt;
  if (begin % static_cast<std::uint32_t>(block_size) != 0) return std::nullopt;
  std::uint32_t index = begin / static_cast<std::uint32_t>(block_size);
  if (index >= static_cast<std::uint32_t>(num_blocks(p))) return std::nullopt;
  BlockIndex b(static_cast<std::int32_t>(index));
  if (length != block_length(Block{p, b})) return std::nullopt;
  return b;
}

}  // namespace bitflow
