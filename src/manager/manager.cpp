// The manager: the records of the downloads that are not finished are kept in memory
// (`live`) and written through to the store on every change; the scheduler decides from
// them what starts, and a DownloadJob runs each started one. Every change of a download
// goes through set_state() or changed(), which store it and emit the event, in that order:
// a listener never hears of a state the store has not got. The deliveries an event owes
// the owner's webhooks enter the store's outbox in the same transaction as the change, and
// a WebhookSender POSTs them from there. The watched remote clients' events
// (RemoteWatchers) take the same way to the webhooks and listeners, without a record stored.
#include "bitflow/manager.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "bitflow/log.hpp"
#include "bitflow/manager_json.hpp"
#include "bitflow/s3.hpp"
#include "manager/download_job.hpp"
#include "manager/manager_error.hpp"
#include "manager/remote_watchers.hpp"
#include "manager/retry_rule.hpp"
#include "manager/scheduler.hpp"
#include "manager/state_machine.hpp"
#include "manager/webhook_rules.hpp"
#include "manager/webhook_sender.hpp"

namespace bitflow::manager {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using S = DownloadState;

namespace {

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// 16 characters of [A-Za-z0-9]: about 95 bits, URL-safe, unique without coordination.
std::string new_id() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(alphabet) - 2);
  std::string id(16, '\0');
  for (char& c : id)
    c = alphabet[pick(rng)];
  return id;
}

// What a user sees before the source says more: the magnet's dn, the last path segment.
std::string name_from_source(const std::string& source) {
  if (source.rfind("magnet:", 0) == 0) {
    const auto dn = source.find("dn=");
    if (dn != std::string::npos) {
      const auto end = source.find('&', dn);
      return source.substr(dn + 3, end == std::string::npos ? std::string::npos : end - dn - 3);
    }
    return source.substr(0, std::min<std::size_t>(source.size(), 60));
  }
  std::string path = source.substr(0, source.find_first_of("?#"));
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Lists are in queue order: queue_seq, then id. `a` and `b` are records or positions.
template <typename A, typename B>
bool listed_before(const A& a, const B& b) {
  return a.queue_seq != b.queue_seq ? a.queue_seq < b.queue_seq : a.id < b.id;
}

bool is_active(S s) {
  return s == S::downloading || s == S::uploading;
}

void check_owner(const std::string& owner) {
  if (owner.empty() || owner.size() > 128)
    throw Error(std::make_error_code(std::errc::invalid_argument),
                "a download needs an owner (1 to 128 characters)");
}

void check_destination(const std::string& destination) {
  if (destination.rfind("s3://", 0) == 0) {
    const std::string rest = destination.substr(5);
    if (rest.empty() || rest.front() == '/')
      throw Error(std::make_error_code(std::errc::invalid_argument),
                  "destination '" + destination + "' names no bucket (s3://BUCKET/PREFIX/)");
    return;
  }
  if (destination.find("://") != std::string::npos)
    throw Error(std::make_error_code(std::errc::invalid_argument),
                "destination '" + destination + "' is neither a folder nor s3://BUCKET/PREFIX/");
}

}  // namespace

struct Manager::Impl : std::enable_shared_from_this<Impl> {
  asio::io_context& io;
  ManagerOptions options;
  std::unique_ptr<Store> store;
  Session* session;
  FetcherRegistry registry;
  std::unique_ptr<s3::Client> s3_client;
  std::map<std::string, DownloadRecord> live;  // not finished, or failed with a retry due
  std::map<std::string, std::shared_ptr<DownloadJob>> jobs;
  std::map<std::string, std::chrono::steady_clock::time_point> last_progress;
  std::map<std::string, std::string, std::less<>> user_tiers;
  // Each owner's latest start, finished downloads' included: whose turn is next.
  std::map<std::string, TimeMs> last_start;
  std::map<int, Listener> listeners;
  int next_listener = 1;
  // Each owner's webhooks, as the store has them: looked up on every event.
  std::map<std::string, std::vector<Webhook>> webhooks_of;
  std::shared_ptr<detail::WebhookSender> sender;
  detail::RemoteWatchers remote;
  asio::steady_timer ticker;
  bool schedule_posted = false;
  bool running = false;
  bool loaded = false;  // `live` holds every unfinished download of the store

  Impl(asio::io_context& context, ManagerOptions o, std::unique_ptr<Store> s, Session* sess)
      : io(context),
        options(std::move(o)),
        store(std::move(s)),
        session(sess),
        registry(context, sess),
        remote(context, options.remote_clients, options.progress_interval),
        ticker(context) {}

  // ---- events -------------------------------------------------------------------------

  // Stores the download (unless `save_record` is false) and the deliveries the event owes
  // the owner's webhooks, in one transaction; then tells the listeners.
  void emit(EventKind kind, const DownloadRecord& record, std::vector<std::string> changed = {},
            bool save_record = false) {
    Event event{kind, record, std::move(changed), now_ms()};
    bool owed = false;
    store->transaction([&] {
      if (save_record) save(record);
      owed = owe_webhooks(event);
    });
    if (owed) sender->poke();
    tell_listeners(event);
  }

  // A remote client's event: owed to the owner's webhooks like the manager's own, told to
  // the listeners; its record is the client's, not stored.
  void emit_remote(const Event& event) {
    bool owed = false;
    store->transaction([&] { owed = owe_webhooks(event); });
    if (owed) sender->poke();
    tell_listeners(event);
  }

  void tell_listeners(const Event& event) {
    auto copy = listeners;  // a listener may unsubscribe (itself or others)
    for (auto& [handle, listener] : copy) {
      try {
        listener(event);
      } catch (const std::exception& e) {
        logger()->warn("a download listener threw: {}", e.what());
      } catch (...) {
        logger()->warn("a download listener threw");
      }
    }
  }

  void save(const DownloadRecord& record) {
    if (!store->update(record)) store->insert(record);
  }

  // Enqueues a delivery of `event` for each of the owner's webhooks that wants it; whether
  // there was one.
  bool owe_webhooks(const Event& event) {
    auto it = webhooks_of.find(event.download.owner);
    if (it == webhooks_of.end()) return false;
    std::string body;
    bool owed = false;
    for (const Webhook& w : it->second) {
      if (!detail::webhook_wants(w.events, event.kind)) continue;
      if (body.empty()) body = boost::json::serialize(to_json(event));
      Delivery d;
      d.delivery_id = new_id();
      d.webhook_id = w.id;
      d.event = to_string(event.kind);
      d.body = body;
      d.next_attempt_at = event.at;
      d.created_at = event.at;
      store->enqueue(d);
      owed = true;
    }
    return owed;
  }

  void load_webhooks() {
    webhooks_of.clear();
    for (Webhook& w : store->webhooks(std::nullopt))
      webhooks_of[w.owner].push_back(std::move(w));
  }

  // Moves a download to `to` (the state machine must allow it), stores it and emits `kind`.
  void set_state(DownloadRecord& record, S to, EventKind kind) {
    if (ErrorInfo refused = check_transition(record.state, to)) refused.raise();
    record.state = to;
    if (is_final(to)) record.finished_at = now_ms();
    emit(kind, record, {"state"}, true);
  }

  void changed(DownloadRecord& record, std::vector<std::string> fields) {
    emit(EventKind::updated, record, std::move(fields), true);
  }

  // ---- lookups ------------------------------------------------------------------------

  // A page of the unfinished downloads in `states`, from memory: every one of them is in
  // `live`, so a list request (the API's most frequent) costs no store query for them.
  std::vector<DownloadRecord> live_page(const std::set<S>& states,
                                        const std::optional<std::string>& owner,
                                        const std::optional<ListPosition>& after,
                                        std::size_t limit) const {
    std::vector<const DownloadRecord*> found;
    for (const auto& [id, r] : live) {
      if (!states.count(r.state) || (owner && r.owner != *owner)) continue;
      if (after && !listed_before(*after, r)) continue;
      found.push_back(&r);
    }
    const std::size_t count = std::min(limit, found.size());
    std::partial_sort(
        found.begin(), found.begin() + static_cast<std::ptrdiff_t>(count), found.end(),
        [](const DownloadRecord* a, const DownloadRecord* b) { return listed_before(*a, *b); });
    std::vector<DownloadRecord> page;
    page.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
      page.push_back(*found[i]);
    return page;
  }

  // Listed records: the running downloads' rates and progress are fresher in memory.
  void refresh_from_live(std::vector<DownloadRecord>& records) const {
    for (DownloadRecord& r : records)
      if (auto it = live.find(r.id); it != live.end() && it->second.state == r.state)
        r = it->second;
  }

  DownloadRecord& live_record(const std::string& id) {
    auto it = live.find(id);
    if (it != live.end()) return it->second;
    throw Error(make_error_code(errc::not_found), "no download '" + id + "' is running or waiting");
  }

  const Tier& tier_of(const std::string& owner) const {
    auto it = user_tiers.find(owner);
    const std::string& name = it == user_tiers.end() ? options.default_tier : it->second;
    for (const Tier& t : options.tiers)
      if (t.name == name) return t;
    throw Error(make_error_code(errc::unknown_tier), "the tier '" + name + "' is not configured");
  }

  // ---- scheduling ---------------------------------------------------------------------

  void request_schedule() {
    if (schedule_posted || !running) return;
    schedule_posted = true;
    asio::post(io, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->schedule_posted = false;
        self->run_schedule();
      }
    });
  }

  Capacity capacity() const {
    Capacity c;
    c.max_active = options.max_active;
    c.reserve_bytes = options.disk_reserve;
    std::error_code ec;
    const fs::space_info space = fs::space(options.work_dir, ec);
    if (!ec) {
      c.free_bytes = static_cast<std::int64_t>(space.available);
      c.volume_bytes = static_cast<std::int64_t>(space.capacity);
    }
    return c;
  }

  TierTable tier_table() const {
    TierTable t;
    t.tiers = options.tiers;
    t.owner_tier = user_tiers;
    t.default_tier = options.default_tier;
    return t;
  }

  void run_schedule() {
    if (!running) return;
    std::vector<QueueEntry> entries;
    entries.reserve(live.size());
    for (const auto& [id, record] : live)
      entries.push_back(entry_of(record));
    for (const auto& [owner, at] : last_start) {  // the turns of downloads no longer live
      QueueEntry past;
      past.owner = owner;
      past.state = S::completed;
      past.started_at = at;
      entries.push_back(past);
    }
    const Schedule plan = schedule(entries, tier_table(), capacity(), now_ms());
    // Copies of the ids: applying the plan changes `live`, which the entries borrow from.
    for (const std::string& id : plan.retry)
      if (auto it = live.find(id); it != live.end()) {
        it->second.retry_at = 0;
        set_state(it->second, S::queued, EventKind::updated);
      }
    for (const Schedule::Failure& f : plan.fail)
      if (auto it = live.find(f.id); it != live.end()) fail(it->second, f.code, f.reason, false);
    for (const Schedule::Wait& w : plan.wait)
      if (auto it = live.find(w.id); it != live.end() && it->second.waiting_reason != w.reason) {
        it->second.waiting_reason = w.reason;
        changed(it->second, {"waiting_reason"});
      }
    for (const std::string& id : plan.start)
      if (auto it = live.find(id); it != live.end()) start_job(it->second, true);
    if (!plan.retry.empty()) request_schedule();  // the retried ones are queued now
  }

  void tick() {
    ticker.expires_after(options.tick);
    ticker.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) {
        self->run_schedule();
        self->tick();
      }
    });
  }

  // ---- jobs ---------------------------------------------------------------------------

  s3::Client* s3_for(const std::string& destination) {
    if (destination.rfind("s3://", 0) != 0) return nullptr;
    if (!s3_client)
      s3_client = std::make_unique<s3::Client>(
          io, options.s3 ? *options.s3 : s3::settings_from_environment());
    return s3_client.get();
  }

  fs::path folder_of(const DownloadRecord& record) const { return options.work_dir / record.id; }

  // `counted`: a start the scheduler chose (an attempt); a download picked up again after
  // a restart continues its attempt.
  void start_job(DownloadRecord& record, bool counted) {
    JobSettings settings;
    settings.folder = folder_of(record);
    settings.fetch = options.fetch;
    settings.fetch.file_priorities = record.file_priorities;
    const Tier& tier = tier_of(record.owner);
    settings.fetch.download_rate_limit = tier.download_rate_limit;
    settings.fetch.upload_rate_limit = tier.upload_rate_limit;
    settings.destination = record.destination;
    settings.part_size = options.s3_part_size;
    settings.parallel_parts = options.s3_parallel_parts;
    settings.identity = "bitflow-download:" + record.id;
    try {
      settings.s3 = s3_for(record.destination);
    } catch (const Error& e) {
      fail(record, e.code(), e.what(), false);
      return;
    }
    if (counted) {
      ++record.attempts;
      record.started_at = now_ms();
      last_start[record.owner] = record.started_at;
      record.waiting_reason.clear();
      record.error.clear();
      record.error_code.clear();
      set_state(record, S::downloading, EventKind::started);
    } else {
      emit(EventKind::started, record);
    }
    auto job = std::make_shared<DownloadJob>(
        io, registry, record.source, std::move(settings),
        [weak = weak_from_this(), id = record.id](const JobReport& r) {
          if (auto self = weak.lock()) self->on_report(id, r);
        });
    jobs[record.id] = job;
    job->start();
  }

  static asio::awaitable<void> end_job(std::shared_ptr<DownloadJob> job, bool cancel) {
    if (cancel)
      co_await job->cancel();
    else
      co_await job->stop();
  }

  // Ends the job (keeping what it fetched, unless `cancel`) without waiting for the sink to
  // settle. Often called from inside the job's own report: the job lives on in end_job.
  void stop_job(const std::string& id, bool cancel) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    std::shared_ptr<DownloadJob> job = it->second;
    jobs.erase(it);
    last_progress.erase(id);
    asio::co_spawn(io, end_job(std::move(job), cancel), asio::detached);
  }

  // A job that reported its end: released later, not inside its own report.
  void retire(const std::string& id) {
    auto it = jobs.find(id);
    if (it == jobs.end()) return;
    asio::post(io, [job = std::move(it->second)] {});
    jobs.erase(it);
    last_progress.erase(id);
  }

  void on_report(const std::string& id, const JobReport& r) {
    auto it = live.find(id);
    if (it == live.end()) return;
    DownloadRecord& record = it->second;
    switch (r.kind) {
      case JobReport::Kind::progress:
        on_progress(record, r.fetch);
        break;
      case JobReport::Kind::uploading:
        if (record.state == S::downloading) {
          record.files = r.files;
          record.bytes_done = record.bytes_total;
          set_state(record, S::uploading, EventKind::updated);
        } else if (r.bytes_uploaded > static_cast<std::uint64_t>(record.bytes_uploaded)) {
          record.bytes_uploaded = static_cast<std::int64_t>(r.bytes_uploaded);
          throttled_progress(record);
        }
        break;
      case JobReport::Kind::completed: {
        retire(id);
        record.files = r.files;
        std::int64_t total = 0;
        for (const DownloadFile& f : record.files)
          total += f.size;
        record.bytes_total = total;
        record.bytes_done = total;
        if (!record.destination.empty() && record.destination.rfind("s3://", 0) == 0)
          record.bytes_uploaded = total;
        record.download_rate = record.upload_rate = 0;
        set_state(record, S::completed, EventKind::finished);
        live.erase(it);
        request_schedule();
        break;
      }
      case JobReport::Kind::failed:
        retire(id);
        fail(record, r.error.code, r.error.message, true);
        request_schedule();
        break;
    }
  }

  void on_progress(DownloadRecord& record, const FetchStatus& s) {
    const bool size_learnt = record.bytes_total <= 0 && s.bytes_total > 0;
    record.bytes_done = s.bytes_done;
    if (s.bytes_total > 0) record.bytes_total = s.bytes_total;
    record.download_rate = s.download_rate;
    if (size_learnt) {
      if (!admit_running(record)) return;
      changed(record, {"bytes_total"});
    }
    throttled_progress(record);
  }

  // A running download whose size just became known: checks it against the owner's tier
  // and the disk. Returns false when that stopped it (failed: too large; queued again: no
  // room yet).
  bool admit_running(DownloadRecord& record) {
    const Tier& tier = tier_of(record.owner);
    Capacity c = capacity();
    // What the other active downloads still need is theirs.
    for (const auto& [id, other] : live)
      if (id != record.id && is_active(other.state) && other.bytes_total > 0)
        c.free_bytes -= std::max<std::int64_t>(0, other.bytes_total - other.bytes_done);
    const Admission verdict =
        admit_size(record, tier, c.free_bytes, c.reserve_bytes, c.volume_bytes);
    if (verdict.kind == Admission::Kind::fail) {
      stop_job(record.id, true);
      fail(record, verdict.code, verdict.reason, false);
      request_schedule();
      return false;
    }
    if (verdict.kind == Admission::Kind::wait) {
      stop_job(record.id, false);
      record.waiting_reason = verdict.reason;
      set_state(record, S::queued, EventKind::updated);
      request_schedule();
      return false;
    }
    return true;
  }

  void throttled_progress(DownloadRecord& record) {
    const auto now = std::chrono::steady_clock::now();
    auto [it, first] = last_progress.try_emplace(record.id, now);
    if (!first && now - it->second < options.progress_interval) return;
    it->second = now;
    emit(EventKind::progress, record, {}, true);
  }

  // A failure: retried later when a retry can help and attempts are left, else final.
  void fail(DownloadRecord& record, std::error_code code, const std::string& reason,
            bool may_retry) {
    record.error = reason;
    record.error_code = code ? code_text(code) : std::string();
    record.download_rate = record.upload_rate = 0;
    record.waiting_reason.clear();
    record.retry_at = may_retry ? next_retry_at(code, record.attempts, now_ms(), options.retry,
                                                jitter_seed(record.id))
                                : 0;
    set_state(record, S::failed, EventKind::failed);
    if (record.retry_at == 0) {
      const std::string id = record.id;  // `record` may be the element erased
      live.erase(id);
    }
  }

  // ---- start-up -----------------------------------------------------------------------

  void load() {
    fs::create_directories(options.work_dir);
    for (auto& [owner, tier] : store->user_tiers())
      user_tiers[owner] = tier;
    for (DownloadRecord& r : store->list(ListFilter::unfinished, std::nullopt))
      live.emplace(r.id, std::move(r));
    for (DownloadRecord& r : store->list(ListFilter::finished, std::nullopt))
      if (r.state == S::failed && r.retry_at != 0) live.emplace(r.id, std::move(r));
    loaded = true;
  }
};

Manager::Manager(asio::io_context& io, ManagerOptions options, std::unique_ptr<Store> store,
                 Session* session)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(store), session)) {
  if (!impl_->store)
    throw Error(std::make_error_code(std::errc::invalid_argument), "the manager needs a store");
  impl_->sender =
      std::make_shared<detail::WebhookSender>(io, *impl_->store, impl_->options.webhooks);
  impl_->load_webhooks();
  for (const Tier& t : impl_->options.tiers)
    if (t.name == impl_->options.default_tier) return;
  throw Error(make_error_code(errc::unknown_tier),
              "the default tier '" + impl_->options.default_tier + "' is not configured");
}

Manager::~Manager() {
  impl_->running = false;
  impl_->ticker.cancel();
  impl_->sender->stop();
  impl_->remote.stop();
  for (auto& [id, job] : impl_->jobs)
    asio::co_spawn(impl_->io, Impl::end_job(job, false), asio::detached);
  impl_->jobs.clear();
}

void Manager::start() {
  auto& s = *impl_;
  if (s.running) return;
  s.load();
  s.running = true;
  // What ran before the restart runs on: its fetcher continues from the data on disk.
  std::vector<std::string> active;
  for (const auto& [id, record] : s.live)
    if (is_active(record.state)) active.push_back(id);
  for (const std::string& id : active)  // start_job may fail a download: `live` changes
    if (auto it = s.live.find(id); it != s.live.end()) s.start_job(it->second, false);
  s.request_schedule();
  s.tick();
  s.sender->start();  // with what an earlier run left owed
  s.remote.start([weak = std::weak_ptr<Impl>(impl_)](const Event& event) {
    if (auto self = weak.lock(); self && self->running) self->emit_remote(event);
  });
}

asio::awaitable<void> Manager::shutdown() {
  auto self = impl_;
  self->running = false;
  self->ticker.cancel();
  self->sender->stop();
  self->remote.stop();
  auto jobs = std::move(self->jobs);
  self->jobs.clear();
  for (auto& [id, job] : jobs)
    co_await job->stop();
}

std::string Manager::add(const std::string& source, const AddOptions& options) {
  auto& s = *impl_;
  check_owner(options.owner);
  check_destination(options.destination);
  const DetectedSource detected = s.registry.detect(source);
  if (!detected)
    throw Error(fetch::make_error_code(fetch::errc::bad_url),
                "'" + source +
                    "' is not a source bitflow can fetch (a magnet link, a .torrent, "
                    "an http, https, ftp, ftps, sftp or s3:// URL)");
  const Tier& tier = s.tier_of(options.owner);
  const Admission room = admit_add(static_cast<int>(s.store->count_queued(options.owner)), tier);
  if (!room.ok()) throw Error(room.code, room.reason);

  DownloadRecord record;
  record.id = new_id();
  record.owner = options.owner;
  record.source = source;
  record.type = detected.type;
  record.name = options.name.empty() ? name_from_source(source) : options.name;
  record.destination = options.destination;
  record.file_priorities = options.file_priorities;
  record.created_at = now_ms();
  record.queue_seq = s.store->next_queue_seq();
  const std::string id = record.id;
  s.live.emplace(id, record);  // before the event: a listener may already pause it
  try {
    s.emit(EventKind::added, record, {}, true);
  } catch (...) {
    s.live.erase(id);  // the store refused it: the download does not exist
    throw;
  }

  // What the source holds (its name and size) arrives later; the size lets the scheduler
  // check the tier's cap and the disk before the download starts.
  const bool named = !options.name.empty();
  s.registry.inspect(
      source,
      [weak = std::weak_ptr<Impl>(impl_), id, named](Inspection found) {
        auto self = weak.lock();
        if (!self) return;
        auto it = self->live.find(id);
        if (it == self->live.end() || found.error) return;
        DownloadRecord& r = it->second;
        std::vector<std::string> fields;
        if (!named && !found.name.empty() && found.name != r.name) {
          r.name = found.name;
          fields.push_back("name");
        }
        if (found.size >= 0 && r.bytes_total < 0) {
          r.bytes_total = found.size;
          fields.push_back("bytes_total");
          // Started before the inspection came back: the fetcher's first report will not
          // count as learning the size, so the tier's cap and the disk are checked here.
          if (is_active(r.state) && !self->admit_running(r)) return;
        }
        if (!found.files.empty() && r.files.empty()) {
          for (const Inspection::File& f : found.files) {
            const bool selected =
                r.file_priorities.empty() ||
                (f.index < r.file_priorities.size() && r.file_priorities[f.index] != 0);
            r.files.push_back({f.path, f.size, 0, selected});
          }
          fields.push_back("files");
        }
        if (fields.empty()) return;
        self->changed(r, std::move(fields));
        self->request_schedule();
      },
      s.options.fetch);
  s.request_schedule();
  return id;
}

std::string Manager::create_from_torrent(const fs::path& torrent, const AddOptions& options) {
  if (!fs::is_regular_file(torrent))
    throw Error(std::make_error_code(std::errc::no_such_file_or_directory),
                "no torrent file at '" + torrent.string() + "'");
  return add(torrent.string(), options);
}

namespace {

ListFilter list_filter(Filter filter) {
  return filter == Filter::active     ? ListFilter::active
         : filter == Filter::queued   ? ListFilter::queued
         : filter == Filter::finished ? ListFilter::finished
                                      : ListFilter::all;
}

}  // namespace

std::vector<DownloadRecord> Manager::get_all(Filter filter,
                                             const std::optional<std::string>& owner) {
  auto& s = *impl_;
  std::vector<DownloadRecord> all = s.store->list(list_filter(filter), owner);
  s.refresh_from_live(all);
  return all;
}

DownloadPage Manager::get_page(Filter filter, const std::optional<std::string>& owner,
                               const std::optional<ListPosition>& after, std::size_t limit) {
  auto& s = *impl_;
  DownloadPage page;
  if (limit == 0) return page;
  // One more than asked for tells whether another page follows. Once loaded, the
  // unfinished downloads come from memory; only finished ones need the store.
  const std::size_t wanted = limit + 1;
  if (!s.loaded || filter == Filter::finished) {
    page.downloads = s.store->list_page(list_filter(filter), owner, after, wanted);
    s.refresh_from_live(page.downloads);
  } else if (filter == Filter::active) {
    page.downloads = s.live_page({S::downloading, S::uploading}, owner, after, wanted);
  } else if (filter == Filter::queued) {
    page.downloads = s.live_page({S::queued}, owner, after, wanted);
  } else {
    // Both halves are the first `wanted` of theirs after `after`: merged, so are these.
    auto unfinished =
        s.live_page({S::queued, S::downloading, S::uploading, S::paused}, owner, after, wanted);
    auto finished = s.store->list_page(ListFilter::finished, owner, after, wanted);
    s.refresh_from_live(finished);
    page.downloads.reserve(unfinished.size() + finished.size());
    std::merge(std::make_move_iterator(unfinished.begin()),
               std::make_move_iterator(unfinished.end()), std::make_move_iterator(finished.begin()),
               std::make_move_iterator(finished.end()), std::back_inserter(page.downloads),
               listed_before<DownloadRecord, DownloadRecord>);
    if (page.downloads.size() > wanted) page.downloads.resize(wanted);
  }
  if (page.downloads.size() > limit) {
    page.downloads.resize(limit);
    page.next = ListPosition{page.downloads.back().queue_seq, page.downloads.back().id};
  }
  return page;
}

std::optional<DownloadRecord> Manager::get_one(const std::string& id) {
  auto& s = *impl_;
  if (auto it = s.live.find(id); it != s.live.end()) return it->second;
  return s.store->get(id);
}

std::string Manager::presign_file(const DownloadRecord& record, std::size_t index,
                                  std::chrono::seconds expires) {
  const auto refuse = [&](const std::string& why) {
    throw Error(std::make_error_code(std::errc::invalid_argument),
                "download " + record.id + " " + why);
  };
  if (record.state != S::completed) refuse("is not completed");
  s3::Client* client = impl_->s3_for(record.destination);
  if (!client) refuse("was not delivered to S3");
  if (index >= record.files.size() || !record.files[index].selected)
    refuse("has no selected file " + std::to_string(index));
  // The key the S3 sink gave the file: the destination's prefix, then the file's path.
  auto [bucket, prefix] = split_s3(record.destination);
  return client->presign(s3::PresignMethod::get, bucket, prefix + record.files[index].path,
                         expires);
}

std::vector<DownloadRecord> Manager::remote_downloads(const std::optional<std::string>& owner) {
  return impl_->remote.downloads(owner);
}

void Manager::pause(const std::string& id) {
  auto& s = *impl_;
  DownloadRecord& record = s.live_record(id);
  if (ErrorInfo refused = check_transition(record.state, S::paused)) refused.raise();
  s.stop_job(id, false);
  record.download_rate = record.upload_rate = 0;
  record.waiting_reason.clear();
  s.set_state(record, S::paused, EventKind::paused);
  s.request_schedule();
}

void Manager::resume(const std::string& id) {
  auto& s = *impl_;
  if (!s.live.count(id)) {
    // A download that failed for good is in the history only: resuming it is the user's
    // retry, with a fresh count of attempts.
    std::optional<DownloadRecord> stored = s.store->get(id);
    if (stored && stored->state == S::failed) {
      stored->attempts = 0;
      stored->retry_at = 0;
      stored->finished_at = 0;
      s.live.emplace(id, std::move(*stored));
    }
  }
  DownloadRecord& record = s.live_record(id);
  if (ErrorInfo refused = check_transition(record.state, S::queued)) refused.raise();
  s.set_state(record, S::queued, EventKind::resumed);
  s.request_schedule();
}

void Manager::remove(const std::vector<std::string>& ids, bool delete_data) {
  auto& s = *impl_;
  std::vector<DownloadRecord> records;
  for (const std::string& id : ids) {
    if (auto it = s.live.find(id); it != s.live.end()) {
      records.push_back(it->second);
    } else if (auto stored = s.store->get(id)) {
      records.push_back(std::move(*stored));
    } else {
      throw Error(make_error_code(errc::not_found), "no download '" + id + "'");
    }
    if (ErrorInfo refused = check_transition(records.back().state, S::removed)) refused.raise();
  }
  for (DownloadRecord& record : records) {
    s.stop_job(record.id, true);
    const fs::path folder = s.folder_of(record);
    if (delete_data) {
      std::error_code ignored;
      fs::remove_all(folder, ignored);
      const bool local = !record.destination.empty() && record.destination.rfind("s3://", 0) != 0;
      if (local && record.state == S::completed)
        for (const DownloadFile& f : record.files)
          fs::remove(fs::path(record.destination) / f.path, ignored);
    }
    record.download_rate = record.upload_rate = 0;
    record.retry_at = 0;
    s.live.erase(record.id);
    s.set_state(record, S::removed, EventKind::removed);
  }
  s.request_schedule();
}

std::vector<DownloadRecord> Manager::history(const std::string& owner) {
  return impl_->store->history(owner);
}

std::int64_t Manager::clear_history(const std::string& owner) {
  return impl_->store->clear_history(owner);
}

void Manager::set_user_tier(const std::string& owner, const std::string& tier) {
  auto& s = *impl_;
  check_owner(owner);
  if (!tier.empty()) {
    bool known = false;
    for (const Tier& t : s.options.tiers)
      known = known || t.name == tier;
    if (!known)
      throw Error(make_error_code(errc::unknown_tier), "the tier '" + tier + "' is not configured");
  }
  s.store->set_user_tier(owner, tier);
  if (tier.empty())
    s.user_tiers.erase(owner);
  else
    s.user_tiers[owner] = tier;
  s.request_schedule();
}

void Manager::inspect(const std::string& source, std::function<void(Inspection)> done) {
  impl_->registry.inspect(source, std::move(done), impl_->options.fetch);
}

FetcherRegistry& Manager::fetchers() {
  return impl_->registry;
}

int Manager::subscribe(Listener listener) {
  const int handle = impl_->next_listener++;
  impl_->listeners.emplace(handle, std::move(listener));
  return handle;
}

void Manager::unsubscribe(int handle) {
  impl_->listeners.erase(handle);
}

Webhook Manager::add_webhook(const std::string& owner, const std::string& url,
                             const std::string& secret, const std::vector<std::string>& events) {
  Webhook w;
  w.id = new_id();
  w.owner = owner;
  w.url = url;
  w.secret = secret;
  w.events = events;
  detail::check_webhook(w);
  impl_->store->add_webhook(w);
  impl_->webhooks_of[owner].push_back(w);
  return w;
}

std::vector<Webhook> Manager::webhooks(const std::string& owner) {
  return impl_->store->webhooks(owner);
}

void Manager::remove_webhook(const std::string& owner, const std::string& id) {
  auto& s = *impl_;
  const auto found = s.store->webhook(id);
  if (!found || found->owner != owner)
    throw Error(make_error_code(errc::webhook_not_found),
                "user '" + owner + "' has no webhook '" + id + "'");
  (void)s.store->remove_webhook(id);
  s.load_webhooks();
}

std::vector<Delivery> Manager::dead_deliveries(const std::optional<std::string>& owner) {
  return impl_->store->dead_deliveries(owner);
}

std::int64_t Manager::deliveries_owed(const std::optional<std::string>& owner) {
  return impl_->store->count_owed(owner);
}

Store& Manager::store() {
  return *impl_->store;
}

}  // namespace bitflow::manager
