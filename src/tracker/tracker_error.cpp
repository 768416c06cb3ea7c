// The tracker error category and Event names.
#include "bitflow/tracker.hpp"
#include "util/error_category.hpp"

namespace bitflow {
namespace tracker {
namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::invalid_response:
      return "invalid tracker response";
    case errc::tracker_failure:
      return "tracker refused the request";
    case errc::response_too_large:
      return "tracker response too large";
    case errc::timed_out:
      return "tracker did not answer in time";
    case errc::transaction_mismatch:
      return "tracker reply for another transaction";
    case errc::unsupported_url:
      return "unsupported tracker URL";
    case errc::no_scrape_url:
      return "tracker has no scrape URL";
    case errc::network_error:
      return "network error talking to the tracker";
    case errc::http_status:
      return "tracker answered with an HTTP error status";
    case errc::cancelled:
      return "tracker request cancelled";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("tracker", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

std::string_view to_string(Event e) noexcept {
  switch (e) {
    case Event::started:
      return "started";
    case Event::completed:
      return "completed";
    case Event::stopped:
      return "stopped";
    case Event::none:
      break;
  }
  return "";
}

}  // namespace tracker

}  // namespace bitflow
