// TorrentImpl, the serving half: incoming connections, reading pieces for peers through
// the read cache, the upload and download limits, and the choker. See torrent_impl.hpp.
//
// A request's path: PeerConnection queues it → its server coroutine awaits read_piece()
// (cache hit, or one pread of the whole piece on the disk pool, shared by every request
// that arrives for that piece meanwhile) → waits out the upload limit → sends the block.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bitflow/log.hpp"
#include "session/peer_address.hpp"
#include "session/peer_connection.hpp"
#include "session/torrent_impl.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

bool TorrentImpl::accepting() const noexcept {
  return !stopping_ && active() && has_room_for_peer();
}

void TorrentImpl::accept(asio::ip::tcp::socket socket, const peer::Handshake& theirs, bool mse,
                         StreamCipher cipher, std::string_view received) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec || !accepting()) return;  // the socket closes as it goes out of scope
  std::string address = peer_address_text(remote.address(), remote.port());
  auto connection = std::make_shared<PeerConnection>(*this, std::move(address), std::move(socket),
                                                     theirs, mse, std::move(cipher), received);
  connections_.insert(connection);
  ++shared_.connections;
  asio::co_spawn(executor_, serve_incoming(std::move(connection)), asio::detached);
}

asio::awaitable<void> TorrentImpl::serve_incoming(std::shared_ptr<PeerConnection> connection) {
  auto self = shared_from_this();
  std::string reason;
  try {
    co_await connection->run();
    reason = end_reason(connection.get(), nullptr);
  } catch (const std::exception& e) {
    // An incoming peer that leaves is simply gone; it may come back on its own.
    reason = end_reason(connection.get(), &e);
  }
  if (connections_.erase(connection) > 0) {
    --shared_.connections;
    rechoke();
  }
  if (connection->handshake_done())
    connection_ended(*connection, reason);
  else
    logger()->debug("{}: incoming {} failed: {}", log_tag_, connection->address(), reason);
}

asio::awaitable<std::shared_ptr<const PieceBuffer>> TorrentImpl::read_piece(PieceIndex piece) {
  if (auto hit = cache_.get(piece.value)) co_return hit;
  auto self = shared_from_this();
  auto& slot = reads_[piece.value];
  if (!slot) {
    slot = std::make_shared<PendingRead>(executor_);
    auto size = static_cast<std::size_t>(blocks_.piece_size(piece));
    asio::post(disk_, [self, piece, size, pending = slot, storage = storage_] {
      auto buffer = std::make_shared<PieceBuffer>(size);
      ErrorInfo error;
      bool ok = storage->read(piece, 0, buffer->span(), error);
      asio::post(self->executor_, [self, piece, pending, buffer, ok, error]() mutable {
        pending->finished = true;
        if (ok) {
          pending->data = std::move(buffer);
          self->cache_.put(piece.value, pending->data);
        } else {
          pending->error = std::move(error);
        }
        self->reads_.erase(piece.value);
        pending->done.cancel();
      });
    });
  }
  auto pending = slot;
  while (!pending->finished)
    (void)co_await pending->done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (pending->error) {
    // The data we announced is gone or unreadable: nothing can be served from it.
    set_state(TorrentState::error, "cannot read piece " + std::to_string(piece.value) +
                                       " to serve it: " + pending->error.message);
    pending->error.raise();
  }
  co_return pending->data;
}

std::chrono::nanoseconds TorrentImpl::upload_wait(std::int64_t bytes) {
  auto now = Clock::now();
  return std::max(shared_.upload.wait_time(bytes, now), upload_limit_.wait_time(bytes, now));
}

std::chrono::nanoseconds TorrentImpl::download_wait(std::int64_t bytes) {
  auto now = Clock::now();
  return std::max(shared_.download.wait_time(bytes, now), download_limit_.wait_time(bytes, now));
}

void TorrentImpl::count_upload(std::int64_t bytes) {
  auto now = Clock::now();
  shared_.upload.consume(bytes, now);
  upload_limit_.consume(bytes, now);
  uploaded_ += bytes;
}

void TorrentImpl::count_download(std::int64_t bytes) {
  auto now = Clock::now();
  shared_.download.consume(bytes, now);
  download_limit_.consume(bytes, now);
}

void TorrentImpl::add_pex_peers(const std::vector<peer::PexPeer>& peers) {
  constexpr std::size_t max_known = 2000;  // a peer cannot flood us with addresses
  for (const auto& p : peers) {
    if (known_.size() >= max_known) break;
    known_.try_emplace(peer_address_text(p.address, p.port));
  }
  connect_more();
}

std::vector<peer::PexPeer> TorrentImpl::pex_peers(const PeerConnection& to) const {
  std::vector<peer::PexPeer> out;
  for (const auto& c : connections_)
    if (c.get() != &to)
      if (auto entry = c->pex_entry()) out.push_back(*entry);
  return out;
}

void TorrentImpl::rechoke() {
  if (stopping_ || !active()) return;
  std::vector<peer::PeerStats> stats;
  stats.reserve(connections_.size());
  for (const auto& c : connections_)
    if (c->handshake_done()) stats.push_back(c->choke_stats());
  auto unchoke = choker_.decide(stats, state_ == TorrentState::seeding, Clock::now());
  std::set<std::uint64_t> chosen(unchoke.begin(), unchoke.end());
  for (const auto& c : connections_)
    if (c->handshake_done()) c->set_choked(!chosen.contains(c->id()));
}

}  // namespace bitflow::session
