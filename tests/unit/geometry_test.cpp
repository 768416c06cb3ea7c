#include <catch2/catch.hpp>

#include "bitflow/geometry.hpp"

using namespace bitflow;

TEST_CASE("geometry counts pieces and sizes the last one", "[geometry]") {
  Geometry g(16, {10, 30});
  CHECK(g.total_size() == 40);
  CHECK(g.num_pieces() == 3);
  CHECK(g.piece_size(PieceIndex(0)) == 16);
  CHECK(g.piece_size(PieceIndex(2)) == 8);
  Geometry exact(10, {20});
  CHECK(exact.num_pieces() == 2);
  CHECK(exact.piece_size(PieceIndex(1)) == 10);
}

TEST_CASE("geometry maps a piece that straddles files", "[geometry]") {
  Geometry g(16, {10, 30});
  auto slices = g.map_piece(PieceIndex(0));
  REQUIRE(slices.size() == 2);
  CHECK(slices[0] == FileSlice{FileIndex(0), 0, 10});
  CHECK(slices[1] == FileSlice{FileIndex(1), 0, 6});
  CHECK(g.map_piece(PieceIndex(1)) == std::vector<FileSlice>{{FileIndex(1), 6, 16}});
  CHECK(g.map_piece(PieceIndex(2)) == std::vector<FileSlice>{{FileIndex(1), 22, 8}});
}

TEST_CASE("geometry maps a block inside a piece", "[geometry]") {
  Geometry g(16, {10, 30});
  CHECK(g.map_piece(PieceIndex(0), 8, 4) ==
        std::vector<FileSlice>{{FileIndex(0), 8, 2}, {FileIndex(1), 0, 2}});
  CHECK(g.map_piece(PieceIndex(1), 15, 1) == std::vector<FileSlice>{{FileIndex(1), 21, 1}});
}

TEST_CASE("geometry skips zero-length files everywhere", "[geometry]") {
  Geometry g(8, {0, 5, 0, 0, 5, 0});
  CHECK(g.num_pieces() == 2);
  CHECK(g.map_piece(PieceIndex(0)) ==
        std::vector<FileSlice>{{FileIndex(1), 0, 5}, {FileIndex(4), 0, 3}});
  CHECK(g.map_piece(PieceIndex(1)) == std::vector<FileSlice>{{FileIndex(4), 3, 2}});
  CHECK(g.pieces_of_file(FileIndex(0)).empty());
  CHECK(g.pieces_of_file(FileIndex(2)).empty());
  CHECK(g.pieces_of_file(FileIndex(5)).empty());
  CHECK(g.file_at(5) == FileIndex(4));
  CHECK(g.file_at(0) == FileIndex(1));
}

TEST_CASE("geometry finds the pieces a file spans", "[geometry]") {
  Geometry g(16, {10, 30, 1, 15});
  auto r = g.pieces_of_file(FileIndex(0));
  CHECK((r.first == PieceIndex(0) && r.last == PieceIndex(1)));
  r = g.pieces_of_file(FileIndex(1));
  CHECK((r.first == PieceIndex(0) && r.last == PieceIndex(3)));
  r = g.pieces_of_file(FileIndex(2));
  CHECK((r.first == PieceIndex(2) && r.last == PieceIndex(3)));
  CHECK(r.size() == 1);
  r = g.pieces_of_file(FileIndex(3));
  CHECK((r.first == PieceIndex(2) && r.last == PieceIndex(4)));
}

TEST_CASE("geometry slices of every piece add up to the content", "[geometry]") {
  std::vector<std::int64_t> sizes{7, 0, 100, 1, 0, 33, 64, 2};
  Geometry g(32, sizes);
  std::vector<std::int64_t> covered(sizes.size(), 0);
  std::int64_t sum = 0;
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p) {
    std::int64_t piece_sum = 0;
    for (const auto& s : g.map_piece(p)) {
      CHECK(s.offset == covered[static_cast<std::size_t>(s.file.value)]);  // in order, no gaps
      covered[static_cast<std::size_t>(s.file.value)] += s.length;
      piece_sum += s.length;
    }
    CHECK(piece_sum == g.piece_size(p));
    sum += piece_sum;
  }
  CHECK(sum == g.total_size());
  CHECK(covered == sizes);
}

TEST_CASE("geometry rejects impossible input", "[geometry]") {
  CHECK_THROWS_AS(Geometry(0, {1}), std::invalid_argument);
  CHECK_THROWS_AS(Geometry(16, {-1}), std::invalid_argument);
  CHECK_THROWS_AS(Geometry(16, {INT64_MAX, 1}), std::invalid_argument);
  CHECK_THROWS_AS(Geometry(1, {std::int64_t{1} << 40}), std::invalid_argument);
}
