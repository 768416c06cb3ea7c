// S3Sink: one object per file. A file no larger than a part is one PutObject; a larger
// one is a multipart upload whose parts are queued as their bytes become ready and sent
// by at most parallel_parts tasks at once (over all files). The state file holds the
// upload ids, so that a later run lists the parts S3 already has instead of sending them
// again; it is written after every change that a later run must know of.
//
// Every task runs on the io_context's thread; one steady_timer (`wake`) is the condition
// variable that coroutines waiting for "set-up done", "no task running" or "upload id
// known" sleep on; every change cancels it and the waiters check their condition again.
#include <fcntl.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>

#include "bitflow/log.hpp"
#include "bitflow/s3.hpp"
#include "bitflow/sink.hpp"
#include "sinks/part_plan.hpp"
#include "sinks/upload_state.hpp"
#include "storage/fs_util.hpp"

namespace bitflow {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

struct FileUpload {
  FileUpload(SinkFile f, std::string k, sinks::PartTracker t)
      : file(std::move(f)), key(std::move(k)), tracker(std::move(t)) {}

  SinkFile file;
  std::string key;
  sinks::PartTracker tracker;
  bool multipart = false;
  std::string upload_id;
  bool creating = false;                     // CreateMultipartUpload on its way
  std::map<int, s3::UploadedPart> uploaded;  // by part number
  std::string etag;                          // set once the object is complete
  storage::detail::Fd fd;
};

std::string s3_url(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + "/" + key;
}

}  // namespace

struct S3Sink::Impl : std::enable_shared_from_this<S3Sink::Impl> {
  using Clock = asio::steady_timer::clock_type;

  Impl(asio::io_context& io_, s3::Client& c, S3SinkOptions o)
      : io(io_), client(c), options(std::move(o)), wake(io_, Clock::time_point::max()) {
    if (!options.prefix.empty() && options.prefix.back() != '/') options.prefix += '/';
    options.parallel_parts = std::max(1, options.parallel_parts);
  }

  asio::io_context& io;
  s3::Client& client;
  S3SinkOptions options;
  asio::steady_timer wake;
  std::vector<FileUpload> uploads;
  std::deque<std::pair<std::size_t, int>> queue;  // (file, part) ready to send
  // Uploads of an earlier run that this one does not continue: aborted at set-up.
  std::vector<sinks::SavedFile> stale;
  bool opened = false;
  bool set_up = false;
  bool stopping = false;
  bool release_warned = false;  // release_uploaded: the file system said no, once
  SinkStatus st;

  void signal() { wake.cancel(); }

  // The timer never expires: only signal() ends a wait (every waiter's at once). Setting
  // its expiry here would cancel the other waiters, which would do the same to this one.
  asio::awaitable<void> wait() {
    (void)co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  void fail(const std::error_code& code, std::string message) {
    if (!st.error) {
      st.error = code;
      st.error_message = std::move(message);
      logger()->warn("{}", st.error_message);
    }
    signal();
  }

  // ---- state between runs ------------------------------------------------------------

  sinks::UploadState current_state() const {
    sinks::UploadState state{options.bucket, options.source_identity, {}};
    for (const FileUpload& u : uploads)
      state.files.push_back(
          {u.key, u.file.size, u.tracker.plan().part_size(), u.upload_id, u.etag});
    return state;
  }

  void save_state() {
    if (options.state_file.empty()) return;
    ErrorInfo error;
    const fs::path& path = options.state_file;
    if (!storage::detail::write_atomically(path.parent_path().empty() ? "." : path.parent_path(),
                                           path.filename(),
                                           sinks::encode_upload_state(current_state()), error))
      fail(error.code, "S3 upload: cannot save the upload state: " + error.message);
  }

  std::optional<sinks::UploadState> load_state() const {
    if (options.state_file.empty()) return std::nullopt;
    std::ifstream in(options.state_file, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream bytes;
    bytes << in.rdbuf();
    ErrorInfo error;
    auto state = sinks::decode_upload_state(bytes.str(), error);
    if (!state) logger()->warn("ignoring '{}': {}", options.state_file.string(), error.message);
    return state;
  }

  void remove_state() const {
    std::error_code ec;
    if (!options.state_file.empty()) fs::remove(options.state_file, ec);
  }

  // ---- set-up: what an earlier run left --------------------------------------------

  asio::awaitable<void> resume_from(const sinks::UploadState& saved) {
    const bool same_source =
        saved.bucket == options.bucket && saved.source == options.source_identity;
    for (const sinks::SavedFile& f : saved.files) {
      auto it = std::find_if(uploads.begin(), uploads.end(), [&](const FileUpload& u) {
        return same_source && u.key == f.key && u.file.size == f.size &&
               u.tracker.plan().part_size() == f.part_size;
      });
      if (it == uploads.end()) {
        if (!f.upload_id.empty() && saved.bucket == options.bucket) stale.push_back(f);
        continue;
      }
      if (!f.etag.empty()) {
        it->etag = f.etag;
        st.bytes_delivered += f.size;
        st.bytes_resumed += f.size;
        continue;
      }
      if (f.upload_id.empty()) continue;
      if (co_await list_uploaded(*it, f.upload_id)) it->upload_id = f.upload_id;
    }
  }

  // The parts S3 has of `upload_id` that hold exactly the bytes this run would send
  // (same number, same length); false when the upload is gone.
  asio::awaitable<bool> list_uploaded(FileUpload& u, const std::string& upload_id) {
    std::optional<int> marker;
    for (;;) {
      s3::ListPartsResult page;
      try {
        page = co_await client.list_parts(options.bucket, u.key, upload_id, marker);
      } catch (const Error& e) {
        if (e.code() != s3::errc::no_such_upload) throw;
        logger()->info("{}: the saved multipart upload is gone; starting a new one",
                       s3_url(options.bucket, u.key));
        co_return false;
      }
      for (const s3::UploadedPart& p : page.parts) {
        if (p.part_number < 1 || p.part_number > u.tracker.plan().count()) continue;
        if (p.size != u.tracker.plan().part(p.part_number).length) continue;
        if (u.uploaded.emplace(p.part_number, p).second) {
          st.bytes_delivered += p.size;
          st.bytes_resumed += p.size;
        }
      }
      if (!page.is_truncated || !page.next_part_number_marker) break;
      marker = page.next_part_number_marker;
    }
    logger()->info("{}: continuing the multipart upload, {} parts already there",
                   s3_url(options.bucket, u.key), u.uploaded.size());
    co_return true;
  }

  asio::awaitable<void> set_up_uploads() {
    try {
      if (auto saved = load_state()) co_await resume_from(*saved);
      for (const sinks::SavedFile& f : stale) {
        logger()->info("aborting an earlier run's upload of {}", s3_url(options.bucket, f.key));
        co_await abort_quietly(f.key, f.upload_id);
      }
      stale.clear();
      save_state();
    } catch (const Error& e) {
      fail(e.code(), e.what());
    }
    set_up = true;
    signal();
    pump();
  }

  // ---- sending -----------------------------------------------------------------------

  void enqueue(std::size_t file, const std::vector<int>& parts) {
    FileUpload& u = uploads[file];
    for (int n : parts)
      if (u.etag.empty() && !u.uploaded.contains(n)) queue.emplace_back(file, n);
  }

  void pump() {
    while (set_up && !stopping && !st.error && st.in_flight < options.parallel_parts &&
           !queue.empty()) {
      auto [file, part] = queue.front();
      queue.pop_front();
      // Queued before the set-up listed what an earlier run uploaded: maybe there already.
      if (!uploads[file].etag.empty() || uploads[file].uploaded.contains(part)) continue;
      ++st.in_flight;
      asio::co_spawn(io, send(shared_from_this(), file, part), asio::detached);
    }
  }

  static asio::awaitable<void> send(std::shared_ptr<Impl> self, std::size_t file, int part) {
    try {
      co_await self->send_part(self->uploads[file], part);
    } catch (const Error& e) {
      self->fail(e.code(), e.what());
    } catch (const std::exception& e) {
      self->fail(std::make_error_code(std::errc::io_error), e.what());
    }
    --self->st.in_flight;
    self->signal();
    self->pump();
  }

  std::string read_part(FileUpload& u, sinks::PartSpan span) {
    ErrorInfo error;
    if (!u.fd) {
      // Punching holes needs a descriptor open for writing.
      const int mode = options.release_uploaded ? O_RDWR : O_RDONLY;
      u.fd = storage::detail::Fd(::open(u.file.local.c_str(), mode | O_CLOEXEC));
      if (!u.fd)
        throw Error(storage::make_error_code(storage::errc::open_failed),
                    "S3 upload: cannot open '" + u.file.local.string() +
                        "': " + std::error_code(errno, std::generic_category()).message());
    }
    std::string bytes(span.length, '\0');
    if (!storage::detail::pread_all(u.fd.get(), std::span<char>(bytes.data(), bytes.size()),
                                    static_cast<std::int64_t>(span.offset), u.file.local, error))
      throw Error(error.code, "S3 upload: " + error.message);
    return bytes;
  }

  asio::awaitable<void> send_part(FileUpload& u, int part) {
    const sinks::PartSpan span = u.tracker.plan().part(part);
    if (!u.multipart) {
      std::string body = read_part(u, span);
      u.etag =
          co_await client.put_object(options.bucket, u.key, std::move(body), options.content_type);
      st.bytes_delivered += span.length;
      save_state();
      release(u, span);
      co_return;
    }
    co_await ensure_upload_id(u);
    if (stopping || st.error) co_return;
    std::string body = read_part(u, span);
    s3::UploadedPart done =
        co_await client.upload_part(options.bucket, u.key, u.upload_id, part, std::move(body));
    done.size = span.length;
    u.uploaded[part] = std::move(done);
    st.bytes_delivered += span.length;
    release(u, span);
  }

  // release_uploaded: S3 has the part (a rerun finds it with ListParts), so its local bytes
  // can go. A file system without hole punching keeps them: the upload is still right.
  void release(FileUpload& u, sinks::PartSpan span) {
    if (!options.release_uploaded || !u.fd || span.length == 0) return;
    if (::fallocate(u.fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                    static_cast<off_t>(span.offset), static_cast<off_t>(span.length)) != 0 &&
        !release_warned) {
      release_warned = true;
      logger()->warn("cannot free uploaded parts of '{}': {}", u.file.local.string(),
                     std::error_code(errno, std::generic_category()).message());
    }
  }

  // The first part of a file to go creates its multipart upload; the others wait for it.
  asio::awaitable<void> ensure_upload_id(FileUpload& u) {
    while (u.upload_id.empty()) {
      if (stopping || st.error) co_return;
      if (u.creating) {
        co_await wait();
        continue;
      }
      u.creating = true;
      std::string id;
      try {
        id = co_await client.create_multipart_upload(options.bucket, u.key, options.content_type);
      } catch (...) {
        u.creating = false;
        signal();
        throw;
      }
      u.creating = false;
      u.upload_id = std::move(id);
      save_state();  // before any part: a kill from now on leaves an upload a rerun finds
      signal();
    }
  }

  asio::awaitable<void> wait_idle() {
    while (st.in_flight > 0)
      co_await wait();
  }

  // ---- the end -----------------------------------------------------------------------

  asio::awaitable<void> abort_quietly(const std::string& key, const std::string& upload_id) {
    try {
      co_await client.abort_multipart_upload(options.bucket, key, upload_id);
    } catch (const Error& e) {
      logger()->warn("cannot abort the multipart upload of {}: {}", s3_url(options.bucket, key),
                     e.what());
    }
  }

  asio::awaitable<void> abort_all() {
    stopping = true;
    queue.clear();
    co_await wait_idle();
    for (FileUpload& u : uploads)
      if (u.etag.empty() && !u.upload_id.empty()) {
        co_await abort_quietly(u.key, u.upload_id);
        u.upload_id.clear();
      }
    remove_state();
  }

  asio::awaitable<void> complete(FileUpload& u) {
    if (u.multipart && u.etag.empty()) {
      std::vector<s3::UploadedPart> parts;
      for (auto& [n, p] : u.uploaded)
        parts.push_back(p);
      auto result =
          co_await client.complete_multipart_upload(options.bucket, u.key, u.upload_id, parts);
      u.etag = result.etag;
      save_state();
    }
    const s3::ObjectInfo info = co_await client.head_object(options.bucket, u.key);
    if (info.size != u.file.size)
      throw Error(s3::make_error_code(s3::errc::size_mismatch),
                  "S3 upload: " + s3_url(options.bucket, u.key) + " has " +
                      std::to_string(info.size) + " bytes after the upload, not " +
                      std::to_string(u.file.size));
  }

  asio::awaitable<std::vector<DeliveredFile>> finish() {
    while (!set_up)
      co_await wait();
    for (std::size_t i = 0; i < uploads.size(); ++i)
      enqueue(i, uploads[i].tracker.add_all());
    pump();
    while (!st.error && (st.in_flight > 0 || !queue.empty()))
      co_await wait();
    // suspend() emptied the queue: completing now would make objects of the parts sent so
    // far. The uploads stay as they are for a later run.
    if (stopping && !st.error)
      throw Error(std::make_error_code(std::errc::operation_canceled),
                  "S3 upload: suspended before every part was sent");
    std::vector<DeliveredFile> delivered;
    try {
      if (st.error) throw Error(st.error, st.error_message);
      for (FileUpload& u : uploads) {
        co_await complete(u);
        delivered.push_back({u.file.path, s3_url(options.bucket, u.key), u.file.size, u.etag});
        logger()->info("delivered '{}' to {}", u.file.path, s3_url(options.bucket, u.key));
      }
    } catch (const Error& e) {
      fail(e.code(), e.what());
    }
    if (st.error) {
      co_await abort_all();
      throw Error(st.error, st.error_message);
    }
    remove_state();
    co_return delivered;
  }
};

S3Sink::S3Sink(asio::io_context& io, s3::Client& client, S3SinkOptions options)
    : impl_(std::make_shared<Impl>(io, client, std::move(options))) {}

S3Sink::~S3Sink() = default;

void S3Sink::open(std::vector<SinkFile> files) {
  auto& s = *impl_;
  s.uploads.clear();
  s.st = {};
  for (SinkFile& f : files) {
    s.st.bytes_total += f.size;
    auto rel = storage::detail::resolve_under("/", f.path);
    if (!rel) {
      s.fail(storage::make_error_code(storage::errc::path_escape),
             "S3 upload: '" + f.path + "' is not a relative file name");
      rel = fs::path(f.path);
    }
    const std::uint64_t size = f.size;
    const std::uint64_t part_size = sinks::choose_part_size(size, s.options.part_size);
    FileUpload& u = s.uploads.emplace_back(std::move(f), s.options.prefix + rel->generic_string(),
                                           sinks::PartTracker(sinks::PartPlan(size, part_size)));
    u.multipart = size > part_size;
  }
  s.opened = true;
  asio::co_spawn(
      s.io, [self = impl_]() { return self->set_up_uploads(); }, asio::detached);
}

void S3Sink::ready(std::size_t file, std::uint64_t offset, std::uint64_t length) {
  auto& s = *impl_;
  s.enqueue(file, s.uploads.at(file).tracker.add(offset, length));
  // Uploads start from a handler of their own: the caller may be inside a libcurl
  // callback (a download's data), where no transfer may be started.
  asio::post(s.io, [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto self = weak.lock()) self->pump();
  });
}

void S3Sink::moved(std::size_t file, std::filesystem::path local) {
  impl_->uploads.at(file).file.local = std::move(local);
}

asio::awaitable<std::vector<DeliveredFile>> S3Sink::finish() {
  auto self = impl_;
  if (!self->opened) throw std::logic_error("S3Sink::finish before open");
  co_return co_await self->finish();
}

asio::awaitable<void> S3Sink::suspend() {
  auto self = impl_;
  if (self->options.state_file.empty()) {
    co_await self->abort_all();
    co_return;
  }
  self->stopping = true;
  self->queue.clear();
  co_await self->wait_idle();
  if (self->set_up) self->save_state();
}

asio::awaitable<void> S3Sink::abort() {
  auto self = impl_;
  while (self->opened && !self->set_up)
    co_await self->wait();
  co_await self->abort_all();
}

SinkStatus S3Sink::status() const {
  return impl_->st;
}

}  // namespace bitflow
