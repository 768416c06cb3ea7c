// The recent events bitflowd sends on GET /events, and their Server-Sent Events framing.
// Every event gets an id "BOOT-SEQ": BOOT names this run of the server (its start time),
// SEQ counts up from 1. A client that reconnects with Last-Event-ID gets what it missed
// from a bounded window of the latest events; when the window no longer holds everything
// it missed (or the id is from an earlier run), the replay starts with a "resync" event
// telling the client to fetch the lists again. Pure: no sockets, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitflow::daemon {

struct WindowEvent {
  std::uint64_t seq = 0;
  std::string owner;  ///< whose download it is: only they receive it
  std::string kind;   ///< the SSE event name ("added", "progress" …)
  std::string data;   ///< the event as one line of JSON
};

class EventWindow {
 public:
  /// `boot` is this run's id; `capacity` the events kept for replay (at least 1).
  EventWindow(std::uint64_t boot, std::size_t capacity);

  /// Appends an event and returns it (with its seq); the oldest one goes when full.
  const WindowEvent& push(std::string owner, std::string kind, std::string data);

  struct Replay {
    bool gap = false;  ///< some missed events are no longer here: send "resync" first
    std::vector<const WindowEvent*> events;  ///< the owner's missed events, oldest first
  };
  /// What a client of `owner` that last saw `last_event_id` missed. An id of another run
  /// replays the owner's whole window, with gap set. An id that is not one of ours at all
  /// is treated as "saw nothing of this run".
  [[nodiscard]] Replay replay(std::string_view owner, std::string_view last_event_id) const;

  /// The SSE id of an event of this run.
  [[nodiscard]] std::string id_of(const WindowEvent& event) const;
  [[nodiscard]] std::uint64_t boot() const noexcept { return boot_; }

 private:
  std::uint64_t boot_;
  std::size_t capacity_;
  std::uint64_t next_seq_ = 1;
  std::deque<WindowEvent> events_;
};

/// One SSE message: "id: ID\nevent: EVENT\ndata: DATA\n\n". `data` must be one line (JSON
/// as serialized has no newline); an empty id or event leaves that line out.
[[nodiscard]] std::string format_sse(std::string_view id, std::string_view event,
                                     std::string_view data);

/// The comment line SSE clients ignore, which keeps proxies and idle timers from closing
/// a quiet stream.
[[nodiscard]] std::string sse_keepalive();

/// Parses "BOOT-SEQ"; nullopt for anything else.
struct EventId {
  std::uint64_t boot = 0;
  std::uint64_t seq = 0;
};
[[nodiscard]] std::optional<EventId> parse_event_id(std::string_view text) noexcept;

}  // namespace bitflow::daemon
