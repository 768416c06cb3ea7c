#include "daemon/event_window.hpp"

#include <fmt/format.h>

#include <charconv>

namespace bitflow::daemon {

EventWindow::EventWindow(std::uint64_t boot, std::size_t capacity)
    : boot_(boot), capacity_(capacity == 0 ? 1 : capacity) {}

const WindowEvent& EventWindow::push(std::string owner, std::string kind, std::string data) {
  if (events_.size() == capacity_) events_.pop_front();
  WindowEvent& e = events_.emplace_back();
  e.seq = next_seq_++;
  e.owner = std::move(owner);
  e.kind = std::move(kind);
  e.data = std::move(data);
  return e;
}

EventWindow::Replay EventWindow::replay(std::string_view owner,
                                        std::string_view last_event_id) const {
  Replay out;
  std::uint64_t after = 0;
  const std::optional<EventId> id = parse_event_id(last_event_id);
  if (id && id->boot == boot_) {
    after = id->seq;
  } else if (id) {
    out.gap = true;  // an earlier run: its events are gone
  }
  // The oldest event kept is events_.front(); everything from after+1 up to it is lost.
  const std::uint64_t oldest = events_.empty() ? next_seq_ : events_.front().seq;
  if (after + 1 < oldest) out.gap = true;
  for (const WindowEvent& e : events_) {
    if (e.seq > after && e.owner == owner) out.events.push_back(&e);
  }
  return out;
}

std::string EventWindow::id_of(const WindowEvent& event) const {
  return fmt::format("{}-{}", boot_, event.seq);
}

std::string format_sse(std::string_view id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + 64);
  if (!id.empty()) {
    out += "id: ";
    out += id;
    out += '\n';
  }
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  out += "data: ";
  out += data;
  out += "\n\n";
  return out;
}

std::string sse_keepalive() {
  return ": keep-alive\n\n";
}

std::optional<EventId> parse_event_id(std::string_view text) noexcept {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
  EventId id;
  const char* end = text.data() + text.size();
  auto [p1, e1] = std::from_chars(text.data(), text.data() + dash, id.boot);
  if (e1 != std::errc{} || p1 != text.data() + dash) return std::nullopt;
  auto [p2, e2] = std::from_chars(text.data() + dash + 1, end, id.seq);
  if (e2 != std::errc{} || p2 != end) return std::nullopt;
  return id;
}

}  // namespace bitflow::daemon
