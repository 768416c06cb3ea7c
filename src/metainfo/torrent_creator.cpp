// Torrent creation: list the content, hash its pieces on worker threads, encode.
//
// Threading: workers take piece indices from one atomic counter and write each digest
// into its own slot of a preallocated array, so they share nothing else. The calling
// thread only waits and reports progress. Reads use pread on descriptors opened per
// slice, so no file offset is shared between threads.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/metainfo.hpp"

namespace bitflow {

namespace fs = std::filesystem;
using metainfo::errc;

std::int64_t auto_piece_length(std::int64_t total_size) noexcept {
  constexpr std::int64_t min_piece = 16 << 10, max_piece = 16 << 20, target_pieces = 2000;
  std::int64_t piece = min_piece;
  while (piece < max_piece && total_size / piece > target_pieces)
    piece *= 2;
  return piece;
}

namespace {

struct ContentFile {
  fs::path source;
  std::vector<std::string> elements;  // path inside the torrent
  std::int64_t size;
};

class CreateError : public std::exception {
 public:
  CreateError(errc code, std::string message) : code_(code), message_(std::move(message)) {}
  errc code() const { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  errc code_;
  std::string message_;
};

std::vector<ContentFile> list_content(const fs::path& root) {
  std::error_code ec;
  auto status = fs::status(root, ec);
  if (ec) throw CreateError(errc::io_error, root.string() + ": " + ec.message());
  std::vector<ContentFile> files;
  if (fs::is_regular_file(status)) {
    files.push_back({root, {}, static_cast<std::int64_t>(fs::file_size(root))});
    return files;
  }
  if (!fs::is_directory(status))
    throw CreateError(errc::io_error, root.string() + ": not a regular file or folder");
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    ContentFile file{it->path(), {}, static_cast<std::int64_t>(it->file_size(ec))};
    for (const auto& element : it->path().lexically_relative(root))
      file.elements.push_back(element.string());
    files.push_back(std::move(file));
  }
  if (ec) throw CreateError(errc::io_error, root.string() + ": " + ec.message());
  if (files.empty()) throw CreateError(errc::no_files, root.string() + ": no files to share");
  std::sort(files.begin(), files.end(),
            [](const ContentFile& a, const ContentFile& b) { return a.elements < b.elements; });
  return files;
}

void read_exact(const fs::path& path, std::int64_t offset, char* out, std::int64_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw CreateError(errc::io_error, path.string() + ": " + std::strerror(errno));
  while (length > 0) {
    ssize_t n = ::pread(fd, out, static_cast<std::size_t>(length), offset);
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      throw CreateError(errc::io_error,
                        path.string() + (n == 0 ? ": file shrank while hashing"
                                                : ": " + std::string(std::strerror(err))));
    }
    out += n;
    offset += n;
    length -= n;
  }
  ::close(fd);
}

// Hashes every piece with `threads` workers; returns the concatenated SHA-1 digests.
std::string hash_pieces(const std::vector<ContentFile>& files, const Geometry& geometry,
                        unsigned threads, const CreateOptions& options) {
  std::string digests(static_cast<std::size_t>(geometry.num_pieces()) * 20, '\0');
  std::atomic<std::int32_t> next{0};
  std::atomic<std::int64_t> hashed{0};
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable done_cv;
  unsigned running = threads;
  std::optional<CreateError> failure;

  auto worker = [&] {
    std::string buffer(static_cast<std::size_t>(geometry.piece_length()), '\0');
    try {
      for (std::int32_t p; !stop && (p = next++) < geometry.num_pieces();) {
        PieceIndex piece(p);
        char* out = buffer.data();
        for (const FileSlice& s : geometry.map_piece(piece)) {
          read_exact(files[static_cast<std::size_t>(s.file.value)].source, s.offset, out, s.length);
          out += s.length;
        }
        auto size = geometry.piece_size(piece);
        Sha1Hash h = sha1(std::string_view(buffer.data(), static_cast<std::size_t>(size)));
        std::memcpy(digests.data() + 20 * static_cast<std::size_t>(p), h.bytes.data(), 20);
        hashed += size;
      }
    } catch (const CreateError& e) {
      std::lock_guard lock(mutex);
      if (!failure) failure = e;
      stop = true;
    }
    std::lock_guard lock(mutex);
    if (--running == 0) done_cv.notify_all();
  };

  std::vector<std::jthread> pool;
  for (unsigned i = 0; i < threads; ++i)
    pool.emplace_back(worker);
  std::unique_lock lock(mutex);
  while (!done_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return running == 0; })) {
    if (options.progress) {
      lock.unlock();
      options.progress(hashed.load(), geometry.total_size());
      lock.lock();
    }
  }
  lock.unlock();
  pool.clear();
  if (failure) throw *failure;
  if (options.progress) options.progress(geometry.total_size(), geometry.total_size());
  return digests;
}

bencode::Value string_list(const std::vector<std::string>& items) {
  bencode::Value::List list;
  for (const auto& s : items)
    list.emplace_back(s);
  return list;
}

std::string build(const fs::path& content, const CreateOptions& options) {
  fs::path root = fs::absolute(content).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();
  auto files = list_content(root);
  std::vector<std::int64_t> sizes;
  std::int64_t total = 0;
  for (const auto& f : files) {
    sizes.push_back(f.size);
    total += f.size;
  }
  if (total == 0) throw CreateError(errc::no_data, root.string() + ": every file is empty");
  std::int64_t piece_length =
      options.piece_length ? options.piece_length : auto_piece_length(total);
  if (piece_length < (16 << 10) || (piece_length & (piece_length - 1)) != 0 ||
      piece_length > (std::int64_t{1} << 30))
    throw CreateError(errc::invalid_piece_length,
                      "piece size must be a power of two from 16 KiB to 1 GiB");
  Geometry geometry(piece_length, sizes);
  unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::int64_t>(threads, geometry.num_pieces()));

  bencode::Value info;
  info["name"] = root.filename().string();
  info["piece length"] = piece_length;
  info["pieces"] = hash_pieces(files, geometry, threads, options);
  if (options.is_private) info["private"] = 1;
  if (fs::is_regular_file(root)) {
    info["length"] = total;
  } else {
    bencode::Value::List list;
    for (const auto& f : files) {
      bencode::Value entry;
      entry["length"] = f.size;
      entry["path"] = string_list(f.elements);
      list.push_back(std::move(entry));
    }
    info["files"] = std::move(list);
  }

  bencode::Value torrent;
  std::size_t tracker_count = 0;
  bencode::Value::List tiers;
  for (const auto& tier : options.trackers) {
    if (tier.empty()) continue;
    if (tracker_count == 0) torrent["announce"] = tier.front();
    tracker_count += tier.size();
    tiers.push_back(string_list(tier));
  }
  if (tracker_count > 1) torrent["announce-list"] = std::move(tiers);
  if (!options.web_seeds.empty()) torrent["url-list"] = string_list(options.web_seeds);
  if (!options.comment.empty()) torrent["comment"] = options.comment;
  if (!options.created_by.empty()) torrent["created by"] = options.created_by;
  if (options.creation_date) torrent["creation date"] = *options.creation_date;
  torrent["info"] = std::move(info);
  return bencode::encode(torrent);
}

}  // namespace

std::optional<std::string> create_torrent(const fs::path& content, const CreateOptions& options,
                                          ErrorInfo& error) {
  error.clear();
  try {
    return build(content, options);
  } catch (const CreateError& e) {
    error.code = metainfo::make_error_code(e.code());
    error.message = std::string("create: ") + e.what();
  } catch (const fs::filesystem_error& e) {
    error.code = metainfo::make_error_code(errc::io_error);
    error.message = std::string("create: ") + e.what();
  }
  return std::nullopt;
}

std::string create_torrent(const fs::path& content, const CreateOptions& options) {
  ErrorInfo error;
  auto bytes = create_torrent(content, options, error);
  if (!bytes) error.raise();
  return std::move(*bytes);
}

}  // namespace bitflow
