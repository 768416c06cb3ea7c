// Storage: a torrent's pieces on the local file system (see bitflow/storage.hpp).
//
// Job: turn (piece, offset, bytes) into positional reads and writes on the torrent's files,
// the side file for skipped files, or nothing at all for pad files.
//
// Invariants:
//   * files_[i].rel is the file's path relative to save_path_, normalised and checked to
//     stay under it (detail::resolve_under), or empty when the torrent's path was refused;
//     every open goes through detail::open_file, which refuses symlinks below save_path_;
//   * a file is skipped exactly when priorities_[i] == 0; its bytes then live in the side
//     file at their content-stream offset (cache key parts_key);
//   * dirty_[i] (dirty_.back() for the side file) is set after a write to that file and
//     cleared by a successful sync().
// Threading: any number of threads may call read/write/file_exists/sync at once. mutex_
// guards priorities_ and dirty_, the FileCache has its own mutex, all I/O is positional
// and runs outside both locks.
#include "bitflow/storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <stdexcept>
#include <utility>

#include "bitflow/resume.hpp"
#include "storage/file_cache.hpp"
#include "storage/fs_util.hpp"
#include "util/error_category.hpp"

namespace bitflow::storage {

namespace fs = std::filesystem;
using detail::fail;
using detail::quoted;

namespace {

constexpr std::int32_t parts_key = -1;
// Writeback of a file's dirty pages is started after this many bytes written to it.
constexpr std::int64_t writeback_step = 8 << 20;

// Reserves a file's blocks when it is first opened for writing, so that pieces arriving
// in any order do not grow it as a fragmented sparse file. FALLOC_FL_KEEP_SIZE leaves its
// size alone (a partial download keeps the size of what was written, as before). Best
// effort: file systems without fallocate, or a full disk, show up on the writes instead.
void preallocate(int fd, std::int64_t size) {
  struct stat st {};
  if (size <= 0 || ::fstat(fd, &st) != 0 || st.st_blocks * 512 >= size) return;
  (void)::fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(size));
}

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::invalid_range:
      return "piece range outside the torrent";
    case errc::path_escape:
      return "path leads outside the save folder";
    case errc::symlink_refused:
      return "refusing a symlink or non-folder in a path";
    case errc::missing_file:
      return "file does not exist";
    case errc::short_read:
      return "file is shorter than expected";
    case errc::open_failed:
      return "cannot open or create a file";
    case errc::write_failed:
      return "cannot write to a file";
    case errc::read_failed:
      return "cannot read from a file";
    case errc::remove_failed:
      return "cannot delete a file or folder";
    case errc::resume_malformed:
      return "malformed resume data";
    case errc::resume_wrong_torrent:
      return "resume data belongs to another torrent";
    case errc::resume_wrong_geometry:
      return "resume data does not match the torrent's pieces or files";
    case errc::already_exists:
      return "the file already exists";
  }
  return nullptr;
}

std::vector<int> checked_priorities(std::vector<int> priorities, std::size_t files) {
  if (priorities.empty()) return std::vector<int>(files, 4);
  if (priorities.size() != files)
    throw std::invalid_argument("storage: " + std::to_string(priorities.size()) +
                                " file priorities for " + std::to_string(files) + " files");
  for (int p : priorities)
    if (p < 0 || p > 7)
      throw std::invalid_argument("storage: file priority " + std::to_string(p) + " outside 0..7");
  return priorities;
}

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("storage", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

fs::path parts_file_path(const fs::path& save_path, const Sha1Hash& info_hash) {
  return save_path / state_folder / (info_hash.hex() + ".parts");
}

Storage::Storage(const TorrentInfo& torrent, fs::path save_path, std::vector<int> file_priorities,
                 StorageOptions options)
    : info_hash_(torrent.info_hash()),
      geometry_(torrent.geometry()),
      save_path_(std::move(save_path)),
      parts_rel_(parts_file_path(fs::path(), info_hash_)),
      cache_(std::make_unique<detail::FileCache>(options.max_open_files)),
      priorities_(checked_priorities(std::move(file_priorities), torrent.files().size())),
      dirty_(torrent.files().size() + 1, false) {
  files_.reserve(torrent.files().size());
  for (const FileEntry& entry : torrent.files()) {
    FileInfo file;
    file.path = entry.path;
    if (auto rel = detail::resolve_under(save_path_, entry.path)) file.rel = std::move(*rel);
    file.size = entry.size;
    file.pad = entry.pad;
    file.executable = entry.executable;
    files_.push_back(std::move(file));
  }
}

Storage::~Storage() = default;

bool Storage::check_range(PieceIndex piece, std::uint32_t offset, std::size_t length,
                          ErrorInfo& error) const {
  if (piece.value < 0 || piece.value >= geometry_.num_pieces())
    return fail(error, errc::invalid_range,
                "piece " + std::to_string(piece.value) + " is outside the torrent (" +
                    std::to_string(geometry_.num_pieces()) + " pieces)");
  std::int64_t size = geometry_.piece_size(piece);
  if (length > static_cast<std::uint64_t>(size) ||
      std::int64_t{offset} > size - static_cast<std::int64_t>(length))
    return fail(error, errc::invalid_range,
                std::to_string(length) + " bytes at offset " + std::to_string(offset) +
                    " run past the end of piece " + std::to_string(piece.value) + " (" +
                    std::to_string(size) + " bytes)");
  return true;
}

bool Storage::skipped(std::size_t file) const {
  std::lock_guard lock(mutex_);
  return priorities_[file] == 0;
}

void Storage::mark_dirty(std::int32_t key) {
  std::lock_guard lock(mutex_);
  dirty_[key == parts_key ? files_.size() : static_cast<std::size_t>(key)] = true;
}

std::shared_ptr<detail::OpenFile> Storage::acquire(std::int32_t key, bool write, ErrorInfo& error) {
  if (auto cached = cache_->find(key, write)) return cached;
  const bool parts = key == parts_key;
  const FileInfo* info = parts ? nullptr : &files_[static_cast<std::size_t>(key)];
  const fs::path& rel = parts ? parts_rel_ : info->rel;
  if (rel.empty()) {
    fail(error, errc::path_escape,
         "refusing the path '" + info->path + "': it leads outside '" + save_path_.string() + "'");
    return nullptr;
  }
  auto file = std::make_shared<detail::OpenFile>();
  file->writable = true;
  if (write) {
    mode_t mode = info && info->executable ? 0755 : 0644;
    file->fd = detail::open_file(save_path_, rel, O_RDWR | O_CREAT, mode, error);
    if (file->fd && info != nullptr) preallocate(file->fd.get(), info->size);
  } else {
    file->fd = detail::open_file(save_path_, rel, O_RDWR, 0, error);
    if (!file->fd && error.code == errc::open_failed) {  // read-only file or file system
      ErrorInfo ignored;
      file->fd = detail::open_file(save_path_, rel, O_RDONLY, 0, ignored);
      file->writable = false;
      if (file->fd) error.clear();
    }
  }
  if (!file->fd) return nullptr;
  return cache_->insert(key, std::move(file));
}

bool Storage::transfer(PieceIndex piece, std::uint32_t offset, std::span<char> read_out,
                       std::span<const char> write_data, Mode mode, ErrorInfo& error) {
  const bool writing = mode == Mode::write;
  const std::size_t length = writing ? write_data.size() : read_out.size();
  if (!check_range(piece, offset, length, error)) return false;
  if (length == 0) return true;
  std::size_t done = 0;
  for (const FileSlice& slice :
       geometry_.map_piece(piece, offset, static_cast<std::int64_t>(length))) {
    const auto index = static_cast<std::size_t>(slice.file.value);
    const auto n = static_cast<std::size_t>(slice.length);
    const FileInfo& file = files_[index];
    if (file.pad) {  // never stored: dropped on write, zeros on read
      if (!writing) std::fill_n(read_out.begin() + static_cast<std::ptrdiff_t>(done), n, '\0');
      done += n;
      continue;
    }
    const bool skip = skipped(index);
    const std::int32_t key = skip ? parts_key : slice.file.value;
    const std::int64_t position =
        skip ? geometry_.file_offset(slice.file) + slice.offset : slice.offset;
    const fs::path& rel = skip ? parts_rel_ : file.rel;
    auto handle = acquire(key, writing, error);
    if (!handle) return false;
    if (writing) {
      std::lock_guard guard(handle->write_lock);
      if (!detail::pwrite_all(handle->fd.get(), write_data.subspan(done, n), position, rel, error))
        return false;
      // Every few MiB, start writing the file's dirty pages back (asynchronously) rather
      // than leaving a whole download's worth to the next sync(): that fsync then has
      // little left to do. Best effort: a failure here is only a missed hint.
      handle->unflushed += static_cast<std::int64_t>(n);
      if (handle->unflushed >= writeback_step) {
        (void)::sync_file_range(handle->fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
        handle->unflushed = 0;
      }
      mark_dirty(key);
    } else if (!detail::pread_all(handle->fd.get(), read_out.subspan(done, n), position, rel,
                                  error)) {
      return false;
    }
    done += n;
  }
  return true;
}

bool Storage::write(PieceIndex piece, std::uint32_t offset, std::span<const char> data,
                    ErrorInfo& error) {
  return transfer(piece, offset, {}, data, Mode::write, error);
}

void Storage::write(PieceIndex piece, std::uint32_t offset, std::span<const char> data) {
  ErrorInfo error;
  if (!write(piece, offset, data, error)) error.raise();
}

bool Storage::read(PieceIndex piece, std::uint32_t offset, std::span<char> out, ErrorInfo& error) {
  return transfer(piece, offset, out, {}, Mode::read, error);
}

void Storage::read(PieceIndex piece, std::uint32_t offset, std::span<char> out) {
  ErrorInfo error;
  if (!read(piece, offset, out, error)) error.raise();
}

std::vector<PieceIndex> Storage::set_file_priorities(std::vector<int> file_priorities) {
  auto next = checked_priorities(std::move(file_priorities), files_.size());
  std::vector<PieceIndex> affected;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < files_.size(); ++i) {
      if ((priorities_[i] == 0) == (next[i] == 0) || files_[i].pad) continue;
      PieceRange range = geometry_.pieces_of_file(FileIndex(static_cast<std::int32_t>(i)));
      for (PieceIndex p = range.first; p < range.last; ++p)
        affected.push_back(p);
    }
    priorities_ = std::move(next);
  }
  std::sort(affected.begin(), affected.end());
  affected.erase(std::unique(affected.begin(), affected.end()), affected.end());
  return affected;
}

std::vector<int> Storage::file_priorities() const {
  std::lock_guard lock(mutex_);
  return priorities_;
}

bool Storage::file_exists(FileIndex f) const {
  const FileInfo& file = files_.at(static_cast<std::size_t>(f.value));
  if (file.pad) return true;
  const fs::path& rel = skipped(static_cast<std::size_t>(f.value)) ? parts_rel_ : file.rel;
  if (rel.empty()) return false;
  auto st = detail::stat_under(save_path_, rel);
  return st && S_ISREG(st->st_mode);
}

bool Storage::create_empty_files(ErrorInfo& error) {
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const FileInfo& file = files_[i];
    if (file.size != 0 || file.pad || skipped(i)) continue;
    if (file.rel.empty())
      return fail(error, errc::path_escape, "refusing the path '" + file.path + "'");
    mode_t mode = file.executable ? 0755 : 0644;
    if (!detail::open_file(save_path_, file.rel, O_RDWR | O_CREAT, mode, error)) return false;
  }
  return true;
}

bool Storage::sync(ErrorInfo& error) {
  std::vector<std::int32_t> keys;
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < dirty_.size(); ++i) {
      if (!dirty_[i]) continue;
      keys.push_back(i == files_.size() ? parts_key : static_cast<std::int32_t>(i));
      dirty_[i] = false;
    }
  }
  bool ok = true;
  for (std::int32_t key : keys) {
    ErrorInfo failure;
    auto handle = acquire(key, false, failure);
    if (handle && ::fsync(handle->fd.get()) != 0) {
      const fs::path& rel =
          key == parts_key ? parts_rel_ : files_[static_cast<std::size_t>(key)].rel;
      fail(failure, errc::write_failed, "cannot sync " + quoted(rel) + ": " + errno_text(errno));
    } else if (handle || failure.code == errc::missing_file) {
      continue;  // synced, or deleted since it was written: nothing to flush
    }
    if (ok) error = std::move(failure);
    ok = false;
    mark_dirty(key);
  }
  return ok;
}

void Storage::release_files() {
  cache_->clear();
}

bool Storage::remove_files(ErrorInfo& error) {
  release_files();
  bool ok = true;
  auto note = [&](ErrorInfo failure) {
    if (ok) error = std::move(failure);
    ok = false;
  };
  auto note_failure = [&](const std::string& message) {
    ErrorInfo failure;
    fail(failure, errc::remove_failed, message);
    note(std::move(failure));
  };
  // Deletes a regular file, reached without symlinks; anything else at the path stays.
  auto remove_file = [&](const fs::path& rel) {
    ErrorInfo failure;
    detail::Fd dir = detail::open_folder(save_path_, rel.parent_path(), false, rel, failure);
    if (!dir) {
      if (failure.code == errc::open_failed) note(std::move(failure));
      return;  // missing, or behind a symlink: not ours
    }
    struct stat st {};
    const std::string name = rel.filename().string();
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
      return;
    if (::unlinkat(dir.get(), name.c_str(), 0) != 0 && errno != ENOENT)
      note_failure("cannot delete " + quoted(rel) + ": " + errno_text(errno));
  };
  // Removes a folder if it is empty.
  auto remove_folder = [&](const fs::path& rel) {
    ErrorInfo failure;
    detail::Fd dir = detail::open_folder(save_path_, rel.parent_path(), false, rel, failure);
    if (!dir) return;
    if (::unlinkat(dir.get(), rel.filename().c_str(), AT_REMOVEDIR) == 0) return;
    int e = errno;
    if (e != ENOENT && e != ENOTEMPTY && e != EEXIST && e != ENOTDIR)
      note_failure("cannot delete the folder " + quoted(rel) + ": " + errno_text(e));
  };

  std::set<fs::path> folders{fs::path(state_folder)};
  for (const FileInfo& file : files_) {
    if (file.rel.empty()) continue;
    if (!file.pad) remove_file(file.rel);
    for (fs::path p = file.rel.parent_path(); !p.empty(); p = p.parent_path())
      folders.insert(p);
  }
  fs::path resume_rel = resume_file_path(fs::path(), info_hash_);
  remove_file(parts_rel_);
  remove_file(resume_rel);
  fs::path resume_tmp_rel = resume_rel;
  resume_tmp_rel += ".tmp";
  remove_file(resume_tmp_rel);

  std::vector<fs::path> deepest_first(folders.begin(), folders.end());
  auto depth = [](const fs::path& p) { return std::distance(p.begin(), p.end()); };
  std::stable_sort(deepest_first.begin(), deepest_first.end(),
                   [&](const fs::path& a, const fs::path& b) { return depth(a) > depth(b); });
  for (const fs::path& folder : deepest_first)
    remove_folder(folder);
  return ok;
}

fs::path Storage::file_path(FileIndex f) const {
  const FileInfo& file = files_.at(static_cast<std::size_t>(f.value));
  return file.rel.empty() ? fs::path() : save_path_ / file.rel;
}

fs::path Storage::parts_path() const {
  return save_path_ / parts_rel_;
}

std::size_t Storage::open_file_count() const {
  return cache_->size();
}

}  // namespace bitflow::storage
