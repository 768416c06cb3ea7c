// The open-file cache of a Storage: an LRU of shared, reference-counted descriptors,
// keyed by file index (the side file has its own key). Internal.
//
// Thread-safe: every member takes the cache's mutex. Files are opened by the caller
// outside the lock and then offered with insert(); a descriptor evicted while a caller
// still holds it is closed when the caller lets go of it, never under its feet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "storage/fs_util.hpp"

namespace bitflow::storage::detail {

struct OpenFile {
  Fd fd;
  bool writable = false;
  // Writes through this descriptor take turns: concurrent pwrites to one file only
  // contend on its inode lock (measured: 10 % of the time spinning), while writes to
  // different files and all hashing stay parallel.
  std::mutex write_lock;
  std::int64_t unflushed = 0;  // bytes written since writeback was last started (write_lock)
};

class FileCache {
 public:
  /// Keeps at most `capacity` (at least 1) descriptors open.
  explicit FileCache(std::size_t capacity);

  /// The cached file for `key`, now the most recently used; null on a miss, or when
  /// `need_write` and the cached descriptor is read-only.
  [[nodiscard]] std::shared_ptr<OpenFile> find(std::int32_t key, bool need_write);
  /// Caches `file` for `key` and returns what the caller should use: `file`, or an entry
  /// another thread cached meanwhile that serves as well. Evicts the least recently used
  /// entries beyond the capacity.
  std::shared_ptr<OpenFile> insert(std::int32_t key, std::shared_ptr<OpenFile> file);
  /// Forgets every entry (their descriptors close once no caller holds them).
  void clear();
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::int32_t key;
    std::shared_ptr<OpenFile> file;
  };
  using List = std::list<Entry>;  // most recently used first

  std::size_t capacity_;
  mutable std::mutex mutex_;
  List lru_;
  std::unordered_map<std::int32_t, List::iterator> index_;
};

}  // namespace bitflow::storage::detail
