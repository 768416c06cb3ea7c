// File-system helpers for storage (see fs_util.hpp). Every open below the save path walks
// the path with openat(O_NOFOLLOW), so no symlink — planted before or during a download —
// can redirect I/O outside the save path. Thread-safe: no shared state.
#include "storage/fs_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bitflow::storage::detail {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

int openat_retry(int dir, const char* name, int flags, mode_t mode = 0) {
  for (;;) {
    int fd = ::openat(dir, name, flags, mode);
    if (fd >= 0 || errno != EINTR) return fd;
  }
}

// Opens `root` itself (following symlinks: the save path is the caller's choice).
Fd open_root(const fs::path& root, bool create, const fs::path& for_file, ErrorInfo& error) {
  Fd dir(openat_retry(AT_FDCWD, root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir && errno == ENOENT && create) {
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) {
      fail(error, errc::open_failed,
           "cannot create the save folder '" + root.string() + "': " + ec.message());
      return {};
    }
    dir = Fd(openat_retry(AT_FDCWD, root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  if (!dir) {
    int e = errno;
    if (e == ENOENT)
      fail(error, errc::missing_file,
           quoted(for_file) + " does not exist (nor does the save folder '" + root.string() + "')");
    else
      fail(error, errc::open_failed,
           "cannot open the save folder '" + root.string() + "': " + errno_text(e));
  }
  return dir;
}

// Why openat() of `name` in `dir` failed with ENOTDIR/ELOOP: a symlink or something else.
void fail_not_folder(int dir, const std::string& name, const fs::path& walked,
                     const fs::path& for_file, ErrorInfo& error) {
  struct stat st {};
  bool link = ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
  fail(error, errc::symlink_refused,
       (link ? "refusing to follow the symlink at " + quoted(walked)
             : quoted(walked) + " is not a folder") +
           " (on the way to " + quoted(for_file) + ")");
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

util::Failure fail(ErrorInfo& error, errc code, std::string_view message) {
  error.code = make_error_code(code);
  error.message = "storage: ";
  error.message += message;
  return {};
}

std::string quoted(const fs::path& rel) {
  std::string out = "'";
  out += rel.generic_string();
  out += '\'';
  return out;
}

std::optional<fs::path> resolve_under(const fs::path& root, std::string_view rel) {
  fs::path relative{std::string(rel)};
  if (rel.empty() || relative.has_root_path()) return std::nullopt;
  fs::path base = root.lexically_normal();
  if (base.has_relative_path() && base.filename().empty()) base = base.parent_path();
  fs::path inside = (base / relative).lexically_normal().lexically_relative(base);
  if (inside.empty()) return std::nullopt;
  for (const fs::path& element : inside)
    if (element.empty() || element == "." || element == "..") return std::nullopt;
  return inside;
}

Fd open_folder(const fs::path& root, const fs::path& rel_dir, bool create, const fs::path& for_file,
               ErrorInfo& error) {
  Fd dir = open_root(root, create, for_file, error);
  if (!dir) return {};
  fs::path walked;
  for (const fs::path& element : rel_dir) {
    std::string name = element.string();
    walked /= element;
    if (name.empty() || name == "." || name == "..") {
      fail(error, errc::path_escape, "refusing the path " + quoted(for_file));
      return {};
    }
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat_retry(dir.get(), name.c_str(), flags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        fail(error, errc::open_failed,
             "cannot create the folder " + quoted(walked) + ": " + errno_text(errno));
        return {};
      }
      fd = openat_retry(dir.get(), name.c_str(), flags);
    }
    if (fd < 0) {
      int e = errno;
      if (e == ENOTDIR || e == ELOOP) {
        fail_not_folder(dir.get(), name, walked, for_file, error);
      } else if (e == ENOENT) {
        fail(error, errc::missing_file, quoted(for_file) + " does not exist");
      } else {
        fail(error, errc::open_failed,
             "cannot open the folder " + quoted(walked) + ": " + errno_text(e));
      }
      return {};
    }
    dir = Fd(fd);
  }
  return dir;
}

Fd open_file(const fs::path& root, const fs::path& rel, int flags, mode_t mode, ErrorInfo& error) {
  const bool create = (flags & O_CREAT) != 0;
  Fd dir = open_folder(root, rel.parent_path(), create, rel, error);
  if (!dir) return {};
  std::string name = rel.filename().string();
  // O_NONBLOCK: opening a planted FIFO must not hang; it is refused just below.
  Fd file(openat_retry(dir.get(), name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode));
  if (!file) {
    int e = errno;
    if (e == ELOOP)
      fail(error, errc::symlink_refused, "refusing to open " + quoted(rel) + ": it is a symlink");
    else if (e == ENOENT)
      fail(error, errc::missing_file, quoted(rel) + " does not exist");
    else
      fail(error, errc::open_failed, "cannot open " + quoted(rel) + ": " + errno_text(e));
    return {};
  }
  struct stat st {};
  if (::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(error, errc::open_failed, quoted(rel) + " is not a regular file");
    return {};
  }
  // Regular files ignore O_NONBLOCK, but leave the descriptor as a plain blocking one.
  int status = ::fcntl(file.get(), F_GETFL);
  if (status >= 0) ::fcntl(file.get(), F_SETFL, status & ~O_NONBLOCK);
  return file;
}

std::optional<struct stat> stat_under(const fs::path& root, const fs::path& rel) {
  ErrorInfo ignored;
  Fd dir = open_folder(root, rel.parent_path(), false, rel, ignored);
  if (!dir) return std::nullopt;
  struct stat st {};
  if (::fstatat(dir.get(), rel.filename().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return std::nullopt;
  return st;
}

bool pwrite_all(int fd, std::span<const char> data, std::int64_t offset, const fs::path& rel,
                ErrorInfo& error) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : ENOSPC;
      return fail(error, errc::write_failed,
                  "cannot write " + std::to_string(data.size()) + " bytes at offset " +
                      std::to_string(offset) + " of " + quoted(rel) + ": " + errno_text(e));
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool pread_all(int fd, std::span<char> out, std::int64_t offset, const fs::path& rel,
               ErrorInfo& error) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + static_cast<std::int64_t>(done)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return fail(error, errc::read_failed,
                  "cannot read " + std::to_string(out.size()) + " bytes at offset " +
                      std::to_string(offset) + " of " + quoted(rel) + ": " + errno_text(errno));
    if (n == 0)
      return fail(error, errc::short_read,
                  quoted(rel) + " ends at byte " +
                      std::to_string(offset + static_cast<std::int64_t>(done)) + ", before the " +
                      std::to_string(out.size()) + " bytes asked for at offset " +
                      std::to_string(offset));
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::int64_t mtime_ns(const struct stat& st) noexcept {
  return std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + std::int64_t{st.st_mtim.tv_nsec};
}

// Written to a temporary name, fsynced, renamed over the old file and the folder fsynced:
// a crash leaves the old or the new file, never half of one.
bool write_atomically(const std::filesystem::path& root, const std::filesystem::path& rel,
                      std::string_view bytes, ErrorInfo& error) {
  fs::path tmp = rel;
  tmp += ".tmp";
  Fd dir = open_folder(root, rel.parent_path(), true, rel, error);
  if (!dir) return false;
  const std::string name = rel.filename().string();
  const std::string tmp_name = tmp.filename().string();
  {
    Fd file = open_file(root, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, error);
    if (!file) return false;
    bool written = pwrite_all(file.get(), bytes, 0, tmp, error);
    if (written && ::fsync(file.get()) != 0) {
      fail(error, errc::write_failed, "cannot sync " + quoted(tmp) + ": " + errno_text(errno));
      written = false;
    }
    if (!written) {
      ::unlinkat(dir.get(), tmp_name.c_str(), 0);
      return false;
    }
  }
  if (::renameat(dir.get(), tmp_name.c_str(), dir.get(), name.c_str()) != 0) {
    int e = errno;
    ::unlinkat(dir.get(), tmp_name.c_str(), 0);
    return fail(error, errc::write_failed,
                "cannot rename " + quoted(tmp) + " to " + quoted(rel) + ": " + errno_text(e));
  }
  if (::fsync(dir.get()) != 0)
    return fail(error, errc::write_failed,
                "cannot sync the folder " + quoted(rel.parent_path()) + ": " + errno_text(errno));
  return true;
}

}  // namespace bitflow::storage::detail
