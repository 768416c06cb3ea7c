#include "manager/manager_error.hpp"

#include "util/error_category.hpp"

namespace bitflow::manager {

namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::illegal_transition:
      return "the download cannot make that state change";
    case errc::not_found:
      return "no such download";
    case errc::too_large:
      return "the download is larger than its tier allows";
    case errc::never_fits:
      return "the download is larger than the download volume";
    case errc::queue_full:
      return "the tier's queue is full";
    case errc::unknown_tier:
      return "the user's tier is not configured";
    case errc::bad_webhook:
      return "the webhook is not valid";
    case errc::webhook_not_found:
      return "no such webhook";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("manager", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace bitflow::manager
