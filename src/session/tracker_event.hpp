// The TorrentEvent for one announce's outcome (tracker_reply or tracker_error), shared by
// TorrentImpl and MetadataFetch. Internal to bitflow.
#pragma once

#include "bitflow/announcer.hpp"
#include "bitflow/session.hpp"

namespace bitflow::session {

inline TorrentEvent tracker_event(const tracker::Announcer::Result& result) {
  TorrentEvent event;
  event.tracker = result.url;
  if (result.reply) {
    event.kind = TorrentEvent::Kind::tracker_reply;
    event.peers_received = static_cast<int>(result.reply->peers.size());
    event.interval = result.reply->interval;
    event.detail = result.reply->warning.value_or("");
  } else {
    event.kind = TorrentEvent::Kind::tracker_error;
    event.detail = result.error;
  }
  return event;
}

}  // namespace bitflow::session
