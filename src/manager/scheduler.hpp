// The manager's scheduler: given a snapshot of the downloads, the tiers and the disk, which
// queued downloads start now, which fail because they can never run, which wait and why,
// and which failed downloads are due for a retry. Pure: no clock (`now` is a parameter), no
// I/O, no state between calls; the same input always gives the same answer. Any thread.
//
// The rules, in the order they apply:
//   1. A failed download whose retry_at is set and has passed is due for a retry.
//   2. A queued download of known size fails when it is bigger than its owner's tier allows
//      (errc::too_large) or than the download volume less the reserve (errc::never_fits).
//   3. The others start in rounds. Downloading and uploading ones are active and hold a
//      slot of their owner's tier and of the global limit. Each round, every owner with a
//      queued download and a free tier slot starts one, oldest queue_seq first; owners take
//      their turns in order of their most recent start of any download (the one who started
//      least recently first, then by name), so a user with one download is never behind a
//      user with a thousand for more than one slot. Rounds go on until the global limit is
//      reached or nobody can start more.
//   4. A download of known size starts only if its remaining bytes fit in the free space
//      less the reserve less what the active (and just started) downloads still need.
//      Otherwise it waits for disk space, and so do its owner's later downloads (an owner's
//      queue is first in, first out; a big download is not overtaken by its small
//      followers forever). A download of unknown size (-1) starts without this check: the
//      manager calls admit_size() when the size becomes known.
//   5. Every other queued download waits, with a reason in a sentence.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager {

/// What the scheduler needs of a download. The strings are borrowed: a view lives no longer
/// than the record it was taken from.
struct QueueEntry {
  std::string_view id;
  std::string_view owner;
  DownloadState state = DownloadState::queued;
  std::int64_t queue_seq = 0;
  std::int64_t bytes_total = -1;  ///< -1 while unknown
  std::int64_t bytes_done = 0;
  TimeMs retry_at = 0;    ///< failed: when it is due again; 0 when it is not to be retried
  TimeMs started_at = 0;  ///< the last start, 0 before the first: orders the owners' turns
  /// Starts so far. schedule() goes by retry_at alone (the retry rule already left it 0 after
  /// the last attempt); the count is here for the caller that applies a schedule.
  int attempts = 0;
};

/// The view of `record`; borrows its id and owner.
[[nodiscard]] QueueEntry entry_of(const DownloadRecord& record) noexcept;

/// The tiers and who is in which.
struct TierTable {
  std::vector<Tier> tiers;
  std::map<std::string, std::string, std::less<>> owner_tier;  ///< owner → tier name
  std::string default_tier = "free";  ///< the tier of an owner not in owner_tier

  /// The tier `owner` is in; nullptr when that tier's name is not in `tiers`.
  [[nodiscard]] const Tier* tier_of(std::string_view owner) const noexcept;
};

/// The room the downloads have.
struct Capacity {
  int max_active = 0;              ///< downloads active at once over all users; 0: no limit
  std::int64_t free_bytes = 0;     ///< free space on the download volume now
  std::int64_t reserve_bytes = 0;  ///< space never handed out
  std::int64_t volume_bytes = 0;   ///< the volume's size; 0: unknown (never_fits not decided)
};

/// A verdict on one download's size.
struct Admission {
  enum class Kind { ok, wait, fail };
  Kind kind = Kind::ok;
  std::error_code code;  ///< fail: errc::too_large, never_fits, queue_full
  std::string reason;    ///< wait and fail: a sentence for the user

  [[nodiscard]] bool ok() const noexcept { return kind == Kind::ok; }
};

/// Whether a download of known size may run: fail when it is bigger than `tier` allows or
/// than the volume less the reserve (volume_bytes 0: unknown, not checked); wait when its
/// remaining bytes do not fit in `free_bytes` less `reserve_bytes`; ok otherwise, and for a
/// size that is still unknown. `free_bytes` is the space not promised to other active
/// downloads (the caller subtracts what they still need).
[[nodiscard]] Admission admit_size(const QueueEntry& download, const Tier& tier,
                                   std::int64_t free_bytes, std::int64_t reserve_bytes,
                                   std::int64_t volume_bytes);
[[nodiscard]] Admission admit_size(const DownloadRecord& download, const Tier& tier,
                                   std::int64_t free_bytes, std::int64_t reserve_bytes,
                                   std::int64_t volume_bytes);

/// Whether an owner with `queued` downloads waiting may add one more: fail
/// (errc::queue_full, "the free tier queues at most 10 downloads") at the tier's max_queued.
[[nodiscard]] Admission admit_add(int queued, const Tier& tier);

struct Schedule {
  struct Failure {
    std::string id;
    std::error_code code;
    std::string reason;
  };
  struct Wait {
    std::string id;
    std::string reason;  ///< "waiting for disk space: needs 5.00 GiB, 1.20 GiB free"
  };
  std::vector<std::string> start;  ///< queued downloads to start, in the order chosen
  std::vector<Failure> fail;       ///< queued downloads that can never run, in input order
  std::vector<Wait> wait;          ///< every other queued download, in input order
  std::vector<std::string> retry;  ///< failed downloads due again (oldest retry_at first)
};

/// Decides what happens now; see the rules above. Entries in other states than queued,
/// downloading, uploading and failed are ignored.
[[nodiscard]] Schedule schedule(std::span<const QueueEntry> downloads, const TierTable& tiers,
                                const Capacity& capacity, TimeMs now);

}  // namespace bitflow::manager
