// Session: owns the disk pool, the tracker client, the listening socket and the torrents.
// See bitflow/session.hpp.
//
// Incoming connections: the accept loop hands each socket to a short coroutine that reads
// the 68-byte handshake (with a deadline), finds the torrent by info-hash and gives it
// the socket; the torrent answers with its own handshake. When the first 20 bytes are not
// BitTorrent's, the connection is taken as MSE/PE: the MSE handshake finds the torrent
// (SKEY), then the BitTorrent handshake comes through it. Unknown info-hashes, full
// torrents and connections the encryption policy refuses are dropped without a word.
#include "bitflow/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bitflow/log.hpp"
#include "bitflow/with_timeout.hpp"
#include "net/curl_reactor.hpp"
#include "session/encryption.hpp"
#include "session/metadata_fetch.hpp"
#include "session/session_shared.hpp"
#include "session/torrent_impl.hpp"

namespace bitflow {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A torrent in a session (TorrentHandle holds a weak_ptr to it): a TorrentImpl, which
// needs the metadata, and before it, for a magnet link, the MetadataFetch getting it.
class Torrent {
 public:
  explicit Torrent(const Sha1Hash& hash) : info_hash(hash) {}

  Sha1Hash info_hash;
  std::shared_ptr<session::TorrentImpl> impl;     // once the metadata is known
  std::shared_ptr<session::MetadataFetch> fetch;  // a magnet link, until then
  bool stopped = false;
  std::string error;  // the fetched metadata was unusable

  TorrentStatus status() const {
    if (impl) return impl->status();
    TorrentStatus s;
    s.state = !error.empty() ? TorrentState::error
              : stopped      ? TorrentState::stopped
                             : TorrentState::metadata;
    s.error = error;
    if (fetch) {
      s.peers = fetch->peers_connected();
      s.peers_known = fetch->peers_known();
      s.peers_banned = fetch->peers_banned();
      s.metadata_size = fetch->metadata_size();
      s.metadata_pieces = fetch->pieces_received();
    }
    return s;
  }

  asio::awaitable<void> stop() {
    stopped = true;
    if (impl)
      co_await impl->stop();
    else if (fetch)
      co_await fetch->stop();
  }
};

const char* to_string(TorrentState s) noexcept {
  switch (s) {
    case TorrentState::metadata:
      return "metadata";
    case TorrentState::checking:
      return "checking";
    case TorrentState::downloading:
      return "downloading";
    case TorrentState::seeding:
      return "seeding";
    case TorrentState::finished:
      return "finished";
    case TorrentState::paused:
      return "paused";
    case TorrentState::stopped:
      return "stopped";
    case TorrentState::error:
      return "error";
  }
  return "unknown";
}

const char* to_string(TorrentEvent::Kind kind) noexcept {
  using Kind = TorrentEvent::Kind;
  switch (kind) {
    case Kind::state_changed:
      return "state_changed";
    case Kind::piece_verified:
      return "piece_verified";
    case Kind::hash_failed:
      return "hash_failed";
    case Kind::peer_banned:
      return "peer_banned";
    case Kind::metadata_received:
      return "metadata_received";
    case Kind::tracker_reply:
      return "tracker_reply";
    case Kind::tracker_error:
      return "tracker_error";
    case Kind::peer_connected:
      return "peer_connected";
    case Kind::peer_disconnected:
      return "peer_disconnected";
  }
  return "unknown";
}

TorrentStatus TorrentHandle::status() const {
  if (auto t = torrent_.lock()) return t->status();
  TorrentStatus s;
  s.state = TorrentState::stopped;
  return s;
}

bool TorrentHandle::has_metadata() const {
  auto t = torrent_.lock();
  return t && t->impl;
}

std::vector<bool> TorrentHandle::have_pieces() const {
  auto t = torrent_.lock();
  if (!t || !t->impl) return {};
  return t->impl->have_pieces();
}

const TorrentInfo& TorrentHandle::info() const {
  auto t = torrent_.lock();
  if (!t) throw std::logic_error("torrent handle: the torrent is gone");
  if (!t->impl)
    throw Error(std::make_error_code(std::errc::resource_unavailable_try_again),
                "the metadata of magnet " + t->info_hash.hex() + " has not arrived yet");
  return t->impl->info();  // the session keeps it alive while the handle is used on its thread
}

void TorrentHandle::pause() const {
  if (auto t = torrent_.lock(); t && t->impl) t->impl->pause();
}

void TorrentHandle::resume() const {
  if (auto t = torrent_.lock(); t && t->impl) t->impl->resume();
}

asio::awaitable<void> TorrentHandle::stop() const {
  if (auto t = torrent_.lock()) co_await t->stop();
}

namespace {
tcp::acceptor open_acceptor(asio::io_context& io, const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address, ec);
  if (ec)
    throw Error(std::make_error_code(std::errc::invalid_argument),
                "listen address '" + address + "' is not an IP address");
  auto try_bind = [&](std::uint16_t p) {
    tcp::acceptor acceptor(io);
    tcp::endpoint endpoint(ip, p);
    boost::system::error_code error;
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
    if (error) acceptor.close();
    return std::make_pair(std::move(acceptor), error);
  };
  auto [acceptor, error] = try_bind(port);
  if (error && port != 0) std::tie(acceptor, error) = try_bind(0);  // taken: any port
  if (error)
    throw Error(std::error_code(error.value(), std::system_category()),
                "cannot listen on " + address + ": " + error.message());
  return std::move(acceptor);
}
}  // namespace

struct Session::Impl {
  Impl(asio::io_context& context, SessionSettings s)
      : io(context),
        shared(std::move(s)),
        disk(std::max(1u, shared.settings.disk_threads)),
        trackers(context, shared.settings.tracker),
        acceptor(
            open_acceptor(context, shared.settings.listen_address, shared.settings.listen_port)) {
    shared.listen_port = acceptor.local_endpoint().port();
    shared.http = &net::shared_reactor(context);
  }
  ~Impl() { disk.join(); }

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> route(tcp::socket socket);
  asio::awaitable<void> route_encrypted(tcp::socket socket, std::string first);
  asio::awaitable<void> fetch_then_start(std::shared_ptr<Torrent> torrent, AddMagnetParams params);
  void check_not_added(const Sha1Hash& hash) const;
  void start_torrent(const std::shared_ptr<Torrent>& torrent, AddTorrentParams params,
                     bool from_magnet = false);
  void emit(TorrentEvent event, const std::shared_ptr<Torrent>& torrent);

  // A listener stays alive while a delivery that started before its removal holds it;
  // `removed` stops that delivery from calling it.
  struct Listener {
    ListenerId id = 0;
    std::function<void(const TorrentEvent&)> call;
    bool removed = false;
  };

  asio::io_context& io;
  session::SessionShared shared;
  asio::thread_pool disk;
  tracker::TrackerClient trackers;
  tcp::acceptor acceptor;
  std::vector<std::shared_ptr<Torrent>> torrents;
  std::vector<std::shared_ptr<Listener>> listeners;
  ListenerId next_listener_id = 0;
  std::shared_ptr<int> life = std::make_shared<int>(0);
};

// Delivers to a snapshot of the listeners, so a listener may add or remove listeners (or
// torrents, which emit events of their own, nested) while it runs.
void Session::Impl::emit(TorrentEvent event, const std::shared_ptr<Torrent>& torrent) {
  event.torrent = TorrentHandle(torrent);
  auto snapshot = listeners;
  for (const auto& listener : snapshot) {
    if (listener->removed) continue;
    try {
      listener->call(event);
    } catch (const std::exception& e) {
      logger()->warn("an event listener threw on {}: {}", to_string(event.kind), e.what());
    }
  }
}

// Both coroutines may resume after the Session is gone (a completion already queued):
// they check `alive` before touching it again.
asio::awaitable<void> Session::Impl::accept_loop() {
  std::weak_ptr<int> alive = life;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (alive.expired() || ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors and the like: pause instead of spinning.
      asio::steady_timer pause(socket.get_executor(), 100ms);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      if (alive.expired()) co_return;
      continue;
    }
    if (shared.connections >= shared.settings.max_connections) continue;  // closes it
    asio::co_spawn(io, route(std::move(socket)), asio::detached);
  }
}

// The first 20 bytes tell a plain handshake ("\x13BitTorrent protocol") from an MSE
// one (a Diffie-Hellman key): the former is routed by its info-hash, the latter by the
// SKEY the MSE handshake identifies among our torrents.
asio::awaitable<void> Session::Impl::route(tcp::socket socket) {
  std::weak_ptr<int> alive = life;
  std::array<char, peer::handshake_size> bytes{};
  constexpr std::size_t prefix = 1 + peer::protocol_string.size();
  auto read = co_await with_timeout(asio::async_read(socket, asio::buffer(bytes.data(), prefix),
                                                     asio::as_tuple(asio::use_awaitable)),
                                    10s);
  if (alive.expired() || !read || std::get<0>(*read)) co_return;  // gone, silent or closed
  std::string_view start(bytes.data(), prefix);
  if (start[0] != static_cast<char>(peer::protocol_string.size()) ||
      start.substr(1) != peer::protocol_string) {
    co_await route_encrypted(std::move(socket), std::string(start));
    co_return;
  }
  if (shared.settings.encryption.incoming == IncomingEncryption::require) {
    logger()->debug("incoming plaintext connection refused: encryption is required");
    co_return;
  }
  read = co_await with_timeout(
      asio::async_read(socket, asio::buffer(bytes.data() + prefix, bytes.size() - prefix),
                       asio::as_tuple(asio::use_awaitable)),
      10s);
  if (alive.expired() || !read || std::get<0>(*read)) co_return;
  ErrorInfo error;
  auto parsed = peer::parse_handshake(std::string_view(bytes.data(), bytes.size()), error);
  if (error || !parsed.value) co_return;  // not BitTorrent
  for (const auto& t : torrents)
    if (t->info_hash == parsed.value->info_hash && t->impl) {
      t->impl->accept(std::move(socket), *parsed.value);
      co_return;
    }
}

asio::awaitable<void> Session::Impl::route_encrypted(tcp::socket socket, std::string first) {
  std::weak_ptr<int> alive = life;
  const auto& policy = shared.settings.encryption;
  std::vector<Sha1Hash> hashes;
  for (const auto& t : torrents)
    if (t->impl) hashes.push_back(t->info_hash);
  if (hashes.empty()) co_return;
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  std::string who = ec ? std::string("?") : remote.address().to_string();
  session::MseOutcome outcome;
  std::optional<peer::Handshake> theirs;
  try {
    outcome = co_await session::mse_respond(socket, std::move(first), std::move(hashes),
                                            session::mse_allowed(policy.incoming),
                                            policy.prefer_rc4, 10s);
    if (alive.expired()) co_return;
    // The peer's BitTorrent handshake: in its IA, or right after it.
    std::string& got = outcome.received;
    if (got.size() < peer::handshake_size) {
      std::string more(peer::handshake_size - got.size(), '\0');
      auto read = co_await with_timeout(
          asio::async_read(socket, asio::buffer(more), asio::as_tuple(asio::use_awaitable)), 10s);
      if (alive.expired()) co_return;
      if (!read || std::get<0>(*read))
        throw Error(peer::make_error_code(peer::errc::timed_out),
                    "no BitTorrent handshake after the MSE handshake");
      outcome.cipher.decrypt(more.data(), more.size());
      got += more;
    }
    ErrorInfo error;
    auto parsed =
        peer::parse_handshake(std::string_view(got).substr(0, peer::handshake_size), error);
    if (error || !parsed.value) throw Error(error.code, error.message);
    if (parsed.value->info_hash != outcome.info_hash)
      throw Error(peer::make_error_code(peer::errc::wrong_torrent),
                  "the BitTorrent handshake names another torrent than the MSE one");
    theirs = *parsed.value;
  } catch (const std::exception& e) {
    if (!alive.expired())
      logger()->debug("incoming encrypted connection from {}: {}", who, e.what());
    co_return;
  }
  for (const auto& t : torrents)
    if (t->info_hash == theirs->info_hash && t->impl) {
      t->impl->accept(std::move(socket), *theirs, true, std::move(outcome.cipher),
                      std::string_view(outcome.received).substr(peer::handshake_size));
      co_return;
    }
}

namespace {
// A save path must be a folder, or not exist yet (it is created with the first file).
// Anything else would only fail at the first write, long after add() returned.
void check_save_path(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error(ec, "save path '" + path.string() + "' is unusable: " + ec.message());
  if (std::filesystem::exists(status) && !std::filesystem::is_directory(status))
    throw Error(std::make_error_code(std::errc::not_a_directory),
                "save path '" + path.string() + "' is not a folder");
}
}  // namespace

void Session::Impl::check_not_added(const Sha1Hash& hash) const {
  for (const auto& t : torrents)
    if (t->info_hash == hash)
      throw Error(std::make_error_code(std::errc::file_exists),
                  "torrent " + hash.hex() + " is already in the session");
}

// A magnet's torrent says "metadata_received" once info() works and before "checking".
void Session::Impl::start_torrent(const std::shared_ptr<Torrent>& torrent, AddTorrentParams params,
                                  bool from_magnet) {
  torrent->impl = std::make_shared<session::TorrentImpl>(io.get_executor(), disk, trackers, shared,
                                                         std::move(params));
  std::weak_ptr<Torrent> weak = torrent;
  torrent->impl->on_event([this, weak](TorrentEvent event) {
    if (auto t = weak.lock()) emit(std::move(event), t);
  });
  torrent->fetch.reset();
  if (from_magnet) {
    logger()->info("{} [{}]: metadata received", torrent->impl->info().name(),
                   torrent->info_hash.hex().substr(0, 8));
    TorrentEvent event;
    event.kind = TorrentEvent::Kind::metadata_received;
    event.state = TorrentState::metadata;
    emit(std::move(event), torrent);
  }
  torrent->impl->start();
}

asio::awaitable<void> Session::Impl::fetch_then_start(std::shared_ptr<Torrent> torrent,
                                                      AddMagnetParams p) {
  std::weak_ptr<int> alive = life;
  auto fetch = torrent->fetch;
  auto metadata = co_await fetch->run();
  if (alive.expired() || !metadata || torrent->stopped) co_return;
  ErrorInfo error;
  auto info = TorrentInfo::parse(torrent_file_from_metadata(*metadata, p.magnet), error);
  if (!info) {
    // The hash matched, so the peers told the truth: the torrent itself is unusable here.
    torrent->error = "the fetched metadata is unusable: " + error.message;
    logger()->error("magnet [{}]: {}", torrent->info_hash.hex().substr(0, 8), torrent->error);
    TorrentEvent event;
    event.state = TorrentState::error;
    event.detail = torrent->error;
    emit(std::move(event), torrent);
    co_return;
  }
  AddTorrentParams params(std::move(*info));
  params.save_path = std::move(p.save_path);
  params.sequential = p.sequential;
  params.peers = fetch->good_peers();
  params.use_trackers = p.use_trackers;
  params.seed = p.seed;
  params.upload_rate_limit = p.upload_rate_limit;
  params.download_rate_limit = p.download_rate_limit;
  params.use_web_seeds = p.use_web_seeds;
  params.web_seeds = std::move(p.web_seeds);
  start_torrent(torrent, std::move(params), true);
}

Session::Session(asio::io_context& io, SessionSettings settings)
    : impl_(std::make_unique<Impl>(io, std::move(settings))) {
  asio::co_spawn(io, impl_->accept_loop(), asio::detached);
}

Session::~Session() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

TorrentHandle Session::add(AddTorrentParams params) {
  impl_->check_not_added(params.info.info_hash());
  check_save_path(params.save_path);
  auto torrent = std::make_shared<Torrent>(params.info.info_hash());
  impl_->torrents.push_back(torrent);
  impl_->start_torrent(torrent, std::move(params));
  return TorrentHandle(torrent);
}

TorrentHandle Session::add(AddMagnetParams params) {
  if (!params.magnet.info_hash)
    throw Error(std::make_error_code(std::errc::not_supported),
                "magnet link without a v1 info-hash (urn:btih): v2-only magnets are not "
                "supported yet");
  impl_->check_not_added(*params.magnet.info_hash);
  check_save_path(params.save_path);
  auto torrent = std::make_shared<Torrent>(*params.magnet.info_hash);
  std::vector<std::string> peers = params.magnet.peers;
  peers.insert(peers.end(), params.peers.begin(), params.peers.end());
  torrent->fetch = std::make_shared<session::MetadataFetch>(
      impl_->io.get_executor(), impl_->trackers, impl_->shared, torrent->info_hash,
      params.use_trackers ? params.magnet.trackers : std::vector<std::string>{}, std::move(peers));
  std::weak_ptr<Torrent> weak = torrent;
  torrent->fetch->on_event([impl = impl_.get(), weak](TorrentEvent event) {
    if (auto t = weak.lock()) impl->emit(std::move(event), t);
  });
  impl_->torrents.push_back(torrent);
  TorrentEvent event;
  event.state = TorrentState::metadata;
  impl_->emit(std::move(event), torrent);
  asio::co_spawn(impl_->io, impl_->fetch_then_start(torrent, std::move(params)), asio::detached);
  return TorrentHandle(torrent);
}

namespace {

// The non-throwing form of an add: what the throwing form would throw goes into `error`.
template <typename Params>
TorrentHandle add_reporting(Session& session, Params params, ErrorInfo& error) {
  error.clear();
  try {
    return session.add(std::move(params));
  } catch (const Error& e) {
    error.code = e.code();
    error.message = e.what();
    return {};
  }
}

}  // namespace

TorrentHandle Session::add(AddTorrentParams params, ErrorInfo& error) {
  return add_reporting(*this, std::move(params), error);
}

TorrentHandle Session::add(AddMagnetParams params, ErrorInfo& error) {
  return add_reporting(*this, std::move(params), error);
}

asio::awaitable<void> Session::remove(TorrentHandle handle, RemoveData data) {
  auto torrent = handle.torrent_.lock();
  if (!torrent) co_return;
  co_await torrent->stop();
  std::erase(impl_->torrents, torrent);
  if (data == RemoveData::remove && torrent->impl) {
    ErrorInfo error = co_await torrent->impl->remove_files();
    if (error) error.raise();
  }
}

std::vector<TorrentHandle> Session::torrents() const {
  std::vector<TorrentHandle> handles;
  for (const auto& t : impl_->torrents)
    handles.push_back(TorrentHandle(t));
  return handles;
}

std::uint16_t Session::listen_port() const noexcept {
  return impl_->shared.listen_port;
}

Session::ListenerId Session::on_event(std::function<void(const TorrentEvent&)> listener) {
  auto entry = std::make_shared<Impl::Listener>();
  entry->id = ++impl_->next_listener_id;
  entry->call = std::move(listener);
  impl_->listeners.push_back(entry);
  return entry->id;
}

Session::ListenerId Session::on_state_change(
    std::function<void(TorrentHandle, TorrentState)> callback) {
  return on_event([callback = std::move(callback)](const TorrentEvent& event) {
    if (event.kind == TorrentEvent::Kind::state_changed) callback(event.torrent, event.state);
  });
}

void Session::remove_listener(ListenerId id) {
  std::erase_if(impl_->listeners, [id](const std::shared_ptr<Impl::Listener>& l) {
    if (l->id != id) return false;
    l->removed = true;  // a delivery in progress holds it: skip it there too
    return true;
  });
}

asio::awaitable<void> Session::stop_all() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  // A copy: a listener may add or remove torrents while we wait.
  auto torrents = impl_->torrents;
  for (auto& t : torrents)
    co_await t->stop();
}

}  // namespace bitflow
