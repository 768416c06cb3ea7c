// File-system helpers for storage: owning descriptors, the lexical "stays under the save
// path" check, and the symlink-refusing openat() walk every file open goes through.
// Internal.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/storage.hpp"
#include "util/failure.hpp"

namespace bitflow::storage::detail {

/// An owned POSIX file descriptor, closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  [[nodiscard]] int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Fills `error` with `code` and "storage: " + `message`; converts to false / nullopt.
util::Failure fail(ErrorInfo& error, errc code, std::string_view message);

/// `rel` quoted for messages: 'root/a.txt'.
std::string quoted(const std::filesystem::path& rel);

/// `rel` ('/'-separated, relative) normalised, if root / rel stays strictly under root
/// (lexically_normal): relative, no ".." left, a non-empty file name. nullopt otherwise.
[[nodiscard]] std::optional<std::filesystem::path> resolve_under(const std::filesystem::path& root,
                                                                 std::string_view rel);

/// Opens the folder root / `rel_dir` by walking `rel_dir` one component at a time with
/// openat(O_NOFOLLOW | O_DIRECTORY): a symlink or non-folder on the way is refused
/// (errc::symlink_refused). With `create`, missing folders (root included) are made;
/// otherwise a missing one is errc::missing_file. `for_file` names the file in messages.
[[nodiscard]] Fd open_folder(const std::filesystem::path& root,
                             const std::filesystem::path& rel_dir, bool create,
                             const std::filesystem::path& for_file, ErrorInfo& error);

/// Opens root / `rel` (a resolve_under() result) through open_folder() with
/// `flags | O_CLOEXEC | O_NOFOLLOW`; O_CREAT in `flags` also creates the parent folders.
/// A symlink as the file is errc::symlink_refused, a missing file errc::missing_file.
[[nodiscard]] Fd open_file(const std::filesystem::path& root, const std::filesystem::path& rel,
                           int flags, mode_t mode, ErrorInfo& error);

/// lstat of root / `rel` reached without following symlinks below root; nullopt when it
/// does not exist or cannot be reached that way.
[[nodiscard]] std::optional<struct stat> stat_under(const std::filesystem::path& root,
                                                    const std::filesystem::path& rel);

/// Positional I/O of the whole span (retrying short transfers and EINTR).
[[nodiscard]] bool pwrite_all(int fd, std::span<const char> data, std::int64_t offset,
                              const std::filesystem::path& rel, ErrorInfo& error);
/// A read that reaches the end of the file first is errc::short_read.
[[nodiscard]] bool pread_all(int fd, std::span<char> out, std::int64_t offset,
                             const std::filesystem::path& rel, ErrorInfo& error);

/// Modification time of `st` in nanoseconds since the epoch.
[[nodiscard]] std::int64_t mtime_ns(const struct stat& st) noexcept;

/// Writes root / `rel` (parent folders created) so that it holds `bytes` or its old
/// content, whatever happens: a temporary file beside it, fsync, rename, fsync of the folder.
bool write_atomically(const std::filesystem::path& root, const std::filesystem::path& rel,
                      std::string_view bytes, ErrorInfo& error);

}  // namespace bitflow::storage::detail
