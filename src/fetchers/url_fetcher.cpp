// UrlFetcher: the shell around the pure SegmentPlanner, the control-file codec and the
// HTTP header parsers, on the io_context's shared CurlReactor (see bitflow/url_fetcher.hpp
// for the behaviour).
//
// Invariants: every byte of [0, size) is in exactly one of the planner's done set, its
// unassigned pool, or a running connection's segment; a byte is marked done only after
// pwrite put it in the .part file; the control file is written from the planner's done
// set, so it never claims a byte that is not in the .part file. `generation_` changes on
// pause, cancel and restart: completions of transfers from before are ignored (their
// segments were already given back).
// Threading: the io_context's thread only; on_start/on_data run inside libcurl's
// callbacks and never call the reactor (they return false to stop a transfer).
#include "bitflow/url_fetcher.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "bitflow/log.hpp"
#include "fetchers/checksum.hpp"
#include "fetchers/control_file.hpp"
#include "fetchers/download_request.hpp"
#include "fetchers/http_parsing.hpp"
#include "fetchers/retry_policy.hpp"
#include "fetchers/segment_planner.hpp"
#include "fetchers/source_kind.hpp"
#include "net/curl_reactor.hpp"
#include "storage/fs_util.hpp"
#include "util/error_category.hpp"

namespace bitflow {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace fetch {
namespace {
const char* describe(errc e) noexcept {
  switch (e) {
    case errc::bad_url:
      return "not a URL that can be fetched";
    case errc::server_refused:
      return "the server refused the request";
    case errc::gave_up:
      return "too many failed attempts";
    case errc::changed_on_server:
      return "the file changed on the server";
    case errc::bad_response:
      return "the server's response was wrong";
    case errc::checksum_mismatch:
      return "checksum mismatch";
    case errc::disk_error:
      return "cannot write the file";
    case errc::not_trusted:
      return "the server is not trusted";
  }
  return nullptr;
}
}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("fetch", describe);
  return instance;
}
std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}
}  // namespace fetch

struct UrlFetcher::Impl : std::enable_shared_from_this<Impl> {
  struct Connection {
    int segment = 0;  // the planner's id; 0 in single-stream mode
    std::int64_t asked_last = -1;
    net::CurlReactor::TransferId transfer = 0;
    bool reached_end = false;     // stopped on purpose at its segment's end
    bool changed = false;         // a 200 with other validators: If-Range failed
    bool ranges_ignored = false;  // a 200 for the same file: the server ignores Range
    std::string bad_response;     // why its bytes were refused
    std::string disk_error;
  };

  Impl(asio::io_context& context, UrlFetchOptions o, std::weak_ptr<const ProgressSink> s)
      : io(context),
        options(std::move(o)),
        sink(std::move(s)),
        ticker(context),
        rng(std::random_device{}()) {
    retry.max_tries = std::max(1, options.max_tries);
  }

  asio::io_context& io;
  UrlFetchOptions options;
  std::weak_ptr<const ProgressSink> sink;
  asio::steady_timer ticker;
  std::mt19937 rng;
  fetch::RetryPolicy retry;

  FetchStatus st;
  int generation = 0;
  bool http = false;
  bool single = false;     // one plain stream (no ranges or no length)
  std::int64_t size = -1;  // -1: unknown
  std::string etag, last_modified;
  fs::path final_path, part_path, control_path;
  std::optional<fetch::ControlState> resume_state;
  storage::detail::Fd part;
  std::optional<fetch::SegmentPlanner> planner;
  std::int64_t single_written = 0;
  std::map<int, Connection> connections;                       // by slot
  std::map<int, int> failures;                                 // by slot: failures in a row
  std::map<int, std::unique_ptr<asio::steady_timer>> waiting;  // slots waiting to retry
  int probe_failures = 0;
  int restarts = 0;
  std::int64_t rate_bytes = 0;
  Clock::time_point rate_since = Clock::now();
  Clock::time_point last_control_save = Clock::now();

  // ---- notifications ---------------------------------------------------------------

  void notify() {
    if (auto s = sink.lock()) s->notify(st);
  }

  bool hold_requested = false;  // hold_writes said so; the pause is posted

  std::int64_t bytes_done() const { return planner ? planner->done().bytes() : single_written; }

  void fail(fetch::errc code, std::string message) {
    if (st.state != FetchState::running) return;
    stop_transfers();
    save_control();
    st.state = FetchState::failed;
    st.error = std::move(message);
    st.peers = 0;
    st.download_rate = 0;
    st.error_code = fetch::make_error_code(code);
    logger()->warn("{}", st.error);
    notify();
  }

  // Streaming reports are posted, never made from inside libcurl's callbacks: a sink that
  // starts a request of its own from there would re-enter the multi handle. Posted in
  // order, so a discard is never overtaken by a range written before it.
  void report_written(std::int64_t offset, std::int64_t length) {
    if (!options.on_written) return;
    asio::post(io, [weak = weak_from_this(), offset, length] {
      if (auto self = weak.lock()) self->options.on_written(offset, length);
    });
  }
  void report_discarded() {
    if (!options.on_discarded) return;
    asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->options.on_discarded();
    });
  }

  // ---- requests --------------------------------------------------------------------

  // Built (and signed) anew for every attempt.
  net::HttpRequest request(std::string_view method = "GET") const {
    return fetch::download_request(options, method);
  }
  std::string shown() const { return fetch::shown_name(options); }

  void start() {
    if (st.state == FetchState::running || st.state == FetchState::completed) return;
    const std::string scheme = fetch::url_scheme(options.url);
    st = {};
    st.state = FetchState::running;
    if (!fetch::is_fetchable_scheme(scheme)) {
      fail(fetch::errc::bad_url,
           "'" + net::redacted(options.url) + "' is not an http, https, ftp, ftps or sftp URL");
      return;
    }
    http = scheme == "http" || scheme == "https";
    notify();
    tick_soon();
    probe();
  }

  void probe() {
    net::HttpRequest r = request("HEAD");
    r.timeout = 60s;
    net::shared_reactor(io).start(std::move(r), [self = shared_from_this(), gen = generation](
                                                    ErrorInfo e, net::HttpResponse resp) {
      if (gen == self->generation) self->probed(std::move(e), resp);
    });
  }

  void probed(ErrorInfo e, const net::HttpResponse& resp) {
    if (st.state != FetchState::running) return;
    const bool no_head = http && !e && (resp.status == 405 || resp.status == 501);
    if (fail_for_good(e)) return;
    if (!no_head) {
      if (e || (http && fetch::RetryPolicy::retryable_status(resp.status))) {
        std::string why = e ? e.message : shown() + ": HTTP " + std::to_string(resp.status);
        if (++probe_failures >= retry.max_tries) {
          fail(fetch::errc::gave_up,
               why + " (gave up after " + std::to_string(probe_failures) + " tries)");
          return;
        }
        later(-1, retry_after(resp), [this] { probe(); });
        return;
      }
      if (http && (resp.status < 200 || resp.status >= 300)) {
        fail(fetch::errc::server_refused, shown() + ": HTTP " + std::to_string(resp.status));
        return;
      }
      size = fetch::parse_content_length(resp.header("Content-Length").value_or("")).value_or(-1);
      if (http) {
        auto accept = resp.header("Accept-Ranges").value_or("");
        single = size <= 0 || accept.find("bytes") == std::string::npos;
        etag = resp.header("ETag").value_or("");
        last_modified = resp.header("Last-Modified").value_or("");
      } else {
        single = size < 0;
        last_modified = resp.header("Last-Modified").value_or("");
      }
    } else {
      single = true;  // no HEAD: one plain GET
    }
    const auto disposition = http ? resp.header("Content-Disposition") : std::nullopt;
    const std::string name =
        options.file_name.empty()
            ? fetch::suggested_filename(disposition, resp.effective_url, options.url)
            : fetch::safe_filename(options.file_name, "download");
    if (!choose_paths(name)) return;
    st.bytes_total = std::max<std::int64_t>(size, 0);  // known to on_written callers
    if (!open_part()) return;
    notify();
    launch();
  }

  // Picks the final name (numbered when taken, unless overwrite) and finds a resumable
  // .part for it.
  bool choose_paths(const std::string& base) {
    std::error_code ec;
    fs::create_directories(options.output_dir, ec);
    for (int n = 0; n < 10'000; ++n) {
      // Room for ".part.bitflow" within the file system's 255 bytes.
      const std::string name = fetch::shorten_filename(
          n == 0 ? base : fetch::numbered_filename(base, n), 255 - std::strlen(".part.bitflow"));
      fs::path final = options.output_dir / name;
      fs::path partial = options.output_dir / (name + ".part");
      fs::path control = options.output_dir / (name + ".part.bitflow");
      const bool has_part = fs::exists(partial, ec), has_control = fs::exists(control, ec);
      if (has_part && has_control) {
        auto saved = load_control(control);
        if (!saved || saved->url != options.url) continue;  // another download's: leave it
        final_path = final, part_path = partial, control_path = control;
        if (!single && fetch::same_version(*saved, size, etag, last_modified))
          resume_state = std::move(saved);
        return true;  // ours: resume, or start over in the same .part
      }
      if (has_part) continue;  // someone else's .part: leave it alone
      if (fs::exists(final, ec) && !options.overwrite) continue;
      final_path = final, part_path = partial, control_path = control;
      return true;
    }
    fail(fetch::errc::disk_error,
         "no free file name for '" + base + "' in '" + options.output_dir.string() + "'");
    return false;
  }

  std::optional<fetch::ControlState> load_control(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    ErrorInfo error;
    auto state = fetch::decode_control(bytes.str(), error);
    if (!state) logger()->info("{}: ignoring '{}': {}", shown(), path.string(), error.message);
    return state;
  }

  bool open_part() {
    const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (resume_state ? 0 : O_TRUNC);
    part = storage::detail::Fd(::open(part_path.c_str(), flags, 0644));
    if (!part) {
      fail(fetch::errc::disk_error, "cannot open '" + part_path.string() + "': " +
                                        std::error_code(errno, std::generic_category()).message());
      return false;
    }
    if (single) {
      single_written = 0;
      planner.reset();
    } else {
      fetch::RangeSet done = resume_state ? resume_state->done : fetch::RangeSet{};
      if (resume_state)
        logger()->info("{}: resuming, {} of {} bytes already here", shown(), done.bytes(), size);
      planner.emplace(size, std::move(done), options.min_segment);
      for (const fetch::ByteRange& r : planner->done().ranges())
        report_written(r.begin, r.size());
    }
    save_control();  // from the start: the .part is known to be this download's
    return true;
  }

  // Also in single-stream mode (with nothing resumable recorded): the control file marks
  // the .part as this download's, to be started over rather than left alone.
  void save_control() {
    if (control_path.empty() || !part) return;
    fetch::ControlState state;
    state.url = options.url;
    state.size = std::max<std::int64_t>(size, 0);
    state.etag = etag;
    state.last_modified = last_modified;
    if (planner) state.done = planner->done();
    const std::string bytes = fetch::encode_control(state);
    // Written to a temporary name and renamed: a crash leaves the old or the new file,
    // never half of one. No fsync: it survives a killed process (the page cache holds
    // both files); after a power cut a stale control file only means refetching.
    const fs::path tmp = control_path.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return;
    }
    std::error_code ec;
    fs::rename(tmp, control_path, ec);
    last_control_save = Clock::now();
  }

  // ---- transfers -------------------------------------------------------------------

  // Into the .part file; every 8 MiB the writeback of its dirty pages is started, so that
  // the fdatasync before the rename has little left to wait for.
  bool write(std::string_view data, std::int64_t offset, std::string& error) {
    ErrorInfo failure;
    if (!storage::detail::pwrite_all(part.get(), std::span<const char>(data.data(), data.size()),
                                     offset, part_path, failure)) {
      error = failure.message;
      return false;
    }
    unflushed += static_cast<std::int64_t>(data.size());
    if (unflushed >= 8 << 20) {
      (void)::sync_file_range(part.get(), 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint only
      unflushed = 0;
    }
    return true;
  }
  std::int64_t unflushed = 0;

  void launch() {
    if (st.state != FetchState::running) return;
    if (single) {
      if (connections.empty() && waiting.empty()) start_single(0);
      return;
    }
    for (int slot = 0; slot < std::max(1, options.connections); ++slot) {
      if (connections.contains(slot) || waiting.contains(slot)) continue;
      auto segment = planner->assign(std::max(1, options.connections));
      if (!segment) break;
      start_segment(slot, *segment);
    }
    st.peers = static_cast<int>(connections.size());
    if (planner->complete() && connections.empty()) finish();
  }

  void start_segment(int slot, const fetch::Segment& segment) {
    Connection& c = connections[slot];
    c = Connection{};
    c.segment = segment.id;
    c.asked_last = segment.end - 1;
    net::HttpRequest r = request();
    r.range = std::to_string(segment.next) + "-" + std::to_string(segment.end - 1);
    if (http && (!etag.empty() || !last_modified.empty()))
      r.headers.push_back("If-Range: " + (etag.empty() ? last_modified : etag));
    r.on_start = [this, slot](const net::HttpResponse& resp) { return segment_start(slot, resp); };
    r.on_data = [this, slot](std::string_view data) { return segment_data(slot, data); };
    c.transfer = net::shared_reactor(io).start(
        std::move(r),
        [self = shared_from_this(), gen = generation, slot](ErrorInfo e, net::HttpResponse resp) {
          if (gen == self->generation) self->transfer_done(slot, std::move(e), resp);
        });
  }

  bool segment_start(int slot, const net::HttpResponse& resp) {
    Connection& c = connections[slot];
    if (!http) return true;  // FTP/SFTP: REST and a byte count; no headers to check
    if (resp.status == 200) {
      // If-Range failed (another version), or the server ignores Range after all.
      const auto their_etag = resp.header("ETag").value_or("");
      const auto their_date = resp.header("Last-Modified").value_or("");
      if (their_etag != etag || (etag.empty() && their_date != last_modified))
        c.changed = true;
      else
        c.ranges_ignored = true;
      return false;
    }
    if (resp.status != 206) return false;  // judged in transfer_done
    auto segment = planner->segment(c.segment);
    auto range = fetch::parse_content_range(resp.header("Content-Range").value_or(""));
    if (!segment || !range || range->first != segment->next || range->last != c.asked_last ||
        (range->total && *range->total != size)) {
      c.bad_response = "asked for bytes " + std::to_string(segment ? segment->next : -1) + "-" +
                       std::to_string(c.asked_last) + ", got Content-Range '" +
                       resp.header("Content-Range").value_or("") + "'";
      return false;
    }
    return true;
  }

  bool segment_data(int slot, std::string_view data) {
    Connection& c = connections[slot];
    auto segment = planner->segment(c.segment);
    if (!segment) return false;
    if (hold_requested) return false;  // the pause is on its way; this data comes again
    if (options.hold_writes && options.hold_writes()) {
      // Inside libcurl's callback: transfers cannot be removed here, so the pause is
      // posted. Until it runs, every transfer ends at its next data; their completions come
      // after the pause, which ignores them. Unwritten data is fetched again on resume().
      hold_requested = true;
      asio::post(io, [weak = weak_from_this()] {
        if (auto self = weak.lock()) {
          self->hold_requested = false;
          self->pause_or_cancel(FetchState::paused);
        }
      });
      return false;
    }
    const auto kept = static_cast<std::size_t>(std::min<std::int64_t>(
        static_cast<std::int64_t>(data.size()), segment->end - segment->next));
    if (kept > 0 && !write(data.substr(0, kept), segment->next, c.disk_error)) return false;
    if (kept > 0) report_written(segment->next, static_cast<std::int64_t>(kept));
    planner->received(c.segment, static_cast<std::int64_t>(kept));
    rate_bytes += static_cast<std::int64_t>(kept);
    if (segment->next + static_cast<std::int64_t>(kept) >= segment->end) {
      c.reached_end = true;  // done, or its end moved: this connection stops here
      return false;
    }
    return true;
  }

  void start_single(int slot) {
    Connection& c = connections[slot];
    c = Connection{};
    single_written = 0;
    if (::ftruncate(part.get(), 0) != 0) {
      fail(fetch::errc::disk_error, "cannot truncate '" + part_path.string() + "'");
      return;
    }
    net::HttpRequest r = request();
    r.on_start = [this](const net::HttpResponse& resp) {
      return !http || (resp.status >= 200 && resp.status < 300);
    };
    r.on_data = [this, slot](std::string_view data) {
      Connection& conn = connections[slot];
      if (size >= 0 && single_written + static_cast<std::int64_t>(data.size()) > size) {
        conn.bad_response =
            "the body is longer than the " + std::to_string(size) + " bytes announced";
        return false;
      }
      if (!write(data, single_written, conn.disk_error)) return false;
      single_written += static_cast<std::int64_t>(data.size());
      rate_bytes += static_cast<std::int64_t>(data.size());
      return true;
    };
    st.peers = 1;
    c.transfer = net::shared_reactor(io).start(
        std::move(r),
        [self = shared_from_this(), gen = generation, slot](ErrorInfo e, net::HttpResponse resp) {
          if (gen == self->generation) self->transfer_done(slot, std::move(e), resp);
        });
  }

  // A transfer ended: success, a retry later, or the end of the download.
  void transfer_done(int slot, ErrorInfo e, const net::HttpResponse& resp) {
    auto it = connections.find(slot);
    if (it == connections.end()) return;
    Connection c = std::move(it->second);
    connections.erase(it);
    if (planner) planner->release(c.segment);
    st.peers = static_cast<int>(connections.size());
    if (!c.disk_error.empty()) {
      fail(fetch::errc::disk_error, c.disk_error);  // names the file, the offset and why
      return;
    }
    const bool status_ok = !http || resp.status == (single ? 200 : 206) ||
                           (single && resp.status >= 200 && resp.status < 300);
    bool ok = (c.reached_end || !e) && c.bad_response.empty() && !c.changed && status_ok;
    if (ok && single && !e && size >= 0 && single_written != size) {
      c.bad_response = "the body ended after " + std::to_string(single_written) + " of " +
                       std::to_string(size) + " bytes";
      ok = false;
    }
    if (ok) {
      failures[slot] = 0;
      if (single) {
        size = single_written;
        finish();
      } else {
        launch();
      }
      return;
    }
    if (c.changed) {
      restart("the file changed on the server (a ranged request got another version back)");
      return;
    }
    if (c.ranges_ignored) {
      // Accept-Ranges promised more than the server does: one plain stream instead.
      logger()->info("{}: the server ignores Range; one connection from the start", shown());
      stop_transfers();
      report_discarded();  // the single stream truncates
      planner.reset();
      resume_state.reset();
      std::error_code ec;
      fs::remove(control_path, ec);
      single = true;
      launch();
      return;
    }
    std::string why;
    if (!c.bad_response.empty())
      why = shown() + ": " + c.bad_response;
    else if (e && e.code != net::errc::aborted)
      why = e.message;
    else
      why = shown() + ": HTTP " + std::to_string(resp.status);
    if (fail_for_good(e)) return;
    const bool answered = !e || e.code == net::errc::aborted;  // the server said something
    if (http && c.bad_response.empty() && answered && resp.status >= 400 &&
        !fetch::RetryPolicy::retryable_status(resp.status)) {
      fail(fetch::errc::server_refused, why);
      return;
    }
    if (++failures[slot] >= retry.max_tries) {
      fail(fetch::errc::gave_up,
           why + " (gave up after " + std::to_string(failures[slot]) + " tries in a row)");
      return;
    }
    logger()->info("{}: connection {} failed ({}), retrying", shown(), slot, why);
    later(slot, retry_after(resp), [this] { launch(); });
    if (!single) launch();  // the other slots may take over the released bytes meanwhile
  }

  // Failures that another try cannot mend: an untrusted server, a refused login or file.
  bool fail_for_good(const ErrorInfo& e) {
    if (e.code == net::errc::not_trusted)
      fail(fetch::errc::not_trusted, e.message);
    else if (e.code == net::errc::refused)
      fail(fetch::errc::server_refused, e.message);
    else
      return false;
    return true;
  }

  std::optional<std::chrono::seconds> retry_after(const net::HttpResponse& resp) {
    auto value = resp.header("Retry-After");
    if (!value) return std::nullopt;
    return fetch::parse_retry_after(*value, std::chrono::system_clock::now());
  }

  // Runs `then` after the retry delay; `slot` (>= 0) counts as busy until then.
  void later(int slot, std::optional<std::chrono::seconds> server_said,
             std::function<void()> then) {
    const int attempt = slot >= 0 ? failures[slot] : probe_failures;
    auto timer = std::make_unique<asio::steady_timer>(io, retry.delay(attempt, rng, server_said));
    auto* raw = timer.get();
    const int key = slot;  // -1: the probe
    waiting[key] = std::move(timer);
    raw->async_wait([self = shared_from_this(), gen = generation, key,
                     then = std::move(then)](std::error_code ec) {
      if (ec || gen != self->generation) return;
      self->waiting.erase(key);
      then();
    });
  }

  // The server's file is not the one the .part holds any more: drop it and start over,
  // once; a file that keeps changing is an error.
  void restart(const std::string& why) {
    if (++restarts > 2) {
      fail(fetch::errc::changed_on_server, shown() + ": " + why);
      return;
    }
    logger()->info("{}: {}; starting over", shown(), why);
    stop_transfers();
    report_discarded();
    planner.reset();
    resume_state.reset();
    std::error_code ec;
    part = {};
    fs::remove(part_path, ec);  // ours, and of no use now
    fs::remove(control_path, ec);
    probe();
  }

  void stop_transfers() {
    ++generation;  // completions of what runs now are ignored
    auto& curl = net::shared_reactor(io);
    for (auto& [slot, c] : connections) {
      if (planner) planner->release(c.segment);
      curl.cancel(c.transfer);
    }
    connections.clear();
    waiting.clear();
    st.peers = 0;
  }

  // ---- the end ---------------------------------------------------------------------

  void finish() {
    if (st.state != FetchState::running) return;
    ++generation;  // nothing more may touch the .part file
    st.peers = 0;
    if (planner) save_control();
    if (::fdatasync(part.get()) != 0) {
      fail(fetch::errc::disk_error, "cannot sync '" + part_path.string() + "'");
      return;
    }
    part = {};
    if (!options.checksum) {
      deliver();
      return;
    }
    // Hashing a large file takes seconds: on a thread of its own (joined by ~UrlFetcher),
    // the result posted back.
    if (hasher.joinable()) hasher.join();
    hasher = std::thread([weak = weak_from_this(), &context = io, path = part_path,
                          sum = *options.checksum] {
      ErrorInfo error;
      auto digest = fetch::file_digest_hex(path, sum.algorithm, error);
      asio::post(context, [weak, digest, error, sum] {
        auto self = weak.lock();
        if (!self || self->st.state != FetchState::running) return;
        if (!digest) {
          self->fail(fetch::errc::disk_error, error.message);
        } else if (*digest != sum.hex) {
          self->fail(fetch::errc::checksum_mismatch, std::string(sum.algorithm_name()) + " of '" +
                                                         self->part_path.string() + "' is " +
                                                         *digest + ", expected " + sum.hex +
                                                         " (the data stays in the .part file)");
        } else {
          self->deliver();
        }
      });
    });
  }
  std::thread hasher;

  // Renames the verified .part to its final name (never over an existing file unless
  // overwrite) and removes the control file.
  void deliver() {
    std::error_code ec;
    int result = -1;
    const std::string base = final_path.filename().string();
    for (int n = 0; n < 10'000 && result != 0; ++n) {
      if (n > 0)
        final_path =
            options.output_dir / fetch::shorten_filename(fetch::numbered_filename(base, n),
                                                         255 - std::strlen(".part.bitflow"));
      result = options.overwrite ? ::rename(part_path.c_str(), final_path.c_str())
                                 : ::renameat2(AT_FDCWD, part_path.c_str(), AT_FDCWD,
                                               final_path.c_str(), RENAME_NOREPLACE);
      if (result != 0 && errno != EEXIST) break;
    }
    if (result != 0) {
      fail(fetch::errc::disk_error,
           "cannot rename '" + part_path.string() + "' to '" + final_path.string() +
               "': " + std::error_code(errno, std::generic_category()).message());
      return;
    }
    fs::remove(control_path, ec);
    st.state = FetchState::completed;
    st.bytes_done = st.bytes_total = size;
    st.download_rate = 0;
    ticker.cancel();
    notify();
  }

  // ---- progress --------------------------------------------------------------------

  void tick_soon() {
    ticker.expires_after(500ms);
    ticker.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec && self->st.state == FetchState::running) self->tick();
    });
  }

  void tick() {
    const auto now = Clock::now();
    const double seconds = std::chrono::duration<double>(now - rate_since).count();
    if (seconds > 0)
      st.download_rate = static_cast<std::int64_t>(static_cast<double>(rate_bytes) / seconds);
    rate_bytes = 0;
    rate_since = now;
    st.bytes_done = bytes_done();
    // Every tick (twice a second): after a kill -9, what arrived since the last save is
    // fetched again, so the save interval bounds what a crash costs.
    if (now - last_control_save >= 400ms) save_control();
    notify();
    tick_soon();
  }

  void pause_or_cancel(FetchState to) {
    if (st.state != FetchState::running &&
        !(to == FetchState::cancelled && st.state == FetchState::paused))
      return;
    stop_transfers();
    save_control();
    ticker.cancel();
    st.state = to;
    st.download_rate = 0;
    st.bytes_done = bytes_done();
    notify();
  }

  void resume() {
    if (st.state != FetchState::paused) return;
    st.state = FetchState::running;
    failures.clear();
    notify();
    tick_soon();
    if (!part)
      probe();  // paused before the probe answered
    else
      launch();
  }
};

UrlFetcher::UrlFetcher(asio::io_context& io, UrlFetchOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options), progress_sink())) {}

UrlFetcher::~UrlFetcher() {
  impl_->sink.reset();  // no callbacks from a fetcher being destroyed
  if (impl_->st.state == FetchState::running) impl_->pause_or_cancel(FetchState::cancelled);
  impl_->ticker.cancel();
  if (impl_->hasher.joinable()) impl_->hasher.join();
}

void UrlFetcher::start() {
  try {
    impl_->start();
  } catch (const std::exception& e) {  // bad_alloc and the like: the promise is "no throw"
    impl_->st.state = FetchState::running;
    impl_->fail(fetch::errc::disk_error, e.what());
  }
}
void UrlFetcher::pause() {
  impl_->pause_or_cancel(FetchState::paused);
}
void UrlFetcher::resume() {
  impl_->resume();
}
void UrlFetcher::cancel() {
  impl_->pause_or_cancel(FetchState::cancelled);
}
FetchStatus UrlFetcher::status() const {
  FetchStatus s = impl_->st;
  if (s.state == FetchState::running) s.bytes_done = impl_->bytes_done();
  return s;
}
fs::path UrlFetcher::file_path() const {
  return impl_->final_path;
}

}  // namespace bitflow
