// check_existing: hash the data already on disk to find the pieces we have (see
// bitflow/storage.hpp). For a restart without a valid resume file.
//
// Invariants: each piece is claimed by exactly one worker (an atomic counter), which
// alone writes its result slot; a piece touching a file that does not exist is not read.
// Threading: `threads` std::jthreads share the Storage (which is thread-safe for
// concurrent reads); progress calls are serialised by a mutex; the first exception stops
// every worker and is rethrown on the calling thread after they have all been joined.
#include <algorithm>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>

#include "bitflow/storage.hpp"

namespace bitflow::storage {

namespace {

struct Checker {
  Checker(const TorrentInfo& t, Storage& s, const std::function<void(std::int32_t)>& p,
          std::atomic<bool>* c)
      : torrent(t), storage(s), progress(p), cancel(c) {}

  const TorrentInfo& torrent;
  Storage& storage;
  const std::function<void(std::int32_t)>& progress;
  std::atomic<bool>* cancel;

  std::vector<std::uint8_t> present;   // per file: Storage::file_exists
  std::vector<std::uint8_t> verified;  // per piece, written only by the piece's worker
  std::atomic<std::int32_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;  // guards done, failure and the progress calls
  std::int32_t done = 0;
  std::exception_ptr failure;

  bool verify(PieceIndex piece, std::vector<char>& buffer) {
    const Geometry& geometry = torrent.geometry();
    for (const FileSlice& slice : geometry.map_piece(piece))
      if (!present[static_cast<std::size_t>(slice.file.value)]) return false;
    const auto size = static_cast<std::size_t>(geometry.piece_size(piece));
    ErrorInfo error;
    if (!storage.read(piece, 0, std::span<char>(buffer.data(), size), error)) return false;
    return sha1(std::string_view(buffer.data(), size)) == torrent.piece_hash(piece);
  }

  void run() {
    try {
      std::vector<char> buffer(static_cast<std::size_t>(torrent.piece_length()));
      for (;;) {
        if (stop.load() || (cancel != nullptr && cancel->load())) return;
        std::int32_t p = next.fetch_add(1);
        if (p >= torrent.num_pieces()) return;
        verified[static_cast<std::size_t>(p)] = verify(PieceIndex(p), buffer) ? 1 : 0;
        std::lock_guard lock(mutex);
        ++done;
        if (progress) progress(done);
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  }
};

}  // namespace

std::vector<bool> check_existing(const TorrentInfo& torrent, Storage& storage, unsigned threads,
                                 const std::function<void(std::int32_t done)>& progress,
                                 std::atomic<bool>* cancel) {
  Checker checker(torrent, storage, progress, cancel);
  const auto num_files = static_cast<std::int32_t>(torrent.files().size());
  checker.present.resize(torrent.files().size());
  for (std::int32_t f = 0; f < num_files; ++f)
    checker.present[static_cast<std::size_t>(f)] = storage.file_exists(FileIndex(f)) ? 1 : 0;
  checker.verified.assign(static_cast<std::size_t>(torrent.num_pieces()), 0);

  const auto workers = std::clamp<std::int64_t>(threads, 1, std::max(torrent.num_pieces(), 1));
  {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(workers));
    for (std::int64_t i = 0; i < workers; ++i)
      pool.emplace_back([&checker] { checker.run(); });
  }  // joined here
  if (checker.failure) std::rethrow_exception(checker.failure);
  return std::vector<bool>(checker.verified.begin(), checker.verified.end());
}

}  // namespace bitflow::storage
