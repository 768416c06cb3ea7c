// bitflow/block_geometry.hpp — pieces cut into the 16 KiB blocks peers request.
//
// Peers transfer pieces in blocks: a request names a piece, a byte offset inside it and a
// length. bitflow always asks for blocks of block_size bytes aligned on block_size, so
// piece p is cut into ceil(piece_size(p) / block_size) blocks and only the last block of a
// piece is shorter: in practice the last block of the last piece, or the last block of
// every piece when the piece length is not a multiple of 16 KiB (tiny test torrents).
//
// BlockGeometry is the block half of Geometry: all block length arithmetic lives here.
// It is a plain value (three integers), immutable after construction and safe to share
// between threads.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

#include "bitflow/geometry.hpp"

namespace bitflow {

/// The index of a block inside its piece: block b covers bytes
/// [b * block_size, b * block_size + block_length) of the piece.
using BlockIndex = StrongIndex<struct BlockIndexTag>;

/// One block of the torrent: a piece and the block's index inside it.
struct Block {
  PieceIndex piece;
  BlockIndex index;
  friend constexpr auto operator<=>(Block, Block) = default;
};

class BlockGeometry {
 public:
  /// The size of every block but the last of a piece (16 KiB, what every client asks for
  /// and the most that most clients serve).
  static constexpr std::int32_t block_size = 16 * 1024;

  BlockGeometry() = default;
  /// Takes the piece length and total size of `geometry`. The piece length must fit in
  /// int32 (metainfo caps it at 1 GiB); throws std::invalid_argument otherwise.
  explicit BlockGeometry(const Geometry& geometry);

  [[nodiscard]] std::int32_t num_pieces() const noexcept { return num_pieces_; }
  [[nodiscard]] std::int32_t piece_length() const noexcept { return piece_length_; }
  [[nodiscard]] std::int64_t total_size() const noexcept { return total_size_; }
  /// Size of piece `p`: piece_length, except for a shorter last piece. `p` must be valid.
  [[nodiscard]] std::int32_t piece_size(PieceIndex p) const noexcept {
    std::int64_t left = total_size_ - std::int64_t{p.value} * piece_length_;
    return left < piece_length_ ? static_cast<std::int32_t>(left) : piece_length_;
  }
  /// Blocks in a full-length piece.
  [[nodiscard]] std::int32_t blocks_per_piece() const noexcept { return blocks_in(piece_length_); }
  /// Blocks in piece `p` (fewer for a short last piece). `p` must be valid.
  [[nodiscard]] std::int32_t num_blocks(PieceIndex p) const noexcept {
    return blocks_in(piece_size(p));
  }
  /// Byte offset of block `b` inside its piece.
  [[nodiscard]] static constexpr std::uint32_t block_offset(BlockIndex b) noexcept {
    return static_cast<std::uint32_t>(b.value) * static_cast<std::uint32_t>(block_size);
  }
  /// Length of block `b`: block_size, except for the last block of a piece. `b` must be
  /// valid.
  [[nodiscard]] std::uint32_t block_length(Block b) const noexcept {
    std::int32_t left = piece_size(b.piece) - b.index.value * block_size;
    return static_cast<std::uint32_t>(left < block_size ? left : block_size);
  }
  /// Whether `b` names a block of this torrent.
  [[nodiscard]] bool is_valid(Block b) const noexcept {
    return b.piece.value >= 0 && b.piece.value < num_pieces_ && b.index.value >= 0 &&
           b.index.value < num_blocks(b.piece);
  }
  /// The block that bytes [begin, begin + length) of piece `p` are exactly, or nullopt
  /// when they are not one of our blocks (unaligned, wrong length, outside the piece).
  /// For mapping a received PIECE or REJECT message back to the block it answers.
  [[nodiscard]] std::optional<BlockIndex> block_at(PieceIndex p, std::uint32_t begin,
                                                   std::uint32_t length) const noexcept;

 private:
  [[nodiscard]] static constexpr std::int32_t blocks_in(std::int32_t bytes) noexcept {
    return bytes / block_size + (bytes % block_size != 0 ? 1 : 0);
  }

  std::int32_t piece_length_ = 0;
  std::int32_t num_pieces_ = 0;
  std::int64_t total_size_ = 0;
};

}  // namespace bitflow
