// PieceAssembly — one piece being received: its bytes, which peer sent each block, and
// the SHA-1 of its in-order prefix, computed on the disk pool while the rest arrives, so
// that a completed piece needs only the last step of its hash. Internal to the engine.
//
// Threading: the network thread owns every member except `hasher`. While `hashing` is
// set, exactly one disk-pool job updates `hasher` with bytes [hashed, contiguous as it was
// when the job was posted); the network thread meanwhile only writes blocks at or past
// `contiguous`, which that job never reads. The job's post back to the network thread
// (asio::post both ways) orders its reads and `hasher` before the next job.
// Shared (std::shared_ptr) between the torrent and its jobs, so a job never outlives it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bitflow/hash.hpp"
#include "session/piece_buffer.hpp"

namespace bitflow::session {

struct PieceAssembly {
  PieceAssembly(std::size_t piece_size, std::size_t num_blocks, std::size_t block_size)
      : data(piece_size), sender(num_blocks), received(num_blocks, 0), block_size_(block_size) {}

  /// Records block `index` as received (its bytes already copied into `data`) from the
  /// peer numbered `from`, and extends `contiguous` over every block now in order.
  void mark_received(std::size_t index, std::uint32_t from) {
    received[index] = 1;
    sender[index] = from;
    std::size_t next = contiguous / block_size_;
    while (next < received.size() && received[next] != 0)
      ++next;
    contiguous = next == received.size() ? data.size() : next * block_size_;
  }
  [[nodiscard]] bool complete() const noexcept { return contiguous == data.size(); }

  PieceBuffer data;
  std::vector<std::uint32_t> sender;   // per block: TorrentImpl's number for the sender
  std::vector<std::uint8_t> received;  // per block: 1 once its bytes are in `data`
  std::size_t contiguous = 0;          // bytes [0, contiguous) have all arrived
  std::size_t hashed = 0;              // bytes [0, hashed) are in `hasher`
  bool hashing = false;                // a disk-pool job is updating `hasher`
  Sha1Hasher hasher;

 private:
  std::size_t block_size_;
};

}  // namespace bitflow::session
