// The download manager's error codes (category "manager"): what the manager refuses and why
// a download it scheduled fails. Internal for now; the manager's public header will export
// them when it exists.
#pragma once

#include <system_error>

namespace bitflow::manager {

enum class errc {
  illegal_transition = 1,  ///< a state change the state machine does not allow
  not_found,               ///< no download with that id (or not the caller's)
  too_large,               ///< bigger than the owner's tier allows
  never_fits,              ///< bigger than the download volume even when it is empty
  queue_full,              ///< the owner's tier queues no more downloads
  unknown_tier,            ///< an owner assigned to a tier that is not configured
  bad_webhook,             ///< a webhook without an http(s) URL, a secret or known events
  webhook_not_found,       ///< no webhook with that id (or not the caller's)
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::manager

template <>
struct std::is_error_code_enum<bitflow::manager::errc> : std::true_type {};
