// TorrentImpl: see torrent_impl.hpp. The flow of a block: PeerConnection → on_block()
// copies it into the piece's PieceAssembly → hash_more() keeps one disk-pool job at a
// time hashing the piece's in-order prefix, 256 KiB at a time, while the rest arrives →
// once every block is in, a last job finishes the hash and, if it matches, writes the
// piece → the result comes back to piece_done() on the network thread. Pieces in flight
// (first request to written) are bounded by SessionSettings::piece_memory_bytes through
// the picker's limit on new pieces (new_piece_allowance()). Web seeds (WebSeed) run next
// to the connections while downloading and hand in blocks the same way (accept_block()).
#include "session/torrent_impl.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "bitflow/hash.hpp"
#include "bitflow/log.hpp"
#include "bitflow/resume.hpp"
#include "session/peer_address.hpp"
#include "session/peer_connection.hpp"
#include "session/tracker_event.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
constexpr int max_connect_failures = 8;
// Pieces that failed their hash check are kept (to find the liar once a good copy comes)
// up to this many bytes.
constexpr std::int64_t max_failed_bytes = 16 << 20;
constexpr int hash_failures_before_ban = 3;
constexpr auto resume_save_interval = 30s;

}  // namespace

TorrentImpl::TorrentImpl(asio::any_io_executor executor, asio::thread_pool& disk,
                         tracker::TrackerClient& trackers, SessionShared& shared,
                         AddTorrentParams params)
    : executor_(std::move(executor)),
      disk_(disk),
      log_tag_(params.info.name() + " [" + params.info.info_hash().hex().substr(0, 8) + "]"),
      shared_(shared),
      params_(std::move(params)),
      blocks_(params_.info.geometry()),
      picker_(params_.info.geometry()),
      storage_(std::make_shared<storage::Storage>(params_.info, params_.save_path,
                                                  params_.file_priorities)),
      rng_(std::random_device{}()),
      trackers_(trackers),
      choker_(peer::ChokerSettings{.upload_slots = shared.settings.upload_slots},
              std::random_device{}()),
      upload_limit_(params_.upload_rate_limit, SessionShared::burst_for(params_.upload_rate_limit)),
      download_limit_(params_.download_rate_limit,
                      SessionShared::burst_for(params_.download_rate_limit)),
      cache_(shared.settings.read_cache_bytes),
      ticker_(executor_),
      disk_idle_(executor_, Clock::time_point::max()),
      announcer_done_(executor_, Clock::time_point::max()) {
  if (!params_.file_priorities.empty()) picker_.set_file_priorities(params_.file_priorities);
  picker_.set_sequential(params_.sequential);
  const Geometry& g = params_.info.geometry();
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p)
    if (picker_.piece_priority(p) > 0) wanted_bytes_ += g.piece_size(p);
  make_web_seeds();
}

// One WebSeed per distinct http(s) URL of the torrent's url-list and the caller's extras
// (libcurl could do FTP too, but the reactor allows only http and https).
void TorrentImpl::make_web_seeds() {
  if (!shared_.settings.use_web_seeds || !params_.use_web_seeds || shared_.http == nullptr) return;
  std::set<std::string> seen;
  auto add = [&](const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      logger()->debug("{}: web seed {} skipped: only http and https are supported", log_tag_,
                      net::redacted(url));
      return;
    }
    if (seen.insert(url).second)
      web_seeds_.push_back(std::make_shared<WebSeed>(*this, *shared_.http, url));
  };
  for (const auto& url : params_.info.web_seeds())
    add(url);
  for (const auto& url : params_.web_seeds)
    add(url);
}

void TorrentImpl::start_web_seeds() {
  if (!wants_web_seed_data()) return;
  for (const auto& seed : web_seeds_)
    if (seed->begin()) asio::co_spawn(executor_, run_web_seed(seed), asio::detached);
}

void TorrentImpl::stop_web_seeds() {
  for (const auto& seed : web_seeds_)
    seed->stop();
}

void TorrentImpl::wake_web_seeds() {
  for (const auto& seed : web_seeds_)
    seed->wake();
}

// Holds the torrent and the seed until run() returns (a transfer cancelled by stop() ends
// after the torrent's stop() may have returned).
asio::awaitable<void> TorrentImpl::run_web_seed(std::shared_ptr<WebSeed> seed) {
  auto self = shared_from_this();
  co_await seed->run();
}

void TorrentImpl::drop_web_seed(WebSeed& seed, const std::string& reason) {
  if (seed.dropped()) return;
  seed.drop();
  logger()->info("{}: web seed {} dropped: {}", log_tag_, net::redacted(seed.url()), reason);
  TorrentEvent event;
  event.kind = TorrentEvent::Kind::peer_banned;
  event.peer = seed.url();
  event.detail = seed.url();  // as for a peer (the reason is in the log)
  emit(std::move(event));
}

TorrentImpl::~TorrentImpl() = default;

void TorrentImpl::start() {
  emit(TorrentEvent::Kind::state_changed);  // checking
  asio::co_spawn(executor_, main(), [self = shared_from_this()](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      self->set_state(TorrentState::error, error.what());
    }
  });
}

asio::awaitable<void> TorrentImpl::main() {
  auto self = shared_from_this();
  co_await check_existing_data();
  if (stopping_) co_return;
  for (const auto& address : params_.peers)
    known_.try_emplace(address);
  start_announcing();
  if (picker_.is_finished()) {
    on_finished();
  } else {
    set_state(TorrentState::downloading);
    start_web_seeds();
  }
  // Paused torrents keep ticking (rates decay to zero); the loop ends with stop(), an
  // error, or the end of seeding.
  while (!stopping_ && state_ != TorrentState::finished && state_ != TorrentState::error &&
         state_ != TorrentState::stopped) {
    tick();
    ticker_.expires_after(1s);
    (void)co_await ticker_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void TorrentImpl::start_announcing() {
  if (!params_.use_trackers || params_.info.trackers().empty()) return;
  tracker::Announcer::Params p;
  p.info_hash = params_.info.info_hash();
  p.peer_id = shared_.settings.peer_id;
  p.port = shared_.listen_port;
  announcer_.emplace(
      trackers_, params_.info.trackers(), p,
      [this] {
        return tracker::Announcer::Totals{uploaded_, downloaded_, wanted_bytes_ - verified_bytes_};
      },
      [this](const std::vector<PeerEntry>& peers) { add_peers(peers); },
      [this](const tracker::Announcer::Result& result) { tracker_result(result); });
  asio::co_spawn(executor_, announcer_->run(), asio::detached);
}

// Runs `job` on the disk pool; the coroutine resumes on the network thread with its
// result (through a timer the job's completion cancels). The job is taken by reference
// (callers pass a named local) and moved out before the first suspension.
template <typename Job>
asio::awaitable<std::invoke_result_t<Job&>> TorrentImpl::on_disk(Job&& job) {
  auto self = shared_from_this();
  asio::steady_timer done(executor_, Clock::time_point::max());
  std::optional<std::invoke_result_t<Job&>> result;
  asio::post(disk_, [&, self, job = std::move(job)]() mutable {
    auto value = job();
    asio::post(executor_, [&, value = std::move(value)]() mutable {
      result = std::move(value);
      done.cancel();
    });
  });
  while (!result)
    (void)co_await done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(*result);
}

asio::awaitable<void> TorrentImpl::check_existing_data() {
  set_state(TorrentState::checking);
  unsigned threads = std::max(1u, shared_.settings.disk_threads);
  // A named job, never a temporary inside co_await (g++ 12 destroys those twice).
  auto job = [storage = storage_, info = &params_.info, threads, save_path = params_.save_path] {
    // A resume file whose files are untouched since it was written is trusted; anything
    // else means hashing what is on disk.
    ErrorInfo ignored;
    auto resume = storage::load_resume(save_path, *info, ignored);
    if (resume && storage::resume_matches_files(*resume, *info, *storage))
      return std::move(resume->pieces);
    return storage::check_existing(*info, *storage, threads);
  };
  auto verified = co_await on_disk(std::move(job));
  const Geometry& g = params_.info.geometry();
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p) {
    if (!verified[static_cast<std::size_t>(p.value)]) continue;
    picker_.piece_verified(p);
    ++pieces_have_;
    ++pieces_from_resume_;
    if (picker_.piece_priority(p) > 0) verified_bytes_ += g.piece_size(p);
  }
}

void TorrentImpl::tick() {
  rate_ = downloaded_ - downloaded_at_last_tick_;
  downloaded_at_last_tick_ = downloaded_;
  up_rate_ = uploaded_ - uploaded_at_last_tick_;
  uploaded_at_last_tick_ = uploaded_;
  if (state_ == TorrentState::paused) return;
  connect_more();
  for (const auto& c : connections_)
    c->fill_pipeline();
  wake_web_seeds();
  if (choker_.due(Clock::now())) rechoke();
  // The resume file is written after an fsync of the data it vouches for, which stalls the
  // disk pool: while downloading, at most every 30 s (a crash loses no verified data
  // either way: a stale resume file means hashing what is on disk).
  if (resume_dirty_ && Clock::now() - last_resume_save_ >= resume_save_interval) save_resume();
  if (state_ == TorrentState::seeding) {
    auto seeding_for =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - seeding_since_);
    if (seeding_done(params_.seed, uploaded_, params_.info.total_size(), seeding_for))
      stop_seeding();
  }
}

void TorrentImpl::add_peers(const std::vector<PeerEntry>& peers) {
  for (const auto& p : peers)
    known_.try_emplace(peer_address_text(p));
  connect_more();
}

bool TorrentImpl::has_room_for_peer() const {
  return static_cast<int>(connections_.size()) < shared_.settings.max_peers_per_torrent &&
         shared_.connections < shared_.settings.max_connections;
}

void TorrentImpl::connect_more() {
  if (stopping_ || !active()) return;
  auto now = Clock::now();
  for (auto& [address, peer] : known_) {
    if (!has_room_for_peer()) return;
    if (peer.connected || peer.banned || peer.failures >= max_connect_failures ||
        now < peer.next_try || (peer.seed && complete()))
      continue;
    peer.connected = true;
    asio::co_spawn(executor_, connect_to(address), asio::detached);
  }
}

asio::awaitable<void> TorrentImpl::connect_to(std::string address) {
  auto self = shared_from_this();
  std::shared_ptr<PeerConnection> connection;
  std::string reason;
  try {
    auto parts = split_peer_address(address);
    if (!parts)
      throw Error(peer::make_error_code(peer::errc::connection_closed), "bad peer address");
    asio::ip::tcp::resolver resolver(executor_);
    auto endpoints =
        co_await resolver.async_resolve(parts->first, parts->second, asio::use_awaitable);
    connection = std::make_shared<PeerConnection>(*this, address, endpoints.begin()->endpoint());
    connections_.insert(connection);
    ++shared_.connections;
    co_await connection->run();
    reason = end_reason(connection.get(), nullptr);
  } catch (const std::exception& e) {
    // Why a connection ended changes nothing below: the peer is retried later either way
    // (banned peers are not). It is reported, though.
    reason = end_reason(connection.get(), &e);
  }
  bool talked = connection && connection->handshake_done();
  if (connection && connections_.erase(connection) > 0) {
    --shared_.connections;
    rechoke();  // a slot may have come free
  }
  auto& peer = known_[address];
  peer.connected = false;
  if (connection && connection->both_seeds()) peer.seed = true;
  // A peer we talked to gets a quick retry; one we could not reach backs off.
  peer.failures = talked ? 0 : peer.failures + 1;
  peer.next_try = Clock::now() + (talked ? 5s : std::chrono::seconds(5 * peer.failures));
  if (talked)  // last: a listener may pause or remove the torrent
    connection_ended(*connection, reason);
  else
    logger()->debug("{}: cannot connect to {}: {}", log_tag_, address, reason);
}

piece::PeerKey TorrentImpl::peer_connected(PeerConnection& connection) {
  auto key = picker_.add_peer();
  by_key_[key.slot] = &connection;
  logger()->debug("{}: connected to {} ({}, encryption {})", log_tag_, connection.address(),
                  connection.incoming() ? "incoming" : "outgoing", connection.encryption());
  TorrentEvent event;
  event.kind = TorrentEvent::Kind::peer_connected;
  event.peer = connection.address();
  event.incoming = connection.incoming();
  event.detail = connection.encryption();
  emit(std::move(event));
  return key;
}

// Why a connection ended, in words for the log and peer_disconnected: what we closed it
// for, else what went wrong.
std::string TorrentImpl::end_reason(const PeerConnection* connection, const std::exception* error) {
  if (connection && !connection->close_reason().empty()) return connection->close_reason();
  if (const auto* system = dynamic_cast<const boost::system::system_error*>(error)) {
    if (system->code() == asio::error::eof) return "peer closed the connection";
    return system->code().message();
  }
  return error ? error->what() : "closed";
}

// A connection that had finished its handshake is over (run() has returned).
void TorrentImpl::connection_ended(const PeerConnection& connection, const std::string& reason) {
  logger()->debug("{}: {} disconnected: {}", log_tag_, connection.address(), reason);
  TorrentEvent event;
  event.kind = TorrentEvent::Kind::peer_disconnected;
  event.peer = connection.address();
  event.incoming = connection.incoming();
  event.detail = reason;
  emit(std::move(event));
}

void TorrentImpl::tracker_result(const tracker::Announcer::Result& result) {
  emit(tracker_event(result));
}

void TorrentImpl::peer_disconnected(PeerConnection& connection) {
  picker_.peer_gone(connection.key());
  by_key_.erase(connection.key().slot);
}

std::string TorrentImpl::our_bitfield() const {
  const Geometry& g = params_.info.geometry();
  std::string bits(static_cast<std::size_t>((g.num_pieces() + 7) / 8), '\0');
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p)
    if (picker_.has(p))
      bits[static_cast<std::size_t>(p.value / 8)] |= static_cast<char>(0x80 >> (p.value % 8));
  return bits;
}

std::vector<bool> TorrentImpl::have_pieces() const {
  const Geometry& g = params_.info.geometry();
  std::vector<bool> have(static_cast<std::size_t>(g.num_pieces()));
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p)
    have[static_cast<std::size_t>(p.value)] = picker_.has(p);
  return have;
}

void TorrentImpl::on_block(PeerConnection& from, Block block, std::string_view data) {
  accept_block(from.key(), from.number(), block, data);
}

// A block from a peer or a web seed (`key` in the picker, `number` as its sender).
void TorrentImpl::accept_block(piece::PeerKey key, std::uint32_t number, Block block,
                               std::string_view data) {
  auto result = picker_.mark_block_received(block, key);
  if (!result.wanted) {
    wasted_ += static_cast<std::int64_t>(data.size());
    return;
  }
  downloaded_ += static_cast<std::int64_t>(data.size());
  for (const auto& other : result.cancel()) {
    auto it = by_key_.find(other.slot);
    if (it != by_key_.end())
      it->second->send_cancel(
          {block, blocks_.block_offset(block.index), static_cast<std::uint32_t>(data.size())});
  }
  Assembly& assembly = assembling_[block.piece.value];
  if (!assembly)
    assembly = std::make_shared<PieceAssembly>(
        static_cast<std::size_t>(blocks_.piece_size(block.piece)),
        static_cast<std::size_t>(blocks_.num_blocks(block.piece)), BlockGeometry::block_size);
  std::memcpy(assembly->data.data() + blocks_.block_offset(block.index), data.data(), data.size());
  assembly->mark_received(static_cast<std::size_t>(block.index.value), number);
  hash_more(block.piece, assembly);
}

namespace {
// Hash a piece's in-order prefix on the pool in steps of this many bytes: big enough that
// the jobs cost little, small enough that the bytes are still in the CPU's cache.
constexpr std::size_t hash_step = 256 * 1024;
}  // namespace

// Keeps one job at a time hashing the piece's in-order prefix; once every block is in,
// the last job finishes the hash and writes the piece (verify_and_write).
void TorrentImpl::hash_more(PieceIndex piece, Assembly assembly) {
  if (assembly->hashing) return;  // the running job calls again when it is back
  if (assembly->complete()) {
    assembling_.erase(piece.value);  // `assembly` is our own reference, not the map's
    verify_and_write(piece, std::move(assembly));
    return;
  }
  if (assembly->contiguous - assembly->hashed < hash_step) return;
  assembly->hashing = true;
  ++disk_jobs_;
  const std::size_t from = assembly->hashed, to = assembly->contiguous;
  asio::post(disk_, [self = shared_from_this(), piece, assembly, from, to] {
    assembly->hasher.update(std::string_view(assembly->data.data() + from, to - from));
    asio::post(self->executor_, [self, piece, assembly, to] {
      if (--self->disk_jobs_ == 0) self->disk_idle_.cancel();
      assembly->hashing = false;
      assembly->hashed = to;
      auto it = self->assembling_.find(piece.value);
      if (it != self->assembling_.end() && it->second == assembly) self->hash_more(piece, assembly);
    });
  });
}

void TorrentImpl::verify_and_write(PieceIndex piece, Assembly assembly) {
  ++disk_jobs_;
  Sha1Hash expected = params_.info.piece_hash(piece);
  asio::post(disk_, [self = shared_from_this(), piece, expected, assembly, storage = storage_] {
    const PieceBuffer& data = assembly->data;
    assembly->hasher.update(
        std::string_view(data.data() + assembly->hashed, data.size() - assembly->hashed));
    const bool ok = assembly->hasher.finish() == expected;
    ErrorInfo error;
    if (ok) (void)storage->write(piece, 0, data.span(), error);  // the error goes back below
    asio::post(self->executor_, [self, piece, assembly, ok, error = std::move(error)]() mutable {
      self->piece_done(piece, assembly, ok, std::move(error));
    });
  });
}

std::size_t TorrentImpl::new_piece_allowance() const noexcept {
  const auto piece_length = static_cast<std::size_t>(params_.info.piece_length());
  const std::size_t limit = std::max<std::size_t>(
      2, shared_.settings.piece_memory_bytes / std::max<std::size_t>(1, piece_length));
  const std::size_t in_flight = picker_.num_partial_pieces();
  return in_flight >= limit ? 0 : limit - in_flight;
}

std::uint32_t TorrentImpl::peer_number(const std::string& address) {
  auto [it, added] =
      peer_numbers_.try_emplace(address, static_cast<std::uint32_t>(peer_addresses_.size()));
  if (added) peer_addresses_.push_back(address);
  return it->second;
}

void TorrentImpl::piece_done(PieceIndex piece, const Assembly& assembly, bool hash_ok,
                             ErrorInfo write_error) {
  if (--disk_jobs_ == 0) disk_idle_.cancel();
  const bool was_full = new_piece_allowance() == 0;
  if (write_error) {
    logger()->error("{}: cannot write piece {}: {}", log_tag_, piece.value, write_error.message);
    set_state(TorrentState::error, write_error.message);
    return;
  }
  const auto size = static_cast<std::int64_t>(assembly->data.size());
  if (!hash_ok) {
    ++hash_failures_;
    std::set<std::string> senders;
    for (std::uint32_t s : assembly->sender)
      senders.insert(peer_addresses_[s]);
    if (auto log = logger(); log->should_log(spdlog::level::info))
      log->info("{}: piece {} failed its hash check (sent by {})", log_tag_, piece.value,
                fmt::join(senders, ", "));
    emit(TorrentEvent::Kind::hash_failed, piece.value);
    wasted_ += size;
    picker_.piece_hash_failed(piece);
    if (senders.size() == 1) {
      // It alone sent a piece that failed its hash check.
      ban(*senders.begin(),
          "sole sender of piece " + std::to_string(piece.value) + ", which failed its hash check");
    } else {
      for (const auto& s : senders)
        if (++hash_failures_by_peer_[s] >= hash_failures_before_ban)
          ban(s, "took part in " + std::to_string(hash_failures_by_peer_[s]) +
                     " pieces that failed their hash check");
    }
    keep_failed(piece, assembly);
  } else {
    picker_.piece_verified(piece);
    ++pieces_have_;
    if (picker_.piece_priority(piece) > 0) verified_bytes_ += size;
    resume_dirty_ = true;
    blame(piece, *assembly);
    for (const auto& c : connections_)
      if (c->handshake_done()) c->send_have(piece);
    emit(TorrentEvent::Kind::piece_verified, piece.value);
    // Keep what has just arrived for serving, but only when a connected peer lacks it:
    // filling the cache with pieces no one asks for costs memory and buys nothing.
    if (someone_lacks(piece))
      cache_.put(piece.value, std::shared_ptr<const PieceBuffer>(assembly, &assembly->data));
    if (picker_.is_finished()) on_finished();
  }
  if (was_full && new_piece_allowance() > 0)
    for (const auto& c : connections_)
      c->fill_pipeline();
  wake_web_seeds();  // room for a new piece, or a failed piece to fetch again
}

bool TorrentImpl::someone_lacks(PieceIndex piece) const {
  for (const auto& c : connections_)
    if (c->handshake_done() && !picker_.peer_has(c->key(), piece)) return true;
  return false;
}

// Keeps a piece that failed its hash check until a good copy arrives (blame()), within
// max_failed_bytes (the first one always, however large its pieces).
void TorrentImpl::keep_failed(PieceIndex piece, Assembly assembly) {
  const auto size = static_cast<std::int64_t>(assembly->data.size());
  if (failed_.contains(piece.value) ||
      (!failed_.empty() && failed_bytes_ + size > max_failed_bytes))
    return;
  failed_bytes_ += size;
  failed_.emplace(piece.value, std::move(assembly));
}

// A piece that once failed has now verified: every block that differs from the good copy
// identifies a peer that sent bad data.
void TorrentImpl::blame(PieceIndex piece, const PieceAssembly& good) {
  auto it = failed_.find(piece.value);
  if (it == failed_.end()) return;
  const PieceAssembly& bad = *it->second;
  for (std::size_t b = 0; b < bad.sender.size(); ++b) {
    Block block{piece, BlockIndex(static_cast<std::int32_t>(b))};
    auto offset = static_cast<std::size_t>(blocks_.block_offset(block.index));
    auto length = static_cast<std::size_t>(blocks_.block_length(block));
    if (std::memcmp(bad.data.data() + offset, good.data.data() + offset, length) != 0)
      ban(peer_addresses_[bad.sender[b]], "sent block " + std::to_string(b) + " of piece " +
                                              std::to_string(piece.value) +
                                              ", which differs from the verified copy");
  }
  failed_bytes_ -= static_cast<std::int64_t>(bad.data.size());
  failed_.erase(it);
}

void TorrentImpl::ban(const std::string& address, std::string_view evidence) {
  for (const auto& seed : web_seeds_)
    if (seed->url() == address) {  // a web seed's sender name is its URL
      drop_web_seed(*seed, std::string(evidence));
      return;
    }
  auto& peer = known_[address];
  if (peer.banned) return;
  peer.banned = true;
  ++banned_;
  logger()->info("{}: banned {}: {}", log_tag_, address, evidence);
  TorrentEvent event;
  event.kind = TorrentEvent::Kind::peer_banned;
  event.peer = address;
  event.detail = address;
  emit(std::move(event));
  for (const auto& c : connections_)
    if (c->address() == address) c->close("banned");
}

void TorrentImpl::on_finished() {
  if (finishing_) return;
  finishing_ = true;
  stop_web_seeds();
  // Zero-length files never receive a byte: create them (disk work, so on the
  // pool) before saying "finished".
  ++disk_jobs_;
  asio::post(disk_, [self = shared_from_this(), storage = storage_] {
    ErrorInfo error;
    (void)storage->create_empty_files(error);  // the error goes back below
    asio::post(self->executor_, [self, error = std::move(error)]() mutable {
      if (--self->disk_jobs_ == 0) self->disk_idle_.cancel();
      self->finished_files_ready(std::move(error));
    });
  });
}

void TorrentImpl::finished_files_ready(ErrorInfo error) {
  if (error) {
    set_state(TorrentState::error, error.message);
    return;
  }
  if (stopping_) return;
  save_resume();
  // "completed" only for a download that happened here, not for data that was complete
  // when it was added.
  if (announcer_ && downloaded_ > 0) announcer_->completed();
  seeding_since_ = Clock::now();
  if (state_ == TorrentState::paused) {
    // Paused while the last piece was written (a listener may pause on piece_verified):
    // it stays paused, and resume() goes on seeding.
    state_before_pause_ = TorrentState::seeding;
    return;
  }
  set_state(TorrentState::seeding);
  for (const auto& c : connections_)
    c->on_torrent_complete();  // not interested any more; seeds among them go
  if (seeding_done(params_.seed, uploaded_, params_.info.total_size(), 0s)) stop_seeding();
}

void TorrentImpl::stop_seeding() {
  set_state(TorrentState::finished);
  for (const auto& c : connections_)
    c->close("seeding finished");
  ticker_.cancel();
  // Done: the trackers hear "stopped" now (stop() later does not say it twice).
  if (announcer_ && !announcer_stopping_) {
    announcer_stopping_ = true;
    asio::co_spawn(executor_, announcer_->stop(), [self = shared_from_this()](std::exception_ptr) {
      self->announcer_stopped_ = true;
      self->announcer_done_.cancel();
    });
  }
}

void TorrentImpl::save_resume() {
  resume_dirty_ = false;
  last_resume_save_ = Clock::now();
  const Geometry& g = params_.info.geometry();
  std::vector<bool> verified(static_cast<std::size_t>(g.num_pieces()));
  for (PieceIndex p(0); p.value < g.num_pieces(); ++p)
    verified[static_cast<std::size_t>(p.value)] = picker_.has(p);
  ++disk_jobs_;
  // File stamps and the atomic write are disk work: done on the pool.
  asio::post(disk_, [self = shared_from_this(), storage = storage_,
                     verified = std::move(verified)]() mutable {
    ErrorInfo sync_error, save_error;
    // Flush what was written before recording it, so the stamps match the data.
    (void)storage->sync(sync_error);
    auto data = storage::make_resume_data(self->params_.info, *storage, std::move(verified));
    (void)storage::save_resume(data, self->params_.save_path, save_error);  // best effort:
    // without a resume file the next start hashes what is on disk instead.
    std::string problem = sync_error ? sync_error.message : save_error.message;
    asio::post(self->executor_, [self, problem = std::move(problem)] {
      if (!problem.empty())
        logger()->warn("{}: resume data not saved (the next start re-checks the files): {}",
                       self->log_tag_, problem);
      if (--self->disk_jobs_ == 0) self->disk_idle_.cancel();
    });
  });
}

void TorrentImpl::set_state(TorrentState state, std::string error) {
  if (state_ == state && error.empty()) return;
  if (state == TorrentState::error)
    logger()->error("{}: stopped by an error: {}", log_tag_, error);
  else
    logger()->info("{}: {} -> {}", log_tag_, to_string(state_), to_string(state));
  state_ = state;
  if (!error.empty()) error_ = error;
  emit(TorrentEvent::Kind::state_changed, -1, std::move(error));
  if (state == TorrentState::error) {
    stop_web_seeds();
    for (const auto& c : connections_)
      c->close("the torrent stopped by an error");
    ticker_.cancel();
  }
}

void TorrentImpl::emit(TorrentEvent::Kind kind, std::int32_t piece, std::string detail) {
  TorrentEvent event;
  event.kind = kind;
  event.piece = piece;
  event.detail = std::move(detail);
  emit(std::move(event));
}

void TorrentImpl::emit(TorrentEvent event) {
  if (!event_callback_) return;
  event.state = state_;
  event_callback_(std::move(event));
}

asio::awaitable<void> TorrentImpl::stop() {
  auto self = shared_from_this();
  stopping_ = true;
  ticker_.cancel();
  stop_web_seeds();
  for (const auto& c : connections_)
    c->close("the torrent is stopping");
  while (disk_jobs_ > 0)
    (void)co_await disk_idle_.async_wait(asio::as_tuple(asio::use_awaitable));
  save_resume();
  while (disk_jobs_ > 0)
    (void)co_await disk_idle_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (announcer_) {
    if (!announcer_stopping_) {
      announcer_stopping_ = true;
      co_await announcer_->stop();
      announcer_stopped_ = true;
    }
    while (!announcer_stopped_)  // stop_seeding() is saying "stopped" already
      (void)co_await announcer_done_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (state_ != TorrentState::finished && state_ != TorrentState::error)
    set_state(TorrentState::stopped);
}

void TorrentImpl::pause() {
  if (!active()) return;
  state_before_pause_ = state_;
  set_state(TorrentState::paused);
  stop_web_seeds();
  for (const auto& c : connections_)
    c->close("paused");
}

void TorrentImpl::resume() {
  if (state_ != TorrentState::paused || stopping_) return;
  set_state(state_before_pause_);
  for (auto& [address, peer] : known_)
    peer.next_try = {};  // reconnect at once
  connect_more();
  start_web_seeds();
}

asio::awaitable<ErrorInfo> TorrentImpl::remove_files() {
  cache_.clear();
  auto job = [storage = storage_] {
    ErrorInfo error;
    (void)storage->remove_files(error);  // the error goes back to the caller
    return error;
  };
  co_return co_await on_disk(std::move(job));
}

TorrentStatus TorrentImpl::status() const {
  TorrentStatus s;
  s.state = state_;
  s.wanted_bytes = wanted_bytes_;
  s.verified_bytes = verified_bytes_;
  s.downloaded = downloaded_;
  s.uploaded = uploaded_;
  s.wasted = wasted_;
  s.pieces_in_flight = static_cast<std::int32_t>(picker_.num_partial_pieces());
  s.download_rate = rate_;
  s.upload_rate = up_rate_;
  s.pieces_have = pieces_have_;
  s.num_pieces = params_.info.num_pieces();
  s.pieces_from_resume = pieces_from_resume_;
  s.hash_failures = hash_failures_;
  s.peers = static_cast<int>(by_key_.size());
  for (const auto& seed : web_seeds_)
    if (seed->running() && !seed->dropped()) ++s.web_seeds;
  for (const auto& c : connections_) {
    if (!c->handshake_done()) continue;
    if (c->incoming()) ++s.peers_incoming;
    if (!c->am_choking()) ++s.peers_unchoked;
  }
  s.peers_known = static_cast<int>(known_.size());
  s.peers_banned = banned_;
  s.error = error_;
  return s;
}

}  // namespace bitflow::session
