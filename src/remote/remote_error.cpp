// The remote clients' error category ("remote") and the names of their torrent states.
#include "bitflow/remote_client.hpp"
#include "util/error_category.hpp"

namespace bitflow::remote {

namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::bad_url:
      return "not a remote client URL";
    case errc::connection_failed:
      return "cannot reach the torrent client";
    case errc::timed_out:
      return "the torrent client did not answer in time";
    case errc::http_status:
      return "the torrent client answered with an HTTP error";
    case errc::malformed_response:
      return "malformed answer from the torrent client";
    case errc::response_too_large:
      return "the torrent client's answer is too large";
    case errc::rpc_failed:
      return "the torrent client refused the call";
    case errc::unsupported:
      return "the torrent client cannot do this";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("remote", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

const char* to_string(RemoteState state) noexcept {
  switch (state) {
    case RemoteState::paused:
      return "paused";
    case RemoteState::queued:
      return "queued";
    case RemoteState::checking:
      return "checking";
    case RemoteState::downloading:
      return "downloading";
    case RemoteState::seeding:
      return "seeding";
    case RemoteState::error:
      return "error";
  }
  return "unknown";
}

}  // namespace bitflow::remote
