// bitflow/manager_types.hpp — the plain data of the download manager: a download's
// record and state, the tiers that limit users, and the events the manager reports.
// Everything here is a value: the scheduler, the store and the manager's listeners all
// pass these around, and none of them holds a socket or a clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitflow::manager {

/// Wall-clock time in the manager's records: milliseconds since the Unix epoch, so that a
/// record reads the same after a restart and in the store.
using TimeMs = std::int64_t;

/// Where a download is in its life. The legal moves are in manager/state_machine:
///
///   queued → downloading → uploading → completed      (uploading only for remote sinks)
///   downloading → queued       (its size, once known, does not fit on the disk yet)
///   queued | downloading | uploading → paused → queued (resume queues it again)
///   queued | downloading | uploading → failed → queued (retry)
///   any state but removed → removed
enum class DownloadState { queued, downloading, uploading, paused, completed, failed, removed };

[[nodiscard]] const char* to_string(DownloadState state) noexcept;
/// The inverse of to_string; nullopt for a name that is not a state.
[[nodiscard]] std::optional<DownloadState> parse_download_state(std::string_view name) noexcept;

/// Whether a download in this state is finished for good (completed, failed, removed): these
/// are the history.
[[nodiscard]] bool is_final(DownloadState state) noexcept;

/// A user's limits. A limit of 0 means none (for the byte sizes and rates) — except
/// parallel_downloads, which is always at least 1.
struct Tier {
  std::string name;
  int parallel_downloads = 1;
  std::int64_t max_download_size = 0;  ///< bytes; 0: no cap
  int max_queued = 0;                  ///< downloads waiting at once; 0: no cap
  /// Bytes per second for each of the user's downloads (not their sum); 0: unlimited.
  /// URL downloads take the download limit; torrents both (upload: what they serve peers).
  std::int64_t download_rate_limit = 0;
  std::int64_t upload_rate_limit = 0;
};

/// The two tiers every manager knows until configured otherwise: "free" (1 parallel
/// download, at most 2 GiB) and "pro" (5 parallel, no size cap).
[[nodiscard]] std::vector<Tier> default_tiers();

/// How failed downloads are tried again: only failures a retry can help (a network error,
/// a server's 5xx — not a 404 or a broken torrent), after a wait that doubles each time.
struct RetryPolicy {
  /// The wait after the first failure; it doubles after each further one.
  std::chrono::milliseconds first_delay{30'000};
  std::chrono::milliseconds max_delay{3'600'000};  ///< the doubling stops here
  /// Starts in all, the first one included: after this many, a failure is final.
  int max_attempts = 5;
  /// Each wait is shortened by a pseudo-random part of up to this fraction (0 … 1), so that
  /// downloads that failed together do not all come back at the same instant.
  double jitter = 0.2;
};

/// How a webhook delivery that failed (no connection, a timeout, a status other than 2xx)
/// is tried again: after a wait that doubles from first_delay up to max_delay, shortened by
/// up to `jitter` of itself, for as long as the next attempt falls within give_up_after of
/// the time the delivery was enqueued (its first attempt is due then, unless it waits
/// behind an earlier delivery to the same webhook); then it is dead (Store::dead_deliveries).
struct WebhookRetryPolicy {
  std::chrono::milliseconds first_delay{10'000};
  std::chrono::milliseconds max_delay{3'600'000};
  std::chrono::milliseconds give_up_after{24 * 3'600'000};
  double jitter = 0.2;  ///< 0 … 1
};

/// One file of a download, with its own progress.
struct DownloadFile {
  std::string path;  ///< '/'-separated, relative to the download's folder
  std::int64_t size = 0;
  std::int64_t bytes_done = 0;
  bool selected = true;
};

/// Everything the manager knows of one download: what the store keeps and what get_one()
/// returns.
struct DownloadRecord {
  std::string id;      ///< stable, URL-safe ([A-Za-z0-9_-])
  std::string owner;   ///< the user it belongs to
  std::string source;  ///< what the user gave: a magnet, a path, a URL
  std::string type;    ///< "torrent", "magnet", "http", "ftp", "sftp", "s3", or a fetcher's name
  std::string name;    ///< the content's name once known, else derived from the source
  std::string destination;           ///< a local folder, or s3://bucket/prefix/
  std::vector<int> file_priorities;  ///< torrents: 0 skips a file; empty: every file
  DownloadState state = DownloadState::queued;
  /// Why a queued download waits ("waiting for disk space: …"), or empty.
  std::string waiting_reason;
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = -1;    ///< -1 while unknown
  std::int64_t bytes_uploaded = 0;  ///< remote sinks: bytes the sink confirmed
  std::int64_t download_rate = 0;   ///< bytes per second, while downloading
  std::int64_t upload_rate = 0;
  std::string error;       ///< when failed: a human sentence
  std::string error_code;  ///< when failed: "category:value" (e.g. "fetch:3"), or empty
  int attempts = 0;        ///< how many times it was started
  /// When a failed download that can be retried is next due (0: not scheduled).
  TimeMs retry_at = 0;
  TimeMs created_at = 0;
  TimeMs started_at = 0;   ///< the last start; 0 before the first
  TimeMs finished_at = 0;  ///< completed, failed or removed; 0 before
  /// Order within the owner's queue: smaller starts first. Assigned on add.
  std::int64_t queue_seq = 0;
  std::vector<DownloadFile> files;

  /// 0–100, from bytes_done and bytes_total (0 while the size is unknown).
  [[nodiscard]] int progress() const noexcept;
  /// Seconds until done at the current rate; -1 when it cannot be told.
  [[nodiscard]] std::int64_t eta_seconds() const noexcept;
};

/// What happened to a download, as listeners and webhooks see it.
enum class EventKind {
  added,
  started,
  progress,
  paused,
  resumed,
  finished,
  failed,
  removed,
  updated
};

[[nodiscard]] const char* to_string(EventKind kind) noexcept;
[[nodiscard]] std::optional<EventKind> parse_event_kind(std::string_view name) noexcept;

struct Event {
  EventKind kind = EventKind::updated;
  DownloadRecord download;  ///< the download as it is after the event
  /// updated: the names of the fields that changed ("state", "name", "bytes_total" …).
  std::vector<std::string> changed;
  TimeMs at = 0;
};

}  // namespace bitflow::manager
