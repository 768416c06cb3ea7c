// ReadCache: see read_cache.hpp. Invariant: bytes_ is the sum of the sizes in lru_, and
// index_ holds exactly the pieces in lru_.
#include "session/read_cache.hpp"

namespace bitflow::session {

std::shared_ptr<const PieceBuffer> ReadCache::get(std::int32_t piece) {
  auto it = index_.find(piece);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->data;
}

void ReadCache::put(std::int32_t piece, std::shared_ptr<const PieceBuffer> data) {
  if (auto it = index_.find(piece); it != index_.end()) erase(it->second);
  if (!data || data->size() > budget_) return;
  bytes_ += data->size();
  lru_.push_front(Entry{piece, std::move(data)});
  index_[piece] = lru_.begin();
  while (bytes_ > budget_)
    erase(std::prev(lru_.end()));
}

void ReadCache::clear() {
  lru_.clear();
  index_.clear();
  bytes_ = 0;
}

void ReadCache::erase(std::list<Entry>::iterator it) {
  bytes_ -= it->data->size();
  index_.erase(it->piece);
  lru_.erase(it);
}

}  // namespace bitflow::session
