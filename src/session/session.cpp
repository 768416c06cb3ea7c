// Session: owns the disk pool, the tracker client and the torrents. See bitflow/session.hpp.
#include "bitflow/session.hpp"

#include <boost/asio/thread_pool.hpp>

#include "session/torrent_impl.hpp"

namespace bitflow {

namespace asio = boost::asio;

// The public name of a torrent inside a session (TorrentHandle holds a weak_ptr to it).
class Torrent : public session::TorrentImpl {
 public:
  using TorrentImpl::TorrentImpl;
};

const char* to_string(TorrentState s) noexcept {
  switch (s) {
    case TorrentState::checking:
      return "checking";
    case TorrentState::downloading:
      return "downloading";
    case TorrentState::finished:
      return "finished";
    case TorrentState::stopped:
      return "stopped";
    case TorrentState::error:
      return "error";
  }
  return "unknown";
}

TorrentStatus TorrentHandle::status() const {
  if (auto t = torrent_.lock()) return t->status();
  TorrentStatus s;
  s.state = TorrentState::stopped;
  return s;
}

const TorrentInfo& TorrentHandle::info() const {
  auto t = torrent_.lock();
  if (!t) throw std::logic_error("torrent handle: the torrent is gone");
  return t->info();  // the session keeps it alive while the handle is used on its thread
}

asio::awaitable<void> TorrentHandle::stop() const {
  if (auto t = torrent_.lock()) co_await t->stop();
}

struct Session::Impl {
  Impl(asio::io_context& context, SessionSettings s)
      : io(context),
        settings(std::move(s)),
        disk(std::max(1u, settings.disk_threads)),
        trackers(context, settings.tracker) {}
  ~Impl() { disk.join(); }

  asio::io_context& io;
  SessionSettings settings;
  asio::thread_pool disk;
  tracker::TrackerClient trackers;
  std::vector<std::shared_ptr<Torrent>> torrents;
  std::function<void(TorrentHandle, TorrentState)> callback;
};

Session::Session(asio::io_context& io, SessionSettings settings)
    : impl_(std::make_unique<Impl>(io, std::move(settings))) {}

Session::~Session() = default;

TorrentHandle Session::add(AddTorrentParams params) {
  auto torrent = std::make_shared<Torrent>(impl_->io.get_executor(), impl_->disk, impl_->trackers,
                                           impl_->settings, std::move(params));
  std::weak_ptr<Torrent> weak = torrent;
  torrent->on_state_change([this, weak](TorrentState state) {
    if (impl_->callback) impl_->callback(TorrentHandle(weak), state);
  });
  impl_->torrents.push_back(torrent);
  torrent->start();
  return TorrentHandle(weak);
}

void Session::on_state_change(std::function<void(TorrentHandle, TorrentState)> callback) {
  impl_->callback = std::move(callback);
}

asio::awaitable<void> Session::stop_all() {
  for (auto& t : impl_->torrents)
    co_await t->stop();
}

}  // namespace bitflow
