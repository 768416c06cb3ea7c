// The tracker error category, PeerId generation and Event names.
#include <random>

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

PeerId PeerId::generate() {
  static constexpr std::string_view prefix = "-BF0100-";
  static constexpr char alphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  PeerId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(i < prefix.size() ? prefix[i] : alphabet[pick(rng)]);
  return id;
}

}  // namespace bitflow
