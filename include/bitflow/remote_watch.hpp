// bitflow/remote_watch.hpp — what a remote torrent client (bitflow/remote_client.hpp) does,
// as the download manager's events (bitflow/manager_types.hpp): an application listening
// to its existing transmission or rTorrent gets the same added, started, progress,
// paused, resumed, finished, failed, removed and updated events, with the same
// DownloadRecord, as from bitflow's own Manager — and the same JSON through
// bitflow/manager_json.hpp.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/manager_types.hpp"
#include "bitflow/remote_client.hpp"

namespace bitflow::remote {

/// A remote torrent as the manager's record: id = the info-hash, type "torrent", source
/// its magnet link, owner `owner` (the client's URL or name); paused → paused, queued →
/// queued, checking and downloading → downloading, seeding → completed, error → failed.
[[nodiscard]] manager::DownloadRecord to_record(const RemoteTorrent& torrent,
                                                const std::string& owner);

/// Turns successive snapshots of one client (every torrent it holds) into events. Pure:
/// the time is a parameter, nothing is read or written outside the object.
///
/// Per torrent, against the snapshot before (a torrent first seen counts as coming from
/// nowhere):
///   new                                   → added, then started if it is downloading
///   gone                                  → removed (the last record, state removed)
///   into paused                           → paused
///   out of paused                         → resumed (and nothing else for that change)
///   into downloading from queued/failed/completed → started
///   into completed                        → finished
///   into failed                           → failed
///   bytes_done moved (not finished now)   → progress, at most once per progress_interval
///                                           per torrent; the move is measured from the
///                                           last progress sent, so a throttled move is
///                                           reported by a later one. Not while the client
///                                           is checking: its bytes done then count what
///                                           the check has verified so far (rTorrent
///                                           re-hashes a download on completion), which
///                                           would make progress run backwards
///   name, bytes_total, error, or a state change no event above names → updated, with
///                                           the names of the changed fields
/// Events of one update come torrent by torrent in the new snapshot's order (removed ones
/// last), and per torrent in the order above.
class SnapshotDiffer {
 public:
  explicit SnapshotDiffer(std::string owner, std::chrono::milliseconds progress_interval =
                                                 std::chrono::milliseconds(500));

  /// The events between the previous snapshot (none before the first call) and `now_list`,
  /// stamped `at`; `now_list` becomes the previous snapshot.
  [[nodiscard]] std::vector<manager::Event> update(const std::vector<RemoteTorrent>& now_list,
                                                   manager::TimeMs at);

 private:
  struct Seen {
    manager::DownloadRecord record;
    std::int64_t progress_bytes = 0;  // bytes_done of the last progress (or added/finished)
    manager::TimeMs progress_at = 0;
  };
  void diff_one(const manager::DownloadRecord& before, bool checking, Seen& seen,
                manager::TimeMs at, std::vector<manager::Event>& out) const;

  std::string owner_;
  std::int64_t progress_interval_ms_;
  std::map<std::string, Seen> seen_;  // by hash
};

struct WatchOptions {
  /// The time between two polls (from the end of one to the start of the next).
  std::chrono::milliseconds interval{1000};
  /// progress events of one torrent come at most this often.
  std::chrono::milliseconds progress_interval{500};
  /// DownloadRecord::owner of the events; empty: client.describe().
  std::string owner;
  /// Called after each poll the client answered (after that poll's events), so that a
  /// caller counting failures learns an outage is over; empty: nothing is called.
  std::function<void()> on_answer;
};

/// Polls `client` every options.interval and hands each event to `on_event`, until the
/// coroutine is cancelled (or the io_context stops). A poll that fails goes to `on_error`
/// (then the next poll is tried as usual: the client may come back); the differ keeps its
/// last snapshot meanwhile, so nothing is reported as removed because of an outage. Both
/// callbacks (and options.on_answer) run on the client's io_context; what they throw ends
/// watch() with it.
[[nodiscard]] boost::asio::awaitable<void> watch(
    RemoteClient& client, WatchOptions options, std::function<void(const manager::Event&)> on_event,
    std::function<void(const ErrorInfo&)> on_error);

}  // namespace bitflow::remote
