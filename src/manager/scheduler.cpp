// The scheduler (scheduler.hpp): admission by size and disk, then fair rounds over owners.
//
// Invariants of schedule():
//   * every queued entry ends in exactly one of start, fail and wait;
//   * no owner is started past its tier's parallel_downloads, and no more start than the
//     global limit leaves (active downloads already count);
//   * `available` (free space less the reserve less what active and just-started downloads
//     still need) is what every disk decision is made against, so two downloads never
//     start on the same free bytes;
//   * nothing depends on the order of the input beyond what the output lists say: owners
//     and queues are sorted by value, ties broken by name and id.
// Threading: none.
#include "manager/scheduler.hpp"

#include <algorithm>
#include <deque>
#include <tuple>
#include <utility>

#include "bitflow/text.hpp"
#include "manager/manager_error.hpp"

namespace bitflow::manager {

namespace {

bool is_active(DownloadState state) noexcept {
  return state == DownloadState::downloading || state == DownloadState::uploading;
}

std::int64_t remaining_bytes(const QueueEntry& e) noexcept {
  if (e.bytes_total < 0) return 0;
  return e.bytes_total > e.bytes_done ? e.bytes_total - e.bytes_done : 0;
}

int parallel_limit(const Tier& tier) noexcept {
  return std::max(1, tier.parallel_downloads);
}

std::string count_of(int n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

Admission fail(errc code, std::string reason) {
  return {Admission::Kind::fail, make_error_code(code), std::move(reason)};
}

/// One owner's part of a schedule() call.
struct Owner {
  std::string_view name;
  const Tier* tier = nullptr;
  int active = 0;
  TimeMs last_start = 0;
  std::vector<std::size_t> queued;  ///< indices of its startable entries, first to start first
  std::size_t next = 0;             ///< queued[next] is the next to try
  bool waits_for_disk = false;      ///< queued[next] does not fit: the rest queue behind it
};

/// The state a schedule() call builds up: the input sorted into owners, then the output.
class Planner {
 public:
  Planner(std::span<const QueueEntry> downloads, const TierTable& tiers, const Capacity& capacity,
          TimeMs now)
      : downloads_(downloads), tiers_(tiers), capacity_(capacity), now_(now) {}

  Schedule run() {
    sort_into_owners();
    run_rounds();
    explain_the_rest();
    return finish();
  }

 private:
  Owner& owner(std::string_view name) {
    auto it = owners_.find(name);
    if (it == owners_.end()) {
      it = owners_.emplace(name, Owner{}).first;
      it->second.name = name;
      it->second.tier = tiers_.tier_of(name);
    }
    return it->second;
  }

  void sort_into_owners() {
    for (std::size_t i = 0; i < downloads_.size(); ++i) {
      const QueueEntry& e = downloads_[i];
      // Every start counts for the turn order, finished downloads' too: a user whose last
      // download just completed has had a turn more recently than one who waited.
      Owner& o = owner(e.owner);
      o.last_start = std::max(o.last_start, e.started_at);
      if (e.state == DownloadState::failed && e.retry_at > 0 && e.retry_at <= now_)
        retries_.emplace_back(e.retry_at, e.id);
      if (!is_active(e.state) && e.state != DownloadState::queued) continue;
      if (is_active(e.state)) {
        ++o.active;
        ++active_;
        reserved_ += remaining_bytes(e);
      } else {
        admit_or_refuse(o, i);
      }
    }
    available_ = capacity_.free_bytes - capacity_.reserve_bytes - reserved_;
    for (auto& [name, o] : owners_)
      std::sort(o.queued.begin(), o.queued.end(), [this](std::size_t a, std::size_t b) {
        return std::tie(downloads_[a].queue_seq, downloads_[a].id) <
               std::tie(downloads_[b].queue_seq, downloads_[b].id);
      });
  }

  /// A queued entry either fails for good here or becomes a candidate; whether it fits on
  /// the disk now is decided in its turn, against the space left by then.
  void admit_or_refuse(Owner& o, std::size_t i) {
    if (!o.tier) {
      const std::string tier_name = tier_name_of(o.name);
      waits_.emplace_back(i, "waiting: the tier '" + tier_name + "' is not configured");
      return;
    }
    // The space check of this call does not matter: only a fail is acted on here.
    Admission a = admit_size(downloads_[i], *o.tier, capacity_.free_bytes, capacity_.reserve_bytes,
                             capacity_.volume_bytes);
    if (a.kind == Admission::Kind::fail)
      failures_.emplace_back(
          i, Schedule::Failure{std::string(downloads_[i].id), a.code, std::move(a.reason)});
    else
      o.queued.push_back(i);
  }

  std::string tier_name_of(std::string_view owner_name) const {
    auto it = tiers_.owner_tier.find(owner_name);
    return it == tiers_.owner_tier.end() ? tiers_.default_tier : it->second;
  }

  bool global_room() const noexcept {
    return capacity_.max_active <= 0 || active_ < capacity_.max_active;
  }

  static bool wants_more(const Owner& o) noexcept {
    return !o.waits_for_disk && o.next < o.queued.size() && o.active < parallel_limit(*o.tier);
  }

  void run_rounds() {
    std::vector<Owner*> order;
    for (auto& [name, o] : owners_)
      if (o.tier && wants_more(o)) order.push_back(&o);
    std::sort(order.begin(), order.end(), [](const Owner* a, const Owner* b) {
      return std::tie(a->last_start, a->name) < std::tie(b->last_start, b->name);
    });
    // A queue of turns: an owner who started one and can take more goes to the back, which
    // is exactly "one slot each per round".
    std::deque<Owner*> turns(order.begin(), order.end());
    while (!turns.empty() && global_room()) {
      Owner& o = *turns.front();
      turns.pop_front();
      const std::size_t i = o.queued[o.next];
      Admission a = admit_size(downloads_[i], *o.tier, available_ + capacity_.reserve_bytes,
                               capacity_.reserve_bytes, capacity_.volume_bytes);
      if (!a.ok()) {
        o.waits_for_disk = true;
        waits_.emplace_back(i, std::move(a.reason));
        ++o.next;
        continue;
      }
      available_ -= remaining_bytes(downloads_[i]);
      starts_.emplace_back(downloads_[i].id);
      ++o.next;
      ++o.active;
      ++active_;
      if (wants_more(o)) turns.push_back(&o);
    }
  }

  void explain_the_rest() {
    const std::string global_reason = "waiting for a free slot: at most " +
                                      count_of(capacity_.max_active, "download") +
                                      (capacity_.max_active == 1 ? " runs" : " run") + " at once";
    for (auto& [name, o] : owners_) {
      if (!o.tier) continue;
      std::string reason;
      if (o.waits_for_disk)
        reason = "waiting behind an earlier download of the same user that needs disk space";
      else if (o.active >= parallel_limit(*o.tier))
        reason = "waiting for a free slot: the " + o.tier->name + " tier runs " +
                 count_of(parallel_limit(*o.tier), "download") + " at a time";
      else
        reason = global_reason;
      for (std::size_t k = o.next; k < o.queued.size(); ++k)
        waits_.emplace_back(o.queued[k], reason);
    }
  }

  Schedule finish() {
    Schedule s;
    s.start = std::move(starts_);
    std::sort(failures_.begin(), failures_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [index, f] : failures_)
      s.fail.push_back(std::move(f));
    std::sort(waits_.begin(), waits_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [index, reason] : waits_)
      s.wait.push_back({std::string(downloads_[index].id), std::move(reason)});
    std::sort(retries_.begin(), retries_.end());
    for (const auto& [at, id] : retries_)
      s.retry.emplace_back(id);
    return s;
  }

  std::span<const QueueEntry> downloads_;
  const TierTable& tiers_;
  const Capacity& capacity_;
  TimeMs now_;

  std::map<std::string_view, Owner, std::less<>> owners_;
  int active_ = 0;
  std::int64_t reserved_ = 0;   ///< what the active downloads still need
  std::int64_t available_ = 0;  ///< free less reserve less reserved less what was started
  std::vector<std::string> starts_;
  std::vector<std::pair<std::size_t, Schedule::Failure>> failures_;
  std::vector<std::pair<std::size_t, std::string>> waits_;
  std::vector<std::pair<TimeMs, std::string_view>> retries_;
};

}  // namespace

QueueEntry entry_of(const DownloadRecord& record) noexcept {
  QueueEntry e;
  e.id = record.id;
  e.owner = record.owner;
  e.state = record.state;
  e.queue_seq = record.queue_seq;
  e.bytes_total = record.bytes_total;
  e.bytes_done = record.bytes_done;
  e.retry_at = record.retry_at;
  e.started_at = record.started_at;
  e.attempts = record.attempts;
  return e;
}

const Tier* TierTable::tier_of(std::string_view owner) const noexcept {
  auto it = owner_tier.find(owner);
  const std::string& name = it == owner_tier.end() ? default_tier : it->second;
  for (const Tier& t : tiers)
    if (t.name == name) return &t;
  return nullptr;
}

Admission admit_size(const QueueEntry& download, const Tier& tier, std::int64_t free_bytes,
                     std::int64_t reserve_bytes, std::int64_t volume_bytes) {
  const std::int64_t total = download.bytes_total;
  if (total < 0) return {};
  if (tier.max_download_size > 0 && total > tier.max_download_size)
    return fail(errc::too_large, "larger than the " + tier.name +
                                     " tier allows: " + format_size(total) + " > " +
                                     format_size(tier.max_download_size));
  if (volume_bytes > 0 && total > volume_bytes - reserve_bytes) {
    std::string reason = "will never fit on the download volume: needs " + format_size(total);
    if (reserve_bytes > 0)
      reason += ", at most " +
                format_size(std::max<std::int64_t>(0, volume_bytes - reserve_bytes)) +
                " can be free (" + format_size(volume_bytes) + " less a " +
                format_size(reserve_bytes) + " reserve)";
    else
      reason += ", the volume holds " + format_size(volume_bytes);
    return fail(errc::never_fits, std::move(reason));
  }
  const std::int64_t needed = remaining_bytes(download);
  const std::int64_t usable = free_bytes - reserve_bytes;
  if (needed > usable)
    return {Admission::Kind::wait,
            {},
            "waiting for disk space: needs " + format_size(needed) + ", " +
                format_size(std::max<std::int64_t>(0, usable)) + " free"};
  return {};
}

Admission admit_size(const DownloadRecord& download, const Tier& tier, std::int64_t free_bytes,
                     std::int64_t reserve_bytes, std::int64_t volume_bytes) {
  return admit_size(entry_of(download), tier, free_bytes, reserve_bytes, volume_bytes);
}

Admission admit_add(int queued, const Tier& tier) {
  if (tier.max_queued > 0 && queued >= tier.max_queued)
    return fail(errc::queue_full, "the " + tier.name + " tier queues at most " +
                                      count_of(tier.max_queued, "download"));
  return {};
}

Schedule schedule(std::span<const QueueEntry> downloads, const TierTable& tiers,
                  const Capacity& capacity, TimeMs now) {
  return Planner(downloads, tiers, capacity, now).run();
}

}  // namespace bitflow::manager
