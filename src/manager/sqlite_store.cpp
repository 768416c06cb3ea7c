// SqliteStore: the download manager's durable state in one SQLite file.
//
// Job: map the Store calls onto the schema of sqlite_schema.cpp with prepared statements
// cached on the connection. Invariants: every call is one SQLite transaction (a single
// statement is one by itself; calls that write several tables open a Transaction), so a
// crash leaves either all of a call or none of it; a download's rows in download_files are
// exactly its `files`, in order; reads that take several statements see one snapshot
// (ReadSnapshot). Threading: none of its own; the caller serializes calls
// (the Store contract).
//
// A download's state is stored as its name from this file's own table (kStateNames), not
// the enum's number and not manager_types' to_string: the text is what the schema's CHECK
// constraint lists, and it must not change when the enum is reordered.
#include "manager/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string_view>
#include <utility>

#include "manager/sqlite_schema.hpp"

namespace bitflow::manager {

namespace {

using detail::Query;

constexpr std::array<std::pair<DownloadState, std::string_view>, 7> kStateNames{{
    {DownloadState::queued, "queued"},
    {DownloadState::downloading, "downloading"},
    {DownloadState::uploading, "uploading"},
    {DownloadState::paused, "paused"},
    {DownloadState::completed, "completed"},
    {DownloadState::failed, "failed"},
    {DownloadState::removed, "removed"},
}};

std::string_view state_name(DownloadState state) noexcept {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "queued";  // unreachable for a valid enum value; the CHECK constraint guards the rest
}

std::optional<DownloadState> state_from_name(std::string_view text) noexcept {
  for (const auto& [value, name] : kStateNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

// The filter's states as an SQL list, "('queued', 'paused')". Written into the statement
// rather than bound, so that `state IN (...)` can seek the downloads_by_owner index.
std::string_view filter_states(ListFilter filter) noexcept {
  switch (filter) {
    case ListFilter::all:
      break;
    case ListFilter::active:
      return "('downloading', 'uploading')";
    case ListFilter::queued:
      return "('queued')";
    case ListFilter::unfinished:
      return "('queued', 'downloading', 'uploading', 'paused')";
    case ListFilter::finished:
      return "('completed', 'failed', 'removed')";
  }
  return "('queued', 'downloading', 'uploading', 'paused', 'completed', 'failed', 'removed')";
}

std::string join_priorities(const std::vector<int>& priorities) {
  std::string out;
  for (std::size_t i = 0; i < priorities.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(priorities[i]);
  }
  return out;
}

std::optional<std::vector<int>> split_priorities(std::string_view text) {
  std::vector<int> out;
  if (text.empty()) return out;
  const char* at = text.data();
  const char* end = text.data() + text.size();
  while (true) {
    int value = 0;
    const auto [next, ec] = std::from_chars(at, end, value);
    if (ec != std::errc{}) return std::nullopt;
    out.push_back(value);
    if (next == end) return out;
    if (*next != ',') return std::nullopt;
    at = next + 1;
  }
}

// The columns of a download, in the order of the parameters ?1…?22 of the INSERT and the
// UPDATE and of the columns 0…21 of every SELECT. A SELECT's full text is a function-local
// static (initialized once, thread-safe) because the statement cache is keyed by it.
constexpr std::string_view kSelectDownloads =
    "SELECT id, owner, source, type, name, destination, file_priorities, state, "
    "waiting_reason, bytes_done, bytes_total, bytes_uploaded, download_rate, upload_rate, "
    "error, error_code, attempts, retry_at, created_at, started_at, finished_at, queue_seq "
    "FROM downloads ";

void bind_download(Query& q, const DownloadRecord& r) {
  q.bind_text(1, r.id)
      .bind_text(2, r.owner)
      .bind_text(3, r.source)
      .bind_text(4, r.type)
      .bind_text(5, r.name)
      .bind_text(6, r.destination)
      .bind_text(7, join_priorities(r.file_priorities))
      .bind_text(8, state_name(r.state))
      .bind_text(9, r.waiting_reason)
      .bind_int(10, r.bytes_done)
      .bind_int(11, r.bytes_total)
      .bind_int(12, r.bytes_uploaded)
      .bind_int(13, r.download_rate)
      .bind_int(14, r.upload_rate)
      .bind_text(15, r.error)
      .bind_text(16, r.error_code)
      .bind_int(17, r.attempts)
      .bind_int(18, r.retry_at)
      .bind_int(19, r.created_at)
      .bind_int(20, r.started_at)
      .bind_int(21, r.finished_at)
      .bind_int(22, r.queue_seq);
}

constexpr std::string_view kSelectDeliveries =
    "SELECT d.delivery_id, d.webhook_id, d.event, d.body, d.attempts, d.next_attempt_at, "
    "d.created_at, d.last_status, d.last_error, d.dead_at FROM webhook_deliveries d ";

Delivery read_delivery(const Query& q) {
  Delivery d;
  d.delivery_id = q.column_text(0);
  d.webhook_id = q.column_text(1);
  d.event = q.column_text(2);
  d.body = q.column_text(3);
  d.attempts = q.column_int32(4);
  d.next_attempt_at = q.column_int(5);
  d.created_at = q.column_int(6);
  d.last_status = q.column_int32(7);
  d.last_error = q.column_text(8);
  d.dead_at = q.column_int(9);
  return d;
}

}  // namespace

SqliteStore::SqliteStore(const std::filesystem::path& path) : db_(path) {
  // Per connection, before anything else: foreign keys are off by default in SQLite, and
  // synchronous=NORMAL is WAL's durable-against-crashes setting without an fsync per commit.
  db_.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "configure connection");
  {
    auto q = db_.query("PRAGMA journal_mode = WAL", "set journal_mode=WAL");
    const std::string mode = q.step() ? q.column_text(0) : std::string();
    // An in-memory database has no journal file to put in WAL mode and answers "memory".
    if (mode != "wal" && !(path == ":memory:" && mode == "memory"))
      db_.fail_with(store_errc::database_error,
                    "journal_mode=WAL refused (the database stays in mode '" + mode + "')");
  }
  schema_version_ = detail::migrate(db_, detail::sqlite_migrations());
}

// --- downloads -----------------------------------------------------------------------------

void SqliteStore::write_files(const DownloadRecord& record) {
  db_.query("DELETE FROM download_files WHERE download_id = ?1", "replace download files")
      .bind_text(1, record.id)
      .run();
  for (std::size_t i = 0; i < record.files.size(); ++i) {
    const DownloadFile& f = record.files[i];
    db_.query(
           "INSERT INTO download_files (download_id, position, path, size, bytes_done, selected)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
           "store download file")
        .bind_text(1, record.id)
        .bind_int(2, static_cast<std::int64_t>(i))
        .bind_text(3, f.path)
        .bind_int(4, f.size)
        .bind_int(5, f.bytes_done)
        .bind_int(6, f.selected ? 1 : 0)
        .run();
  }
}

void SqliteStore::insert(const DownloadRecord& record) {
  detail::Transaction transaction(db_);
  auto q = db_.query(
      "INSERT INTO downloads (id, owner, source, type, name, destination, file_priorities, "
      "state, waiting_reason, bytes_done, bytes_total, bytes_uploaded, download_rate, "
      "upload_rate, error, error_code, attempts, retry_at, created_at, started_at, "
      "finished_at, queue_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
      "insert download");
  bind_download(q, record);
  q.run();
  write_files(record);
  transaction.commit();
}

bool SqliteStore::update(const DownloadRecord& record) {
  detail::Transaction transaction(db_);
  {
    auto q = db_.query(
        "UPDATE downloads SET owner = ?2, source = ?3, type = ?4, name = ?5, destination = ?6, "
        "file_priorities = ?7, state = ?8, waiting_reason = ?9, bytes_done = ?10, "
        "bytes_total = ?11, bytes_uploaded = ?12, download_rate = ?13, upload_rate = ?14, "
        "error = ?15, error_code = ?16, attempts = ?17, retry_at = ?18, created_at = ?19, "
        "started_at = ?20, finished_at = ?21, queue_seq = ?22 WHERE id = ?1",
        "update download");
    bind_download(q, record);
    q.run();
  }
  if (db_.changes() == 0) return false;  // the transaction rolls back, having changed nothing
  write_files(record);
  transaction.commit();
  return true;
}

bool SqliteStore::remove(const std::string& id) {
  // The files and the resume data go with it (ON DELETE CASCADE).
  db_.query("DELETE FROM downloads WHERE id = ?1", "remove download").bind_text(1, id).run();
  return db_.changes() > 0;
}

std::vector<DownloadRecord> SqliteStore::read_downloads(Query& q) {
  std::vector<DownloadRecord> out;
  while (q.step()) {
    DownloadRecord r;
    r.id = q.column_text(0);
    r.owner = q.column_text(1);
    r.source = q.column_text(2);
    r.type = q.column_text(3);
    r.name = q.column_text(4);
    r.destination = q.column_text(5);
    auto priorities = split_priorities(q.column_text(6));
    auto state = state_from_name(q.column_text(7));
    if (!priorities || !state)
      db_.fail_with(store_errc::corrupt, "read download " + r.id + ": unreadable " +
                                             (priorities ? "state" : "file priorities"));
    r.file_priorities = std::move(*priorities);
    r.state = *state;
    r.waiting_reason = q.column_text(8);
    r.bytes_done = q.column_int(9);
    r.bytes_total = q.column_int(10);
    r.bytes_uploaded = q.column_int(11);
    r.download_rate = q.column_int(12);
    r.upload_rate = q.column_int(13);
    r.error = q.column_text(14);
    r.error_code = q.column_text(15);
    r.attempts = q.column_int32(16);
    r.retry_at = q.column_int(17);
    r.created_at = q.column_int(18);
    r.started_at = q.column_int(19);
    r.finished_at = q.column_int(20);
    r.queue_seq = q.column_int(21);
    out.push_back(std::move(r));
  }
  // One query per download for its files: SQLite runs in-process, so this costs microseconds,
  // and it keeps the download's own row free of a variable-length column.
  for (DownloadRecord& r : out) {
    auto f = db_.query(
        "SELECT path, size, bytes_done, selected FROM download_files WHERE download_id = ?1 "
        "ORDER BY position",
        "read download files");
    f.bind_text(1, r.id);
    while (f.step()) {
      r.files.push_back(
          DownloadFile{f.column_text(0), f.column_int(1), f.column_int(2), f.column_int(3) != 0});
    }
  }
  return out;
}

std::optional<DownloadRecord> SqliteStore::get(const std::string& id) {
  static const std::string sql = std::string(kSelectDownloads) + "WHERE id = ?1";
  detail::ReadSnapshot snapshot(db_);
  auto q = db_.query(sql, "get download");
  q.bind_text(1, id);
  auto found = read_downloads(q);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<DownloadRecord> SqliteStore::list(ListFilter filter,
                                              const std::optional<std::string>& owner) {
  return list_page(filter, owner, std::nullopt, std::numeric_limits<std::size_t>::max());
}

std::vector<DownloadRecord> SqliteStore::list_page(ListFilter filter,
                                                   const std::optional<std::string>& owner,
                                                   const std::optional<ListPosition>& after,
                                                   std::size_t limit) {
  // Seeks by the (queue_seq, id) order that downloads_by_queue indexes (or, for one owner,
  // downloads_by_owner), so a page costs its own rows, not the rows before it. Conditions
  // that do not apply are left out of the text, not made true by a NULL, since SQLite plans
  // a statement before its values are bound: there is one prepared statement per shape.
  // The connection's statement cache keeps the text by reference (Db::query): each
  // shape's text is made once and lives as long as the program.
  static const auto shapes = [] {
    std::array<std::string, 5 * 4> texts;
    for (ListFilter f : {ListFilter::all, ListFilter::active, ListFilter::queued,
                         ListFilter::unfinished, ListFilter::finished})
      for (std::size_t with_owner = 0; with_owner < 2; ++with_owner)
        for (std::size_t with_after = 0; with_after < 2; ++with_after) {
          std::string& text = texts[static_cast<std::size_t>(f) * 4 + with_owner * 2 + with_after];
          text = std::string(kSelectDownloads) + "WHERE state IN " + std::string(filter_states(f));
          if (with_owner) text += " AND owner = ?1";
          if (with_after) text += " AND (queue_seq, id) > (?2, ?3)";
          text += " ORDER BY queue_seq, id LIMIT ?4";
        }
    return texts;
  }();
  const std::string& sql = shapes.at(static_cast<std::size_t>(filter) * 4 +
                                     (owner ? std::size_t{2} : 0) + (after ? std::size_t{1} : 0));
  detail::ReadSnapshot snapshot(db_);
  auto q = db_.query(sql, "list downloads");
  if (owner) q.bind_text(1, *owner);
  if (after) {
    q.bind_int(2, after->queue_seq);
    q.bind_text(3, after->id);
  }
  q.bind_int(4, static_cast<std::int64_t>(
                    std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max())));
  return read_downloads(q);
}

std::int64_t SqliteStore::next_queue_seq() {
  // Past both the counter and the largest stored queue_seq: downloads inserted with numbers
  // of their own (an import) still sort before the next new one.
  auto q = db_.query(
      "UPDATE counters SET value = max(value, (SELECT coalesce(max(queue_seq), 0) FROM "
      "downloads)) + 1 WHERE name = 'queue_seq' RETURNING value",
      "next queue_seq");
  if (!q.step()) db_.fail_with(store_errc::corrupt, "next queue_seq: the counter row is missing");
  const std::int64_t value = q.column_int(0);
  q.run();
  return value;
}

std::int64_t SqliteStore::count_queued(const std::string& owner) {
  auto q = db_.query("SELECT count(*) FROM downloads WHERE owner = ?1 AND state = 'queued'",
                     "count queued downloads");
  q.bind_text(1, owner);
  return q.step() ? q.column_int(0) : 0;
}

// --- history -------------------------------------------------------------------------------

std::vector<DownloadRecord> SqliteStore::history(const std::string& owner) {
  static const std::string sql = std::string(kSelectDownloads) +
                                 "WHERE owner = ?1 AND state IN ('completed', 'failed', 'removed') "
                                 "ORDER BY finished_at DESC, queue_seq DESC, id";
  detail::ReadSnapshot snapshot(db_);
  auto q = db_.query(sql, "read history");
  q.bind_text(1, owner);
  return read_downloads(q);
}

std::int64_t SqliteStore::clear_history(const std::string& owner) {
  db_.query(
         "DELETE FROM downloads WHERE owner = ?1 AND state IN ('completed', 'failed', 'removed')",
         "clear history")
      .bind_text(1, owner)
      .run();
  return db_.changes();
}

// --- user tiers ----------------------------------------------------------------------------

void SqliteStore::set_user_tier(const std::string& owner, const std::string& tier_name) {
  if (tier_name.empty()) {
    db_.query("DELETE FROM user_tiers WHERE owner = ?1", "forget user tier")
        .bind_text(1, owner)
        .run();
    return;
  }
  db_.query(
         "INSERT INTO user_tiers (owner, tier) VALUES (?1, ?2) "
         "ON CONFLICT (owner) DO UPDATE SET tier = excluded.tier",
         "set user tier")
      .bind_text(1, owner)
      .bind_text(2, tier_name)
      .run();
}

std::map<std::string, std::string> SqliteStore::user_tiers() {
  std::map<std::string, std::string> out;
  auto q = db_.query("SELECT owner, tier FROM user_tiers", "read user tiers");
  while (q.step())
    out.emplace(q.column_text(0), q.column_text(1));
  return out;
}

// --- webhooks ------------------------------------------------------------------------------

void SqliteStore::add_webhook(const Webhook& webhook) {
  detail::Transaction transaction(db_);
  db_.query("INSERT INTO webhooks (id, owner, url, secret) VALUES (?1, ?2, ?3, ?4)", "add webhook")
      .bind_text(1, webhook.id)
      .bind_text(2, webhook.owner)
      .bind_text(3, webhook.url)
      .bind_text(4, webhook.secret)
      .run();
  for (std::size_t i = 0; i < webhook.events.size(); ++i) {
    db_.query("INSERT INTO webhook_events (webhook_id, position, event) VALUES (?1, ?2, ?3)",
              "add webhook event")
        .bind_text(1, webhook.id)
        .bind_int(2, static_cast<std::int64_t>(i))
        .bind_text(3, webhook.events[i])
        .run();
  }
  transaction.commit();
}

bool SqliteStore::remove_webhook(const std::string& id) {
  // Its events and its deliveries, dead or alive, go with it (ON DELETE CASCADE).
  db_.query("DELETE FROM webhooks WHERE id = ?1", "remove webhook").bind_text(1, id).run();
  return db_.changes() > 0;
}

std::vector<Webhook> SqliteStore::read_webhooks(Query& q) {
  std::vector<Webhook> out;
  while (q.step()) {
    out.push_back(
        Webhook{q.column_text(0), q.column_text(1), q.column_text(2), q.column_text(3), {}});
  }
  for (Webhook& w : out) {
    auto e = db_.query("SELECT event FROM webhook_events WHERE webhook_id = ?1 ORDER BY position",
                       "read webhook events");
    e.bind_text(1, w.id);
    while (e.step())
      w.events.push_back(e.column_text(0));
  }
  return out;
}

std::optional<Webhook> SqliteStore::webhook(const std::string& id) {
  detail::ReadSnapshot snapshot(db_);
  auto q = db_.query("SELECT id, owner, url, secret FROM webhooks WHERE id = ?1", "get webhook");
  q.bind_text(1, id);
  auto found = read_webhooks(q);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<Webhook> SqliteStore::webhooks(const std::optional<std::string>& owner) {
  detail::ReadSnapshot snapshot(db_);
  auto q = db_.query(
      "SELECT id, owner, url, secret FROM webhooks WHERE (?1 IS NULL OR owner = ?1) ORDER BY id",
      "list webhooks");
  if (owner) q.bind_text(1, *owner);
  return read_webhooks(q);
}

// --- the webhook outbox --------------------------------------------------------------------

void SqliteStore::enqueue(const Delivery& delivery) {
  // seq: one past the largest in the outbox, so it is larger than that of every delivery
  // still owed (delivered ones are gone and do not matter).
  db_.query(
         "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event, body, attempts, "
         "next_attempt_at, created_at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
         "(SELECT coalesce(max(seq), 0) + 1 FROM webhook_deliveries))",
         "enqueue webhook delivery")
      .bind_text(1, delivery.delivery_id)
      .bind_text(2, delivery.webhook_id)
      .bind_text(3, delivery.event)
      .bind_text(4, delivery.body)
      .bind_int(5, delivery.attempts)
      .bind_int(6, delivery.next_attempt_at)
      .bind_int(7, delivery.created_at)
      .run();
}

std::vector<Delivery> SqliteStore::due(TimeMs now, int limit) {
  std::vector<Delivery> out;
  if (limit <= 0) return out;
  static const std::string sql = std::string(kSelectDeliveries) +
                                 "WHERE d.dead_at = 0 AND d.next_attempt_at <= ?1 "
                                 "ORDER BY d.next_attempt_at, d.created_at, d.delivery_id LIMIT ?2";
  auto q = db_.query(sql, "read due webhook deliveries");
  q.bind_int(1, now).bind_int(2, limit);
  while (q.step())
    out.push_back(read_delivery(q));
  return out;
}

std::vector<Delivery> SqliteStore::due_in_order(TimeMs now, int limit) {
  std::vector<Delivery> out;
  if (limit <= 0) return out;
  static const std::string sql = std::string(kSelectDeliveries) +
                                 "WHERE d.dead_at = 0 AND d.next_attempt_at <= ?1 AND d.seq = "
                                 "(SELECT min(e.seq) FROM webhook_deliveries e "
                                 " WHERE e.webhook_id = d.webhook_id AND e.dead_at = 0) "
                                 "ORDER BY d.next_attempt_at, d.seq LIMIT ?2";
  auto q = db_.query(sql, "read due webhook deliveries in order");
  q.bind_int(1, now).bind_int(2, limit);
  while (q.step())
    out.push_back(read_delivery(q));
  return out;
}

std::int64_t SqliteStore::count_owed(const std::optional<std::string>& owner) {
  auto q = db_.query(
      "SELECT count(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id "
      "WHERE d.dead_at = 0 AND (?1 IS NULL OR w.owner = ?1)",
      "count owed webhook deliveries");
  if (owner) q.bind_text(1, *owner);
  return q.step() ? q.column_int(0) : 0;
}

bool SqliteStore::mark_delivered(const std::string& delivery_id) {
  db_.query("DELETE FROM webhook_deliveries WHERE delivery_id = ?1", "mark delivery delivered")
      .bind_text(1, delivery_id)
      .run();
  return db_.changes() > 0;
}

bool SqliteStore::reschedule(const std::string& delivery_id, int attempts, TimeMs next_attempt_at,
                             const std::string& last_error) {
  db_.query(
         "UPDATE webhook_deliveries SET attempts = ?2, next_attempt_at = ?3, last_error = ?4 "
         "WHERE delivery_id = ?1 AND dead_at = 0",
         "reschedule webhook delivery")
      .bind_text(1, delivery_id)
      .bind_int(2, attempts)
      .bind_int(3, next_attempt_at)
      .bind_text(4, last_error)
      .run();
  return db_.changes() > 0;
}

bool SqliteStore::mark_dead(const std::string& delivery_id, int attempts, int last_status,
                            const std::string& last_error, TimeMs dead_at) {
  // dead_at 0 means "alive" in the table, so a death at time 0 is recorded as 1 ms.
  db_.query(
         "UPDATE webhook_deliveries SET attempts = ?2, last_status = ?3, last_error = ?4, "
         "dead_at = max(?5, 1) WHERE delivery_id = ?1 AND dead_at = 0",
         "mark webhook delivery dead")
      .bind_text(1, delivery_id)
      .bind_int(2, attempts)
      .bind_int(3, last_status)
      .bind_text(4, last_error)
      .bind_int(5, dead_at)
      .run();
  return db_.changes() > 0;
}

std::vector<Delivery> SqliteStore::dead_deliveries(const std::optional<std::string>& owner) {
  static const std::string sql = std::string(kSelectDeliveries) +
                                 "JOIN webhooks w ON w.id = d.webhook_id "
                                 "WHERE d.dead_at > 0 AND (?1 IS NULL OR w.owner = ?1) "
                                 "ORDER BY d.dead_at, d.delivery_id";
  auto q = db_.query(sql, "read dead webhook deliveries");
  if (owner) q.bind_text(1, *owner);
  std::vector<Delivery> out;
  while (q.step())
    out.push_back(read_delivery(q));
  return out;
}

// --- resume data ---------------------------------------------------------------------------

bool SqliteStore::put_resume(const std::string& id, const std::string& bytes) {
  // Inserts nothing (changes() == 0) when the download does not exist, instead of tripping
  // the foreign key: an unknown id is an answer, not a database failure.
  db_.query(
         "INSERT INTO resume_data (download_id, bytes) SELECT ?1, ?2 "
         "WHERE EXISTS (SELECT 1 FROM downloads WHERE id = ?1) "
         "ON CONFLICT (download_id) DO UPDATE SET bytes = excluded.bytes",
         "store resume data")
      .bind_text(1, id)
      .bind_blob(2, bytes)
      .run();
  return db_.changes() > 0;
}

std::optional<std::string> SqliteStore::get_resume(const std::string& id) {
  auto q = db_.query("SELECT bytes FROM resume_data WHERE download_id = ?1", "read resume data");
  q.bind_text(1, id);
  if (!q.step()) return std::nullopt;
  return q.column_blob(0);
}

// --- transactions --------------------------------------------------------------------------

void SqliteStore::transaction(const std::function<void()>& work) {
  detail::Transaction transaction(db_);
  work();
  transaction.commit();
}

std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace bitflow::manager
