// Which state changes a download may make: the diagram in bitflow/manager_types.hpp as a
// function, and a check that says in a sentence why a move is refused. Pure; any thread.
#pragma once

#include "bitflow/error.hpp"
#include "bitflow/manager_types.hpp"

namespace bitflow::manager {

/// Whether a download in `from` may move to `to`. A state never moves to itself.
[[nodiscard]] bool can_transition(DownloadState from, DownloadState to) noexcept;

/// Empty when the move is legal; otherwise errc::illegal_transition with a sentence naming
/// the move ("cannot pause a completed download", "the download is already paused").
[[nodiscard]] ErrorInfo check_transition(DownloadState from, DownloadState to);

}  // namespace bitflow::manager
