// What makes a webhook valid and which events it wants. Pure; any thread.
#pragma once

#include <string>
#include <vector>

#include "bitflow/manager_store.hpp"
#include "bitflow/manager_types.hpp"

namespace bitflow::manager::detail {

/// Whether a webhook with this event filter gets `kind`: an empty filter wants every event
/// but progress (several a second per download would flood a receiver nobody asked to be
/// flooded); a non-empty one wants exactly the names it lists, progress included if named.
[[nodiscard]] bool webhook_wants(const std::vector<std::string>& events, EventKind kind);

/// Throws bitflow::Error (errc::bad_webhook) saying what is wrong: an owner that is empty
/// or over 128 characters, a URL that is not an absolute http:// or https:// URL with a
/// host, an empty secret, or an event name that is no EventKind. The id is not checked.
void check_webhook(const Webhook& webhook);

}  // namespace bitflow::manager::detail
