// SessionShared — what every torrent of a session shares: the settings, the session-wide
// rate limits, the connection count and the HTTP reactor. Owned by the Session, which outlives its
// torrents' work (stop them before destroying it). Network thread only.
#pragma once

#include "bitflow/rate_limiter.hpp"
#include "bitflow/session.hpp"

namespace bitflow::net {
class CurlReactor;
}

namespace bitflow::session {

struct SessionShared {
  explicit SessionShared(SessionSettings s)
      : settings(std::move(s)),
        upload(settings.upload_rate_limit, burst_for(settings.upload_rate_limit)),
        download(settings.download_rate_limit, burst_for(settings.download_rate_limit)) {}

  /// A quarter second of traffic, at least two blocks: smooth, yet never below a block.
  static std::int64_t burst_for(std::int64_t rate) {
    return std::max<std::int64_t>(rate / 4, 2 * 16384);
  }

  SessionSettings settings;
  TokenBucket upload;
  TokenBucket download;
  int connections = 0;  ///< live peer connections, incoming and outgoing
  std::uint16_t listen_port = 0;
  net::CurlReactor* http = nullptr;  ///< the io_context's shared reactor, for web seeds
};

}  // namespace bitflow::session
