// TrackerList: the BEP 12 state machine described in bitflow/tracker_list.hpp.
//
// Invariants: trackers_ is ordered tier by tier; at most one attempt is in flight
// (in_flight_); current_ is the next tracker to try; due_ is when the next regular
// announce may go out.
#include "bitflow/tracker_list.hpp"

#include <algorithm>
#include <unordered_set>

namespace bitflow::tracker {

namespace {
constexpr std::chrono::seconds min_interval_floor{60};
constexpr std::chrono::seconds max_interval{24 * 3600};
constexpr std::chrono::seconds first_backoff{60};
constexpr std::chrono::seconds max_backoff{3600};
}  // namespace

TrackerList::TrackerList(std::vector<std::vector<std::string>> tiers, std::mt19937& rng) {
  std::unordered_set<std::string> seen;
  std::size_t tier_number = 0;
  for (auto& tier : tiers) {
    std::vector<std::string> urls;
    for (auto& url : tier)
      if (!url.empty() && seen.insert(url).second) urls.push_back(std::move(url));
    if (urls.empty()) continue;
    std::shuffle(urls.begin(), urls.end(), rng);
    for (auto& url : urls) {
      TrackerStatus status;
      status.url = std::move(url);
      status.tier = tier_number;
      trackers_.push_back(std::move(status));
    }
    ++tier_number;
  }
}

Event TrackerList::pending_event() const noexcept {
  if (!started_sent_) return Event::started;
  if (completed_pending_) return Event::completed;
  return Event::none;
}

std::optional<TrackerList::Attempt> TrackerList::next_attempt(TimePoint now) {
  if (stopped_ || trackers_.empty() || in_flight_ || now < due_) return std::nullopt;
  in_flight_ = current_;
  in_flight_event_ = pending_event();
  trackers_[current_].updating = true;
  return Attempt{trackers_[current_].url, in_flight_event_};
}

std::optional<TrackerList::TimePoint> TrackerList::next_wakeup() const {
  if (stopped_ || trackers_.empty() || in_flight_) return std::nullopt;
  return due_;
}

void TrackerList::promote(std::size_t index) {
  std::size_t first = index;
  while (first > 0 && trackers_[first - 1].tier == trackers_[index].tier)
    --first;
  std::rotate(trackers_.begin() + static_cast<std::ptrdiff_t>(first),
              trackers_.begin() + static_cast<std::ptrdiff_t>(index),
              trackers_.begin() + static_cast<std::ptrdiff_t>(index) + 1);
}

void TrackerList::on_success(const AnnounceResponse& reply, TimePoint now) {
  if (!in_flight_) return;
  std::size_t index = *in_flight_;
  in_flight_.reset();
  TrackerStatus& s = trackers_[index];
  s.updating = false;
  s.last_reply = now;
  s.last_error.clear();
  s.seeders = reply.seeders;
  s.leechers = reply.leechers;
  s.peers_received = reply.peers.size();
  s.consecutive_failures = 0;

  auto interval = std::clamp(reply.interval, min_interval_floor, max_interval);
  due_ = now + interval;
  auto min_wait = std::min(reply.min_interval.value_or(min_interval_floor), interval);
  min_due_ = now + std::max(min_wait, std::chrono::seconds(0));
  if (reply.tracker_id) tracker_id_ = reply.tracker_id;
  if (in_flight_event_ == Event::started) started_sent_ = true;
  if (in_flight_event_ == Event::completed) completed_pending_ = false;
  // A completion reported meanwhile goes out now, not after a whole interval.
  if (completed_pending_) due_ = now;

  last_answered_url_ = s.url;
  promote(index);
  current_ = 0;
  failures_in_row_ = 0;
  backoff_round_ = 0;
}

void TrackerList::on_failure(const std::string& error, TimePoint now) {
  if (!in_flight_) return;
  std::size_t index = *in_flight_;
  in_flight_.reset();
  TrackerStatus& s = trackers_[index];
  s.updating = false;
  s.last_error = error;
  ++s.consecutive_failures;

  current_ = (index + 1) % trackers_.size();
  if (++failures_in_row_ < trackers_.size()) {
    due_ = now;  // the next tracker in line, at once
    return;
  }
  // Every tracker failed in a row: wait, longer each round, then start from the top.
  auto backoff = std::min(max_backoff, first_backoff * (1 << std::min(backoff_round_, 6)));
  ++backoff_round_;
  failures_in_row_ = 0;
  current_ = 0;
  due_ = now + backoff;
}

void TrackerList::completed(TimePoint now) {
  completed_pending_ = true;
  due_ = std::min(due_, now);
}

void TrackerList::reannounce(TimePoint now) {
  due_ = std::max(now, min_due_.value_or(now));
}

std::optional<TrackerList::Attempt> TrackerList::stop() {
  if (stopped_) return std::nullopt;
  stopped_ = true;
  if (!started_sent_ || last_answered_url_.empty()) return std::nullopt;
  return Attempt{last_answered_url_, Event::stopped};
}

std::vector<TrackerStatus> TrackerList::status() const {
  std::vector<TrackerStatus> out;
  out.reserve(trackers_.size());
  for (std::size_t i = 0; i < trackers_.size(); ++i) {
    TrackerStatus s = trackers_[i];
    if (i == current_ && !stopped_ && !in_flight_) s.next_announce = due_;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace bitflow::tracker
