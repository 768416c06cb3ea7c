// bitflow/piece_picker.hpp — which blocks to request from which peer.
//
// The PiecePicker keeps, for one torrent, what we have, what every connected peer has,
// how much each piece is wanted, and the state of every block of the pieces being
// downloaded; pick() turns that into the next requests for one peer.
//
// The algorithm. pick(peer, count) returns up to `count` blocks the peer has, in this
// order of preference:
//   1. Priority. Pieces have a priority 0..7 (default 4); higher is picked first, 0 is
//      never picked. set_file_priorities() gives each piece the highest priority of the
//      files it holds bytes of, so a piece straddling a skipped file and a wanted file is
//      wanted. Everything below applies within one priority level.
//   2. Partial pieces first. Pieces with blocks already requested or received are
//      finished before new ones are started, fewest unrequested blocks first (so a piece
//      this peer can complete with this pick comes first), then rarest, then lowest index.
//      This keeps few pieces in flight and gets them verified and shareable sooner.
//   3. Random first. Until random_first_pieces (4) pieces are verified, new pieces are
//      chosen at random among those the peer has: rare pieces download slowly (few peers
//      to fetch them from) and we need whole pieces quickly to have something to trade.
//   4. Rarest first. After that, new pieces are taken from the least available: pieces
//      that fewer connected peers have are picked first, ties broken at random (the
//      injected RNG), so the swarm keeps every piece alive and peers want what we have.
//   5. Sequential mode (set_sequential) replaces 2-4: lowest piece index first, partial
//      or not, still by priority and never priority 0. For streaming and previews.
//   6. Endgame. When every block of the wanted pieces that any connected peer has has
//      been requested at least once, blocks already requested from another peer may be
//      requested again: each block from at most max_requests_per_block (2) peers at a
//      time, never twice from the same peer. The first copy to arrive wins;
//      mark_block_received() names the other peers so the caller can send CANCEL. This
//      keeps the last pieces from stalling on one slow peer. Duplicates are only handed
//      out when nothing else is left for the peer, possibly after the last new blocks in
//      the same pick().
// Every block of a piece is requested in order, whole blocks of BlockGeometry::block_size.
//
// The data structures and the cost of each call (N pieces, P peers, K partial pieces,
// B blocks per piece):
//   * new pieces live in an availability index: per priority level, one array of pieces
//     cut into buckets by availability (see src/piece/piece_buckets.hpp). A HAVE, or each
//     piece of a peer that leaves, moves a piece across one bucket boundary: O(1).
//     Rarest-first reads the buckets in order, starting at a random offset inside each,
//     and stops as soon as it has `count` blocks: it reads only pieces at least as rare as
//     the ones it returns, plus those of them the peer lacks. Peers that have everything
//     (HAVE ALL, a complete bitfield, or a last HAVE) are counted once for all pieces.
//   * partial pieces are a dense list with per-block state (none, requested by up to
//     max_requests_per_block peers, received, written).
//   * each peer costs N/8 bytes (its bitfield) and a few counters.
//   pick: O(K log K + pieces read + count). Pieces read is about count / B in a healthy
//     swarm; it is O(N) in the worst case (a peer that has few of the pieces we want),
//     and so are random-first and sequential scans. bench/picker_bench.cpp measures it.
//   peer_have, mark_block_received, mark_block_written, abort_request: O(1).
//   peer_bitfield: O(N); peer_have_all: O(1), or O(N) if the peer had a bitfield;
//     peer_have_none: O(pieces it had).
//   peer_gone, abort_requests: O(K·B) if the peer has requests outstanding, plus
//     O(pieces it had) for its availability.
//   piece_verified: O(P + number of availability buckets). piece_hash_failed: O(B + P).
//   set_piece_priority: O(P); set_file_priorities: O(N + P per piece whose priority
//     changes).
//   in_endgame: O(K).
//
// Peers. The picker knows a peer by the PeerKey add_peer() returned; it keeps the peer's
// bitfield (N bits) so that it can pick for it and forget its availability in peer_gone().
// A key is dead after peer_gone(); calls with a dead key are ignored (pick returns
// nothing, queries return false).
//
// Threading: PiecePicker is a plain, pure state machine: no I/O, no clocks, no threads.
// It is not thread-safe; the torrent that owns it calls it from the torrent's strand.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "bitflow/block_geometry.hpp"
#include "bitflow/geometry.hpp"

namespace bitflow::piece {

namespace detail {
class PieceBuckets;
}

/// Priorities: 0 skips a piece, 1..7 higher first.
inline constexpr int max_priority = 7;
inline constexpr int default_priority = 4;
/// New pieces are chosen at random until this many are verified (then rarest first).
inline constexpr std::int32_t random_first_pieces = 4;
/// In endgame, the most peers one block is requested from at the same time.
inline constexpr std::size_t max_requests_per_block = 2;

/// A peer as the picker knows it; handed out by PiecePicker::add_peer(). A
/// default-constructed key names no peer.
struct PeerKey {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  friend bool operator==(PeerKey, PeerKey) = default;
};

/// A block to request: send REQUEST(block.piece, begin, length).
struct BlockRequest {
  Block block;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  friend bool operator==(const BlockRequest&, const BlockRequest&) = default;
};

/// What mark_block_received() decided.
struct ReceiveResult {
  /// True: the data is new, write it. False: we did not want it (already received, e.g.
  /// the losing copy in endgame; a piece we have; a piece not being downloaded): drop it.
  bool wanted = false;
  std::array<PeerKey, max_requests_per_block> cancel_storage{};
  std::size_t cancel_count = 0;
  /// The other peers this block was still requested from: send each of them CANCEL.
  [[nodiscard]] std::span<const PeerKey> cancel() const noexcept {
    return {cancel_storage.data(), cancel_count};
  }
};

enum class BlockState : std::uint8_t {
  none,       ///< not requested (or every request for it was aborted)
  requested,  ///< requested from one or more peers, not received
  received,   ///< the data arrived and was accepted
  written,    ///< the data is on disk
};

class PiecePicker {
 public:
  /// A picker for a torrent of this shape: no pieces, no peers, every piece at
  /// default_priority, rarest-first mode. Throws std::invalid_argument if BlockGeometry
  /// does (a piece length over 2^31 - 1).
  explicit PiecePicker(const Geometry& geometry);
  /// Movable (a moved-from picker may only be destroyed or assigned to), not copyable.
  ~PiecePicker();
  PiecePicker(PiecePicker&&) noexcept;
  PiecePicker& operator=(PiecePicker&&) noexcept;
  PiecePicker(const PiecePicker&) = delete;
  PiecePicker& operator=(const PiecePicker&) = delete;

  [[nodiscard]] const BlockGeometry& blocks() const noexcept { return blocks_; }
  [[nodiscard]] std::int32_t num_pieces() const noexcept { return blocks_.num_pieces(); }

  // ---- Our pieces ----------------------------------------------------------------------

  /// Piece `p` passed its hash check (after download, or from a resume check): we have
  /// it. Its partial state and any outstanding requests for it are forgotten (blocks
  /// arriving later are refused). Invalid indices are ignored.
  void piece_verified(PieceIndex p);
  /// Piece `p` failed its hash check: every block goes back to none and the piece is
  /// picked again like a new one. Outstanding requests for it are forgotten.
  void piece_hash_failed(PieceIndex p);
  [[nodiscard]] bool has(PieceIndex p) const noexcept;
  [[nodiscard]] std::int32_t num_have() const noexcept { return num_have_; }
  /// Every piece with priority > 0 is verified (true for a torrent with nothing wanted).
  [[nodiscard]] bool is_finished() const noexcept { return wanted_missing_ == 0; }
  /// Bytes of the pieces with priority > 0 that we do not have yet.
  [[nodiscard]] std::int64_t wanted_left_bytes() const noexcept { return wanted_left_bytes_; }

  // ---- Priorities and mode -------------------------------------------------------------

  /// One priority per file, in [0, max_priority]; each piece gets the highest priority of
  /// the files it holds bytes of (zero-length files hold none). Throws
  /// std::invalid_argument for a wrong count or a value out of range.
  void set_file_priorities(std::span<const int> priorities);
  /// Sets one piece's priority, in [0, max_priority] (throws std::invalid_argument).
  void set_piece_priority(PieceIndex p, int priority);
  [[nodiscard]] int piece_priority(PieceIndex p) const noexcept;
  /// Sequential mode: lowest index first (see the algorithm above).
  void set_sequential(bool on) noexcept { sequential_ = on; }
  [[nodiscard]] bool sequential() const noexcept { return sequential_; }

  // ---- Peers ---------------------------------------------------------------------------

  /// A new connected peer, having nothing until told otherwise.
  [[nodiscard]] PeerKey add_peer();
  /// The peer's BITFIELD, in wire layout (most significant bit of byte 0 = piece 0),
  /// exactly ceil(num_pieces / 8) bytes; spare bits are ignored. Replaces whatever the
  /// peer had. Returns false (and changes nothing) for a wrong length or a dead key.
  [[nodiscard]] bool peer_bitfield(PeerKey peer, std::string_view bits);
  /// HAVE: the peer now has piece `p`. Invalid indices are ignored.
  void peer_have(PeerKey peer, PieceIndex p);
  /// HAVE ALL (BEP 6): the peer has every piece.
  void peer_have_all(PeerKey peer);
  /// HAVE NONE (BEP 6): the peer has no piece.
  void peer_have_none(PeerKey peer);
  /// The peer disconnected: its requests are aborted (those blocks become requestable),
  /// its pieces no longer count for availability, and its key is dead.
  void peer_gone(PeerKey peer);
  [[nodiscard]] bool peer_has(PeerKey peer, PieceIndex p) const noexcept;
  /// The peer has a piece with priority > 0 that we do not have: be interested. O(1).
  [[nodiscard]] bool is_interesting(PeerKey peer) const noexcept;
  /// Whether the peer has every piece (a bitfield with every bit set, HAVE_ALL, or HAVEs
  /// that completed it).
  [[nodiscard]] bool peer_is_seed(PeerKey peer) const noexcept;
  /// How many connected peers have piece `p`.
  [[nodiscard]] std::int32_t availability(PieceIndex p) const noexcept;
  [[nodiscard]] std::size_t num_peers() const noexcept { return live_peers_; }

  // ---- Requests ------------------------------------------------------------------------

  /// Up to `count` blocks to request from `peer` now, chosen as described above, and
  /// recorded as requested from it; empty for a dead key or a peer with nothing we want.
  /// `rng` breaks ties (random first, rarest first). At most `max_new_pieces` pieces that
  /// are not partial yet are started by this pick: a caller that holds every piece being
  /// assembled in memory bounds that memory this way (0: only blocks of partial pieces,
  /// including endgame duplicates).
  [[nodiscard]] std::vector<BlockRequest> pick(PeerKey peer, std::size_t count, std::mt19937& rng,
                                               std::size_t max_new_pieces = SIZE_MAX);
  /// For a source that fetches whole pieces (a BEP 19 web seed): every block of one new
  /// piece, chosen as pick() chooses new pieces (random first, then rarest, or the lowest
  /// index in sequential mode), so it does not join pieces other peers are downloading.
  /// Only when no new piece of the best priority it can offer is left (or
  /// `max_new_pieces` is 0) does it fall back to pick() for one piece's worth of blocks:
  /// unrequested blocks of partial pieces, then endgame duplicates.
  [[nodiscard]] std::vector<BlockRequest> pick_piece(PeerKey peer, std::mt19937& rng,
                                                     std::size_t max_new_pieces = SIZE_MAX);
  /// The block arrived from `peer`. Accepted (wanted) when its piece is being downloaded
  /// and the block was not received yet, requested from `peer` or not (a request that
  /// was aborted on a timeout may still be answered). See ReceiveResult.
  [[nodiscard]] ReceiveResult mark_block_received(Block block, PeerKey peer);
  /// The received block is on disk. False if it was not in the received state.
  [[nodiscard]] bool mark_block_written(Block block);
  /// Our request of `block` from `peer` is off (timeout, REJECT, choke): if no other peer
  /// has it requested, the block can be picked again.
  void abort_request(Block block, PeerKey peer);
  /// abort_request() for every block requested from `peer` (e.g. it choked us).
  void abort_requests(PeerKey peer);

  [[nodiscard]] BlockState block_state(Block block) const noexcept;
  /// How many peers `block` is currently requested from (0 .. max_requests_per_block).
  [[nodiscard]] std::size_t num_requests(Block block) const noexcept;
  /// Blocks requested from `peer` and not yet received or aborted.
  [[nodiscard]] std::size_t outstanding_requests(PeerKey peer) const noexcept;
  /// Every block of `p` was received (it can be hashed once written).
  [[nodiscard]] bool is_piece_complete(PieceIndex p) const noexcept;
  /// Every block of `p` is written.
  [[nodiscard]] bool is_piece_written(PieceIndex p) const noexcept;
  /// Number of pieces with blocks requested or received that are not verified yet.
  [[nodiscard]] std::size_t num_partial_pieces() const noexcept { return num_partials_; }
  /// Every block of a wanted piece that a connected peer has is requested or received,
  /// and at least one request is outstanding: pick() now duplicates requests.
  [[nodiscard]] bool in_endgame() const noexcept;

 private:
  struct Peer;
  struct Partial;
  struct BlockSlot;

  [[nodiscard]] Peer* find(PeerKey key) noexcept;
  [[nodiscard]] const Peer* find(PeerKey key) const noexcept;
  [[nodiscard]] bool slot_has(const Peer& peer, PieceIndex p) const noexcept;
  [[nodiscard]] bool wanted_missing(PieceIndex p) const noexcept;
  [[nodiscard]] Partial* partial_of(PieceIndex p) noexcept;
  [[nodiscard]] const Partial* partial_of(PieceIndex p) const noexcept;
  [[nodiscard]] int prio(PieceIndex p) const noexcept;

  void add_availability(PieceIndex p);
  void remove_availability(PieceIndex p);
  void clear_peer_pieces(Peer& peer);
  void make_seed(Peer& peer);
  void apply_priority(PieceIndex p, int priority);
  void index_if_fresh(PieceIndex p);

  Partial& start_partial(PieceIndex p);
  void drop_partial(PieceIndex p);
  void forget_requests(Partial& partial);
  void remove_requester(BlockSlot& slot, Partial& partial, std::uint32_t peer_slot);

  void pick_ranked(std::uint32_t slot, std::size_t count, std::size_t max_new, std::mt19937& rng,
                   std::vector<BlockRequest>& out);
  void pick_sequential(std::uint32_t slot, std::size_t count, std::size_t max_new,
                       std::vector<BlockRequest>& out);
  void pick_endgame(std::uint32_t slot, std::size_t count, std::vector<BlockRequest>& out);
  void collect_partials(const Peer& peer, bool endgame);
  void collect_new(const Peer& peer, int priority, std::int64_t blocks_needed, std::mt19937& rng,
                   std::vector<PieceIndex>& found);
  void take_blocks(Partial& partial, std::uint32_t slot, std::size_t count,
                   std::vector<BlockRequest>& out);
  void take_duplicates(Partial& partial, std::uint32_t slot, std::size_t count,
                       std::vector<BlockRequest>& out);

  Geometry geometry_;
  BlockGeometry blocks_;
  bool sequential_ = false;

  // Per piece.
  std::vector<std::uint8_t> have_;
  std::vector<std::uint8_t> priority_;
  std::vector<std::int32_t> avail_;              // non-seed peers that have it
  std::vector<std::int32_t> partial_index_;      // into partials_, -1 if not partial
  std::unique_ptr<detail::PieceBuckets> fresh_;  // !have, priority > 0, not partial

  // Partial pieces: partials_[0, num_partials_) are live; the rest keep their capacity.
  std::vector<Partial> partials_;
  std::size_t num_partials_ = 0;
  std::int64_t requested_blocks_ = 0;  // blocks in the requested state

  // Peers.
  std::vector<Peer> peers_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t live_peers_ = 0;
  std::int32_t seeds_ = 0;  // live peers that have every piece

  // Totals.
  std::int32_t num_have_ = 0;
  std::int32_t wanted_missing_ = 0;  // pieces with priority > 0 we do not have
  std::array<std::int32_t, max_priority + 1> missing_by_priority_{};
  std::int64_t wanted_left_bytes_ = 0;
  std::int32_t seq_cursor_ = 0;  // no piece below it is missing

  std::vector<std::size_t> scratch_partials_;  // reused by pick()
  std::vector<PieceIndex> scratch_pieces_;
};

}  // namespace bitflow::piece
