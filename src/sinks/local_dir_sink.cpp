// LocalDirSink: files move into the folder once complete. The move runs on a thread of
// its own, since a copy across file systems can take minutes that the io_context's
// thread must not spend.
#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bitflow/error.hpp"
#include "bitflow/log.hpp"
#include "bitflow/sink.hpp"
#include "bitflow/storage.hpp"
#include "storage/fs_util.hpp"

namespace bitflow {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using storage::errc;

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

[[noreturn]] void raise(errc code, const std::string& message) {
  throw Error(storage::make_error_code(code), "local folder: " + message);
}

// Flushes a file (or folder) to the disk; a copy is only as safe as this.
void sync_path(const fs::path& path, int flags) {
  storage::detail::Fd fd(::open(path.c_str(), flags | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0)
    raise(errc::write_failed, "cannot sync '" + path.string() + "': " + errno_text(errno));
}

// Moves `from` to `to` (whose folder exists): a rename where one works, else a copy under
// a hidden name in the target folder, synced and renamed, then the source removed.
void move_file(const fs::path& from, const fs::path& to, bool overwrite) {
  const unsigned flags = overwrite ? 0u : RENAME_NOREPLACE;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags) == 0) return;
  const int e = errno;
  if (e == EEXIST) raise(errc::already_exists, "'" + to.string() + "' already exists");
  if (e != EXDEV)
    raise(errc::write_failed,
          "cannot move '" + from.string() + "' to '" + to.string() + "': " + errno_text(e));
  const fs::path tmp = to.parent_path() / ("." + to.filename().string() + ".bitflow-tmp");
  std::error_code ec;
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(tmp, ec);
    raise(errc::write_failed,
          "cannot copy '" + from.string() + "' to '" + tmp.string() + "': " + ec.message());
  }
  try {
    sync_path(tmp, O_RDONLY);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, to.c_str(), flags) != 0) {
    const int r = errno;
    fs::remove(tmp, ec);
    if (r == EEXIST) raise(errc::already_exists, "'" + to.string() + "' already exists");
    raise(errc::write_failed, "cannot rename '" + tmp.string() + "': " + errno_text(r));
  }
  sync_path(to.parent_path(), O_RDONLY | O_DIRECTORY);
  fs::remove(from, ec);  // the copy is safe; a source left behind is only wasted space
}

}  // namespace

struct LocalDirSink::Impl {
  explicit Impl(LocalDirSinkOptions o) : options(std::move(o)) {}

  LocalDirSinkOptions options;
  std::vector<SinkFile> files;
  std::vector<fs::path> targets;  // checked destination paths, one per file
  SinkStatus st;
  asio::thread_pool mover{1};

  void fail(std::error_code code, std::string message) {
    if (st.error) return;
    st.error = code;
    st.error_message = std::move(message);
  }

  void deliver(std::size_t i) {
    const fs::path& to = targets[i];
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    if (ec)
      raise(errc::open_failed,
            "cannot create '" + to.parent_path().string() + "': " + ec.message());
    if (fs::equivalent(files[i].local, to, ec)) return;  // downloaded in place
    const auto size = fs::file_size(files[i].local, ec);
    if (ec)
      raise(errc::missing_file, "cannot read '" + files[i].local.string() + "': " + ec.message());
    if (size != files[i].size)
      raise(errc::short_read, "'" + files[i].local.string() + "' has " + std::to_string(size) +
                                  " bytes, not " + std::to_string(files[i].size));
    move_file(files[i].local, to, options.overwrite);
  }
};

LocalDirSink::LocalDirSink(LocalDirSinkOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

LocalDirSink::~LocalDirSink() {
  impl_->mover.join();
}

void LocalDirSink::open(std::vector<SinkFile> files) {
  auto& s = *impl_;
  s.files = std::move(files);
  s.targets.clear();
  s.st.bytes_total = 0;
  for (const SinkFile& f : s.files) {
    s.st.bytes_total += f.size;
    auto rel = storage::detail::resolve_under(s.options.folder, f.path);
    if (!rel) {
      s.fail(storage::make_error_code(errc::path_escape), "local folder: the file name '" + f.path +
                                                              "' would land outside '" +
                                                              s.options.folder.string() + "'");
      rel = fs::path();
    }
    s.targets.push_back(s.options.folder / *rel);
  }
}

void LocalDirSink::ready(std::size_t, std::uint64_t, std::uint64_t) {
  // Nothing to do before the end: a file is moved whole, once complete.
}

void LocalDirSink::moved(std::size_t file, std::filesystem::path local) {
  impl_->files.at(file).local = std::move(local);
}

asio::awaitable<std::vector<DeliveredFile>> LocalDirSink::finish() {
  auto& s = *impl_;
  if (s.st.error) throw Error(s.st.error, s.st.error_message);
  std::vector<DeliveredFile> delivered;
  for (std::size_t i = 0; i < s.files.size(); ++i) {
    ++s.st.in_flight;
    std::exception_ptr failure = co_await asio::co_spawn(
        s.mover,
        [&s, i]() -> asio::awaitable<std::exception_ptr> {
          try {
            s.deliver(i);
          } catch (...) {
            co_return std::current_exception();
          }
          co_return nullptr;
        },
        asio::use_awaitable);
    --s.st.in_flight;
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const Error& e) {
        s.fail(e.code(), e.what());
        throw;
      }
    }
    s.st.bytes_delivered += s.files[i].size;
    delivered.push_back({s.files[i].path, s.targets[i].string(), s.files[i].size, {}});
    logger()->info("delivered '{}' to '{}'", s.files[i].path, s.targets[i].string());
  }
  co_return delivered;
}

asio::awaitable<void> LocalDirSink::suspend() {
  co_return;
}

asio::awaitable<void> LocalDirSink::abort() {
  // Files are moved whole or not at all, and a copy's temporary file is removed when it
  // fails: nothing unfinished is left at the destination.
  co_return;
}

SinkStatus LocalDirSink::status() const {
  return impl_->st;
}

}  // namespace bitflow
