// bitflow/manager_store.hpp — where the download manager keeps what must survive a restart:
// the downloads (with their files and resume data), the users' tiers, the webhooks and the
// outbox of webhook deliveries still owed.
//
// Store is an interface so that the manager does not know which database it talks to: the
// embedded default is SQLite (open_sqlite_store); a PostgreSQL store for several servers
// sharing one database can implement the same calls.
//
// The contract every implementation keeps:
//   * Each call is atomic: it happens entirely or not at all, and once it has returned the
//     change is durable (for SQLite in WAL mode with synchronous=NORMAL: durable across a
//     crash of the process; a power cut may lose the last transactions, never corrupt).
//     Inside transaction() the calls become durable together, when the outermost one ends.
//     A read that spans several tables (a download and its files) sees one snapshot.
//   * A Store is not thread-safe. Its owner (the manager, on its strand) makes the calls one
//     at a time; a Store may be moved between threads between calls.
//   * Failures of the database itself (cannot open, disk full, corrupt, locked by another
//     process past the busy timeout, a duplicate id) throw bitflow::Error with a store_errc
//     code and a message naming the database and the operation. An unknown id is not a
//     failure: the call says so in its result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager {

/// What a Store reports in bitflow::Error::code() (category "store").
enum class store_errc {
  database_error = 1,  // the database failed in a way not listed below (I/O, full disk)
  cannot_open,         // the file cannot be opened or created, or is not a database
  corrupt,             // the database file is damaged, or holds a value bitflow cannot read
  busy,                // another process held the database locked past the busy timeout
  constraint,          // a duplicate id, or a reference to something that does not exist
  schema_too_new,      // written by a newer bitflow, whose schema this one does not know
};

const std::error_category& store_category() noexcept;
std::error_code make_error_code(store_errc e) noexcept;

}  // namespace bitflow::manager

template <>
struct std::is_error_code_enum<bitflow::manager::store_errc> : std::true_type {};

namespace bitflow::manager {

/// Which downloads list() returns. Each is a set of states:
enum class ListFilter {
  all,         ///< every download, in any state
  active,      ///< downloading or uploading: running now
  queued,      ///< queued: waiting for a slot
  unfinished,  ///< every state but the final ones: what a restarted manager picks up again
  finished,    ///< completed, failed or removed: the history
};

/// Where a page of a list ended: its last download's queue_seq and id, by which lists are
/// ordered. The next page starts after it, so downloads added or finished meanwhile neither
/// repeat nor push others off the page.
struct ListPosition {
  std::int64_t queue_seq = 0;
  std::string id;
  bool operator==(const ListPosition&) const = default;
};

/// A user's webhook: where the manager POSTs the events of that user's downloads.
struct Webhook {
  std::string id;      ///< unique among all webhooks
  std::string owner;   ///< the user whose downloads it reports
  std::string url;     ///< where deliveries are POSTed
  std::string secret;  ///< the key the manager signs each body with
  /// The event names (to_string(EventKind)) it wants, in the order given; empty: every
  /// event but progress.
  std::vector<std::string> events;
};

/// One POST owed to a webhook, kept until it is delivered or given up on.
struct Delivery {
  std::string delivery_id;  ///< unique: the receiver's key for spotting a repeated POST
  std::string webhook_id;   ///< a webhook that exists (enqueue refuses another)
  std::string event;        ///< the event's name, as sent in the request
  std::string body;         ///< the JSON text to POST
  int attempts = 0;         ///< POSTs tried so far
  TimeMs next_attempt_at = 0;
  TimeMs created_at = 0;
  int last_status = 0;     ///< the HTTP status of the last attempt; 0 when there was none
  std::string last_error;  ///< why the last attempt failed; empty before the first failure
  /// When it was given up on (mark_dead); 0 while it is still owed.
  TimeMs dead_at = 0;
};

/// The manager's durable state. See the file comment for atomicity, threads and errors.
class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- downloads -----------------------------------------------------------------------

  /// Stores a new download with its files. Throws (constraint) when the id is taken.
  virtual void insert(const DownloadRecord& record) = 0;
  /// Replaces every field of the stored download with the same id, files included; false
  /// when there is none.
  [[nodiscard]] virtual bool update(const DownloadRecord& record) = 0;
  /// Deletes the download, its files and its resume data for good; false when there is none.
  /// (The manager's "removed" state is an update; this is for forgetting a download.)
  [[nodiscard]] virtual bool remove(const std::string& id) = 0;
  [[nodiscard]] virtual std::optional<DownloadRecord> get(const std::string& id) = 0;
  /// The downloads in the filter's states, of one owner or of everyone, ordered by queue_seq
  /// (then id).
  [[nodiscard]] virtual std::vector<DownloadRecord> list(
      ListFilter filter, const std::optional<std::string>& owner) = 0;
  /// At most `limit` of list()'s downloads: those after `after` in its order (from the
  /// first when nullopt). This default filters list(); a store that can seek overrides it.
  [[nodiscard]] virtual std::vector<DownloadRecord> list_page(
      ListFilter filter, const std::optional<std::string>& owner,
      const std::optional<ListPosition>& after, std::size_t limit);
  /// A queue_seq for a new download: larger than any it returned before and than any stored
  /// download's, so a download added later starts later. Each call takes a new number.
  [[nodiscard]] virtual std::int64_t next_queue_seq() = 0;
  /// How many of the owner's downloads are queued (the tiers' max_queued).
  [[nodiscard]] virtual std::int64_t count_queued(const std::string& owner) = 0;

  // --- history: the owner's downloads in a final state (completed, failed, removed) -----

  /// Most recently finished first (finished_at, then queue_seq, both descending).
  [[nodiscard]] virtual std::vector<DownloadRecord> history(const std::string& owner) = 0;
  /// Deletes the owner's finished downloads (as remove() does); returns how many.
  virtual std::int64_t clear_history(const std::string& owner) = 0;

  // --- user tiers ------------------------------------------------------------------------

  /// Puts the owner in the named tier; an empty name forgets the owner's entry, so the
  /// manager's default tier applies again. The store does not check that the tier exists:
  /// tiers are configuration, users are data.
  virtual void set_user_tier(const std::string& owner, const std::string& tier_name) = 0;
  /// owner → tier name, for every owner with an entry.
  [[nodiscard]] virtual std::map<std::string, std::string> user_tiers() = 0;

  // --- webhooks ------------------------------------------------------------------------

  /// Throws (constraint) when the id is taken.
  virtual void add_webhook(const Webhook& webhook) = 0;
  /// Deletes the webhook and every delivery owed to it, dead ones included; false when there
  /// is none.
  [[nodiscard]] virtual bool remove_webhook(const std::string& id) = 0;
  [[nodiscard]] virtual std::optional<Webhook> webhook(const std::string& id) = 0;
  /// One owner's webhooks, or everyone's; ordered by id.
  [[nodiscard]] virtual std::vector<Webhook> webhooks(const std::optional<std::string>& owner) = 0;

  // --- the webhook outbox ----------------------------------------------------------------
  // A delivery is enqueued in the same breath as the event it reports, so an event is never
  // lost to a crash between the two; a sender then works through due() and records each
  // outcome. Delivered ones are deleted; dead ones stay until their webhook is removed.

  /// Throws (constraint) when the delivery id is already in the outbox (live or dead) or the
  /// webhook does not exist. Its last_status, last_error and dead_at are ignored (stored as
  /// "not yet tried").
  virtual void enqueue(const Delivery& delivery) = 0;
  /// At most `limit` live deliveries whose next_attempt_at <= now, earliest first (then by
  /// created_at and delivery_id).
  [[nodiscard]] virtual std::vector<Delivery> due(TimeMs now, int limit) = 0;
  /// As due(), but only the head of each webhook's line: its oldest live delivery (in
  /// enqueue order), when that one is due. A webhook whose head waits for a retry sends
  /// nothing newer meanwhile, so a receiver sees one webhook's events in the order they
  /// happened. Earliest first (then by enqueue order).
  [[nodiscard]] virtual std::vector<Delivery> due_in_order(TimeMs now, int limit) = 0;
  /// How many deliveries are still owed (live, not dead) to one owner's webhooks, or to all.
  [[nodiscard]] virtual std::int64_t count_owed(const std::optional<std::string>& owner) = 0;
  /// The delivery succeeded: deletes it (a dead one too, say after a manual retry). False
  /// when it is not in the outbox.
  [[nodiscard]] virtual bool mark_delivered(const std::string& delivery_id) = 0;
  /// An attempt failed and another is due at next_attempt_at. False when the delivery is not
  /// in the outbox or is dead.
  [[nodiscard]] virtual bool reschedule(const std::string& delivery_id, int attempts,
                                        TimeMs next_attempt_at, const std::string& last_error) = 0;
  /// The sender gives up: the delivery leaves due() for good and shows in dead_deliveries().
  /// False when it is not in the outbox or is already dead. dead_at must be after the epoch
  /// (0 is stored as 1 ms, since 0 means "alive").
  [[nodiscard]] virtual bool mark_dead(const std::string& delivery_id, int attempts,
                                       int last_status, const std::string& last_error,
                                       TimeMs dead_at) = 0;
  /// The dead deliveries of one owner's webhooks, or of all; oldest death first.
  [[nodiscard]] virtual std::vector<Delivery> dead_deliveries(
      const std::optional<std::string>& owner) = 0;

  // --- resume data -----------------------------------------------------------------------

  /// Keeps `bytes` (any bytes: a torrent's encode_resume(), a sink's state, a path) for the
  /// download, replacing what was there. False when the download does not exist. Deleted
  /// with the download.
  [[nodiscard]] virtual bool put_resume(const std::string& id, const std::string& bytes) = 0;
  [[nodiscard]] virtual std::optional<std::string> get_resume(const std::string& id) = 0;

  // --- several calls as one --------------------------------------------------------------

  /// Runs `work` (which makes calls on this store) as one transaction: when it throws,
  /// none of its changes stay and the exception propagates. Transactions may nest; only the
  /// outermost one commits.
  virtual void transaction(const std::function<void()>& work) = 0;
};

/// Opens (creating it if needed) the SQLite database at `path`, or a private in-memory one
/// for ":memory:", and brings its schema up to date. Throws bitflow::Error: cannot_open,
/// corrupt, schema_too_new ("database schema 7 is newer than this bitflow (5)"), busy.
[[nodiscard]] std::unique_ptr<Store> open_sqlite_store(const std::filesystem::path& path);

}  // namespace bitflow::manager
