// bitflow/manager.hpp — the download manager: a durable queue of downloads from any source
// (torrent, magnet, http/ftp/sftp, s3://, a registered fetcher) into a destination (a
// local folder or s3://bucket/prefix/), per-user tiers, events to listeners and webhooks,
// a history, and state that survives a restart or a kill -9.
//
//   Manager m(io, options, open_sqlite_store("bitflow.db"), &session);
//   m.subscribe([](const Event& e) { std::cout << to_string(e.kind) << ' ' << e.download.name; });
//   m.start();
//   std::string id = m.add("magnet:?xt=urn:btih:…", {.owner = "alice"});
//
// How a download runs: it waits in its owner's queue until the scheduler (tiers, fairness
// across users, the global limit, disk space) starts it; its fetcher then downloads into
// a folder of its own under ManagerOptions::work_dir; once the fetcher completed, the
// files go to the destination (moved into a local folder, or uploaded to S3: the state is
// then "uploading"); only when the destination confirmed every file is the download
// completed. Failures a retry can help (the network, a server's 5xx) are retried with a
// growing wait (RetryPolicy); others fail at once with the reason.
//
// It can also watch torrent clients that run elsewhere (ManagerOptions::remote_clients:
// transmission-daemon, rTorrent) and report their torrents with the same events, to the same
// listeners and webhooks (see remote_downloads()).
//
// After a restart, start() picks everything up again: queued downloads keep their order,
// running ones resume from what their fetcher left on disk (a torrent's verified pieces,
// a URL's .part file), an interrupted S3 upload lists the parts S3 has and sends the rest.
//
// Threading: the manager belongs to its io_context; call it and receive its events on that
// context's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitflow/fetcher_registry.hpp"
#include "bitflow/manager_store.hpp"
#include "bitflow/manager_types.hpp"
#include "bitflow/s3_types.hpp"
#include "bitflow/session.hpp"

namespace bitflow::manager {

/// How the manager POSTs webhook deliveries (see Manager::add_webhook) and what it tells the
/// application about them. The callbacks run on the io_context's thread; one that throws is
/// logged and otherwise ignored.
struct WebhookOptions {
  /// The waits between attempts of a failed delivery and when it is given up (dead).
  WebhookRetryPolicy retry;
  /// POSTs on the way at once, over all webhooks; a webhook has at most one at a time, so
  /// that its receiver gets its events in order.
  int max_in_flight = 8;
  std::chrono::milliseconds connect_timeout{10'000};
  /// The whole attempt, connecting included: a receiver slower than this failed it.
  std::chrono::milliseconds timeout{30'000};
  /// How often the outbox is read when nothing else wakes the sender: deliveries another
  /// process enqueued, or retries this one does not know are due.
  std::chrono::milliseconds poll_interval{5'000};
  /// Receivers' TLS certificates are checked against the system's authorities.
  bool verify_tls = true;
  /// An attempt failed (the error says how: "HTTP 500", "connection refused", a timeout…);
  /// `delivery` holds the attempts made, last_status and, when it will be retried,
  /// next_attempt_at.
  std::function<void(const Delivery& delivery, const std::string& error)> on_delivery_failed;
  /// The delivery was given up after its last failed attempt (on_delivery_failed came
  /// first); it is in dead_deliveries() from now on.
  std::function<void(const Delivery& delivery)> on_delivery_dead;
  /// A receiver answered 2xx; the delivery has left the outbox.
  std::function<void(const Delivery& delivery)> on_delivered;
};

/// A torrent client elsewhere whose torrents the manager reports (see
/// Manager::remote_downloads).
struct WatchedClient {
  /// As make_remote_client (bitflow/remote_client.hpp) takes it:
  /// transmission+http://HOST:PORT/transmission/rpc or rtorrent+scgi://HOST:PORT.
  std::string url;
  /// The user the client's torrents belong to: their events go to this owner's webhooks.
  std::string owner = "default";
  /// The time between two polls of the client (and between retries while it is down).
  std::chrono::milliseconds interval{1000};
};

struct ManagerOptions {
  /// Where downloads are fetched: one folder per download, named by its id. A download
  /// without a destination stays there.
  std::filesystem::path work_dir = "downloads";
  std::vector<Tier> tiers = default_tiers();
  /// The tier of a user without one of their own (set_user_tier).
  std::string default_tier = "free";
  /// Downloads running at once over all users; 0: only the tiers limit them.
  int max_active = 0;
  /// Space on work_dir's volume that is never handed to downloads (bytes).
  std::int64_t disk_reserve = std::int64_t{1} << 30;
  RetryPolicy retry;
  /// At most one progress event per download in this time.
  std::chrono::milliseconds progress_interval{500};
  /// Settings every fetcher starts from (URL timeouts, TLS, trackers, peers…);
  /// output_dir and file_priorities are the manager's.
  FetchOptions fetch;
  /// S3 destinations: credentials, region, endpoint; nullopt: s3::settings_from_environment()
  /// when the first S3 destination is used.
  std::optional<s3::ClientSettings> s3;
  std::uint64_t s3_part_size = 8u << 20;
  int s3_parallel_parts = 8;
  /// How often the scheduler looks again without being asked (disk space changes, retries
  /// come due).
  std::chrono::milliseconds tick{1000};
  WebhookOptions webhooks;
  /// Clients watched from start() to shutdown(); their events come like the manager's own
  /// (see Manager::remote_downloads).
  std::vector<WatchedClient> remote_clients;
};

/// What add() takes besides the source.
struct AddOptions {
  std::string owner = "default";
  /// A local folder or s3://bucket/prefix/; empty: the files stay in the download's own
  /// folder under work_dir.
  std::string destination;
  /// Torrents: a priority per file, 0 skips it; empty: every file.
  std::vector<int> file_priorities;
  /// Shown instead of the name the source gives.
  std::string name;
};

/// Which downloads get_all() returns.
enum class Filter { all, active, queued, finished };

/// One page of a list (Manager::get_page).
struct DownloadPage {
  std::vector<DownloadRecord> downloads;
  /// Where the next page starts (pass it as `after`); nullopt on the last page.
  std::optional<ListPosition> next;
};

class Manager {
 public:
  using Listener = std::function<void(const Event&)>;

  /// `store` keeps everything durable; `session` runs torrents and magnets (nullptr: those
  /// sources are refused). The session must outlive the manager. Nothing runs until start().
  /// Throws bitflow::Error: remote::errc::bad_url for a WatchedClient URL that names no
  /// client, std::errc::invalid_argument for a WatchedClient without an owner.
  Manager(boost::asio::io_context& io, ManagerOptions options, std::unique_ptr<Store> store,
          Session* session);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  /// Loads the store, picks up what was running, starts scheduling and watching the
  /// remote clients.
  void start();
  /// Stops every running download and upload so that the next start() continues them (their
  /// state stays downloading/uploading in the store), and the remote clients' watchers: no
  /// remote event comes after it, and each watcher ends (releasing its client) when its poll
  /// under way, or its next one, is over. The manager does nothing afterwards.
  boost::asio::awaitable<void> shutdown();

  /// Queues a download; returns its id. Throws bitflow::Error: fetch::errc::bad_url for a
  /// source nobody fetches, errc::queue_full when the owner's tier allows no more queued
  /// downloads, std::errc::invalid_argument for a bad destination or owner.
  std::string add(const std::string& source, const AddOptions& options = {});
  /// A .torrent file (as add(path)).
  std::string create_from_torrent(const std::filesystem::path& torrent,
                                  const AddOptions& options = {});

  /// Downloads in the filter's states, of one owner or of everyone, in queue order.
  [[nodiscard]] std::vector<DownloadRecord> get_all(Filter filter = Filter::all,
                                                    const std::optional<std::string>& owner = {});
  /// get_all()'s list a page at a time: at most `limit` downloads, those after `after`
  /// (from the first when nullopt), and where the next page starts. Pages follow the queue
  /// order, so a download added meanwhile comes on a later page and none repeats.
  [[nodiscard]] DownloadPage get_page(Filter filter, const std::optional<std::string>& owner,
                                      const std::optional<ListPosition>& after, std::size_t limit);
  [[nodiscard]] std::optional<DownloadRecord> get_one(const std::string& id);
  /// A presigned GET URL (no request is made) for file `index` of a completed download that
  /// was delivered to S3, valid for `expires` (1 s … 7 days). Fails with
  /// std::errc::invalid_argument when the download is not completed, not in S3, or has no
  /// such selected file, and as s3::Client::presign does.
  [[nodiscard]] std::string presign_file(const DownloadRecord& record, std::size_t index,
                                         std::chrono::seconds expires);

  // ---- remote clients -------------------------------------------------------------------
  // The manager polls each ManagerOptions::remote_clients entry at its interval
  // (remote::watch, bitflow/remote_watch.hpp) and turns what changed into the same events
  // as its own downloads' (added, started, progress, paused, resumed, finished, failed,
  // removed, updated): they go to the listeners and, as durable signed deliveries, to the
  // owner's webhooks. Their records have the client's kind as type ("transmission",
  // "rtorrent"), the owner of the WatchedClient, and the id
  // "<kind>-<8 hex digits of the URL's FNV-1a hash>-<info-hash>": stable across restarts,
  // URL-safe, distinct for the same torrent in two clients. The clients keep their
  // torrents: the manager stores no record of them (get_all, get_one, history, pause,
  // resume and remove know only the manager's own downloads). A client that fails is
  // logged (warn) once per outage and polled again at its interval; nothing is reported
  // removed because of an outage.

  /// The remote clients' torrents as each one's last event showed it (the torrents of the
  /// last answered poll; rates alone are no event, so a rate may be older), of one owner or
  /// of everyone: client by client in the order of remote_clients, by id within each.
  [[nodiscard]] std::vector<DownloadRecord> remote_downloads(
      const std::optional<std::string>& owner = {});

  /// Throw bitflow::Error: errc::not_found for an unknown id, errc::illegal_transition for a
  /// move the state machine refuses ("cannot pause a completed download").
  void pause(const std::string& id);
  /// Queues a paused download again — or a failed one, as the user's retry: its attempts
  /// count from zero again, and what it fetched before is kept.
  void resume(const std::string& id);
  /// Removes downloads (state removed, kept in the history); with delete_data their files
  /// (the download's folder, and the delivered files in a local destination) go too. An
  /// unknown id throws errc::not_found before anything is removed.
  void remove(const std::vector<std::string>& ids, bool delete_data);

  /// The owner's finished downloads (completed, failed for good, removed), newest first.
  [[nodiscard]] std::vector<DownloadRecord> history(const std::string& owner);
  /// Forgets them; returns how many.
  std::int64_t clear_history(const std::string& owner);

  /// Puts a user in a tier (a name in ManagerOptions::tiers; throws errc::unknown_tier
  /// otherwise); "" returns them to the default tier.
  void set_user_tier(const std::string& owner, const std::string& tier);

  /// What a source holds, through the FetcherRegistry (see FetcherRegistry::inspect).
  void inspect(const std::string& source, std::function<void(Inspection)> done);
  /// The registry: add fetchers of your own before start().
  [[nodiscard]] FetcherRegistry& fetchers();

  /// Every event of every download, in order, on the io_context's thread. A listener that
  /// throws is logged and otherwise ignored. Returns a handle for unsubscribe().
  int subscribe(Listener listener);
  void unsubscribe(int handle);

  // ---- webhooks -------------------------------------------------------------------------
  // Each event of an owner's download is owed to every webhook of that owner whose filter
  // wants it: a delivery enters the store's outbox in the same transaction as the change it
  // reports, so neither a crash nor a restart loses it, and is then POSTed by the manager
  // (after start(), also what an earlier run left owed):
  //
  //   POST <url>                      body: to_json(event) (bitflow/manager_json.hpp)
  //   Content-Type: application/json
  //   User-Agent: bitflow/<version>
  //   X-Bitflow-Event: <event name>   X-Bitflow-Delivery: <delivery id, the same on retries>
  //   X-Bitflow-Signature: sha256=<lowercase hex HMAC-SHA256 of the body bytes, keyed
  //                                with the webhook's secret>
  //
  // A 2xx answer delivers it. Anything else (another status, no connection, a reset, a
  // timeout) is tried again after WebhookOptions::retry's wait; a webhook's later events
  // wait behind it, so each receiver sees its events in order. Past the retry window it is
  // dead: kept for dead_deliveries() until the webhook is removed. A slow or absent
  // receiver delays only its own deliveries, never the downloads or their events.

  /// Registers a webhook for `owner`'s downloads and returns it with its new id. `events`:
  /// names of EventKinds (to_string) it wants; empty: every event but progress. Throws
  /// bitflow::Error with errc::bad_webhook when the URL is not an absolute http(s) URL, the
  /// secret is empty, an event name is unknown or the owner is empty or over 128
  /// characters; store_errc on a database failure.
  Webhook add_webhook(const std::string& owner, const std::string& url, const std::string& secret,
                      const std::vector<std::string>& events = {});
  /// The owner's webhooks, ordered by id. They include the secret: an API that lists them
  /// should not show it.
  [[nodiscard]] std::vector<Webhook> webhooks(const std::string& owner);
  /// Removes the owner's webhook with every delivery owed to it, dead ones included. Throws
  /// errc::webhook_not_found when the owner has no webhook with that id.
  void remove_webhook(const std::string& owner, const std::string& id);
  /// Deliveries given up on, of one owner's webhooks or of all; oldest death first.
  [[nodiscard]] std::vector<Delivery> dead_deliveries(const std::optional<std::string>& owner);
  /// Deliveries still owed (not delivered, not dead) to one owner's webhooks or to all.
  [[nodiscard]] std::int64_t deliveries_owed(const std::optional<std::string>& owner);

  /// The store, for what the manager does not wrap.
  [[nodiscard]] Store& store();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow::manager
