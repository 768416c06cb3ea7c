// TorrentFetcher: the Fetcher interface over a Session torrent. It watches the torrent's
// status on a timer (twice a second) and reports changes; pause/resume map to the torrent's
// own pause/resume; cancel removes the torrent from the session (keeping its data).
// The timer and the removal hold the shared Impl, never the fetcher: they report through
// the fetcher's ProgressSink by weak_ptr, which expires with the fetcher.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <variant>

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
  using Params = std::variant<AddTorrentParams, AddMagnetParams>;

  Impl(asio::io_context& context, Session& s, Params p, std::weak_ptr<const ProgressSink> progress)
      : session(s), params(std::move(p)), timer(context), sink(std::move(progress)) {}

  void report() {
    if (auto s = sink.lock()) s->notify(snapshot());
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

  // Brings the fetch state up to date with the torrent's.
  void follow() {
    TorrentStatus t = torrent.status();
    if (t.state == TorrentState::seeding || t.state == TorrentState::finished) {
      state = FetchState::completed;
    } else if (t.state == TorrentState::error) {
      state = FetchState::failed;
      error = t.error;
    }
  }

  // Follows the torrent while it runs or is paused, reporting twice a second while it
  // runs and on every change.
  void watch() {
    timer.expires_after(std::chrono::milliseconds(500));
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->sink.expired()) return;  // cancelled, or the fetcher is gone
      FetchState before = self->state;
      if (before != FetchState::running && before != FetchState::paused) return;
      self->follow();
      if (self->state != FetchState::paused || before != self->state) self->report();
      if (self->state == FetchState::running || self->state == FetchState::paused) self->watch();
    });
  }

  // A torrent ignores pause() while it checks its data: a pause asked for then is applied
  // as soon as it starts downloading (from inside the session's event delivery, which
  // Session::on_event allows).
  void listen() {
    listener = session.on_event([weak = weak_from_this()](const TorrentEvent& e) {
      auto self = weak.lock();
      if (!self || e.kind != TorrentEvent::Kind::state_changed || !(e.torrent == self->torrent))
        return;
      if (self->state == FetchState::paused && e.state == TorrentState::downloading)
        self->torrent.pause();
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
  Params params;
  TorrentHandle torrent;
  FetchState state = FetchState::idle;
  std::string error;
  asio::steady_timer timer;
  std::weak_ptr<const ProgressSink> sink;  // expires with the fetcher
  Session::ListenerId listener = 0;
};

TorrentFetcher::TorrentFetcher(asio::io_context& io, Session& session, AddTorrentParams params)
    : impl_(std::make_shared<Impl>(io, session, std::move(params), progress_sink())) {}

TorrentFetcher::TorrentFetcher(asio::io_context& io, Session& session, AddMagnetParams params)
    : impl_(std::make_shared<Impl>(io, session, std::move(params), progress_sink())) {}

TorrentFetcher::~TorrentFetcher() {
  impl_->timer.cancel();  // the watch loop ends; a pending removal reports to nobody
  if (impl_->listener != 0) impl_->session.remove_listener(impl_->listener);
}

void TorrentFetcher::start() {
  if (impl_->state != FetchState::idle) return;
  impl_->listen();
  try {
    impl_->torrent =
        std::visit([&](const auto& params) { return impl_->session.add(params); }, impl_->params);
  } catch (const std::exception& e) {
    // An unusable save path, a torrent already in the session: the fetch has failed.
    impl_->state = FetchState::failed;
    impl_->error = e.what();
    impl_->report();
    return;
  }
  impl_->state = FetchState::running;
  impl_->report();
  impl_->watch();
}

void TorrentFetcher::pause() {
  if (impl_->state != FetchState::running) return;
  impl_->state = FetchState::paused;
  impl_->torrent.pause();  // while checking: applied once it downloads (see listen())
  impl_->report();
}

void TorrentFetcher::resume() {
  if (impl_->state != FetchState::paused) return;
  impl_->state = FetchState::running;
  impl_->torrent.resume();
  impl_->report();
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
