// A thin RAII layer over the sqlite3 C API for the SQLite store: one connection (Db), its
// prepared statements (cached by SQL text, reset after each use), transactions that nest,
// and every SQLite failure turned into bitflow::Error naming the database, the operation and
// SQLite's own message. Internal; not thread-safe, like the connection it wraps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace bitflow::manager::detail {

class Db;

/// A use of one cached prepared statement: bind, step through the rows, read columns. Its
/// destructor resets the statement and clears the bindings, so the next use starts fresh
/// even after an exception. Parameter and column indices are SQLite's: parameters from 1,
/// columns from 0. `what` names the operation in error messages and must outlive the Query
/// (a string literal).
class Query {
 public:
  Query(Db& db, sqlite3_stmt* stmt, bool& in_use, std::string_view what) noexcept
      : db_(&db), stmt_(stmt), in_use_(&in_use), what_(what) {
    in_use = true;
  }
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind_int(int index, std::int64_t value);
  Query& bind_text(int index, std::string_view value);
  /// Binds arbitrary bytes as a BLOB (a std::string's bytes, not necessarily text).
  Query& bind_blob(int index, std::string_view bytes);

  /// Advances to the next row: true when there is one, false when the statement is done.
  [[nodiscard]] bool step();
  /// Steps a statement that returns no rows (INSERT, UPDATE, DELETE) to its end.
  void run();

  [[nodiscard]] std::int64_t column_int(int index) const noexcept;
  /// A column's value as an int; throws (corrupt) when it does not fit.
  [[nodiscard]] int column_int32(int index) const;
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] std::string column_blob(int index) const;

 private:
  void check_bind(int rc, int index);

  Db* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;
  std::string_view what_;
};

class Db {
 public:
  /// Opens or creates the database at `path` (":memory:" for a private in-memory one).
  explicit Db(const std::filesystem::path& path);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  /// Runs one or more statements that return nothing of interest (DDL, PRAGMAs, BEGIN).
  /// `what` names the operation in the error message.
  void exec(const char* sql, std::string_view what);
  /// The statement for `sql`, prepared on first use and kept. `sql` must outlive the Db
  /// (string literals, function-local statics): the cache is keyed by its text. One Query
  /// per statement at a time: asking again while the first is alive would reset it under
  /// its reader, so that throws std::logic_error.
  [[nodiscard]] Query query(std::string_view sql, std::string_view what);
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  [[nodiscard]] std::int64_t changes() const noexcept;
  /// Whether a transaction is open on this connection.
  [[nodiscard]] bool in_transaction() const noexcept;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  /// Throws bitflow::Error for SQLite result `rc`: "store PATH: WHAT: SQLITE MESSAGE".
  [[noreturn]] void fail(int rc, std::string_view what) const;
  /// Throws bitflow::Error with a store_errc code of bitflow's own choosing.
  [[noreturn]] void fail_with(std::error_code code, std::string_view what) const;

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };

  struct Cached {
    std::unique_ptr<sqlite3_stmt, StatementDeleter> stmt;
    bool in_use = false;
  };

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string_view, Cached> cache_;
};

/// A transaction for the duration of a scope: the outermost one is BEGIN IMMEDIATE (it takes
/// the write lock up front, so a second writer waits in the busy handler instead of failing
/// halfway), inner ones are savepoints. Without commit() the scope's changes are rolled back.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Db& db_;
  bool outermost_;
  bool done_ = false;
};

/// One consistent view of the database for a read that takes several statements (a
/// download's row, then its files): outside a transaction it opens a deferred one, which in
/// WAL mode is a snapshot that writers of other connections neither block nor change. Inside
/// a transaction it does nothing, the transaction being the snapshot already.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(Db& db);
  ~ReadSnapshot();
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  Db& db_;
  bool began_;
};

}  // namespace bitflow::manager::detail
