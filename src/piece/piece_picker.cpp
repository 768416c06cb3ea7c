// PiecePicker: the block picker described in bitflow/piece_picker.hpp.
//
// Job: remember what we and every peer have, how much each piece is wanted and the state
// of each block being downloaded; choose the next requests for a peer.
//
// Invariants:
//   * a piece is in fresh_ (the availability index) exactly when we lack it, its priority
//     is > 0 and it is not partial; it sits in group priority_[p], bucket avail_[p];
//   * avail_[p] counts the live peers that are not seeds and have p; seeds_ counts the
//     live seeds (a seed's bits are all zero and its count 0);
//   * a piece is partial (partial_index_[p] >= 0) from its first request or accepted
//     block until it is verified or fails its hash check; partials_[0, num_partials_) are
//     the live partials, the rest are spare storage;
//   * every requester recorded in a block is a live peer slot, and peers_[s].outstanding
//     counts the blocks that record s; requested_blocks_ counts blocks in the requested
//     state; a block never lists the same peer twice;
//   * peers_[s].wanted counts the pieces peer s has (not a seed) that we lack and want.
// Threading: none; see the header.
#include "bitflow/piece_picker.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>
#include <string>
#include <utility>

#include "piece_buckets.hpp"

namespace bitflow::piece {

namespace {

std::size_t ix(PieceIndex p) noexcept {
  return static_cast<std::size_t>(p.value);
}
std::size_t ux(std::int32_t i) noexcept {
  return static_cast<std::size_t>(i);
}

bool test_bit(const std::vector<std::uint64_t>& bits, PieceIndex p) noexcept {
  return (bits[ix(p) / 64] >> (ix(p) % 64) & 1U) != 0;
}
void set_bit(std::vector<std::uint64_t>& bits, PieceIndex p) noexcept {
  bits[ix(p) / 64] |= std::uint64_t{1} << (ix(p) % 64);
}

void check_priority(int priority) {
  if (priority < 0 || priority > max_priority)
    throw std::invalid_argument("piece picker: priority " + std::to_string(priority) +
                                " is outside [0, 7]");
}

}  // namespace

struct PiecePicker::BlockSlot {
  BlockState state = BlockState::none;
  std::uint8_t num_requesters = 0;
  std::array<std::uint32_t, max_requests_per_block> requesters{};

  [[nodiscard]] bool requested_by(std::uint32_t slot) const noexcept {
    for (std::size_t i = 0; i < num_requesters; ++i)
      if (requesters[i] == slot) return true;
    return false;
  }
};

struct PiecePicker::Partial {
  PieceIndex piece;
  std::vector<BlockSlot> blocks;
  std::int32_t none = 0;      // blocks in state none
  std::int32_t received = 0;  // blocks received or written
  std::int32_t written = 0;
  [[nodiscard]] std::int32_t size() const noexcept {
    return static_cast<std::int32_t>(blocks.size());
  }
  [[nodiscard]] std::int32_t requested() const noexcept { return size() - none - received; }
};

struct PiecePicker::Peer {
  std::uint32_t generation = 1;
  bool live = false;
  bool seed = false;
  std::vector<std::uint64_t> bits;
  std::int32_t count = 0;   // pieces it has (0 for a seed)
  std::int32_t wanted = 0;  // of those, pieces we lack with priority > 0
  std::size_t outstanding = 0;
};

PiecePicker::PiecePicker(const Geometry& geometry)
    : geometry_(geometry),
      blocks_(geometry),
      have_(ux(geometry.num_pieces()), 0),
      priority_(ux(geometry.num_pieces()), static_cast<std::uint8_t>(default_priority)),
      avail_(ux(geometry.num_pieces()), 0),
      partial_index_(ux(geometry.num_pieces()), -1),
      fresh_(std::make_unique<detail::PieceBuckets>(geometry.num_pieces())) {
  for (PieceIndex p(0); p.value < num_pieces(); ++p)
    fresh_->insert(p, default_priority, 0);  // one bucket so far: O(1) each
  wanted_missing_ = num_pieces();
  missing_by_priority_[default_priority] = num_pieces();
  wanted_left_bytes_ = geometry.total_size();
}

PiecePicker::~PiecePicker() = default;
PiecePicker::PiecePicker(PiecePicker&&) noexcept = default;
PiecePicker& PiecePicker::operator=(PiecePicker&&) noexcept = default;

// ---- Small helpers --------------------------------------------------------------------

PiecePicker::Peer* PiecePicker::find(PeerKey key) noexcept {
  if (key.slot >= peers_.size()) return nullptr;
  Peer& peer = peers_[key.slot];
  return peer.live && peer.generation == key.generation ? &peer : nullptr;
}

const PiecePicker::Peer* PiecePicker::find(PeerKey key) const noexcept {
  if (key.slot >= peers_.size()) return nullptr;
  const Peer& peer = peers_[key.slot];
  return peer.live && peer.generation == key.generation ? &peer : nullptr;
}

bool PiecePicker::slot_has(const Peer& peer, PieceIndex p) const noexcept {
  return peer.seed || test_bit(peer.bits, p);
}

bool PiecePicker::wanted_missing(PieceIndex p) const noexcept {
  return have_[ix(p)] == 0 && priority_[ix(p)] > 0;
}

int PiecePicker::prio(PieceIndex p) const noexcept {
  return priority_[ix(p)];
}

PiecePicker::Partial* PiecePicker::partial_of(PieceIndex p) noexcept {
  std::int32_t i = partial_index_[ix(p)];
  return i < 0 ? nullptr : &partials_[ux(i)];
}

const PiecePicker::Partial* PiecePicker::partial_of(PieceIndex p) const noexcept {
  std::int32_t i = partial_index_[ix(p)];
  return i < 0 ? nullptr : &partials_[ux(i)];
}

bool PiecePicker::has(PieceIndex p) const noexcept {
  return p.value >= 0 && p.value < num_pieces() && have_[ix(p)] != 0;
}

int PiecePicker::piece_priority(PieceIndex p) const noexcept {
  return p.value >= 0 && p.value < num_pieces() ? prio(p) : 0;
}

std::int32_t PiecePicker::availability(PieceIndex p) const noexcept {
  return p.value >= 0 && p.value < num_pieces() ? avail_[ix(p)] + seeds_ : 0;
}

void PiecePicker::add_availability(PieceIndex p) {
  if (fresh_->contains(p)) fresh_->increment(p, avail_[ix(p)]);
  ++avail_[ix(p)];
}

void PiecePicker::remove_availability(PieceIndex p) {
  if (fresh_->contains(p)) fresh_->decrement(p, avail_[ix(p)]);
  --avail_[ix(p)];
}

void PiecePicker::index_if_fresh(PieceIndex p) {
  if (wanted_missing(p) && partial_index_[ix(p)] < 0 && !fresh_->contains(p))
    fresh_->insert(p, prio(p), avail_[ix(p)]);
}

// ---- Our pieces -----------------------------------------------------------------------

void PiecePicker::piece_verified(PieceIndex p) {
  if (p.value < 0 || p.value >= num_pieces() || have_[ix(p)] != 0) return;
  if (partial_index_[ix(p)] >= 0) drop_partial(p);
  if (fresh_->contains(p)) fresh_->erase(p, avail_[ix(p)]);
  if (prio(p) > 0) {
    for (Peer& peer : peers_)
      if (peer.live && !peer.seed && test_bit(peer.bits, p)) --peer.wanted;
    --wanted_missing_;
    wanted_left_bytes_ -= blocks_.piece_size(p);
  }
  --missing_by_priority_[ux(prio(p))];
  have_[ix(p)] = 1;
  ++num_have_;
  while (seq_cursor_ < num_pieces() && have_[ux(seq_cursor_)] != 0)
    ++seq_cursor_;
}

void PiecePicker::piece_hash_failed(PieceIndex p) {
  if (p.value < 0 || p.value >= num_pieces() || have_[ix(p)] != 0) return;
  if (partial_index_[ix(p)] >= 0) drop_partial(p);
  index_if_fresh(p);
}

// ---- Priorities -----------------------------------------------------------------------

void PiecePicker::set_file_priorities(std::span<const int> priorities) {
  if (priorities.size() != ux(geometry_.num_files()))
    throw std::invalid_argument("piece picker: " + std::to_string(priorities.size()) +
                                " file priorities for " + std::to_string(geometry_.num_files()) +
                                " files");
  for (int priority : priorities)
    check_priority(priority);
  std::vector<std::uint8_t> piece_priority(ux(num_pieces()), 0);
  for (FileIndex f(0); f.value < geometry_.num_files(); ++f) {
    auto priority = static_cast<std::uint8_t>(priorities[ux(f.value)]);
    PieceRange range = geometry_.pieces_of_file(f);  // empty for a zero-length file
    for (PieceIndex p = range.first; p < range.last; ++p)
      piece_priority[ix(p)] = std::max(piece_priority[ix(p)], priority);
  }
  for (PieceIndex p(0); p.value < num_pieces(); ++p)
    apply_priority(p, piece_priority[ix(p)]);
}

void PiecePicker::set_piece_priority(PieceIndex p, int priority) {
  check_priority(priority);
  if (p.value < 0 || p.value >= num_pieces()) return;
  apply_priority(p, priority);
}

void PiecePicker::apply_priority(PieceIndex p, int priority) {
  int old = prio(p);
  if (old == priority) return;
  if (have_[ix(p)] == 0) {
    --missing_by_priority_[ux(old)];
    ++missing_by_priority_[ux(priority)];
    if ((old > 0) != (priority > 0)) {
      std::int32_t delta = priority > 0 ? 1 : -1;
      wanted_missing_ += delta;
      wanted_left_bytes_ += delta * std::int64_t{blocks_.piece_size(p)};
      for (Peer& peer : peers_)
        if (peer.live && !peer.seed && test_bit(peer.bits, p)) peer.wanted += delta;
    }
  }
  if (fresh_->contains(p)) fresh_->erase(p, avail_[ix(p)]);
  priority_[ix(p)] = static_cast<std::uint8_t>(priority);
  index_if_fresh(p);
}

// ---- Peers ----------------------------------------------------------------------------

PeerKey PiecePicker::add_peer() {
  std::uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(peers_.size());
    peers_.emplace_back();
  }
  Peer& peer = peers_[slot];
  peer.live = true;
  peer.seed = false;
  peer.bits.assign((ux(num_pieces()) + 63) / 64, 0);
  peer.count = 0;
  peer.wanted = 0;
  peer.outstanding = 0;
  ++live_peers_;
  return PeerKey{slot, peer.generation};
}

void PiecePicker::clear_peer_pieces(Peer& peer) {
  if (peer.seed) {
    peer.seed = false;
    --seeds_;
  } else if (peer.count > 0) {
    for (std::size_t w = 0; w < peer.bits.size(); ++w) {
      for (std::uint64_t word = peer.bits[w]; word != 0; word &= word - 1) {
        auto bit = static_cast<std::size_t>(std::countr_zero(word));
        remove_availability(PieceIndex(static_cast<std::int32_t>(w * 64 + bit)));
      }
      peer.bits[w] = 0;
    }
  }
  peer.count = 0;
  peer.wanted = 0;
}

void PiecePicker::make_seed(Peer& peer) {
  clear_peer_pieces(peer);
  peer.seed = true;
  ++seeds_;
}

bool PiecePicker::peer_bitfield(PeerKey key, std::string_view bits) {
  Peer* peer = find(key);
  if (peer == nullptr || bits.size() != (ux(num_pieces()) + 7) / 8) return false;
  auto bit_at = [&](std::int32_t i) {
    unsigned byte = static_cast<unsigned char>(bits[ux(i / 8)]);
    return (byte >> (7U - static_cast<unsigned>(i % 8)) & 1U) != 0U;
  };
  std::int32_t total = 0;
  for (std::int32_t i = 0; i < num_pieces(); ++i)
    total += bit_at(i) ? 1 : 0;
  if (total == num_pieces() && total > 0) {
    if (!peer->seed) make_seed(*peer);
    return true;
  }
  clear_peer_pieces(*peer);
  for (PieceIndex p(0); p.value < num_pieces(); ++p) {
    if (!bit_at(p.value)) continue;
    set_bit(peer->bits, p);
    add_availability(p);
    ++peer->count;
    if (wanted_missing(p)) ++peer->wanted;
  }
  return true;
}

void PiecePicker::peer_have(PeerKey key, PieceIndex p) {
  Peer* peer = find(key);
  if (peer == nullptr || p.value < 0 || p.value >= num_pieces() || slot_has(*peer, p)) return;
  set_bit(peer->bits, p);
  add_availability(p);
  ++peer->count;
  if (wanted_missing(p)) ++peer->wanted;
  if (peer->count == num_pieces()) make_seed(*peer);  // one O(N) pass, then O(1) for good
}

void PiecePicker::peer_have_all(PeerKey key) {
  Peer* peer = find(key);
  if (peer != nullptr && !peer->seed) make_seed(*peer);
}

void PiecePicker::peer_have_none(PeerKey key) {
  if (Peer* peer = find(key)) clear_peer_pieces(*peer);
}

void PiecePicker::peer_gone(PeerKey key) {
  Peer* peer = find(key);
  if (peer == nullptr) return;
  abort_requests(key);
  clear_peer_pieces(*peer);
  peer->live = false;
  ++peer->generation;
  free_slots_.push_back(key.slot);
  --live_peers_;
}

bool PiecePicker::peer_has(PeerKey key, PieceIndex p) const noexcept {
  const Peer* peer = find(key);
  return peer != nullptr && p.value >= 0 && p.value < num_pieces() && slot_has(*peer, p);
}

bool PiecePicker::is_interesting(PeerKey key) const noexcept {
  const Peer* peer = find(key);
  if (peer == nullptr) return false;
  return peer->seed ? wanted_missing_ > 0 : peer->wanted > 0;
}

bool PiecePicker::peer_is_seed(PeerKey key) const noexcept {
  const Peer* peer = find(key);
  return peer != nullptr && peer->seed;
}

// ---- Partial pieces and block events ----------------------------------------------------

PiecePicker::Partial& PiecePicker::start_partial(PieceIndex p) {
  if (fresh_->contains(p)) fresh_->erase(p, avail_[ix(p)]);
  if (num_partials_ == partials_.size()) partials_.emplace_back();
  Partial& partial = partials_[num_partials_];
  partial.piece = p;
  partial.blocks.assign(ux(blocks_.num_blocks(p)), BlockSlot{});
  partial.none = partial.size();
  partial.received = 0;
  partial.written = 0;
  partial_index_[ix(p)] = static_cast<std::int32_t>(num_partials_++);
  return partial;
}

void PiecePicker::forget_requests(Partial& partial) {
  for (BlockSlot& block : partial.blocks) {
    if (block.state != BlockState::requested) continue;
    for (std::size_t i = 0; i < block.num_requesters; ++i)
      --peers_[block.requesters[i]].outstanding;
    block.num_requesters = 0;
    block.state = BlockState::none;
    --requested_blocks_;
  }
}

void PiecePicker::drop_partial(PieceIndex p) {
  auto i = ux(partial_index_[ix(p)]);
  forget_requests(partials_[i]);
  std::size_t last = num_partials_ - 1;
  if (i != last) {
    std::swap(partials_[i], partials_[last]);
    partial_index_[ix(partials_[i].piece)] = static_cast<std::int32_t>(i);
  }
  partial_index_[ix(p)] = -1;
  --num_partials_;
}

void PiecePicker::remove_requester(BlockSlot& block, Partial& partial, std::uint32_t peer_slot) {
  for (std::size_t i = 0; i < block.num_requesters; ++i) {
    if (block.requesters[i] != peer_slot) continue;
    block.requesters[i] = block.requesters[block.num_requesters - 1U];
    --block.num_requesters;
    --peers_[peer_slot].outstanding;
    if (block.num_requesters == 0) {
      block.state = BlockState::none;
      ++partial.none;
      --requested_blocks_;
    }
    return;
  }
}

ReceiveResult PiecePicker::mark_block_received(Block block, PeerKey key) {
  ReceiveResult result;
  if (!blocks_.is_valid(block)) return result;
  Partial* partial = partial_of(block.piece);
  if (partial == nullptr) return result;  // have it, or never asked anyone for it
  BlockSlot& slot = partial->blocks[ux(block.index.value)];
  if (slot.state == BlockState::received || slot.state == BlockState::written) return result;
  bool from_live_peer = find(key) != nullptr;
  if (slot.state == BlockState::requested) {
    for (std::size_t i = 0; i < slot.num_requesters; ++i) {
      std::uint32_t other = slot.requesters[i];
      --peers_[other].outstanding;
      if (from_live_peer && other == key.slot) continue;
      result.cancel_storage[result.cancel_count++] = PeerKey{other, peers_[other].generation};
    }
    slot.num_requesters = 0;
    --requested_blocks_;
  } else {
    --partial->none;
  }
  slot.state = BlockState::received;
  ++partial->received;
  result.wanted = true;
  return result;
}

bool PiecePicker::mark_block_written(Block block) {
  if (!blocks_.is_valid(block)) return false;
  Partial* partial = partial_of(block.piece);
  if (partial == nullptr) return false;
  BlockSlot& slot = partial->blocks[ux(block.index.value)];
  if (slot.state != BlockState::received) return false;
  slot.state = BlockState::written;
  ++partial->written;
  return true;
}

void PiecePicker::abort_request(Block block, PeerKey key) {
  if (!blocks_.is_valid(block) || find(key) == nullptr) return;
  Partial* partial = partial_of(block.piece);
  if (partial == nullptr) return;
  BlockSlot& slot = partial->blocks[ux(block.index.value)];
  if (slot.state == BlockState::requested) remove_requester(slot, *partial, key.slot);
}

void PiecePicker::abort_requests(PeerKey key) {
  Peer* peer = find(key);
  if (peer == nullptr) return;
  for (std::size_t i = 0; i < num_partials_ && peer->outstanding > 0; ++i) {
    Partial& partial = partials_[i];
    if (partial.requested() == 0) continue;
    for (BlockSlot& slot : partial.blocks)
      if (slot.state == BlockState::requested && slot.requested_by(key.slot))
        remove_requester(slot, partial, key.slot);
  }
}

BlockState PiecePicker::block_state(Block block) const noexcept {
  if (!blocks_.is_valid(block)) return BlockState::none;
  if (have_[ix(block.piece)] != 0) return BlockState::written;
  const Partial* partial = partial_of(block.piece);
  return partial == nullptr ? BlockState::none : partial->blocks[ux(block.index.value)].state;
}

std::size_t PiecePicker::num_requests(Block block) const noexcept {
  if (!blocks_.is_valid(block)) return 0;
  const Partial* partial = partial_of(block.piece);
  return partial == nullptr ? 0 : partial->blocks[ux(block.index.value)].num_requesters;
}

std::size_t PiecePicker::outstanding_requests(PeerKey key) const noexcept {
  const Peer* peer = find(key);
  return peer == nullptr ? 0 : peer->outstanding;
}

bool PiecePicker::is_piece_complete(PieceIndex p) const noexcept {
  if (p.value < 0 || p.value >= num_pieces()) return false;
  if (have_[ix(p)] != 0) return true;
  const Partial* partial = partial_of(p);
  return partial != nullptr && partial->received == partial->size();
}

bool PiecePicker::is_piece_written(PieceIndex p) const noexcept {
  if (p.value < 0 || p.value >= num_pieces()) return false;
  if (have_[ix(p)] != 0) return true;
  const Partial* partial = partial_of(p);
  return partial != nullptr && partial->written == partial->size();
}

bool PiecePicker::in_endgame() const noexcept {
  if (requested_blocks_ == 0) return false;
  // A new wanted piece that some peer has means unrequested blocks are left.
  for (int priority = 1; priority <= max_priority; ++priority) {
    std::size_t all = fresh_->pieces(priority).size();
    if (all == 0) continue;
    if (seeds_ > 0 || all > fresh_->bucket(priority, 0).size()) return false;
  }
  for (std::size_t i = 0; i < num_partials_; ++i) {
    const Partial& partial = partials_[i];
    if (partial.none > 0 && prio(partial.piece) > 0 &&
        (seeds_ > 0 || avail_[ix(partial.piece)] > 0))
      return false;
  }
  return true;
}

// ---- Picking --------------------------------------------------------------------------

std::vector<BlockRequest> PiecePicker::pick(PeerKey key, std::size_t count, std::mt19937& rng,
                                            std::size_t max_new_pieces) {
  std::vector<BlockRequest> out;
  if (count == 0 || !is_interesting(key)) return out;
  out.reserve(std::min<std::size_t>(count, 1024));
  if (sequential_)
    pick_sequential(key.slot, count, max_new_pieces, out);
  else
    pick_ranked(key.slot, count, max_new_pieces, rng, out);
  if (out.size() < count && in_endgame()) pick_endgame(key.slot, count, out);
  return out;
}

std::vector<BlockRequest> PiecePicker::pick_piece(PeerKey key, std::mt19937& rng,
                                                  std::size_t max_new_pieces) {
  std::vector<BlockRequest> out;
  const auto piece_blocks = static_cast<std::size_t>(blocks_.blocks_per_piece());
  if (!is_interesting(key)) return out;
  if (sequential_ || max_new_pieces == 0) return pick(key, piece_blocks, rng, max_new_pieces);
  // A partial piece of a higher priority than any new one still comes first.
  const Peer& peer = peers_[key.slot];
  collect_partials(peer, false);
  int floor = 1;
  for (std::size_t i : scratch_partials_)
    floor = std::max(floor, prio(partials_[i].piece));
  for (int priority = max_priority; priority >= floor; --priority) {
    if (fresh_->pieces(priority).empty()) continue;
    scratch_pieces_.clear();
    collect_new(peer, priority, 1, rng, scratch_pieces_);
    if (scratch_pieces_.empty()) continue;
    take_blocks(start_partial(scratch_pieces_.front()), key.slot, piece_blocks, out);
    return out;
  }
  return pick(key, piece_blocks, rng, max_new_pieces);
}

void PiecePicker::take_blocks(Partial& partial, std::uint32_t slot, std::size_t count,
                              std::vector<BlockRequest>& out) {
  for (std::size_t b = 0; b < partial.blocks.size() && partial.none > 0; ++b) {
    if (out.size() >= count) return;
    BlockSlot& block = partial.blocks[b];
    if (block.state != BlockState::none) continue;
    block.state = BlockState::requested;
    block.num_requesters = 1;
    block.requesters[0] = slot;
    --partial.none;
    ++requested_blocks_;
    ++peers_[slot].outstanding;
    Block id{partial.piece, BlockIndex(static_cast<std::int32_t>(b))};
    out.push_back({id, BlockGeometry::block_offset(id.index), blocks_.block_length(id)});
  }
}

void PiecePicker::take_duplicates(Partial& partial, std::uint32_t slot, std::size_t count,
                                  std::vector<BlockRequest>& out) {
  for (std::size_t b = 0; b < partial.blocks.size(); ++b) {
    if (out.size() >= count) return;
    BlockSlot& block = partial.blocks[b];
    if (block.state != BlockState::requested || block.num_requesters >= max_requests_per_block ||
        block.requested_by(slot))
      continue;
    block.requesters[block.num_requesters++] = slot;
    ++peers_[slot].outstanding;
    Block id{partial.piece, BlockIndex(static_cast<std::int32_t>(b))};
    out.push_back({id, BlockGeometry::block_offset(id.index), blocks_.block_length(id)});
  }
}

// The partial pieces `peer` has that still offer something: unrequested blocks, or in
// endgame blocks in flight. Best first: higher priority, fewer blocks left (so pieces this
// peer can complete come first), rarer, lower index.
void PiecePicker::collect_partials(const Peer& peer, bool endgame) {
  scratch_partials_.clear();
  for (std::size_t i = 0; i < num_partials_; ++i) {
    const Partial& partial = partials_[i];
    std::int32_t offer = endgame ? partial.requested() : partial.none;
    if (offer > 0 && prio(partial.piece) > 0 && slot_has(peer, partial.piece))
      scratch_partials_.push_back(i);
  }
  auto left = [&](const Partial& partial) { return endgame ? partial.requested() : partial.none; };
  std::sort(scratch_partials_.begin(), scratch_partials_.end(), [&](std::size_t a, std::size_t b) {
    const Partial& x = partials_[a];
    const Partial& y = partials_[b];
    if (prio(x.piece) != prio(y.piece)) return prio(x.piece) > prio(y.piece);
    if (left(x) != left(y)) return left(x) < left(y);
    if (avail_[ix(x.piece)] != avail_[ix(y.piece)])
      return avail_[ix(x.piece)] < avail_[ix(y.piece)];
    return x.piece < y.piece;
  });
}

void PiecePicker::pick_ranked(std::uint32_t slot, std::size_t count, std::size_t max_new,
                              std::mt19937& rng, std::vector<BlockRequest>& out) {
  const Peer& peer = peers_[slot];
  collect_partials(peer, false);
  std::size_t next = 0;
  for (int priority = max_priority; priority > 0 && out.size() < count; --priority) {
    for (; next < scratch_partials_.size() &&
           prio(partials_[scratch_partials_[next]].piece) == priority && out.size() < count;
         ++next)
      take_blocks(partials_[scratch_partials_[next]], slot, count, out);
    if (out.size() >= count || max_new == 0 || fresh_->pieces(priority).empty()) continue;
    scratch_pieces_.clear();
    collect_new(peer, priority, static_cast<std::int64_t>(count - out.size()), rng,
                scratch_pieces_);
    if (scratch_pieces_.size() > max_new) scratch_pieces_.resize(max_new);
    max_new -= scratch_pieces_.size();
    for (PieceIndex p : scratch_pieces_)
      take_blocks(start_partial(p), slot, count, out);
  }
}

// New pieces of one priority level that `peer` has, about `blocks_needed` blocks' worth:
// at random while fewer than random_first_pieces are verified, else rarest first with a
// random start inside each availability bucket.
void PiecePicker::collect_new(const Peer& peer, int priority, std::int64_t blocks_needed,
                              std::mt19937& rng, std::vector<PieceIndex>& found) {
  auto take = [&](PieceIndex p) {
    found.push_back(p);
    blocks_needed -= blocks_.num_blocks(p);
  };
  if (num_have_ < random_first_pieces) {
    // Only seeds have the pieces of bucket 0 (no other peer has them).
    auto pool = fresh_->pieces(priority);
    if (!peer.seed) pool = pool.subspan(fresh_->bucket(priority, 0).size());
    while (blocks_needed > 0 && !pool.empty()) {
      std::size_t start = std::uniform_int_distribution<std::size_t>(0, pool.size() - 1)(rng);
      bool any = false;
      for (std::size_t k = 0; k < pool.size(); ++k) {
        PieceIndex p = pool[(start + k) % pool.size()];
        if (slot_has(peer, p) && std::find(found.begin(), found.end(), p) == found.end()) {
          take(p);
          any = true;
          break;
        }
      }
      if (!any) break;
    }
    return;
  }
  for (std::int32_t a = peer.seed ? 0 : 1; a < fresh_->num_buckets(priority) && blocks_needed > 0;
       ++a) {
    auto bucket = fresh_->bucket(priority, a);
    if (bucket.empty()) continue;
    std::size_t start = std::uniform_int_distribution<std::size_t>(0, bucket.size() - 1)(rng);
    for (std::size_t k = 0; k < bucket.size() && blocks_needed > 0; ++k) {
      PieceIndex p = bucket[(start + k) % bucket.size()];
      if (slot_has(peer, p)) take(p);
    }
  }
}

void PiecePicker::pick_sequential(std::uint32_t slot, std::size_t count, std::size_t max_new,
                                  std::vector<BlockRequest>& out) {
  const Peer& peer = peers_[slot];
  for (int priority = max_priority; priority > 0 && out.size() < count; --priority) {
    if (missing_by_priority_[ux(priority)] == 0) continue;
    for (PieceIndex p(seq_cursor_); p.value < num_pieces() && out.size() < count; ++p) {
      if (have_[ix(p)] != 0 || prio(p) != priority || !slot_has(peer, p)) continue;
      if (Partial* partial = partial_of(p)) {
        take_blocks(*partial, slot, count, out);
      } else if (max_new > 0) {
        --max_new;
        take_blocks(start_partial(p), slot, count, out);
      }
    }
  }
}

void PiecePicker::pick_endgame(std::uint32_t slot, std::size_t count,
                               std::vector<BlockRequest>& out) {
  collect_partials(peers_[slot], true);
  for (std::size_t i : scratch_partials_) {
    if (out.size() >= count) return;
    take_duplicates(partials_[i], slot, count, out);
  }
}

}  // namespace bitflow::piece
