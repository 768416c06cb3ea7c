// bitflow/storage.hpp — a torrent's pieces on the local file system.
//
// Storage maps piece-relative byte ranges onto the torrent's files (Geometry::map_piece)
// and reads and writes them with positional I/O (pread/pwrite). It is synchronous by
// design: the engine calls it from its disk thread pool, never from the network thread.
//
// Where bytes go.
//   * A file of the torrent lives at save_path / FileEntry::path (already sanitised by the
//     metainfo parser) and is created, with its parent folders, when its first byte is
//     written. Its blocks are then reserved with fallocate(FALLOC_FL_KEEP_SIZE), so that
//     pieces arriving in any order do not fragment it; its size is still that of what has
//     been written (where the file system cannot reserve, the file simply grows sparsely).
//     Zero-length files never receive bytes; create_empty_files() creates them.
//   * Pad files (BEP 47) are never written: bytes written into them are dropped, and they
//     read as zeros.
//   * Bytes that fall into a skipped file (priority 0) go to the torrent's side file
//     "<save_path>/.bitflow/<info-hash hex>.parts" instead, at their offset in the content
//     stream (piece index × piece length + offset), so that a piece straddling a wanted
//     and a skipped file can still be written, read back and verified. Skipped files are
//     never created.
//
// Incomplete data. Files are written in place under their final names (as libtorrent and
// transmission do by default); there is no ".part" suffix and no rename on completion.
// A file on disk therefore says nothing about whether it is complete: the resume file
// (bitflow/resume.hpp) records which pieces were verified, and without a valid one the
// data is checked again (check_existing()).
//
// Changing priorities. set_file_priorities() may be called at any time. A file that
// changes between skipped and wanted changes where its bytes are read from and written
// to (side file ↔ its own file); bitflow does not move data between the two. Instead the
// call returns the pieces that hold bytes of such files: the engine must treat them as no
// longer verified, and downloads again those that are still wanted. (Un-skipping a file
// thus re-downloads the pieces it shares with its neighbours.)
//
// Safety. Every path is save_path / FileEntry::path; before use it is checked lexically
// (lexically_normal) to stay under save_path, and refused otherwise. Files are opened by
// walking the path one folder at a time from save_path with openat(O_NOFOLLOW): a symlink
// (or anything that is not a folder) where a parent folder should be is refused, and so is
// a symlink in place of the file itself, so a pre-planted link can never redirect a write
// outside save_path, even if it appears while the download runs. save_path itself is the
// caller's choice and may be a symlink.
//
// Open files. Up to StorageOptions::max_open_files descriptors are kept open in an LRU
// cache (O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode 0644, 0755 for BEP 47 executable
// files). A descriptor evicted while another thread is using it is closed when that use
// ends, so the bound can be exceeded briefly by the number of calls in flight.
//
// Threading. A Storage may be used from several threads at once (reads and writes of
// different pieces, or different blocks of one piece, concurrently): the open-file cache
// and the priorities are guarded by mutexes and all I/O is positional. Writes to one file
// take turns (a mutex per open file: concurrent pwrites to one file only contend in the
// kernel), writes to different files run in parallel, and every 8 MiB written to a file
// starts the writeback of its dirty pages, so that sync() has little left to do.
// Concurrent writes to the same bytes are the caller's to avoid. release_files() and remove_files()
// must not run while reads or writes are in flight.
//
// Errors. Every failure is an ErrorInfo with a storage::errc code and a message naming
// the file: "storage: cannot open 'root/a.txt' for writing: Permission denied".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/metainfo.hpp"

namespace bitflow::storage {

/// Why a storage (or resume) operation failed.
enum class errc {
  invalid_range = 1,      ///< a piece, offset or length outside the torrent
  path_escape,            ///< a file path that would land outside the save path
  symlink_refused,        ///< a symlink or non-folder where the path needs a folder or file
  missing_file,           ///< a file to read (or the resume file) does not exist
  short_read,             ///< a file ends before the bytes asked for
  open_failed,            ///< a file or folder could not be opened or created
  write_failed,           ///< pwrite/fsync failed (disk full, I/O error, ...)
  read_failed,            ///< pread failed
  remove_failed,          ///< a file or folder could not be deleted
  resume_malformed,       ///< resume data that is not what bitflow writes
  resume_wrong_torrent,   ///< resume data saved for another info-hash
  resume_wrong_geometry,  ///< resume data whose piece or file count differ from the torrent
  already_exists,         ///< a file to be created is already there (and may not be replaced)
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// The folder under the save path where bitflow keeps its per-torrent state (side files,
/// resume files).
inline constexpr const char* state_folder = ".bitflow";

/// "<save_path>/.bitflow/<info-hash hex>.parts": where bytes of skipped files go.
[[nodiscard]] std::filesystem::path parts_file_path(const std::filesystem::path& save_path,
                                                    const Sha1Hash& info_hash);

struct StorageOptions {
  /// Open file descriptors kept in the cache (at least 1).
  std::size_t max_open_files = 64;
};

namespace detail {
class FileCache;
struct OpenFile;
}  // namespace detail

class Storage {
 public:
  /// `file_priorities` has one entry per file of `torrent` (0 = skip, anything else =
  /// wanted) or is empty (every file wanted); any other size throws std::invalid_argument.
  /// Nothing is touched on disk until the first write.
  Storage(const TorrentInfo& torrent, std::filesystem::path save_path,
          std::vector<int> file_priorities = {}, StorageOptions options = {});
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  /// Writes `data` at byte `offset` of piece `piece`, across as many files as it spans,
  /// creating files and folders as needed. false (and `error`) on failure; bytes already
  /// written to earlier files of the range stay written.
  [[nodiscard]] bool write(PieceIndex piece, std::uint32_t offset, std::span<const char> data,
                           ErrorInfo& error);
  /// Throwing form: bitflow::Error on failure.
  void write(PieceIndex piece, std::uint32_t offset, std::span<const char> data);

  /// Reads `out.size()` bytes at byte `offset` of piece `piece`. Pad files read as zeros;
  /// a missing file (errc::missing_file) or one that is too short (errc::short_read) is an
  /// error, never zeros. For hashing existing data and for serving peers.
  [[nodiscard]] bool read(PieceIndex piece, std::uint32_t offset, std::span<char> out,
                          ErrorInfo& error);
  /// Throwing form: bitflow::Error on failure.
  void read(PieceIndex piece, std::uint32_t offset, std::span<char> out);

  /// Replaces the file priorities (same rule as the constructor). Returns, sorted, the
  /// pieces holding bytes of every file that changed between skipped and wanted: their
  /// data now lives elsewhere, so the caller must treat them as not verified (see the
  /// header comment).
  std::vector<PieceIndex> set_file_priorities(std::vector<int> file_priorities);
  [[nodiscard]] std::vector<int> file_priorities() const;

  /// Whether the bytes of file `f` have a place on disk to be read from: true for pad
  /// files, whether the side file exists for a skipped file, whether the file exists
  /// (as a regular file, reached without symlinks) otherwise.
  [[nodiscard]] bool file_exists(FileIndex f) const;

  /// Creates the wanted zero-length files (no bytes ever arrive for them); the engine
  /// calls it when the torrent completes.
  [[nodiscard]] bool create_empty_files(ErrorInfo& error);

  /// fsyncs every file written since the last sync (before a resume file records them).
  [[nodiscard]] bool sync(ErrorInfo& error);

  /// Closes every cached file descriptor (before removing or moving the data).
  void release_files();

  /// "Remove with data": releases the files, then deletes the torrent's own files (the
  /// regular files at the torrent's paths, never a symlink or anything reached through
  /// one), its side file and resume file, and then the folders along those paths that are
  /// left empty (including the torrent's top folder, never save_path itself). Anything
  /// else — a file the user added inside the torrent's folder — stays, and so does the
  /// folder holding it. Continues past failures and reports the first.
  [[nodiscard]] bool remove_files(ErrorInfo& error);

  [[nodiscard]] const std::filesystem::path& save_path() const noexcept { return save_path_; }
  /// save_path / FileEntry::path of file `f`, normalised; empty if that path was refused
  /// for leading outside save_path.
  [[nodiscard]] std::filesystem::path file_path(FileIndex f) const;
  /// The side file (see parts_file_path()).
  [[nodiscard]] std::filesystem::path parts_path() const;
  [[nodiscard]] const Sha1Hash& info_hash() const noexcept { return info_hash_; }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  /// File descriptors open in the cache right now (at most max_open_files).
  [[nodiscard]] std::size_t open_file_count() const;

 private:
  struct FileInfo {
    std::string path;           // FileEntry::path, for messages
    std::filesystem::path rel;  // normalised path under save_path; empty when refused
    std::int64_t size = 0;
    bool pad = false;
    bool executable = false;
  };
  enum class Mode { read, write };

  [[nodiscard]] bool transfer(PieceIndex piece, std::uint32_t offset, std::span<char> read_out,
                              std::span<const char> write_data, Mode mode, ErrorInfo& error);
  [[nodiscard]] std::shared_ptr<detail::OpenFile> acquire(std::int32_t key, bool write,
                                                          ErrorInfo& error);
  void mark_dirty(std::int32_t key);
  [[nodiscard]] bool skipped(std::size_t file) const;
  [[nodiscard]] bool check_range(PieceIndex piece, std::uint32_t offset, std::size_t length,
                                 ErrorInfo& error) const;

  Sha1Hash info_hash_;
  Geometry geometry_;
  std::filesystem::path save_path_;
  std::vector<FileInfo> files_;
  std::filesystem::path parts_rel_;
  std::unique_ptr<detail::FileCache> cache_;

  mutable std::mutex mutex_;     // guards priorities_ and dirty_
  std::vector<int> priorities_;  // one per file
  std::vector<bool> dirty_;      // one per file, plus the side file last
};

/// Hashes the existing data of `torrent` through `storage` and returns which pieces
/// verify: for a restart without a valid resume file. Pieces holding bytes of a file that
/// does not exist (Storage::file_exists), or that is too short or unreadable, are simply
/// not verified (no error). Runs on `threads` worker threads (at least one); `progress`
/// (optional) is called after each piece with the number of pieces done so far, from the
/// worker threads but never two calls at once, with increasing counts. Setting `*cancel`
/// (optional) stops the check early: pieces not yet checked are reported as not verified.
/// Blocks the calling thread until done. An exception thrown by a worker (bad_alloc, or
/// by `progress`) stops the others and is rethrown here.
[[nodiscard]] std::vector<bool> check_existing(
    const TorrentInfo& torrent, Storage& storage, unsigned threads,
    const std::function<void(std::int32_t done)>& progress = {},
    std::atomic<bool>* cancel = nullptr);

}  // namespace bitflow::storage

template <>
struct std::is_error_code_enum<bitflow::storage::errc> : std::true_type {};
