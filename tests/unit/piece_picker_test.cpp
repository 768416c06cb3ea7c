#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "bitflow/block_geometry.hpp"
#include "bitflow/piece_picker.hpp"
#include "piece/piece_buckets.hpp"

using namespace bitflow;
using namespace bitflow::piece;

namespace {

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t piece_len = 64 * KiB;  // 4 blocks

PieceIndex P(std::int32_t i) {
  return PieceIndex(i);
}
Block B(std::int32_t piece, std::int32_t block) {
  return Block{PieceIndex(piece), BlockIndex(block)};
}

/// A wire-layout bitfield of `num_pieces` bits with `pieces` set.
std::string bitfield(std::int32_t num_pieces, const std::set<std::int32_t>& pieces) {
  std::string bits(static_cast<std::size_t>((num_pieces + 7) / 8), '\0');
  for (std::int32_t p : pieces) {
    auto& byte = bits[static_cast<std::size_t>(p / 8)];
    byte = static_cast<char>(static_cast<unsigned char>(byte) | (0x80U >> (p % 8)));
  }
  return bits;
}

PeerKey peer_with(PiecePicker& picker, const std::set<std::int32_t>& pieces) {
  PeerKey key = picker.add_peer();
  REQUIRE(picker.peer_bitfield(key, bitfield(picker.num_pieces(), pieces)));
  return key;
}

PeerKey seed(PiecePicker& picker) {
  PeerKey key = picker.add_peer();
  picker.peer_have_all(key);
  return key;
}

std::set<std::int32_t> pieces_of(const std::vector<BlockRequest>& requests) {
  std::set<std::int32_t> out;
  for (const auto& r : requests)
    out.insert(r.block.piece.value);
  return out;
}

/// Receives, writes and verifies every block of piece `p` (as if downloaded from `from`).
void complete_piece(PiecePicker& picker, PieceIndex p, PeerKey from) {
  for (std::int32_t b = 0; b < picker.blocks().num_blocks(p); ++b) {
    (void)picker.mark_block_received(Block{p, BlockIndex(b)}, from);
    (void)picker.mark_block_written(Block{p, BlockIndex(b)});
  }
  picker.piece_verified(p);
}

}  // namespace

// ---- Ordering -----------------------------------------------------------------------------

TEST_CASE("picker prefers a piece held by one peer over one held by five", "[picker]") {
  for (unsigned s = 0; s < 20; ++s) {
    PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
    for (std::int32_t p = 0; p < random_first_pieces; ++p)
      picker.piece_verified(P(p));  // past random-first
    PeerKey a = peer_with(picker, {5, 7});
    for (int i = 0; i < 4; ++i)
      (void)peer_with(picker, {5});
    CHECK(picker.availability(P(5)) == 5);
    CHECK(picker.availability(P(7)) == 1);
    std::mt19937 rng(s);
    CHECK(pieces_of(picker.pick(a, 4, rng)) == std::set<std::int32_t>{7});
    CHECK(pieces_of(picker.pick(a, 4, rng)) == std::set<std::int32_t>{5});
  }
}

TEST_CASE("picker orders new pieces by availability, then by random tie-break", "[picker]") {
  std::set<std::int32_t> first_choices;
  for (unsigned s = 0; s < 40; ++s) {
    PiecePicker picker(Geometry(piece_len, {12 * piece_len}));
    for (std::int32_t p = 0; p < 4; ++p)
      picker.piece_verified(P(p));
    // Pieces 4..7 are held by 1 peer, 8..9 by 2, 10..11 by 3.
    PeerKey a = peer_with(picker, {4, 5, 6, 7, 8, 9, 10, 11});
    (void)peer_with(picker, {8, 9, 10, 11});
    (void)peer_with(picker, {10, 11});
    std::mt19937 rng(s);
    std::vector<std::int32_t> order;
    for (int i = 0; i < 8; ++i) {
      auto picked = picker.pick(a, 4, rng);
      REQUIRE(pieces_of(picked).size() == 1);
      order.push_back(picked.front().block.piece.value);
    }
    CHECK(std::set<std::int32_t>(order.begin(), order.begin() + 4) ==
          std::set<std::int32_t>{4, 5, 6, 7});
    CHECK(std::set<std::int32_t>(order.begin() + 4, order.begin() + 6) ==
          std::set<std::int32_t>{8, 9});
    CHECK(std::set<std::int32_t>(order.begin() + 6, order.end()) == std::set<std::int32_t>{10, 11});
    first_choices.insert(order.front());
  }
  CHECK(first_choices.size() > 1);  // ties really are broken at random
}

TEST_CASE("picker picks random pieces until four are complete, then rarest first", "[picker]") {
  auto make = [](PiecePicker& picker) {
    PeerKey a = peer_with(picker, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    for (int i = 0; i < 4; ++i)
      (void)peer_with(picker, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    return a;  // piece 11 is the rare one
  };
  std::set<std::int32_t> fresh_choices;
  std::set<std::int32_t> three_done_choices;
  for (unsigned s = 0; s < 40; ++s) {
    PiecePicker picker(Geometry(piece_len, {12 * piece_len}));
    PeerKey a = make(picker);
    std::mt19937 rng(s);
    auto first = picker.pick(a, 4, rng);
    REQUIRE(pieces_of(first).size() == 1);
    fresh_choices.insert(first.front().block.piece.value);
    for (std::int32_t p : {0, 1, 2})
      picker.piece_verified(P(p));
    auto next = picker.pick(a, 4, rng);  // three complete: still random
    REQUIRE(pieces_of(next).size() == 1);
    three_done_choices.insert(next.front().block.piece.value);
  }
  CHECK(fresh_choices.size() >= 5);  // not always the rarest (11), nor always the same
  CHECK(three_done_choices.size() >= 3);

  for (unsigned s = 0; s < 10; ++s) {
    PiecePicker picker(Geometry(piece_len, {12 * piece_len}));
    PeerKey a = make(picker);
    for (std::int32_t p : {0, 1, 2, 3})
      complete_piece(picker, P(p), a);
    CHECK(picker.num_have() == 4);
    std::mt19937 rng(s);
    CHECK(pieces_of(picker.pick(a, 4, rng)) == std::set<std::int32_t>{11});
  }
}

TEST_CASE("picker finishes partial pieces before starting new ones", "[picker]") {
  for (unsigned s = 0; s < 10; ++s) {
    PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
    for (std::int32_t p = 0; p < 4; ++p)
      picker.piece_verified(P(p));
    PeerKey a = peer_with(picker, {4, 5});
    PeerKey b = peer_with(picker, {4, 5, 6});  // 6 is the rarest piece
    (void)peer_with(picker, {4, 5});
    std::mt19937 rng(s);
    auto first = picker.pick(a, 2, rng);
    REQUIRE(first.size() == 2);
    std::int32_t x = first.front().block.piece.value;
    CHECK((x == 4 || x == 5));
    CHECK(picker.num_partial_pieces() == 1);

    auto second = picker.pick(b, 4, rng);
    REQUIRE(second.size() == 4);
    CHECK(second[0].block == B(x, 2));
    CHECK(second[1].block == B(x, 3));
    CHECK(second[2].block == B(6, 0));  // then rarest first
    CHECK(second[3].block == B(6, 1));
  }
}

TEST_CASE("a pick starts no more new pieces than the caller allows", "[picker]") {
  for (unsigned s = 0; s < 10; ++s) {
    PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
    for (std::int32_t p = 0; p < 4; ++p)  // past random-first
      picker.piece_verified(P(p));
    PeerKey a = seed(picker);
    std::mt19937 rng(s);
    auto first = picker.pick(a, 100, rng, 2);
    CHECK(first.size() == 8);  // two whole pieces of 4 blocks
    CHECK(pieces_of(first).size() == 2);
    CHECK(picker.num_partial_pieces() == 2);
    // With no allowance left, only the partial pieces' free blocks are handed out.
    picker.abort_request(first.back().block, a);
    auto rest = picker.pick(a, 100, rng, 0);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].block == first.back().block);
    CHECK(picker.pick(a, 100, rng, 0).empty());
    CHECK(picker.num_partial_pieces() == 2);
    // The default is no limit.
    CHECK(picker.pick(a, 100, rng).size() == 16);
  }
}

TEST_CASE("a whole-piece pick takes a new piece rather than one a peer is downloading",
          "[picker]") {
  for (unsigned s = 0; s < 10; ++s) {
    PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
    for (std::int32_t p = 0; p < 4; ++p)
      picker.piece_verified(P(p));
    PeerKey peer = seed(picker);
    PeerKey web = seed(picker);
    std::mt19937 rng(s);
    auto theirs = picker.pick(peer, 2, rng);  // half of one piece
    REQUIRE(pieces_of(theirs).size() == 1);
    auto mine = picker.pick_piece(web, rng);
    REQUIRE(mine.size() == 4);  // all four blocks of one piece
    REQUIRE(pieces_of(mine).size() == 1);
    CHECK(*pieces_of(mine).begin() != *pieces_of(theirs).begin());
    CHECK(mine.front().block.index.value == 0);
  }
}

TEST_CASE("a whole-piece pick falls back to partial pieces when nothing new is left", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {2 * piece_len}));
  PeerKey peer = seed(picker);
  PeerKey web = seed(picker);
  std::mt19937 rng(1);
  (void)picker.pick(peer, 6, rng);  // piece a whole, piece b half
  auto rest = picker.pick_piece(web, rng);
  // The two free blocks of the half-requested piece, then (endgame) two duplicates.
  REQUIRE(rest.size() == 4);
  CHECK(rest[0].block.piece == rest[1].block.piece);
  CHECK(picker.num_requests(rest[0].block) == 1);
  CHECK(picker.num_requests(rest[2].block) == 2);
  // With no new piece allowed, the same fallback.
  PiecePicker other(Geometry(piece_len, {2 * piece_len}));
  PeerKey w = seed(other);
  CHECK(other.pick_piece(w, rng, 0).empty());
}

TEST_CASE("sequential mode respects the limit on new pieces too", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  picker.set_sequential(true);
  PeerKey a = seed(picker);
  std::mt19937 rng(1);
  auto first = picker.pick(a, 100, rng, 1);
  CHECK(pieces_of(first) == std::set<std::int32_t>{0});
  CHECK(picker.pick(a, 100, rng, 0).empty());
  CHECK(pieces_of(picker.pick(a, 100, rng, 2)) == std::set<std::int32_t>{1, 2});
}

TEST_CASE("picker prefers the partial piece this peer can complete", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  for (std::int32_t p = 0; p < 4; ++p)
    picker.piece_verified(P(p));
  PeerKey a = seed(picker);
  PeerKey b = seed(picker);
  std::mt19937 rng(7);
  auto first = picker.pick(a, 7, rng);  // one whole piece X and 3 blocks of Y
  REQUIRE(pieces_of(first).size() == 2);
  Block x = first[0].block;
  Block y = first[4].block;
  for (std::int32_t i = 0; i < 3; ++i)
    picker.abort_request(Block{x.piece, BlockIndex(i)}, a);  // X: 3 blocks left, Y: 1
  auto one = picker.pick(b, 1, rng);
  REQUIRE(one.size() == 1);
  CHECK(one[0].block == Block{y.piece, BlockIndex(3)});
  auto three = picker.pick(b, 3, rng);
  REQUIRE(three.size() == 3);
  CHECK(pieces_of(three) == std::set<std::int32_t>{x.piece.value});
  CHECK(picker.num_partial_pieces() == 2);
}

TEST_CASE("picker takes higher priorities first and never priority 0", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {6 * piece_len}));
  picker.set_piece_priority(P(3), 7);
  picker.set_piece_priority(P(1), 0);
  picker.set_piece_priority(P(4), 1);
  CHECK(picker.piece_priority(P(0)) == default_priority);
  CHECK(picker.piece_priority(P(3)) == 7);
  CHECK(picker.wanted_left_bytes() == 5 * piece_len);
  CHECK_THROWS_AS(picker.set_piece_priority(P(0), 8), std::invalid_argument);
  CHECK_THROWS_AS(picker.set_piece_priority(P(0), -1), std::invalid_argument);

  PeerKey a = seed(picker);
  std::mt19937 rng(1);
  std::vector<std::int32_t> order;
  for (int i = 0; i < 6; ++i) {
    auto picked = picker.pick(a, 4, rng);
    if (picked.empty()) break;
    REQUIRE(pieces_of(picked).size() == 1);
    order.push_back(picked.front().block.piece.value);
  }
  REQUIRE(order.size() == 5);
  CHECK(order.front() == 3);
  CHECK(order.back() == 4);
  CHECK(std::find(order.begin(), order.end(), 1) == order.end());

  for (std::int32_t p : {0, 2, 3, 4, 5})
    complete_piece(picker, P(p), a);
  CHECK(picker.is_finished());
  CHECK(picker.wanted_left_bytes() == 0);
  CHECK_FALSE(picker.has(P(1)));
  CHECK_FALSE(picker.is_interesting(a));
  CHECK(picker.pick(a, 4, rng).empty());

  // Wanting piece 1 again makes it pickable.
  picker.set_piece_priority(P(1), 2);
  CHECK_FALSE(picker.is_finished());
  CHECK(picker.wanted_left_bytes() == piece_len);
  CHECK(pieces_of(picker.pick(a, 4, rng)) == std::set<std::int32_t>{1});
}

TEST_CASE("file priorities give a piece the highest priority of the files it touches", "[picker]") {
  // file 0: [0, 100000) -> pieces 0, 1; file 1: empty; file 2: [100000, 200000) -> 1..3;
  // file 3: [200000, 250000) -> piece 3.
  Geometry g(piece_len, {100000, 0, 100000, 50000});
  PiecePicker picker(g);
  REQUIRE(picker.num_pieces() == 4);

  picker.set_file_priorities(std::vector<int>{0, 7, 2, 0});
  CHECK(picker.piece_priority(P(0)) == 0);
  CHECK(picker.piece_priority(P(1)) == 2);  // straddles a skipped and a wanted file
  CHECK(picker.piece_priority(P(2)) == 2);
  CHECK(picker.piece_priority(P(3)) == 2);  // the empty file's 7 touches nothing
  CHECK(picker.wanted_left_bytes() == 250000 - piece_len);

  picker.set_file_priorities(std::vector<int>{0, 7, 0, 5});
  CHECK(picker.piece_priority(P(0)) == 0);
  CHECK(picker.piece_priority(P(1)) == 0);
  CHECK(picker.piece_priority(P(2)) == 0);
  CHECK(picker.piece_priority(P(3)) == 5);
  CHECK(picker.wanted_left_bytes() == 250000 - 3 * piece_len);

  PeerKey a = seed(picker);
  std::mt19937 rng(3);
  auto picked = picker.pick(a, 100, rng);
  CHECK(pieces_of(picked) == std::set<std::int32_t>{3});
  CHECK(picked.size() == 4);

  CHECK_THROWS_AS(picker.set_file_priorities(std::vector<int>{1, 1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(picker.set_file_priorities(std::vector<int>{1, 1, 8, 1}), std::invalid_argument);
  CHECK(picker.piece_priority(P(3)) == 5);  // a refused call changes nothing
}

TEST_CASE("sequential mode picks the lowest missing index first", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  picker.set_sequential(true);
  CHECK(picker.sequential());
  picker.set_piece_priority(P(2), 0);
  picker.set_piece_priority(P(8), 6);
  PeerKey a = seed(picker);
  PeerKey b = peer_with(picker, {5, 6, 7});
  std::mt19937 rng(9);

  std::vector<std::int32_t> order;
  for (int i = 0; i < 4; ++i)
    order.push_back(picker.pick(a, 4, rng).front().block.piece.value);
  CHECK(order == std::vector<std::int32_t>{8, 0, 1, 3});  // priority first, 2 skipped
  CHECK(pieces_of(picker.pick(b, 4, rng)) == std::set<std::int32_t>{5});

  // A piece started in sequential mode is continued in order too.
  auto part = picker.pick(a, 2, rng);
  CHECK(part[0].block == B(4, 0));
  picker.abort_request(B(4, 0), a);
  auto next = picker.pick(a, 3, rng);
  REQUIRE(next.size() == 3);
  CHECK(next[0].block == B(4, 0));
  CHECK(next[1].block == B(4, 2));
  CHECK(next[2].block == B(4, 3));
}

// ---- Endgame --------------------------------------------------------------------------------

TEST_CASE("endgame requests a block from at most two peers and never twice from one", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {2 * piece_len}));
  PeerKey a = seed(picker);
  PeerKey b = seed(picker);
  PeerKey c = seed(picker);
  PeerKey d = seed(picker);
  std::mt19937 rng(5);

  CHECK(picker.pick(a, 7, rng).size() == 7);
  CHECK_FALSE(picker.in_endgame());
  auto last = picker.pick(b, 1, rng);  // the last unrequested block, no duplicate yet
  REQUIRE(last.size() == 1);
  CHECK(picker.num_requests(last[0].block) == 1);
  CHECK(picker.in_endgame());

  CHECK(picker.pick(b, 1, rng).size() == 1);  // B has 1 block of its own, so 7 to copy
  auto a_again = picker.pick(a, 8, rng);      // A asked for 7 blocks, B has 2 requests
  CHECK(a_again.size() == 1);                 // the one B asked for only
  CHECK(a_again[0].block == last[0].block);

  auto c_dups = picker.pick(c, 8, rng);
  CHECK(c_dups.size() == 6);  // the blocks requested from one peer only
  for (const auto& r : c_dups)
    CHECK(picker.num_requests(r.block) == 2);
  CHECK(picker.pick(d, 8, rng).empty());  // every block is at two peers
  CHECK(picker.outstanding_requests(a) == 8);
  CHECK(picker.outstanding_requests(b) == 2);
  CHECK(picker.outstanding_requests(c) == 6);
}

TEST_CASE("receiving a block in endgame names the other peers to cancel", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {piece_len}));
  PeerKey a = seed(picker);
  PeerKey b = seed(picker);
  std::mt19937 rng(5);
  CHECK(picker.pick(a, 4, rng).size() == 4);
  auto dup = picker.pick(b, 4, rng);
  CHECK(dup.size() == 4);

  auto first = picker.mark_block_received(B(0, 0), b);
  CHECK(first.wanted);
  REQUIRE(first.cancel().size() == 1);
  CHECK(first.cancel()[0] == a);
  CHECK(picker.block_state(B(0, 0)) == BlockState::received);
  CHECK(picker.outstanding_requests(a) == 3);
  CHECK(picker.outstanding_requests(b) == 3);

  auto late = picker.mark_block_received(B(0, 0), a);  // the losing copy
  CHECK_FALSE(late.wanted);
  CHECK(late.cancel().empty());

  // A block nobody else asked for has no one to cancel.
  picker.abort_request(B(0, 1), a);
  auto solo = picker.mark_block_received(B(0, 1), b);
  CHECK(solo.wanted);
  CHECK(solo.cancel().empty());
}

TEST_CASE("a piece nobody has does not keep the others out of endgame", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {3 * piece_len}));
  PeerKey a = peer_with(picker, {0, 1});
  PeerKey b = peer_with(picker, {0, 1});
  std::mt19937 rng(2);
  CHECK(picker.pick(a, 8, rng).size() == 8);
  CHECK(picker.in_endgame());  // piece 2 cannot be requested from anyone
  CHECK(picker.pick(b, 8, rng).size() == 8);
  PeerKey c = peer_with(picker, {2});
  CHECK_FALSE(picker.in_endgame());  // now it can
  CHECK(pieces_of(picker.pick(c, 8, rng)) == std::set<std::int32_t>{2});
}

// ---- Things going wrong ---------------------------------------------------------------------

TEST_CASE("an aborted request makes the block requestable again", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {piece_len}));
  PeerKey a = seed(picker);
  PeerKey b = seed(picker);
  std::mt19937 rng(1);
  CHECK(picker.pick(a, 4, rng).size() == 4);
  picker.abort_request(B(0, 1), a);
  CHECK(picker.block_state(B(0, 1)) == BlockState::none);
  CHECK(picker.outstanding_requests(a) == 3);
  picker.abort_request(B(0, 1), a);  // twice is harmless
  picker.abort_request(B(0, 2), b);  // not B's request: no effect
  CHECK(picker.block_state(B(0, 2)) == BlockState::requested);
  auto again = picker.pick(b, 1, rng);
  REQUIRE(again.size() == 1);
  CHECK(again[0].block == B(0, 1));

  // A late answer to an aborted request is still welcome.
  picker.abort_requests(a);
  CHECK(picker.outstanding_requests(a) == 0);
  CHECK(picker.block_state(B(0, 3)) == BlockState::none);
  auto late = picker.mark_block_received(B(0, 3), a);
  CHECK(late.wanted);
  CHECK(picker.block_state(B(0, 3)) == BlockState::received);
}

TEST_CASE("a peer leaving aborts its requests and takes its pieces with it", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {2 * piece_len}));
  PeerKey a = peer_with(picker, {0, 1});
  PeerKey b = peer_with(picker, {0});
  std::mt19937 rng(1);
  auto picked = picker.pick(a, 3, rng);
  REQUIRE(picked.size() == 3);
  std::int32_t x = picked[0].block.piece.value;
  CHECK(picker.availability(P(0)) == 2);

  picker.peer_gone(a);
  CHECK(picker.availability(P(0)) == 1);
  CHECK(picker.availability(P(1)) == 0);
  CHECK(picker.num_peers() == 1);
  CHECK(picker.block_state(B(x, 0)) == BlockState::none);
  CHECK_FALSE(picker.peer_has(a, P(0)));
  CHECK_FALSE(picker.is_interesting(a));
  CHECK(picker.pick(a, 4, rng).empty());  // a dead key is ignored
  picker.peer_have(a, P(1));
  CHECK(picker.availability(P(1)) == 0);

  auto again = picker.pick(b, 4, rng);
  CHECK(pieces_of(again) == std::set<std::int32_t>{0});
  CHECK(again.size() == 4);

  // The slot is reused, but the old key stays dead.
  PeerKey c = picker.add_peer();
  CHECK(c.slot == a.slot);
  CHECK_FALSE(c == a);
  picker.peer_have_all(c);
  CHECK_FALSE(picker.peer_has(a, P(0)));
  CHECK(picker.peer_has(c, P(0)));
}

TEST_CASE("a failed hash check puts every block of the piece back", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {piece_len}));
  PeerKey a = seed(picker);
  std::mt19937 rng(1);
  CHECK(picker.pick(a, 4, rng).size() == 4);
  for (std::int32_t b = 0; b < 4; ++b) {
    CHECK_FALSE(picker.is_piece_complete(P(0)));
    CHECK(picker.mark_block_received(B(0, b), a).wanted);
  }
  CHECK(picker.is_piece_complete(P(0)));
  CHECK_FALSE(picker.is_piece_written(P(0)));
  for (std::int32_t b = 0; b < 4; ++b)
    CHECK(picker.mark_block_written(B(0, b)));
  CHECK_FALSE(picker.mark_block_written(B(0, 0)));  // already written
  CHECK(picker.is_piece_written(P(0)));
  CHECK(picker.block_state(B(0, 2)) == BlockState::written);

  picker.piece_hash_failed(P(0));
  CHECK_FALSE(picker.is_piece_complete(P(0)));
  CHECK(picker.num_partial_pieces() == 0);
  for (std::int32_t b = 0; b < 4; ++b)
    CHECK(picker.block_state(B(0, b)) == BlockState::none);
  CHECK_FALSE(picker.mark_block_received(B(0, 0), a).wanted);  // stale data is refused
  auto again = picker.pick(a, 4, rng);
  CHECK(again.size() == 4);

  complete_piece(picker, P(0), a);
  CHECK(picker.has(P(0)));
  CHECK(picker.is_finished());
  CHECK(picker.block_state(B(0, 0)) == BlockState::written);
  CHECK_FALSE(picker.mark_block_received(B(0, 0), a).wanted);  // we have it
  picker.piece_hash_failed(P(0));                              // ignored for a piece we have
  CHECK(picker.has(P(0)));
}

// ---- Shapes ---------------------------------------------------------------------------------

TEST_CASE("the last piece is shorter and so is its last block", "[picker]") {
  Geometry g(piece_len, {2 * piece_len + 20000});
  PiecePicker picker(g);
  picker.set_sequential(true);
  PeerKey a = seed(picker);
  std::mt19937 rng(1);
  auto all = picker.pick(a, 100, rng);
  REQUIRE(all.size() == 10);
  CHECK(all.back().block == B(2, 1));
  CHECK(all.back().begin == 16384);
  CHECK(all.back().length == 3616);
  std::int64_t total = 0;
  for (const auto& r : all)
    total += r.length;
  CHECK(total == g.total_size());
  CHECK(picker.wanted_left_bytes() == g.total_size());
}

TEST_CASE("a single-piece torrent with zero-length files downloads through the picker",
          "[picker]") {
  PiecePicker picker(Geometry(piece_len, {0, 1000, 0}));
  REQUIRE(picker.num_pieces() == 1);
  picker.set_file_priorities(std::vector<int>{0, 1, 0});
  CHECK(picker.piece_priority(P(0)) == 1);
  PeerKey a = picker.add_peer();
  CHECK(picker.peer_bitfield(a, std::string(1, '\x80')));
  CHECK(picker.availability(P(0)) == 1);
  std::mt19937 rng(1);
  auto picked = picker.pick(a, 10, rng);
  REQUIRE(picked.size() == 1);
  CHECK(picked[0] == BlockRequest{B(0, 0), 0, 1000});
  CHECK(picker.mark_block_received(B(0, 0), a).wanted);
  CHECK(picker.is_piece_complete(P(0)));
  picker.piece_verified(P(0));
  CHECK(picker.is_finished());
  CHECK(picker.wanted_left_bytes() == 0);
  CHECK(picker.num_partial_pieces() == 0);

  PiecePicker empty(Geometry(piece_len, {0, 0}));
  CHECK(empty.num_pieces() == 0);
  CHECK(empty.is_finished());
  PeerKey e = empty.add_peer();
  CHECK(empty.peer_bitfield(e, ""));
  empty.peer_have_all(e);
  CHECK(empty.pick(e, 10, rng).empty());
  CHECK_FALSE(empty.in_endgame());
}

// ---- Peers ----------------------------------------------------------------------------------

TEST_CASE("have-all and have-none peers count for every piece or none", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  PeerKey a = picker.add_peer();
  PeerKey b = peer_with(picker, {3});
  CHECK_FALSE(picker.is_interesting(a));

  picker.peer_have_all(a);
  CHECK(picker.is_interesting(a));
  CHECK(picker.availability(P(0)) == 1);
  CHECK(picker.availability(P(3)) == 2);
  CHECK(picker.peer_has(a, P(9)));

  picker.peer_have_none(a);
  CHECK_FALSE(picker.is_interesting(a));
  CHECK(picker.availability(P(0)) == 0);
  CHECK(picker.availability(P(3)) == 1);
  std::mt19937 rng(1);
  CHECK(picker.pick(a, 4, rng).empty());

  picker.peer_have(a, P(6));
  CHECK(picker.is_interesting(a));
  CHECK(pieces_of(picker.pick(a, 4, rng)) == std::set<std::int32_t>{6});

  // A complete bitfield or a last HAVE makes a peer a seed.
  std::set<std::int32_t> all;
  for (std::int32_t p = 0; p < 10; ++p)
    all.insert(p);
  REQUIRE(picker.peer_bitfield(b, bitfield(10, all)));
  CHECK(picker.availability(P(3)) == 1);
  CHECK(picker.availability(P(6)) == 2);
  CHECK(picker.availability(P(0)) == 1);
  for (std::int32_t p = 0; p < 10; ++p)
    picker.peer_have(a, P(p));
  CHECK(picker.availability(P(0)) == 2);
  CHECK(picker.peer_has(a, P(0)));
  picker.peer_have_none(b);
  CHECK(picker.availability(P(0)) == 1);
}

TEST_CASE("a bitfield of the wrong size is refused", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  PeerKey a = picker.add_peer();
  CHECK_FALSE(picker.peer_bitfield(a, std::string(1, '\xff')));
  CHECK_FALSE(picker.peer_bitfield(a, std::string(3, '\xff')));
  CHECK(picker.availability(P(0)) == 0);
  CHECK(picker.peer_bitfield(a, bitfield(10, {1, 9})));
  CHECK(picker.availability(P(9)) == 1);
  // A new bitfield replaces the old one; spare bits are ignored.
  CHECK(picker.peer_bitfield(a, std::string("\x20\x3f", 2)));
  CHECK(picker.peer_has(a, P(2)));
  CHECK_FALSE(picker.peer_has(a, P(9)));
  CHECK(picker.availability(P(9)) == 0);
}

TEST_CASE("interest follows the wanted pieces a peer has that we lack", "[picker]") {
  PiecePicker picker(Geometry(piece_len, {10 * piece_len}));
  PeerKey a = peer_with(picker, {2, 3});
  PeerKey s = seed(picker);
  CHECK(picker.is_interesting(a));
  picker.set_piece_priority(P(2), 0);
  CHECK(picker.is_interesting(a));
  complete_piece(picker, P(3), s);
  CHECK_FALSE(picker.is_interesting(a));
  picker.set_piece_priority(P(2), 1);
  CHECK(picker.is_interesting(a));
  picker.set_file_priorities(std::vector<int>{0});
  CHECK_FALSE(picker.is_interesting(a));
  CHECK_FALSE(picker.is_interesting(s));
  CHECK(picker.is_finished());
}

// ---- Whole downloads ------------------------------------------------------------------------

namespace {

struct SimResult {
  std::vector<BlockRequest> requests;
  bool finished = false;
  int hash_failures = 0;
  int duplicates = 0;  // endgame requests of a block already requested from another peer
};

/// A swarm of peers with random pieces coming and going; blocks arrive in random order,
/// some requests time out, some pieces fail their hash check. Checks the picker's
/// promises at every step.
SimResult simulate(unsigned seed_value, bool sequential) {
  Geometry g(piece_len, {37 * piece_len + 5000, 0, 3 * piece_len});
  PiecePicker picker(g);
  picker.set_sequential(sequential);
  std::mt19937 rng(seed_value);
  std::mt19937 world(seed_value * 7919U + 1U);
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(world); };
  const std::int32_t n = picker.num_pieces();

  std::vector<PeerKey> peers;
  auto join = [&] {
    std::set<std::int32_t> has;
    for (std::int32_t p = 0; p < n; ++p)
      if (chance(0.5)) has.insert(p);
    peers.push_back(peer_with(picker, has));
  };
  for (int i = 0; i < 6; ++i)
    join();
  peers.push_back(seed(picker));  // someone has everything

  // What each peer was asked for and has not answered.
  std::map<std::uint32_t, std::set<Block>> asked;
  SimResult result;
  for (int step = 0; step < 20000 && !picker.is_finished(); ++step) {
    std::size_t who = std::uniform_int_distribution<std::size_t>(0, peers.size() - 1)(world);
    PeerKey peer = peers[who];
    auto& mine = asked[peer.slot];
    int action = std::uniform_int_distribution<int>(0, 9)(world);
    if (action < 3) {
      auto picked = picker.pick(peer, 5, rng);
      for (const auto& r : picked) {
        REQUIRE(picker.peer_has(peer, r.block.piece));
        REQUIRE_FALSE(picker.has(r.block.piece));
        REQUIRE(mine.insert(r.block).second);  // never twice from one peer
        REQUIRE(picker.num_requests(r.block) <= max_requests_per_block);
        if (picker.num_requests(r.block) > 1) ++result.duplicates;
        REQUIRE(r.length == picker.blocks().block_length(r.block));
        result.requests.push_back(r);
      }
    } else if (action < 8 && !mine.empty()) {
      auto it = mine.begin();
      std::advance(it, std::uniform_int_distribution<std::size_t>(0, mine.size() - 1)(world));
      Block block = *it;
      mine.erase(it);
      if (chance(0.1)) {
        picker.abort_request(block, peer);  // timed out
        continue;
      }
      auto got = picker.mark_block_received(block, peer);
      for (PeerKey other : got.cancel()) {
        REQUIRE_FALSE(other == peer);
        REQUIRE(asked[other.slot].erase(block) == 1);
      }
      if (!got.wanted) continue;
      REQUIRE(picker.mark_block_written(block));
      if (picker.is_piece_written(block.piece)) {
        if (chance(0.05)) {
          picker.piece_hash_failed(block.piece);
          ++result.hash_failures;
        } else {
          picker.piece_verified(block.piece);
        }
      }
    } else if (action == 8 && chance(0.05)) {
      picker.peer_gone(peer);
      REQUIRE(picker.outstanding_requests(peer) == 0);
      asked.erase(peer.slot);
      peers.erase(peers.begin() + static_cast<std::ptrdiff_t>(who));
      if (chance(0.5))
        peers.push_back(seed(picker));
      else
        join();
    } else if (action == 9 && chance(0.2)) {
      picker.abort_requests(peer);  // choked
      mine.clear();
    }
    for (PeerKey p : peers)
      REQUIRE(picker.outstanding_requests(p) == asked[p.slot].size());
  }
  result.finished = picker.is_finished();
  for (std::int32_t p = 0; p < n; ++p)
    if (!picker.has(P(p))) result.finished = false;
  return result;
}

}  // namespace

TEST_CASE("a swarm with timeouts, departures and hash failures completes the download",
          "[picker]") {
  int hash_failures = 0;
  int duplicates = 0;
  for (unsigned s = 1; s <= 6; ++s) {
    INFO("seed " << s);
    for (bool sequential : {false, true}) {
      auto result = simulate(s, sequential);
      CHECK(result.finished);
      hash_failures += result.hash_failures;
      duplicates += result.duplicates;
    }
  }
  CHECK(hash_failures > 0);  // the simulation did exercise the unhappy paths
  CHECK(duplicates > 0);
}

TEST_CASE("the same seed gives the same picks", "[picker]") {
  auto one = simulate(42, false);
  auto two = simulate(42, false);
  CHECK(one.requests == two.requests);
  CHECK(one.finished);
  auto other = simulate(43, false);
  CHECK_FALSE(other.requests == one.requests);
}

// ---- The availability index -----------------------------------------------------------------

TEST_CASE("the availability index keeps every piece in the bucket of its availability",
          "[picker]") {
  constexpr std::int32_t n = 60;
  detail::PieceBuckets buckets(n);
  std::vector<std::int32_t> avail(n, 0);
  std::vector<int> group(n, -1);  // -1: not contained
  std::mt19937 rng(11);
  auto check = [&] {
    for (int gi = 1; gi < detail::PieceBuckets::num_groups; ++gi) {
      std::size_t total = 0;
      for (std::int32_t a = 0; a < buckets.num_buckets(gi); ++a) {
        for (PieceIndex p : buckets.bucket(gi, a)) {
          REQUIRE(group[static_cast<std::size_t>(p.value)] == gi);
          REQUIRE(avail[static_cast<std::size_t>(p.value)] == a);
        }
        total += buckets.bucket(gi, a).size();
      }
      REQUIRE(total == buckets.pieces(gi).size());
      REQUIRE(static_cast<std::size_t>(std::count(group.begin(), group.end(), gi)) == total);
    }
  };
  for (int step = 0; step < 20000; ++step) {
    auto i = std::uniform_int_distribution<std::int32_t>(0, n - 1)(rng);
    auto ui = static_cast<std::size_t>(i);
    PieceIndex p(i);
    int op = std::uniform_int_distribution<int>(0, 3)(rng);
    REQUIRE(buckets.contains(p) == (group[ui] >= 0));
    if (op == 0 && group[ui] < 0) {
      group[ui] = std::uniform_int_distribution<int>(1, 7)(rng);
      buckets.insert(p, group[ui], avail[ui]);
    } else if (op == 1 && group[ui] >= 0) {
      buckets.erase(p, avail[ui]);
      group[ui] = -1;
    } else if (op == 2 && avail[ui] < 12) {
      if (group[ui] >= 0) buckets.increment(p, avail[ui]);
      ++avail[ui];
    } else if (op == 3 && avail[ui] > 0) {
      if (group[ui] >= 0) buckets.decrement(p, avail[ui]);
      --avail[ui];
    }
    if (step % 97 == 0) check();
  }
  check();
}
