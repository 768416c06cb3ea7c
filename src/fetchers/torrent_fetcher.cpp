// TorrentFetcher: the Fetcher interface over a Session torrent. It watches the torrent's
// status on a timer (twice a second) and reports changes; pause/resume map to the torrent's
// own pause/resume; cancel removes the torrent from the session (keeping its data).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bitflow/fetcher.hpp"

namespace bitflow {

namespace asio = boost::asio;

const char* to_string(FetchState s) noexcept {
  switch (s) {
    case FetchState::idle:
      return "idle";
    case FetchState::running:
      return "running";
    case FetchState::paused:
      return "paused";
    case FetchState::completed:
      return "completed";
    case FetchState::failed:
      return "failed";
    case FetchState::cancelled:
      return "cancelled";
  }
  return "unknown";
}

struct TorrentFetcher::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, Session& s, AddTorrentParams p)
      : session(s), params(std::move(p)), timer(context) {}

  void report() {
    if (owner) owner->notify(snapshot());
  }

  FetchStatus snapshot() const {
    FetchStatus out;
    out.state = state;
    TorrentStatus t = torrent.status();
    out.bytes_done = t.verified_bytes;
    out.bytes_total = t.wanted_bytes;
    out.download_rate = state == FetchState::running ? t.download_rate : 0;
    out.peers = state == FetchState::running ? t.peers : 0;
    out.error = error;
    return out;
  }

  // Follows the torrent until it is no longer running.
  void watch() {
    timer.expires_after(std::chrono::milliseconds(500));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->state != FetchState::running) return;
      TorrentStatus t = self->torrent.status();
      if (t.state == TorrentState::seeding || t.state == TorrentState::finished)
        self->state = FetchState::completed;
      if (t.state == TorrentState::error) {
        self->state = FetchState::failed;
        self->error = t.error;
      }
      self->report();
      if (self->state == FetchState::running) self->watch();
    });
  }

  // Removes the torrent from the session (its data stays), then reports `next`.
  void remove_then(FetchState next) {
    state = next;
    timer.cancel();
    asio::co_spawn(timer.get_executor(), session.remove(torrent, RemoveData::keep),
                   [self = shared_from_this()](std::exception_ptr) { self->report(); });
  }

  Session& session;
  AddTorrentParams params;
  TorrentHandle torrent;
  FetchState state = FetchState::idle;
  std::string error;
  asio::steady_timer timer;
  TorrentFetcher* owner = nullptr;  // cleared when the fetcher goes away
};

TorrentFetcher::TorrentFetcher(asio::io_context& io, Session& session, AddTorrentParams params)
    : impl_(std::make_shared<Impl>(io, session, std::move(params))) {
  impl_->owner = this;
}

TorrentFetcher::~TorrentFetcher() {
  impl_->owner = nullptr;
  impl_->timer.cancel();
}

void TorrentFetcher::start() {
  if (impl_->state != FetchState::idle) return;
  impl_->torrent = impl_->session.add(impl_->params);
  impl_->state = FetchState::running;
  impl_->report();
  impl_->watch();
}

void TorrentFetcher::pause() {
  if (impl_->state != FetchState::running) return;
  impl_->torrent.pause();
  impl_->state = FetchState::paused;
  impl_->report();
}

void TorrentFetcher::resume() {
  if (impl_->state != FetchState::paused) return;
  impl_->torrent.resume();
  impl_->state = FetchState::running;
  impl_->report();
  impl_->timer.cancel();
  impl_->watch();
}

void TorrentFetcher::cancel() {
  if (impl_->state == FetchState::running || impl_->state == FetchState::paused)
    impl_->remove_then(FetchState::cancelled);
  else if (impl_->state == FetchState::idle) {
    impl_->state = FetchState::cancelled;
    impl_->report();
  }
}

FetchStatus TorrentFetcher::status() const {
  return impl_->snapshot();
}

}  // namespace bitflow
