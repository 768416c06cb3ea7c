#include "daemon/user_store.hpp"

#include <fmt/format.h>

#include <chrono>
#include <stdexcept>

#include "bitflow/manager_store.hpp"
#include "daemon/token.hpp"
#include "manager/sqlite_db.hpp"

namespace bitflow::daemon {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS daemon_users (
  name       TEXT PRIMARY KEY NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  tier       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS daemon_settings (
  name              TEXT PRIMARY KEY NOT NULL,
  download_location TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS daemon_secrets (
  name  TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS daemon_tiers (
  name               TEXT PRIMARY KEY NOT NULL,
  parallel_downloads INTEGER NOT NULL,
  max_download_size  INTEGER NOT NULL
);
)sql";

manager::TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

User read_user(manager::detail::Query& q) {
  User user;
  user.name = q.column_text(0);
  user.tier = q.column_text(1);
  user.created_at = q.column_int(2);
  return user;
}

}  // namespace

bool valid_user_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

UserStore::UserStore(const std::filesystem::path& path)
    : db_(std::make_unique<manager::detail::Db>(path)) {
  db_->exec("PRAGMA journal_mode=WAL", "set WAL mode");
  db_->exec(kSchema, "create the daemon's tables");
}

UserStore::~UserStore() = default;

void UserStore::add_user(const User& user, const std::string& token_hash) {
  if (!valid_user_name(user.name))
    throw std::invalid_argument(
        fmt::format("user name '{}': use 1 to 32 letters, digits, '_' or '-'", user.name));
  manager::detail::Transaction tx(*db_);
  {
    auto q = db_->query("SELECT 1 FROM daemon_users WHERE name = ?1", "look up a user");
    if (q.bind_text(1, user.name).step())
      db_->fail_with(manager::store_errc::constraint,
                     fmt::format("user '{}' exists already", user.name));
  }
  db_->query(
         "INSERT INTO daemon_users (name, token_hash, tier, created_at) VALUES (?1, ?2, ?3, ?4)",
         "add a user")
      .bind_text(1, user.name)
      .bind_text(2, token_hash)
      .bind_text(3, user.tier)
      .bind_int(4, user.created_at != 0 ? user.created_at : now_ms())
      .run();
  tx.commit();
}

std::optional<User> UserStore::find_by_token_hash(const std::string& token_hash) {
  auto q = db_->query("SELECT name, tier, created_at FROM daemon_users WHERE token_hash = ?1",
                      "find a token");
  q.bind_text(1, token_hash);
  if (!q.step()) return std::nullopt;
  return read_user(q);
}

std::vector<User> UserStore::users() {
  auto q =
      db_->query("SELECT name, tier, created_at FROM daemon_users ORDER BY name", "list users");
  std::vector<User> out;
  while (q.step())
    out.push_back(read_user(q));
  return out;
}

std::string UserStore::download_location(const std::string& user) {
  auto q = db_->query("SELECT download_location FROM daemon_settings WHERE name = ?1",
                      "read a user's settings");
  q.bind_text(1, user);
  return q.step() ? q.column_text(0) : std::string();
}

void UserStore::set_download_location(const std::string& user, const std::string& location) {
  db_->query(
         "INSERT INTO daemon_settings (name, download_location) VALUES (?1, ?2) ON CONFLICT "
         "(name) DO UPDATE SET download_location = excluded.download_location",
         "save a user's settings")
      .bind_text(1, user)
      .bind_text(2, location)
      .run();
}

std::string UserStore::link_key() {
  manager::detail::Transaction tx(*db_);
  {
    auto q =
        db_->query("SELECT value FROM daemon_secrets WHERE name = 'link_key'", "read the link key");
    if (q.step()) return q.column_blob(0);
  }
  // make_token()'s 64 hex digits are 256 random bits; the key is their text.
  const std::string key = make_token();
  db_->query("INSERT INTO daemon_secrets (name, value) VALUES ('link_key', ?1)",
             "store the link key")
      .bind_blob(1, key)
      .run();
  tx.commit();
  return key;
}

void UserStore::set_tier(const manager::Tier& tier) {
  db_->query(
         "INSERT INTO daemon_tiers (name, parallel_downloads, max_download_size) VALUES (?1, ?2, "
         "?3) ON CONFLICT (name) DO UPDATE SET parallel_downloads = excluded.parallel_downloads, "
         "max_download_size = excluded.max_download_size",
         "set a tier")
      .bind_text(1, tier.name)
      .bind_int(2, tier.parallel_downloads)
      .bind_int(3, tier.max_download_size)
      .run();
}

std::vector<manager::Tier> UserStore::tiers() {
  auto q = db_->query(
      "SELECT name, parallel_downloads, max_download_size FROM daemon_tiers ORDER BY name",
      "list tiers");
  std::vector<manager::Tier> out;
  while (q.step()) {
    manager::Tier tier;
    tier.name = q.column_text(0);
    tier.parallel_downloads = q.column_int32(1);
    tier.max_download_size = q.column_int(2);
    out.push_back(tier);
  }
  return out;
}

std::vector<manager::Tier> merge_tiers(std::vector<manager::Tier> defaults,
                                       const std::vector<manager::Tier>& stored) {
  for (const manager::Tier& tier : stored) {
    bool replaced = false;
    for (manager::Tier& known : defaults) {
      if (known.name == tier.name) {
        known = tier;
        replaced = true;
      }
    }
    if (!replaced) defaults.push_back(tier);
  }
  return defaults;
}

}  // namespace bitflow::daemon
