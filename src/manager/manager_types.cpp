// The manager's plain data (bitflow/manager_types.hpp): state and event names, the default
// tiers and a record's derived figures. Names are what the store and the HTTP API write, so
// they must never change once released.
#include "bitflow/manager_types.hpp"

#include <array>
#include <utility>

namespace bitflow::manager {

namespace {

constexpr std::array<std::pair<DownloadState, const char*>, 7> state_names{{
    {DownloadState::queued, "queued"},
    {DownloadState::downloading, "downloading"},
    {DownloadState::uploading, "uploading"},
    {DownloadState::paused, "paused"},
    {DownloadState::completed, "completed"},
    {DownloadState::failed, "failed"},
    {DownloadState::removed, "removed"},
}};

constexpr std::array<std::pair<EventKind, const char*>, 9> event_names{{
    {EventKind::added, "added"},
    {EventKind::started, "started"},
    {EventKind::progress, "progress"},
    {EventKind::paused, "paused"},
    {EventKind::resumed, "resumed"},
    {EventKind::finished, "finished"},
    {EventKind::failed, "failed"},
    {EventKind::removed, "removed"},
    {EventKind::updated, "updated"},
}};

template <typename Enum, std::size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& names, Enum value) noexcept {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "unknown";  // only for a value cast from an integer outside the enum
}

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::pair<Enum, const char*>, N>& names,
                               std::string_view text) noexcept {
  for (const auto& [v, name] : names)
    if (text == name) return v;
  return std::nullopt;
}

constexpr std::int64_t gib = std::int64_t{1} << 30;

}  // namespace

const char* to_string(DownloadState state) noexcept {
  return name_of(state_names, state);
}

std::optional<DownloadState> parse_download_state(std::string_view name) noexcept {
  return parse_name(state_names, name);
}

bool is_final(DownloadState state) noexcept {
  return state == DownloadState::completed || state == DownloadState::failed ||
         state == DownloadState::removed;
}

std::vector<Tier> default_tiers() {
  Tier free_tier;
  free_tier.name = "free";
  free_tier.parallel_downloads = 1;
  free_tier.max_download_size = 2 * gib;
  Tier pro;
  pro.name = "pro";
  pro.parallel_downloads = 5;
  return {free_tier, pro};
}

int DownloadRecord::progress() const noexcept {
  if (bytes_total <= 0 || bytes_done <= 0) return 0;
  if (bytes_done >= bytes_total) return 100;
  // Rounded down, so that 100 means every byte is in; in long double because
  // bytes_done * 100 could overflow for sizes near the int64 limit.
  const auto ratio = static_cast<long double>(bytes_done) / static_cast<long double>(bytes_total);
  return static_cast<int>(ratio * 100.0L);
}

std::int64_t DownloadRecord::eta_seconds() const noexcept {
  if (bytes_total < 0 || download_rate <= 0) return -1;
  const std::int64_t left = bytes_total > bytes_done ? bytes_total - bytes_done : 0;
  return (left + download_rate - 1) / download_rate;  // a partial second still has to pass
}

const char* to_string(EventKind kind) noexcept {
  return name_of(event_names, kind);
}

std::optional<EventKind> parse_event_kind(std::string_view name) noexcept {
  return parse_name(event_names, name);
}

}  // namespace bitflow::manager
