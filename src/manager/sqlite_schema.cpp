// The SQLite store's schema, as the migration steps that build it. A released step is never
// edited: a change to the schema is a new step at the end, so every database, whatever
// version wrote it, reaches the same schema.
//
// Conventions the steps keep: times are INTEGER milliseconds since the Unix epoch (TimeMs);
// a download's state is its name (to_string(DownloadState)), so the database reads well in
// the sqlite3 shell and does not depend on the enum's order; a download's files and a
// webhook's events are rows of their own, deleted with their parent (ON DELETE CASCADE, with
// PRAGMA foreign_keys=ON on every connection).
#include "manager/sqlite_schema.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "bitflow/manager_store.hpp"

namespace bitflow::manager::detail {

namespace {

constexpr const char* kVersion1 = R"sql(
CREATE TABLE downloads (
  id              TEXT PRIMARY KEY NOT NULL,
  owner           TEXT NOT NULL,
  source          TEXT NOT NULL,
  type            TEXT NOT NULL,
  name            TEXT NOT NULL,
  destination     TEXT NOT NULL,
  file_priorities TEXT NOT NULL,  -- decimal numbers separated by ',' ('' for none)
  state           TEXT NOT NULL CHECK (state IN ('queued', 'downloading', 'uploading',
                                                 'paused', 'completed', 'failed', 'removed')),
  waiting_reason  TEXT NOT NULL,
  bytes_done      INTEGER NOT NULL,
  bytes_total     INTEGER NOT NULL,
  bytes_uploaded  INTEGER NOT NULL,
  download_rate   INTEGER NOT NULL,
  upload_rate     INTEGER NOT NULL,
  error           TEXT NOT NULL,
  error_code      TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  retry_at        INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER NOT NULL,
  finished_at     INTEGER NOT NULL,
  queue_seq       INTEGER NOT NULL
);
CREATE INDEX downloads_by_queue ON downloads (queue_seq, id);
CREATE INDEX downloads_by_owner ON downloads (owner, state, queue_seq);

CREATE TABLE download_files (
  download_id TEXT NOT NULL REFERENCES downloads (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  path        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  bytes_done  INTEGER NOT NULL,
  selected    INTEGER NOT NULL CHECK (selected IN (0, 1)),
  PRIMARY KEY (download_id, position)
) WITHOUT ROWID;

CREATE TABLE resume_data (
  download_id TEXT PRIMARY KEY NOT NULL REFERENCES downloads (id) ON DELETE CASCADE,
  bytes       BLOB NOT NULL
);

-- The next queue_seq to hand out, so that numbers are never reused even after the download
-- that had the largest is removed.
CREATE TABLE counters (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('queue_seq', 0);

CREATE TABLE user_tiers (
  owner TEXT PRIMARY KEY NOT NULL,
  tier  TEXT NOT NULL
);

CREATE TABLE webhooks (
  id     TEXT PRIMARY KEY NOT NULL,
  owner  TEXT NOT NULL,
  url    TEXT NOT NULL,
  secret TEXT NOT NULL
);
CREATE INDEX webhooks_by_owner ON webhooks (owner);

CREATE TABLE webhook_events (
  webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  event      TEXT NOT NULL,
  PRIMARY KEY (webhook_id, position)
) WITHOUT ROWID;

-- The outbox. Delivered rows are deleted; dead ones have dead_at > 0.
CREATE TABLE webhook_deliveries (
  delivery_id     TEXT PRIMARY KEY NOT NULL,
  webhook_id      TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event           TEXT NOT NULL,
  body            TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  dead_at         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_due ON webhook_deliveries (dead_at, next_attempt_at, created_at);
CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id);
)sql";

// Deliveries get their enqueue order (seq), so that the sender can send each webhook's in
// the order its events happened: created_at ties within a millisecond, and SQLite may
// renumber rowids on VACUUM. Rows from version 1 keep the order they were inserted in.
constexpr const char* kVersion2 = R"sql(
ALTER TABLE webhook_deliveries ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_deliveries SET seq = rowid;
CREATE INDEX deliveries_by_webhook_seq ON webhook_deliveries (webhook_id, dead_at, seq);
)sql";

constexpr std::array kMigrations{
    Migration{1, kVersion1},
    Migration{2, kVersion2},
};

int read_version(Db& db) {
  auto q = db.query("SELECT coalesce(max(version), 0) FROM schema_version", "read schema version");
  return q.step() ? q.column_int32(0) : 0;
}

}  // namespace

std::span<const Migration> sqlite_migrations() noexcept {
  return kMigrations;
}

int migrate(Db& db, std::span<const Migration> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1)
      throw std::logic_error("sqlite store: migration steps must be numbered 1, 2, 3, …");
  }
  const int known = static_cast<int>(steps.size());
  // One row per applied step: the table is also the database's record of its upgrades.
  db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY NOT NULL,"
      " applied_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER)))",
      "create schema_version");
  int current = read_version(db);
  if (current > known) {
    db.fail_with(store_errc::schema_too_new, "database schema " + std::to_string(current) +
                                                 " is newer than this bitflow (" +
                                                 std::to_string(known) + ")");
  }
  for (const Migration& step : steps.subspan(static_cast<std::size_t>(current))) {
    Transaction transaction(db);
    // Another process may have applied the step since the version was read: the write lock
    // of BEGIN IMMEDIATE makes this second reading the one that counts.
    current = read_version(db);
    if (current >= step.version) continue;
    db.exec(step.sql, "migrate to schema " + std::to_string(step.version));
    db.query("INSERT INTO schema_version (version) VALUES (?1)", "record schema version")
        .bind_int(1, step.version)
        .run();
    transaction.commit();
    current = step.version;
  }
  return current;
}

}  // namespace bitflow::manager::detail
