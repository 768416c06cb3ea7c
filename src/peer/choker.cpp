// Choker: the unchoke decision described in bitflow/choker.hpp.
//
// Job: turn a snapshot of peer statistics into the set of peers to unchoke, and remember the
// optimistic peer and when it was chosen across calls.
//
// Invariants:
//   * optimistic_ is set only after a decide() that returned it, and then optimistic_since_
//     is when it was chosen;
//   * decide() never returns a peer that is not interested, nor the same id twice (given
//     unique ids in the snapshot);
//   * the only source of randomness is rng_state_ (SplitMix64), so equal seeds and inputs
//     give equal decisions on every platform.
// Threading: none; see the header.
#include "bitflow/choker.hpp"

#include <algorithm>
#include <stdexcept>

namespace bitflow::peer {

namespace {

bool contains(const std::vector<std::uint64_t>& ids, std::uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<const PeerStats*> interested_peers(std::span<const PeerStats> peers) {
  std::vector<const PeerStats*> out;
  out.reserve(peers.size());
  for (const PeerStats& p : peers)
    if (p.interested) out.push_back(&p);
  return out;
}

}  // namespace

Choker::Choker(const ChokerSettings& settings, std::uint64_t seed)
    : settings_(settings), rng_state_(seed) {
  using std::chrono::seconds;
  if (settings.rechoke_interval < seconds{0} || settings.optimistic_interval < seconds{0} ||
      settings.snub_timeout < seconds{0} || settings.new_peer_window < seconds{0} ||
      settings.seed_turn < seconds{0})
    throw std::invalid_argument("choker: intervals must not be negative");
  if (settings.new_peer_weight < 1)
    throw std::invalid_argument("choker: new_peer_weight must be at least 1");
}

bool Choker::due(time_point now) const noexcept {
  return !last_decision_ || now - *last_decision_ >= settings_.rechoke_interval;
}

bool Choker::snubbed(const PeerStats& peer, time_point now) const noexcept {
  return now - peer.last_piece_received.value_or(peer.connected_at) >= settings_.snub_timeout;
}

std::vector<const PeerStats*> Choker::rank_downloading(std::span<const PeerStats> peers,
                                                       time_point now) const {
  std::vector<const PeerStats*> ranked = interested_peers(peers);
  std::stable_sort(ranked.begin(), ranked.end(), [&](const PeerStats* a, const PeerStats* b) {
    const bool snub_a = snubbed(*a, now);
    const bool snub_b = snubbed(*b, now);
    if (snub_a != snub_b) return snub_b;
    if (a->download_rate != b->download_rate) return a->download_rate > b->download_rate;
    return a->unchoked && !b->unchoked;
  });
  return ranked;
}

std::vector<const PeerStats*> Choker::rank_seeding(std::span<const PeerStats> peers,
                                                   time_point now) const {
  // The optimistic peer's turn is its optimistic interval, not a regular turn.
  auto in_turn = [&](const PeerStats& p) {
    return p.unchoked && p.last_unchoked && optimistic_ != p.id &&
           now - *p.last_unchoked < settings_.seed_turn;
  };
  std::vector<const PeerStats*> ranked = interested_peers(peers);
  std::stable_sort(ranked.begin(), ranked.end(), [&](const PeerStats* a, const PeerStats* b) {
    const bool turn_a = in_turn(*a);
    const bool turn_b = in_turn(*b);
    if (turn_a != turn_b) return turn_a;
    if (!turn_a && a->last_unchoked != b->last_unchoked) {
      if (!a->last_unchoked) return true;  // never unchoked: first in line
      if (!b->last_unchoked) return false;
      return *a->last_unchoked < *b->last_unchoked;
    }
    return a->upload_rate > b->upload_rate;
  });
  return ranked;
}

std::vector<std::uint64_t> Choker::decide(std::span<const PeerStats> peers, bool seeding,
                                          time_point now) {
  last_decision_ = now;
  const std::vector<const PeerStats*> ranked =
      seeding ? rank_seeding(peers, now) : rank_downloading(peers, now);
  std::size_t slots = ranked.size();
  if (settings_.upload_slots >= 0)
    slots = std::min(slots, static_cast<std::size_t>(settings_.upload_slots));

  std::vector<std::uint64_t> unchoke;
  unchoke.reserve(slots + 1);
  for (std::size_t i = 0; i < slots; ++i)
    unchoke.push_back(ranked[i]->id);

  if (settings_.optimistic_unchoke)
    choose_optimistic(peers, unchoke, now);
  else
    optimistic_.reset();
  if (optimistic_) unchoke.push_back(*optimistic_);
  return unchoke;
}

void Choker::choose_optimistic(std::span<const PeerStats> peers,
                               const std::vector<std::uint64_t>& regular, time_point now) {
  const std::optional<std::uint64_t> previous = optimistic_;
  if (previous && now - optimistic_since_ < settings_.optimistic_interval &&
      !contains(regular, *previous)) {
    const bool still_wants = std::any_of(peers.begin(), peers.end(), [&](const PeerStats& p) {
      return p.id == *previous && p.interested;
    });
    if (still_wants) return;
  }
  optimistic_.reset();

  // Candidates: interested peers outside the regular slots. First tier: those we choke now
  // (other than the outgoing optimistic peer); if there are none, any candidate.
  std::vector<const PeerStats*> pool;
  for (int tier = 0; tier < 2 && pool.empty(); ++tier) {
    for (const PeerStats& p : peers) {
      if (!p.interested || contains(regular, p.id)) continue;
      if (tier == 0 && (p.unchoked || p.id == previous)) continue;
      pool.push_back(&p);
    }
  }
  if (pool.empty()) return;

  auto weight = [&](const PeerStats& p) -> std::uint64_t {
    const bool fresh = now - p.connected_at < settings_.new_peer_window;
    return fresh ? static_cast<std::uint64_t>(settings_.new_peer_weight) : 1;
  };
  std::uint64_t total = 0;
  for (const PeerStats* p : pool)
    total += weight(*p);
  std::uint64_t r = next_random() % total;
  for (const PeerStats* p : pool) {
    const std::uint64_t w = weight(*p);
    if (r < w) {
      optimistic_ = p->id;
      optimistic_since_ = now;
      return;
    }
    r -= w;
  }
}

std::uint64_t Choker::next_random() noexcept {
  // SplitMix64 (Steele, Lea, Flood 2014).
  std::uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace bitflow::peer
