// The RAII layer over sqlite3 (see sqlite_db.hpp). Its one policy decision is how SQLite's
// result codes map onto store_errc; everything else is the C API with ownership attached.
#include "manager/sqlite_db.hpp"

#include <sqlite3.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "bitflow/error.hpp"
#include "bitflow/manager_store.hpp"

namespace bitflow::manager::detail {

namespace {

store_errc classify(int rc) noexcept {
  switch (rc & 0xff) {  // the primary code; the extended one only refines it
    case SQLITE_CONSTRAINT:
      return store_errc::constraint;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return store_errc::busy;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return store_errc::cannot_open;
    case SQLITE_CORRUPT:
      return store_errc::corrupt;
    default:
      return store_errc::database_error;
  }
}

}  // namespace

// --- Query ---------------------------------------------------------------------------------

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  *in_use_ = false;
}

void Query::check_bind(int rc, int index) {
  if (rc != SQLITE_OK)
    db_->fail(rc, std::string(what_) + " (parameter " + std::to_string(index) + ")");
}

Query& Query::bind_int(int index, std::int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Query& Query::bind_text(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so the caller's string may go away before step.
  check_bind(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      index);
  return *this;
}

Query& Query::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob still binds as a BLOB (not NULL), so NOT NULL columns accept it.
  check_bind(bytes.empty()
                 ? sqlite3_bind_zeroblob(stmt_, index, 0)
                 : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
             index);
  return *this;
}

bool Query::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail(rc, what_);
}

void Query::run() {
  while (step()) {
  }
}

std::int64_t Query::column_int(int index) const noexcept {
  return sqlite3_column_int64(stmt_, index);
}

int Query::column_int32(int index) const {
  const std::int64_t value = column_int(index);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
    db_->fail_with(store_errc::corrupt, std::string(what_) + ": column " + std::to_string(index) +
                                            " holds " + std::to_string(value) + ", out of range");
  return static_cast<int>(value);
}

std::string Query::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  // Asked after the text: sqlite3_column_bytes reports the size of the converted value.
  const int size = sqlite3_column_bytes(stmt_, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string Query::column_blob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  const int size = sqlite3_column_bytes(stmt_, index);
  if (data == nullptr) return {};
  return {static_cast<const char*>(data), static_cast<std::size_t>(size)};
}

// --- Db ------------------------------------------------------------------------------------

void Db::StatementDeleter::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

Db::Db(const std::filesystem::path& path) : path_(path) {
  // NOMUTEX: the connection is used by one thread at a time (the Store's contract), so
  // SQLite's per-connection mutex would only cost.
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    fail_with(classify(rc) == store_errc::database_error ? store_errc::cannot_open : classify(rc),
              "open: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
}

Db::~Db() {
  cache_.clear();  // every statement is finalized before the connection closes
  sqlite3_close(db_);
}

void Db::exec(const char* sql, std::string_view what) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return;
  const std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  fail_with(classify(rc), std::string(what) + ": " + text);
}

Query Db::query(std::string_view sql, std::string_view what) {
  auto found = cache_.find(sql);
  if (found == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      fail(rc, std::string(what) + " (prepare)");
    }
    found =
        cache_.emplace(sql, Cached{std::unique_ptr<sqlite3_stmt, StatementDeleter>(stmt)}).first;
  }
  Cached& cached = found->second;
  if (cached.in_use)
    throw std::logic_error("sqlite store: statement already in use: " + std::string(what));
  return Query(*this, cached.stmt.get(), cached.in_use, what);
}

std::int64_t Db::changes() const noexcept {
  return sqlite3_changes64(db_);
}

bool Db::in_transaction() const noexcept {
  return sqlite3_get_autocommit(db_) == 0;
}

void Db::fail(int rc, std::string_view what) const {
  fail_with(classify(rc), std::string(what) + ": " + sqlite3_errmsg(db_));
}

void Db::fail_with(std::error_code code, std::string_view what) const {
  throw Error(code, "store " + path_.string() + ": " + std::string(what));
}

// --- Transaction ---------------------------------------------------------------------------

Transaction::Transaction(Db& db) : db_(db), outermost_(!db.in_transaction()) {
  db_.exec(outermost_ ? "BEGIN IMMEDIATE" : "SAVEPOINT bitflow_nested", "begin transaction");
}

Transaction::~Transaction() {
  if (done_) return;
  // Best effort: after some failures (a full disk) SQLite has already rolled back, and a
  // destructor has nobody to report to.
  try {
    db_.exec(outermost_ ? "ROLLBACK" : "ROLLBACK TO bitflow_nested; RELEASE bitflow_nested",
             "roll back");
  } catch (const Error&) {
  }
}

void Transaction::commit() {
  db_.exec(outermost_ ? "COMMIT" : "RELEASE bitflow_nested", "commit");
  done_ = true;
}

// --- ReadSnapshot --------------------------------------------------------------------------

ReadSnapshot::ReadSnapshot(Db& db) : db_(db), began_(!db.in_transaction()) {
  if (began_) db_.exec("BEGIN DEFERRED", "begin read");
}

ReadSnapshot::~ReadSnapshot() {
  if (!began_) return;
  // A read changed nothing, so ending it cannot lose anything; a failure here has nobody to
  // report to.
  try {
    db_.exec("COMMIT", "end read");
  } catch (const Error&) {
  }
}

}  // namespace bitflow::manager::detail
