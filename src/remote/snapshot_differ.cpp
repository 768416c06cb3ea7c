// SnapshotDiffer and to_record (bitflow/remote_watch.hpp): pure, so that every rule of the
// event sequence is tested with plain snapshots and times.
#include <set>

#include "bitflow/remote_watch.hpp"
#include "util/concat.hpp"

namespace bitflow::remote {

using manager::DownloadRecord;
using manager::DownloadState;
using manager::Event;
using manager::EventKind;
using manager::TimeMs;

namespace {

DownloadState state_of(RemoteState s) {
  switch (s) {
    case RemoteState::paused:
      return DownloadState::paused;
    case RemoteState::queued:
      return DownloadState::queued;
    case RemoteState::checking:
    case RemoteState::downloading:
      return DownloadState::downloading;
    case RemoteState::seeding:
      return DownloadState::completed;
    case RemoteState::error:
      return DownloadState::failed;
  }
  return DownloadState::queued;
}

void emit(std::vector<Event>& out, EventKind kind, const DownloadRecord& record, TimeMs at,
          std::vector<std::string> changed = {}) {
  Event e;
  e.kind = kind;
  e.download = record;
  e.changed = std::move(changed);
  e.at = at;
  out.push_back(std::move(e));
}

}  // namespace

DownloadRecord to_record(const RemoteTorrent& torrent, const std::string& owner) {
  DownloadRecord r;
  r.id = torrent.hash;
  r.owner = owner;
  r.source = util::concat("magnet:?xt=urn:btih:", torrent.hash);
  r.type = "torrent";
  r.name = torrent.name.empty() ? torrent.hash : torrent.name;
  r.state = state_of(torrent.state);
  r.bytes_done = torrent.bytes_done;
  r.bytes_total = torrent.bytes_total;
  r.download_rate = torrent.download_rate;
  r.upload_rate = torrent.upload_rate;
  // A record's error is the reason it failed; a tracker's complaint about a running
  // torrent is not one.
  if (r.state == DownloadState::failed) {
    r.error = torrent.error.empty() ? std::string("the client stopped the torrent") : torrent.error;
    r.error_code = "remote:error";
  }
  return r;
}

SnapshotDiffer::SnapshotDiffer(std::string owner, std::chrono::milliseconds progress_interval)
    : owner_(std::move(owner)), progress_interval_ms_(progress_interval.count()) {}

void SnapshotDiffer::diff_one(const DownloadRecord& before, bool checking, Seen& seen, TimeMs at,
                              std::vector<Event>& out) const {
  DownloadRecord& now = seen.record;
  bool state_told = before.state == now.state;
  bool finished = false;
  if (!state_told) {
    if (now.state == DownloadState::paused) {
      emit(out, EventKind::paused, now, at);
      state_told = true;
    } else if (before.state == DownloadState::paused) {
      emit(out, EventKind::resumed, now, at);
      state_told = true;
    } else {
      if (now.state == DownloadState::downloading &&
          (before.state == DownloadState::queued || before.state == DownloadState::failed ||
           before.state == DownloadState::completed)) {
        now.started_at = at;
        emit(out, EventKind::started, now, at);
        state_told = true;
      }
      if (now.state == DownloadState::completed) {
        now.finished_at = at;
        emit(out, EventKind::finished, now, at);
        state_told = finished = true;
      }
      if (now.state == DownloadState::failed) {
        now.finished_at = at;
        emit(out, EventKind::failed, now, at);
        state_told = true;
      }
    }
  }
  if (finished) {
    seen.progress_bytes = now.bytes_done;  // the finished event carries them
    seen.progress_at = at;
  } else if (!checking && now.bytes_done != seen.progress_bytes &&
             // A wall clock set back must not silence progress until it catches up.
             (at < seen.progress_at || at - seen.progress_at >= progress_interval_ms_)) {
    emit(out, EventKind::progress, now, at);
    seen.progress_bytes = now.bytes_done;
    seen.progress_at = at;
  }
  std::vector<std::string> changed;
  if (!state_told) changed.emplace_back("state");
  if (before.name != now.name) changed.emplace_back("name");
  if (before.bytes_total != now.bytes_total) changed.emplace_back("bytes_total");
  if (before.error != now.error) changed.emplace_back("error");
  if (!changed.empty()) emit(out, EventKind::updated, now, at, std::move(changed));
}

std::vector<Event> SnapshotDiffer::update(const std::vector<RemoteTorrent>& now_list, TimeMs at) {
  std::vector<Event> out;
  std::map<std::string, Seen> next;
  for (const auto& torrent : now_list) {
    if (next.contains(torrent.hash)) continue;  // a client listing a torrent twice
    Seen seen;
    seen.record = to_record(torrent, owner_);
    if (auto it = seen_.find(torrent.hash); it != seen_.end()) {
      seen.record.created_at = it->second.record.created_at;
      seen.record.started_at = it->second.record.started_at;
      seen.record.finished_at = it->second.record.finished_at;
      seen.progress_bytes = it->second.progress_bytes;
      seen.progress_at = it->second.progress_at;
      diff_one(it->second.record, torrent.state == RemoteState::checking, seen, at, out);
    } else {
      seen.record.created_at = at;
      seen.progress_bytes = seen.record.bytes_done;
      seen.progress_at = at;
      emit(out, EventKind::added, seen.record, at);
      if (seen.record.state == DownloadState::downloading) {
        seen.record.started_at = at;
        emit(out, EventKind::started, seen.record, at);
      }
    }
    next.emplace(torrent.hash, std::move(seen));
  }
  for (auto& [hash, seen] : seen_) {
    if (next.contains(hash)) continue;
    seen.record.state = DownloadState::removed;
    seen.record.finished_at = at;
    emit(out, EventKind::removed, seen.record, at);
  }
  seen_ = std::move(next);
  return out;
}

}  // namespace bitflow::remote
