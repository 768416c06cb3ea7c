// bitflow/metadata_assembler.hpp — fetching a torrent's info dictionary from peers with
// BEP 9 ut_metadata, for a magnet link: which piece to ask which peer for, collecting the
// 16 KiB pieces they send, and checking the whole against the info-hash.
//
// The assembler is a pure state machine: no I/O, no clock (the time is an argument), no
// threads. It is not thread-safe; the torrent that owns it calls it from its strand. It
// knows peers only by a MetadataPeer key the caller picks (unique per connection).
//
// Typical use: on each peer's extended handshake call set_size(metadata_size); while
// next_piece_to_request(peer, now) gives a piece, send that peer a MetadataRequest; feed
// every MetadataData to on_data() and every MetadataReject to on_reject(); call
// peer_gone() when a connection closes. on_data() returning complete means
// take_metadata() holds the verified info dictionary; hash_mismatch means someone lied:
// suspects() names every peer that contributed a piece, and the fetch starts over.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/hash.hpp"

namespace bitflow::peer {

/// A peer as the assembler knows it; any value unique per connection.
struct MetadataPeer {
  std::uint64_t id = 0;
  friend auto operator<=>(MetadataPeer, MetadataPeer) = default;
};

/// What on_data() did with a piece.
enum class MetadataResult {
  accepted,               ///< stored; more pieces are needed
  complete,               ///< the last piece arrived and the SHA-1 matched: take_metadata()
  duplicate,              ///< the piece was already stored, or the metadata is complete: ignored
  rejected_out_of_range,  ///< the piece index lies outside the metadata
  rejected_bad_size,      ///< total_size is not the size we hold (or is invalid), or the data
                          ///< is not exactly the piece's length (16 KiB, the last the rest)
  hash_mismatch,          ///< all pieces arrived but their SHA-1 is not the info-hash: all
                          ///< pieces and the size were dropped; see suspects()
};

class MetadataAssembler {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::int64_t default_max_size = 16 * 1024 * 1024;
  static constexpr Clock::duration default_request_timeout = std::chrono::seconds(30);

  /// `max_size` is the largest metadata accepted (clamped to 1..max_metadata_size of
  /// bitflow/extension.hpp); a request not answered within `request_timeout` is handed
  /// to the next peer that asks.
  explicit MetadataAssembler(Sha1Hash info_hash, std::int64_t max_size = default_max_size,
                             Clock::duration request_timeout = default_request_timeout);

  [[nodiscard]] bool size_known() const noexcept { return size_ != 0; }
  /// The metadata's size in bytes; 0 while unknown.
  [[nodiscard]] std::int64_t size() const noexcept { return size_; }
  /// Pieces of 16 KiB in the metadata; 0 while the size is unknown.
  [[nodiscard]] std::int32_t num_pieces() const noexcept;
  [[nodiscard]] std::int32_t pieces_received() const noexcept { return received_; }
  [[nodiscard]] bool complete() const noexcept { return complete_; }

  /// Adopts a size a peer announced (its handshake's metadata_size). Returns false for a
  /// size outside 1..max_size, and for one that differs from the size already held: the
  /// first size stands until a hash mismatch or reset() drops it.
  bool set_size(std::int64_t size);
  /// A piece for `peer` to request: one that is neither stored nor requested from a peer
  /// within the last request_timeout (each piece is out with one peer at a time). nullopt
  /// while the size is unknown, once complete, or when every piece is taken. The caller
  /// decides how many pieces one peer may have out, and not to ask a peer that rejected.
  [[nodiscard]] std::optional<std::int32_t> next_piece_to_request(MetadataPeer peer,
                                                                  Clock::time_point now);
  /// A piece arrived (whether or not it was requested from this peer). If the size is still
  /// unknown, `total_size` is offered to set_size() first.
  [[nodiscard]] MetadataResult on_data(MetadataPeer peer, std::int32_t piece,
                                       std::int64_t total_size, std::string_view data);
  /// The peer refused `piece`: it is free for another peer.
  void on_reject(MetadataPeer peer, std::int32_t piece);
  /// The peer is gone: every piece it was asked for is free again.
  void peer_gone(MetadataPeer peer);
  /// After a hash_mismatch: every peer whose piece went into the bad metadata, sorted.
  [[nodiscard]] const std::vector<MetadataPeer>& suspects() const noexcept { return suspects_; }
  /// The verified info dictionary once complete() (moved out: a second call gives "").
  [[nodiscard]] std::string take_metadata();
  /// Forgets the size and every piece and request, to start over (suspects are kept).
  void reset();

 private:
  struct Slot {
    bool received = false;
    std::optional<MetadataPeer> holder;  // asked for it, until `deadline`
    Clock::time_point deadline{};
    MetadataPeer source;  // who sent the stored piece
  };
  [[nodiscard]] MetadataResult verify();

  Sha1Hash info_hash_;
  std::int64_t max_size_;
  Clock::duration request_timeout_;
  std::int64_t size_ = 0;
  std::int32_t received_ = 0;
  bool complete_ = false;
  std::vector<Slot> slots_;
  std::string buffer_;
  std::vector<MetadataPeer> suspects_;
};

}  // namespace bitflow::peer
