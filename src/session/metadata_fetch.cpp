// MetadataFetch: see metadata_fetch.hpp. Invariants: sockets_ holds the socket of every
// connection in progress, keyed by address; link_address_ maps each live link's assembler
// key to its address; metadata_ is set once, by finish(), after the assembler verified
// the SHA-1.
#include "session/metadata_fetch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitflow/log.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/version.hpp"
#include "bitflow/with_timeout.hpp"
#include "session/peer_address.hpp"
#include "session/tracker_event.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
constexpr auto connect_timeout = 10s;
constexpr auto handshake_timeout = 15s;
constexpr auto quiet_timeout = 30s;  // no message at all: move on
// How often an idle link looks for pieces to ask for: pieces come free when another peer
// is banned, rejects, or leaves, and nobody else would tell this link.
constexpr auto poll_interval = 1s;
constexpr std::uint8_t our_ut_metadata = 1;
constexpr std::uint8_t our_ut_pex = 2;
constexpr int max_connect_failures = 3;

}  // namespace

struct MetadataFetch::Link {
  std::shared_ptr<tcp::socket> socket;
  peer::MessageReader reader{peer::DecodeOptions{}, nullptr};
  peer::MetadataPeer key;
  std::uint8_t their_ut_metadata = 0;  // 0 until their extended handshake names it
  std::int64_t metadata_size = 0;      // as their extended handshake announced it
  int outstanding = 0;
  bool done = false;  // nothing more to get from this peer
  std::string outbox;
};

MetadataFetch::MetadataFetch(asio::any_io_executor executor, tracker::TrackerClient& trackers,
                             SessionShared& shared, Sha1Hash info_hash,
                             std::vector<std::string> tracker_urls, std::vector<std::string> peers)
    : executor_(std::move(executor)),
      trackers_(trackers),
      shared_(shared),
      info_hash_(info_hash),
      tracker_urls_(std::move(tracker_urls)),
      assembler_(info_hash),
      log_tag_("magnet [" + info_hash.hex().substr(0, 8) + "]"),
      wake_(executor_),
      run_done_(executor_, Clock::time_point::max()) {
  for (auto& p : peers)
    add_peer(std::move(p));
}

asio::awaitable<std::optional<std::string>> MetadataFetch::run() {
  auto self = shared_from_this();
  running_ = true;
  if (!tracker_urls_.empty()) {
    std::vector<std::vector<std::string>> tiers;
    for (const auto& url : tracker_urls_)
      tiers.push_back({url});  // tried in the magnet's order
    tracker::Announcer::Params p;
    p.info_hash = info_hash_;
    p.peer_id = shared_.settings.peer_id;
    p.port = shared_.listen_port;
    announcer_.emplace(
        trackers_, std::move(tiers), p,
        // The size is unknown: report something left, so trackers treat us as a leecher.
        [] {
          return tracker::Announcer::Totals{0, 0, peer::metadata_piece_size};
        },
        [this](const std::vector<PeerEntry>& peers) {
          for (const auto& e : peers)
            add_peer(peer_address_text(e));
          connect_more();
        },
        [this](const tracker::Announcer::Result& result) { emit(tracker_event(result)); });
    asio::co_spawn(executor_, announcer_->run(), asio::detached);
  }
  while (!metadata_ && !stopping_) {
    connect_more();
    wake_.expires_after(1s);
    (void)co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  for (auto& [address, socket] : sockets_) {
    boost::system::error_code ignored;
    socket->close(ignored);
  }
  if (announcer_) co_await announcer_->stop();
  running_ = false;
  run_done_.cancel();
  co_return metadata_;
}

asio::awaitable<void> MetadataFetch::stop() {
  auto self = shared_from_this();
  stopping_ = true;
  wake_.cancel();
  while (running_)
    (void)co_await run_done_.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::vector<std::string> MetadataFetch::good_peers() const {
  std::vector<std::string> out;
  for (const auto& [address, peer] : known_)
    if (!peer.banned) out.push_back(address);
  return out;
}

void MetadataFetch::add_peer(std::string address) {
  if (known_.size() < 1000) known_.try_emplace(std::move(address));
}

void MetadataFetch::connect_more() {
  if (metadata_ || stopping_) return;
  auto now = Clock::now();
  for (auto& [address, peer] : known_) {
    if (static_cast<int>(sockets_.size()) >= max_connections ||
        shared_.connections >= shared_.settings.max_connections)
      return;
    if (peer.connected || peer.banned || peer.failures >= max_connect_failures ||
        now < peer.next_try)
      continue;
    peer.connected = true;
    asio::co_spawn(executor_, talk(address), asio::detached);
  }
}

asio::awaitable<void> MetadataFetch::talk(std::string address) {
  auto self = shared_from_this();
  Link link;
  link.key = peer::MetadataPeer{++next_link_};
  link.socket = std::make_shared<tcp::socket>(executor_);
  sockets_[address] = link.socket;
  link_address_[link.key.id] = address;
  ++shared_.connections;
  bool useful = false;
  try {
    auto parts = split_peer_address(address);
    if (!parts) throw std::invalid_argument("bad address");
    tcp::resolver resolver(executor_);
    auto endpoints =
        co_await resolver.async_resolve(parts->first, parts->second, asio::use_awaitable);
    auto connected =
        co_await with_timeout(link.socket->async_connect(endpoints.begin()->endpoint(),
                                                         asio::as_tuple(asio::use_awaitable)),
                              connect_timeout);
    if (!connected || std::get<0>(*connected)) throw std::runtime_error("connect failed");
    co_await exchange(link);
    useful = true;
  } catch (const std::exception& e) {
    // Unreachable, not BitTorrent, or broke the protocol: the others carry on.
    logger()->debug("{}: {}: {}", log_tag_, address, e.what());
  }
  assembler_.peer_gone(link.key);
  link_address_.erase(link.key.id);
  sockets_.erase(address);
  --shared_.connections;
  auto& peer = known_[address];
  peer.connected = false;
  peer.failures = useful ? 0 : peer.failures + 1;
  peer.next_try = Clock::now() + std::chrono::seconds(10 * (peer.failures + 1));
  connect_more();
}

asio::awaitable<void> MetadataFetch::exchange(Link& link) {
  peer::Handshake ours;
  ours.info_hash = info_hash_;
  ours.peer_id = shared_.settings.peer_id;
  ours.set_supports_extensions(true);
  ours.set_supports_fast(true);
  std::string hello;
  peer::encode_handshake(ours, hello);
  co_await asio::async_write(*link.socket, asio::buffer(hello), asio::use_awaitable);
  auto read_handshake = [&]() -> asio::awaitable<peer::Handshake> {
    for (;;) {
      if (auto h = link.reader.next_handshake()) co_return *h;
      auto space = link.reader.prepare(4096);
      std::size_t n = co_await link.socket->async_read_some(
          asio::buffer(space.data(), space.size()), asio::use_awaitable);
      link.reader.commit(n);
    }
  };
  auto theirs = co_await with_timeout(read_handshake(), handshake_timeout);
  if (!theirs || theirs->info_hash != info_hash_ || theirs->peer_id == ours.peer_id ||
      !theirs->supports_extensions())
    co_return;  // silent, another torrent, ourselves, or no BEP 10: no metadata here
  peer::DecodeOptions options;
  options.extension_protocol = true;
  options.fast_extension = theirs->supports_fast();
  link.reader.set_options(options);

  peer::ExtensionHandshake ext;
  ext.m = {{std::string(peer::ut_metadata_name), our_ut_metadata},
           {std::string(peer::ut_pex_name), our_ut_pex}};
  ext.v = std::string("bitflow ") + version_string;
  ext.p = shared_.listen_port;
  peer::encode(peer::Extended{0, peer::encode_extension_handshake(ext)}, link.outbox);
  if (options.fast_extension) peer::encode(peer::HaveNone{}, link.outbox);

  auto quiet_since = Clock::now();
  for (;;) {
    while (auto message = link.reader.next())
      if (auto* e = std::get_if<peer::Extended>(&*message)) on_extended(link, e->id, e->payload);
    if (link.outstanding == 0) request_more(link);
    if (!link.outbox.empty()) {
      co_await asio::async_write(*link.socket, asio::buffer(link.outbox), asio::use_awaitable);
      link.outbox.clear();
    }
    if (metadata_ || stopping_ || link.done) co_return;
    auto space = link.reader.prepare(64 * 1024);
    auto got =
        co_await with_timeout(link.socket->async_read_some(asio::buffer(space.data(), space.size()),
                                                           asio::as_tuple(asio::use_awaitable)),
                              poll_interval);
    if (!got) {
      link.reader.commit(0);
      if (Clock::now() - quiet_since >= quiet_timeout) co_return;  // gone quiet
      continue;
    }
    if (std::get<0>(*got)) co_return;  // closed
    link.reader.commit(std::get<1>(*got));
    quiet_since = Clock::now();
  }
}

void MetadataFetch::on_extended(Link& link, std::uint8_t id, std::string_view payload) {
  if (id == 0) {
    auto theirs = peer::decode_extension_handshake(payload);  // throws on garbage
    link.their_ut_metadata = theirs.id_of(peer::ut_metadata_name);
    link.metadata_size = theirs.metadata_size.value_or(0);
    if (link.their_ut_metadata == 0 || !theirs.metadata_size ||
        !assembler_.set_size(*theirs.metadata_size)) {
      link.done = true;  // cannot serve metadata, or announces a size we cannot use
      return;
    }
    request_more(link);
  } else if (id == our_ut_metadata) {
    auto message = peer::decode_metadata_message(payload);
    if (auto* data = std::get_if<peer::MetadataData>(&message)) {
      if (link.outstanding > 0) --link.outstanding;
      auto result = assembler_.on_data(link.key, data->piece, data->total_size, data->data);
      if (result == peer::MetadataResult::complete) {
        finish(assembler_.take_metadata());
      } else if (result == peer::MetadataResult::hash_mismatch) {
        for (auto suspect : assembler_.suspects()) {
          auto it = link_address_.find(suspect.id);
          if (it == link_address_.end()) continue;
          auto& peer = known_[it->second];
          if (!peer.banned) {
            ++banned_;
            logger()->info("{}: banned {}: sent part of metadata that failed the info-hash check",
                           log_tag_, it->second);
            TorrentEvent event;
            event.kind = TorrentEvent::Kind::peer_banned;
            event.peer = it->second;
            event.detail = it->second;
            emit(std::move(event));
          }
          peer.banned = true;
          if (auto s = sockets_.find(it->second); s != sockets_.end()) {
            boost::system::error_code ignored;
            s->second->close(ignored);
          }
        }
      } else if (result == peer::MetadataResult::rejected_bad_size ||
                 result == peer::MetadataResult::rejected_out_of_range) {
        link.done = true;  // sends pieces that cannot be ours
      } else {
        request_more(link);
      }
    } else if (auto* reject = std::get_if<peer::MetadataReject>(&message)) {
      assembler_.on_reject(link.key, reject->piece);
      link.done = true;  // it does not have the metadata (or will not share it)
    } else if (auto* request = std::get_if<peer::MetadataRequest>(&message)) {
      // We have nothing yet: refuse, as BEP 9 asks.
      if (link.their_ut_metadata != 0)
        peer::encode(
            peer::Extended{link.their_ut_metadata,
                           peer::encode_metadata_message(peer::MetadataReject{request->piece})},
            link.outbox);
    }
  } else if (id == our_ut_pex) {
    ErrorInfo ignored;
    if (auto pex = peer::decode_pex(payload, ignored))
      for (const auto& p : pex->added)
        add_peer(peer_address_text(p.address, p.port));
  }
}

void MetadataFetch::request_more(Link& link) {
  if (link.their_ut_metadata == 0) return;
  // After a hash mismatch the assembler forgot the size: this peer's claim stands again.
  if (!assembler_.size_known() && !assembler_.set_size(link.metadata_size)) return;
  auto now = Clock::now();
  while (link.outstanding < pieces_per_peer) {
    auto piece = assembler_.next_piece_to_request(link.key, now);
    if (!piece) return;
    peer::encode(peer::Extended{link.their_ut_metadata,
                                peer::encode_metadata_message(peer::MetadataRequest{*piece})},
                 link.outbox);
    ++link.outstanding;
  }
}

void MetadataFetch::finish(std::string metadata) {
  if (metadata_) return;
  metadata_ = std::move(metadata);
  for (auto& [address, socket] : sockets_) {
    boost::system::error_code ignored;
    socket->close(ignored);
  }
  wake_.cancel();
}

void MetadataFetch::emit(TorrentEvent event) {
  if (!event_callback_) return;
  event.state = TorrentState::metadata;
  event_callback_(std::move(event));
}

}  // namespace bitflow::session
