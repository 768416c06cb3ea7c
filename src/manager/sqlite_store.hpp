// The embedded Store: one SQLite database file in WAL mode. Internal; users get it through
// open_sqlite_store() in bitflow/manager_store.hpp.
#pragma once

#include <filesystem>

#include "bitflow/manager_store.hpp"
#include "manager/sqlite_db.hpp"

namespace bitflow::manager {

class SqliteStore final : public Store {
 public:
  /// Opens or creates the database (":memory:": a private in-memory one), sets the
  /// connection up (WAL, synchronous=NORMAL, foreign keys, a 5 s busy timeout) and migrates
  /// the schema. Throws bitflow::Error as open_sqlite_store says.
  explicit SqliteStore(const std::filesystem::path& path);

  void insert(const DownloadRecord& record) override;
  [[nodiscard]] bool update(const DownloadRecord& record) override;
  [[nodiscard]] bool remove(const std::string& id) override;
  [[nodiscard]] std::optional<DownloadRecord> get(const std::string& id) override;
  [[nodiscard]] std::vector<DownloadRecord> list(ListFilter filter,
                                                 const std::optional<std::string>& owner) override;
  [[nodiscard]] std::vector<DownloadRecord> list_page(ListFilter filter,
                                                      const std::optional<std::string>& owner,
                                                      const std::optional<ListPosition>& after,
                                                      std::size_t limit) override;
  [[nodiscard]] std::int64_t next_queue_seq() override;
  [[nodiscard]] std::int64_t count_queued(const std::string& owner) override;

  [[nodiscard]] std::vector<DownloadRecord> history(const std::string& owner) override;
  std::int64_t clear_history(const std::string& owner) override;

  void set_user_tier(const std::string& owner, const std::string& tier_name) override;
  [[nodiscard]] std::map<std::string, std::string> user_tiers() override;

  void add_webhook(const Webhook& webhook) override;
  [[nodiscard]] bool remove_webhook(const std::string& id) override;
  [[nodiscard]] std::optional<Webhook> webhook(const std::string& id) override;
  [[nodiscard]] std::vector<Webhook> webhooks(const std::optional<std::string>& owner) override;

  void enqueue(const Delivery& delivery) override;
  [[nodiscard]] std::vector<Delivery> due(TimeMs now, int limit) override;
  [[nodiscard]] std::vector<Delivery> due_in_order(TimeMs now, int limit) override;
  [[nodiscard]] std::int64_t count_owed(const std::optional<std::string>& owner) override;
  [[nodiscard]] bool mark_delivered(const std::string& delivery_id) override;
  [[nodiscard]] bool reschedule(const std::string& delivery_id, int attempts,
                                TimeMs next_attempt_at, const std::string& last_error) override;
  [[nodiscard]] bool mark_dead(const std::string& delivery_id, int attempts, int last_status,
                               const std::string& last_error, TimeMs dead_at) override;
  [[nodiscard]] std::vector<Delivery> dead_deliveries(
      const std::optional<std::string>& owner) override;

  [[nodiscard]] bool put_resume(const std::string& id, const std::string& bytes) override;
  [[nodiscard]] std::optional<std::string> get_resume(const std::string& id) override;

  void transaction(const std::function<void()>& work) override;

  /// The schema version the database is at after opening.
  [[nodiscard]] int schema_version() const noexcept { return schema_version_; }

 private:
  void write_files(const DownloadRecord& record);
  [[nodiscard]] std::vector<DownloadRecord> read_downloads(detail::Query& query);
  [[nodiscard]] std::vector<Webhook> read_webhooks(detail::Query& query);

  detail::Db db_;
  int schema_version_ = 0;
};

}  // namespace bitflow::manager
