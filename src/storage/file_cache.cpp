// FileCache: see file_cache.hpp. Invariant: index_ maps exactly the keys in lru_ to their
// list node, and lru_.size() <= capacity_ after every call. Descriptors are closed
// outside the mutex (evicted entries are destroyed after the lock is released).
#include "storage/file_cache.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace bitflow::storage::detail {

FileCache::FileCache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::shared_ptr<OpenFile> FileCache::find(std::int32_t key, bool need_write) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (need_write && !it->second->file->writable) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->file;
}

std::shared_ptr<OpenFile> FileCache::insert(std::int32_t key, std::shared_ptr<OpenFile> file) {
  List evicted;  // destroyed (closing descriptors) after the lock is released
  std::shared_ptr<OpenFile> result;
  {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it != index_.end()) {
      auto& cached = it->second->file;
      if (cached->writable || !file->writable) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return cached;  // `file` closes when this returns, outside the lock
      }
      std::swap(cached, file);  // upgrade to the writable descriptor
      lru_.splice(lru_.begin(), lru_, it->second);
      result = cached;
    } else {
      lru_.push_front(Entry{key, std::move(file)});
      index_.emplace(key, lru_.begin());
      result = lru_.front().file;
    }
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().key);
      evicted.splice(evicted.begin(), lru_, std::prev(lru_.end()));
    }
  }
  return result;
}

void FileCache::clear() {
  List evicted;
  {
    std::lock_guard lock(mutex_);
    evicted.swap(lru_);
    index_.clear();
  }
}

std::size_t FileCache::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace bitflow::storage::detail
