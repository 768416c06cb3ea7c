// The SQLite store's schema and how a database is brought up to it: an ordered list of
// migration steps, step N taking schema N-1 to N, each applied in a transaction of its own
// together with the new number in schema_version. Internal.
#pragma once

#include <span>

#include "manager/sqlite_db.hpp"

namespace bitflow::manager::detail {

struct Migration {
  int version;      ///< the schema this step produces: 1 for the first step, then 2, …
  const char* sql;  ///< one or more statements
};

/// The steps that build this bitflow's schema; its version is the last step's.
[[nodiscard]] std::span<const Migration> sqlite_migrations() noexcept;

/// Applies the steps of `steps` newer than the database's schema_version, in order, each in
/// its own transaction (a step that fails leaves the database at the previous version).
/// Throws schema_too_new when the database is newer than the last step: "database schema 7
/// is newer than this bitflow (5)". Returns the version the database is at. The steps'
/// versions must be 1, 2, 3, … (std::logic_error otherwise).
int migrate(Db& db, std::span<const Migration> steps);

}  // namespace bitflow::manager::detail
