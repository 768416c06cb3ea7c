// The download state machine. The legal moves are one table, so that the header's diagram,
// can_transition() and the refusal messages cannot drift apart: each state lists, as a bit
// set, the states it may move to.
#include "manager/state_machine.hpp"

#include <string>

#include "manager/manager_error.hpp"

namespace bitflow::manager {

namespace {

using S = DownloadState;

constexpr unsigned bit(S state) noexcept {
  return 1u << static_cast<unsigned>(state);
}

/// The states each state may move to, as a bit set indexed by the state's value.
unsigned successors(S from) noexcept {
  switch (from) {
    case S::queued:
      return bit(S::downloading) | bit(S::paused) | bit(S::failed) | bit(S::removed);
    case S::downloading:
      // completed directly when the sink is local: nothing to upload. Back to queued when
      // its size, learnt only now, does not fit on the disk yet.
      return bit(S::queued) | bit(S::uploading) | bit(S::completed) | bit(S::paused) |
             bit(S::failed) | bit(S::removed);
    case S::uploading:
      return bit(S::completed) | bit(S::paused) | bit(S::failed) | bit(S::removed);
    case S::paused:
      return bit(S::queued) | bit(S::removed);  // resume queues it again
    case S::completed:
      return bit(S::removed);
    case S::failed:
      return bit(S::queued) | bit(S::removed);  // retry queues it again
    case S::removed:
      return 0;
  }
  return 0;
}

/// The verb a refusal uses for moving into `to`, which depends on where it comes from for
/// queued (resume from paused, retry from failed).
const char* verb(S from, S to) noexcept {
  switch (to) {
    case S::queued:
      return from == S::paused ? "resume" : from == S::failed ? "retry" : "queue";
    case S::downloading:
      return "start";
    case S::uploading:
      return "upload";
    case S::paused:
      return "pause";
    case S::completed:
      return "complete";
    case S::failed:
      return "fail";
    case S::removed:
      return "remove";
  }
  return "change";
}

/// "a queued", "an uploading": the article and adjective for a download in `state`.
const char* described(S state) noexcept {
  switch (state) {
    case S::queued:
      return "a queued";
    case S::downloading:
      return "a downloading";
    case S::uploading:
      return "an uploading";
    case S::paused:
      return "a paused";
    case S::completed:
      return "a completed";
    case S::failed:
      return "a failed";
    case S::removed:
      return "a removed";
  }
  return "an unknown";
}

}  // namespace

bool can_transition(DownloadState from, DownloadState to) noexcept {
  const auto index = static_cast<unsigned>(to);
  return index < 32 && (successors(from) & (1u << index)) != 0;
}

ErrorInfo check_transition(DownloadState from, DownloadState to) {
  ErrorInfo info;
  if (can_transition(from, to)) return info;
  info.code = make_error_code(errc::illegal_transition);
  if (from == to)
    info.message = std::string("the download is already ") + to_string(to);
  else
    info.message = std::string("cannot ") + verb(from, to) + " " + described(from) + " download";
  return info;
}

}  // namespace bitflow::manager
