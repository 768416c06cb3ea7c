// MetadataAssembler: fetching an info dictionary in ut_metadata pieces from several peers,
// and every way a peer can lie or vanish on the way.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "bitflow/extension.hpp"
#include "bitflow/metadata_assembler.hpp"

using namespace bitflow;
using namespace bitflow::peer;
using std::chrono::seconds;

namespace {

constexpr std::int64_t kib16 = metadata_piece_size;
const MetadataPeer alice{1}, bob{2}, mallory{3};
const auto t0 = MetadataAssembler::Clock::time_point{} + std::chrono::hours(1);

// Three pieces: two of 16 KiB and one of 100 bytes.
std::string make_metadata() {
  std::string s;
  for (std::int64_t i = 0; i < 2 * kib16 + 100; ++i)
    s.push_back(static_cast<char>('a' + i % 23));
  return s;
}
const std::string metadata = make_metadata();
const auto total = static_cast<std::int64_t>(metadata.size());

std::string_view piece(std::int32_t i) {
  return std::string_view(metadata).substr(
      static_cast<std::size_t>(i * kib16),
      static_cast<std::size_t>(metadata_piece_length(i, total)));
}

MetadataAssembler make_assembler() {
  MetadataAssembler a(sha1(metadata));
  REQUIRE(a.set_size(total));
  return a;
}

}  // namespace

TEST_CASE("metadata assembles from three pieces over two peers", "[metadata]") {
  MetadataAssembler a(sha1(metadata));
  CHECK_FALSE(a.size_known());
  CHECK_FALSE(a.next_piece_to_request(alice, t0));
  REQUIRE(a.set_size(total));
  CHECK(a.num_pieces() == 3);
  CHECK(a.next_piece_to_request(alice, t0) == 0);
  CHECK(a.next_piece_to_request(bob, t0) == 1);
  CHECK(a.next_piece_to_request(alice, t0) == 2);
  CHECK_FALSE(a.next_piece_to_request(bob, t0));  // all out
  CHECK(a.on_data(bob, 1, total, piece(1)) == MetadataResult::accepted);
  CHECK(a.on_data(alice, 2, total, piece(2)) == MetadataResult::accepted);
  CHECK(a.take_metadata().empty());  // not yet
  CHECK(a.on_data(alice, 0, total, piece(0)) == MetadataResult::complete);
  CHECK(a.complete());
  CHECK(a.pieces_received() == 3);
  CHECK_FALSE(a.next_piece_to_request(bob, t0));
  CHECK(a.on_data(bob, 0, total, piece(0)) == MetadataResult::duplicate);
  CHECK(a.take_metadata() == metadata);
  CHECK(a.take_metadata().empty());
}

TEST_CASE("metadata size must be valid and the first one stands", "[metadata]") {
  MetadataAssembler a(sha1(metadata), 40000);
  CHECK_FALSE(a.set_size(0));
  CHECK_FALSE(a.set_size(-5));
  CHECK_FALSE(a.set_size(40001));
  CHECK_FALSE(a.size_known());
  CHECK(a.set_size(total));
  CHECK(a.set_size(total));  // agreeing is fine
  CHECK_FALSE(a.set_size(total + 1));
  CHECK(a.size() == total);
  CHECK(a.next_piece_to_request(alice, t0) == 0);
  CHECK(a.on_data(mallory, 0, total + 1, piece(0)) == MetadataResult::rejected_bad_size);
  CHECK(a.on_data(alice, 0, total, piece(0)) == MetadataResult::accepted);
}

TEST_CASE("metadata data before any size adopts the peer's total size", "[metadata]") {
  MetadataAssembler a(sha1(metadata));
  CHECK(a.on_data(alice, 0, 0, "x") == MetadataResult::rejected_bad_size);
  CHECK_FALSE(a.size_known());
  CHECK(a.on_data(alice, 2, total, piece(2)) == MetadataResult::accepted);
  CHECK(a.size() == total);
}

TEST_CASE("metadata with a wrong hash is dropped, blamed and fetched again", "[metadata]") {
  MetadataAssembler a = make_assembler();
  std::string bad(piece(1));
  bad[7] ^= 1;
  CHECK(a.on_data(alice, 0, total, piece(0)) == MetadataResult::accepted);
  CHECK(a.on_data(mallory, 1, total, bad) == MetadataResult::accepted);
  CHECK(a.on_data(alice, 2, total, piece(2)) == MetadataResult::hash_mismatch);
  CHECK(a.suspects() == std::vector<MetadataPeer>{alice, mallory});
  CHECK_FALSE(a.size_known());
  CHECK(a.pieces_received() == 0);
  CHECK(a.take_metadata().empty());
  // A liar's size is forgotten too, so an honest size can take its place.
  REQUIRE(a.set_size(total));
  for (std::int32_t i = 0; i < 3; ++i)
    REQUIRE(a.next_piece_to_request(bob, t0) == i);
  CHECK(a.on_data(bob, 0, total, piece(0)) == MetadataResult::accepted);
  CHECK(a.on_data(bob, 1, total, piece(1)) == MetadataResult::accepted);
  CHECK(a.on_data(bob, 2, total, piece(2)) == MetadataResult::complete);
  CHECK(a.take_metadata() == metadata);
}

TEST_CASE("metadata pieces outside the metadata are refused", "[metadata]") {
  MetadataAssembler a = make_assembler();
  CHECK(a.on_data(mallory, 3, total, "x") == MetadataResult::rejected_out_of_range);
  CHECK(a.on_data(mallory, -1, total, "x") == MetadataResult::rejected_out_of_range);
  CHECK(a.pieces_received() == 0);
}

TEST_CASE("metadata pieces of the wrong length are refused", "[metadata]") {
  MetadataAssembler a = make_assembler();
  CHECK(a.on_data(mallory, 0, total, piece(0).substr(1)) == MetadataResult::rejected_bad_size);
  CHECK(a.on_data(mallory, 2, total, std::string(101, 'x')) == MetadataResult::rejected_bad_size);
  CHECK(a.on_data(mallory, 2, total, std::string(16384, 'x')) == MetadataResult::rejected_bad_size);
  CHECK(a.pieces_received() == 0);
}

TEST_CASE("metadata duplicate pieces are ignored", "[metadata]") {
  MetadataAssembler a = make_assembler();
  CHECK(a.on_data(alice, 1, total, piece(1)) == MetadataResult::accepted);
  CHECK(a.on_data(mallory, 1, total, std::string(16384, 'x')) == MetadataResult::duplicate);
  CHECK(a.pieces_received() == 1);
  CHECK(a.next_piece_to_request(bob, t0) == 0);
  CHECK(a.next_piece_to_request(bob, t0) == 2);
}

TEST_CASE("metadata piece rejected by one peer goes to the next", "[metadata]") {
  MetadataAssembler a = make_assembler();
  CHECK(a.next_piece_to_request(alice, t0) == 0);
  a.on_reject(bob, 0);  // not bob's: no effect
  CHECK(a.next_piece_to_request(bob, t0) == 1);
  a.on_reject(alice, 0);
  a.on_reject(alice, 99);  // out of range: ignored
  CHECK(a.next_piece_to_request(bob, t0) == 0);
}

TEST_CASE("metadata pieces of a peer that is gone are freed", "[metadata]") {
  MetadataAssembler a = make_assembler();
  CHECK(a.next_piece_to_request(alice, t0) == 0);
  CHECK(a.next_piece_to_request(alice, t0) == 1);
  CHECK(a.next_piece_to_request(bob, t0) == 2);
  a.peer_gone(alice);
  CHECK(a.next_piece_to_request(bob, t0) == 0);
  CHECK(a.next_piece_to_request(bob, t0) == 1);
  CHECK_FALSE(a.next_piece_to_request(bob, t0));
}

TEST_CASE("metadata requests that time out are handed out again", "[metadata]") {
  MetadataAssembler a(sha1(metadata), MetadataAssembler::default_max_size, seconds(10));
  REQUIRE(a.set_size(total));
  CHECK(a.next_piece_to_request(alice, t0) == 0);
  CHECK(a.next_piece_to_request(alice, t0 + seconds(1)) == 1);
  CHECK(a.next_piece_to_request(alice, t0 + seconds(2)) == 2);
  CHECK_FALSE(a.next_piece_to_request(bob, t0 + seconds(9)));
  CHECK(a.next_piece_to_request(bob, t0 + seconds(10)) == 0);
  CHECK_FALSE(a.next_piece_to_request(bob, t0 + seconds(10)));
  CHECK(a.next_piece_to_request(bob, t0 + seconds(11)) == 1);
  // The slow peer's answer still counts.
  CHECK(a.on_data(alice, 2, total, piece(2)) == MetadataResult::accepted);
  CHECK_FALSE(a.next_piece_to_request(mallory, t0 + seconds(12)));
}
