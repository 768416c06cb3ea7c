#include <catch2/catch.hpp>
#include <stdexcept>

#include "bitflow/block_geometry.hpp"

using namespace bitflow;

namespace {

constexpr std::int64_t piece_len = 64 * 1024;  // 4 blocks

PieceIndex P(std::int32_t i) {
  return PieceIndex(i);
}
Block B(std::int32_t piece, std::int32_t block) {
  return Block{PieceIndex(piece), BlockIndex(block)};
}

}  // namespace

TEST_CASE("block geometry cuts pieces into 16 KiB blocks with a shorter last block",
          "[picker][block-geometry]") {
  BlockGeometry g(Geometry(piece_len, {2 * piece_len + 20000}));
  CHECK(BlockGeometry::block_size == 16384);
  CHECK(g.num_pieces() == 3);
  CHECK(g.blocks_per_piece() == 4);
  CHECK(g.num_blocks(P(0)) == 4);
  CHECK(g.num_blocks(P(2)) == 2);
  CHECK(g.piece_size(P(2)) == 20000);
  CHECK(BlockGeometry::block_offset(BlockIndex(3)) == 49152);
  CHECK(g.block_length(B(0, 3)) == 16384);
  CHECK(g.block_length(B(2, 0)) == 16384);
  CHECK(g.block_length(B(2, 1)) == 20000 - 16384);
  CHECK(g.is_valid(B(2, 1)));
  CHECK_FALSE(g.is_valid(B(2, 2)));
  CHECK_FALSE(g.is_valid(B(3, 0)));
  CHECK_FALSE(g.is_valid(B(-1, 0)));

  // A piece length that is not a multiple of 16 KiB: every piece ends in a short block.
  BlockGeometry odd(Geometry(20000, {50000}));
  CHECK(odd.num_pieces() == 3);
  CHECK(odd.num_blocks(P(0)) == 2);
  CHECK(odd.block_length(B(0, 1)) == 3616);
  CHECK(odd.num_blocks(P(2)) == 1);
  CHECK(odd.block_length(B(2, 0)) == 10000);

  // Tiny pieces are one block each.
  BlockGeometry tiny(Geometry(1000, {1500}));
  CHECK(tiny.num_blocks(P(0)) == 1);
  CHECK(tiny.block_length(B(1, 0)) == 500);
}

TEST_CASE("block geometry maps only exact blocks back to their index", "[picker][block-geometry]") {
  BlockGeometry g(Geometry(piece_len, {2 * piece_len + 20000}));
  CHECK(g.block_at(P(0), 0, 16384) == BlockIndex(0));
  CHECK(g.block_at(P(0), 49152, 16384) == BlockIndex(3));
  CHECK(g.block_at(P(2), 16384, 3616) == BlockIndex(1));
  CHECK_FALSE(g.block_at(P(2), 16384, 16384));  // longer than the last block
  CHECK_FALSE(g.block_at(P(0), 100, 16384));    // unaligned
  CHECK_FALSE(g.block_at(P(0), 0, 8192));       // short
  CHECK_FALSE(g.block_at(P(0), 65536, 16384));  // past the piece
  CHECK_FALSE(g.block_at(P(3), 0, 16384));      // past the torrent
  CHECK_FALSE(g.block_at(P(-1), 0, 16384));
}

TEST_CASE("block geometry refuses a piece length that does not fit in int32",
          "[picker][block-geometry]") {
  CHECK_THROWS_AS(BlockGeometry(Geometry(std::int64_t{1} << 31, {1})), std::invalid_argument);
}
