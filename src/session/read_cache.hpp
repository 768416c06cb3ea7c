// ReadCache — verified pieces kept in memory for serving peers: least recently used
// pieces go first once the byte budget is exceeded.
//
// Why whole pieces: peers ask for a piece's blocks one after another, so one read of the
// piece (a single large pread) serves the next requests from memory; pieces we have just
// downloaded and written go in too while a connected peer lacks them, which is what a
// swarm asks for next. Pure data
// structure: no I/O, no threads (the network thread owns it).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

#include "session/piece_buffer.hpp"

namespace bitflow::session {

class ReadCache {
 public:
  explicit ReadCache(std::size_t budget_bytes) : budget_(budget_bytes) {}

  /// The cached piece (and it becomes the most recently used), or null.
  [[nodiscard]] std::shared_ptr<const PieceBuffer> get(std::int32_t piece);
  /// Adds or replaces a piece, then evicts least recently used pieces over the budget (a
  /// piece larger than the whole budget is not kept).
  void put(std::int32_t piece, std::shared_ptr<const PieceBuffer> data);
  void clear();

  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

 private:
  struct Entry {
    std::int32_t piece;
    std::shared_ptr<const PieceBuffer> data;
  };
  void erase(std::list<Entry>::iterator it);

  std::size_t budget_;
  std::size_t bytes_ = 0;
  std::list<Entry> lru_;  // front: most recently used
  std::unordered_map<std::int32_t, std::list<Entry>::iterator> index_;
};

}  // namespace bitflow::session
