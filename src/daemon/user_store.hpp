// bitflowd's users and tiers, in tables of their own (daemon_users, daemon_tiers) in the
// same SQLite database as the manager's store: one file to back up, and `bitflowd user add`
// works while the server runs (WAL lets both connections in). Tokens are kept as their
// SHA-256 only (daemon/token.hpp). Not thread-safe, like the connection it holds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager::detail {
class Db;
}

namespace bitflow::daemon {

struct User {
  std::string name;
  std::string tier;  ///< "" for the manager's default tier
  manager::TimeMs created_at = 0;
};

/// Whether `name` may be a user's name: 1 to 32 of [A-Za-z0-9_-], so that it is safe as a
/// folder name under DIR/files/ and as the manager's owner.
[[nodiscard]] bool valid_user_name(std::string_view name) noexcept;

class UserStore {
 public:
  /// Opens (or creates) the database at `path` and the daemon's tables in it.
  explicit UserStore(const std::filesystem::path& path);
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  /// Adds a user with this token's hash. Throws bitflow::Error (store_errc::constraint) when
  /// the name is taken, std::invalid_argument for a name valid_user_name() refuses.
  void add_user(const User& user, const std::string& token_hash);
  /// The user whose token has this hash.
  [[nodiscard]] std::optional<User> find_by_token_hash(const std::string& token_hash);
  [[nodiscard]] std::vector<User> users();

  /// A user's download location (GET/PUT /settings): "" for their files folder, a folder
  /// relative to it, or s3://bucket/prefix/.
  [[nodiscard]] std::string download_location(const std::string& user);
  void set_download_location(const std::string& user, const std::string& location);

  /// The key that signs file links (32 random bytes), made on first use and kept, so that
  /// links survive a restart.
  [[nodiscard]] std::string link_key();

  /// Creates or replaces a tier by name.
  void set_tier(const manager::Tier& tier);
  /// Tiers set with set_tier().
  [[nodiscard]] std::vector<manager::Tier> tiers();

 private:
  std::unique_ptr<manager::detail::Db> db_;
};

/// The tiers a manager runs with: manager::default_tiers() with the stored ones replacing
/// those of the same name and adding the others.
[[nodiscard]] std::vector<manager::Tier> merge_tiers(std::vector<manager::Tier> defaults,
                                                     const std::vector<manager::Tier>& stored);

}  // namespace bitflow::daemon
