// bitflow/choker.hpp — which peers we upload to (unchoke), and which we choke.
//
// The Choker is given, every rechoke, a snapshot of the torrent's connected peers (a span of
// PeerStats) and returns the ids of the peers to unchoke; every other peer is choked. Only
// interested peers (they want something we have) are ever given a slot.
//
// The algorithm. There are upload_slots regular slots plus one optimistic slot.
//   Downloading (tit-for-tat). The regular slots go to the interested peers we download from
//     fastest (PeerStats::download_rate). A peer is snubbed when it has sent us no piece data
//     for snub_timeout (counted from when it connected if it never sent any): it ranks after
//     every peer that is not snubbed, whatever its rate, so it keeps a regular slot only when
//     there are more slots than unsnubbed interested peers. Ties: faster first, then a peer
//     already unchoked (less churn), then input order.
//   Seeding (round robin). Nobody sends us data, so the slots rotate. A peer unchoked for less
//     than seed_turn keeps its slot (the fastest of them first if the slots shrank); the free
//     slots go to the other interested peers, longest since they were last unchoked first
//     (never unchoked before anyone), ties by upload_rate (fastest first), then input order.
//     With P interested peers, S regular slots and a turn of T rechokes
//     (T = ceil(seed_turn / rechoke_interval)), every interested peer is unchoked within
//     about ceil(P / S) * T rechokes. Snubbing does not apply while seeding.
//   Optimistic unchoke (both modes). One extra interested peer outside the regular slots is
//     unchoked so that new peers get a chance to prove themselves. It is kept across
//     decide() calls until optimistic_interval has passed since it was chosen, or until it
//     disconnects, loses interest or earns a regular slot; then a new one is drawn at random
//     among the interested peers outside the regular slots, preferring those we currently
//     choke (PeerStats::unchoked false). A peer connected for less than new_peer_window
//     weighs new_peer_weight times as much as the others in that draw. The random numbers
//     come from a generator owned by the Choker and seeded in its constructor (SplitMix64,
//     the same on every platform), so a given seed and inputs always give the same result.
//   upload_slots < 0 unchokes every interested peer (no optimistic slot is needed);
//   upload_slots == 0 leaves only the optimistic slot; optimistic_unchoke = false disables it.
//
// Timing. The caller calls decide() when due() says so (every rechoke_interval), and may call
// it early when a peer leaves or its interest changes; each call restarts the rechoke
// interval. The optimistic peer rotates at the first decide() at or after its interval ends.
//
// Threading: Choker is a plain, pure state machine: no I/O, no clocks (time is passed in),
// no threads. It is not thread-safe; the torrent that owns it calls it from its strand.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace bitflow::peer {

/// What the choker needs to know about one connected peer, as the caller measured it.
struct PeerStats {
  using time_point = std::chrono::steady_clock::time_point;

  std::uint64_t id = 0;            ///< the caller's name for the peer; unique in one snapshot
  bool interested = false;         ///< the peer is interested in us (wants what we have)
  bool unchoked = false;           ///< we currently unchoke it
  std::int64_t download_rate = 0;  ///< bytes/s of piece data we receive from it
  std::int64_t upload_rate = 0;    ///< bytes/s of piece data we send to it
  time_point connected_at{};
  std::optional<time_point> last_piece_received;  ///< nullopt: none yet
  std::optional<time_point> last_unchoked;        ///< last choked -> unchoked; nullopt: never
};

struct ChokerSettings {
  /// Regular upload slots; < 0 unchokes every interested peer.
  int upload_slots = 4;
  /// One extra, rotating, optimistic slot.
  bool optimistic_unchoke = true;
  std::chrono::seconds rechoke_interval{10};
  std::chrono::seconds optimistic_interval{30};
  /// Downloading: no piece data for this long and a peer is snubbed.
  std::chrono::seconds snub_timeout{60};
  /// Peers connected for less than this are favoured for the optimistic slot...
  std::chrono::seconds new_peer_window{60};
  /// ...by this factor (>= 1).
  int new_peer_weight = 3;
  /// Seeding: how long a peer keeps its regular slot before it is rotated out.
  std::chrono::seconds seed_turn{30};
};

class Choker {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Throws std::invalid_argument for a negative interval or new_peer_weight < 1.
  Choker(const ChokerSettings& settings, std::uint64_t seed);

  [[nodiscard]] const ChokerSettings& settings() const noexcept { return settings_; }

  /// True when decide() has never been called, or rechoke_interval has passed since the last
  /// call.
  [[nodiscard]] bool due(time_point now) const noexcept;

  /// Decides who is unchoked from now on (see the algorithm above): the regular slots, best
  /// first, then the optimistic peer if any. Every peer not returned is to be choked. Peers
  /// that are not interested are never returned. `peers` may be empty.
  [[nodiscard]] std::vector<std::uint64_t> decide(std::span<const PeerStats> peers, bool seeding,
                                                  time_point now);

  /// The optimistically unchoked peer chosen by the last decide(), if any.
  [[nodiscard]] std::optional<std::uint64_t> optimistic() const noexcept { return optimistic_; }

 private:
  [[nodiscard]] bool snubbed(const PeerStats& peer, time_point now) const noexcept;
  [[nodiscard]] std::vector<const PeerStats*> rank_downloading(std::span<const PeerStats> peers,
                                                               time_point now) const;
  [[nodiscard]] std::vector<const PeerStats*> rank_seeding(std::span<const PeerStats> peers,
                                                           time_point now) const;
  void choose_optimistic(std::span<const PeerStats> peers,
                         const std::vector<std::uint64_t>& regular, time_point now);
  [[nodiscard]] std::uint64_t next_random() noexcept;

  ChokerSettings settings_;
  std::uint64_t rng_state_;
  std::optional<time_point> last_decision_;
  std::optional<std::uint64_t> optimistic_;
  time_point optimistic_since_{};
};

}  // namespace bitflow::peer
