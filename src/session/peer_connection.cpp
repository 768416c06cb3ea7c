// PeerConnection: see peer_connection.hpp for the shape. Invariants: outstanding_ counts
// our requests the peer has neither answered nor rejected; the picker's view of this
// peer (availability, requests) is registered after the handshake and removed when run()
// ends, whatever the reason.
#include "session/peer_connection.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitflow/version.hpp"
#include "bitflow/with_timeout.hpp"
#include "session/peer_address.hpp"
#include "session/torrent_impl.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {
constexpr auto connect_timeout = 10s;
constexpr auto handshake_timeout = 15s;
constexpr auto keepalive_interval = 90s;
constexpr auto silence_limit = 150s;   // nothing at all from the peer
constexpr auto request_timeout = 30s;  // requests outstanding, no block arrived
constexpr std::size_t max_outbox = 1u << 20;
constexpr std::size_t serve_outbox_limit = 256u << 10;  // the server waits above this
// The peer's requests we hold, per connection; advertised as our reqq (BEP 10). A
// request is a few bytes, and rTorrent 0.9.8 keeps 700-800 outstanding on a fast link.
constexpr std::size_t max_queued_requests = 2048;
// A peer without the fast extension that asks beyond what we hold (or for a piece we do
// not have) is choked, which tells it every request is discarded (BEP 3), and unchoked
// this much later: long enough that the requests it sent before seeing the choke have
// arrived (and been dropped) before the unchoke reaches it.
constexpr auto overflow_choke_pause = 1s;
constexpr std::size_t min_pipeline = 8, max_pipeline = 512;
// Our BEP 10 message ids: what peers send us ut_metadata and ut_pex messages under.
constexpr std::uint8_t our_ut_metadata = 1;
constexpr std::uint8_t our_ut_pex = 2;
constexpr auto first_pex_delay = 2s;  // let the other connections come up first
constexpr auto pex_retry_interval = 5s;

peer::Handshake our_handshake(const TorrentImpl& torrent) {
  peer::Handshake ours;
  ours.info_hash = torrent.info().info_hash();
  ours.peer_id = torrent.peer_id();
  ours.set_supports_fast(true);
  ours.set_supports_extensions(true);
  return ours;
}

std::uint64_t next_connection_id() {
  static std::atomic<std::uint64_t> counter{0};  // sessions may run on several threads
  return ++counter;
}

[[noreturn]] void fail(peer::errc code, const std::string& what) {
  throw Error(peer::make_error_code(code), what);
}
}  // namespace

PeerConnection::PeerConnection(TorrentImpl& torrent, std::string address, tcp::endpoint endpoint)
    : torrent_(torrent),
      address_(std::move(address)),
      number_(torrent.peer_number(address_)),
      endpoint_(endpoint),
      socket_(torrent.executor()),
      wake_writer_(torrent.executor(), Clock::time_point::max()),
      wake_server_(torrent.executor(), Clock::time_point::max()),
      reader_(peer::DecodeOptions{}, &torrent.info().geometry()),
      id_(next_connection_id()) {}

PeerConnection::PeerConnection(TorrentImpl& torrent, std::string address, tcp::socket socket,
                               const peer::Handshake& theirs, bool mse, StreamCipher cipher,
                               std::string_view received)
    : torrent_(torrent),
      address_(std::move(address)),
      number_(torrent.peer_number(address_)),
      socket_(std::move(socket)),
      wake_writer_(torrent.executor(), Clock::time_point::max()),
      wake_server_(torrent.executor(), Clock::time_point::max()),
      reader_(peer::DecodeOptions{}, &torrent.info().geometry(),
              peer::MessageReader::Start::messages),
      cipher_(std::move(cipher)),
      mse_(mse),
      id_(next_connection_id()),
      incoming_(true),
      theirs_(theirs) {
  if (!received.empty()) reader_.feed(received);
}

const char* PeerConnection::encryption() const noexcept {
  if (cipher_.active()) return "rc4";
  return mse_ ? "mse-plaintext" : "plaintext";
}

void PeerConnection::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = reason;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  wake_writer_.cancel();
  wake_server_.cancel();
}

asio::awaitable<void> PeerConnection::run() {
  // However run() ends, the torrent forgets this peer and the socket closes.
  struct Cleanup {
    std::shared_ptr<PeerConnection> self;
    ~Cleanup() {
      if (self->registered_) self->torrent_.peer_disconnected(*self);
      self->registered_ = false;
      self->close("");  // no reason of ours: the error (or the peer) ended it
    }
  } cleanup{shared_from_this()};
  if (incoming_)
    co_await answer_handshake();
  else
    co_await connect_and_handshake();
  co_await (reader() && writer() && server() && watchdog());
}

asio::awaitable<void> PeerConnection::answer_handshake() {
  if (theirs_.peer_id == torrent_.peer_id())
    fail(peer::errc::wrong_torrent, "connected to ourselves");
  std::string hello;
  peer::encode_handshake(our_handshake(torrent_), hello);
  cipher_.encrypt(hello.data(), hello.size());
  auto sent = co_await with_timeout(
      asio::async_write(socket_, asio::buffer(hello), asio::as_tuple(asio::use_awaitable)),
      handshake_timeout);
  if (!sent) fail(peer::errc::timed_out, "handshake not sent within 15 s");
  if (auto [ec, n] = *sent; ec) throw boost::system::system_error(ec);
  socket_.set_option(tcp::no_delay(true));
  handshake_complete(theirs_);
}

asio::awaitable<void> PeerConnection::connect() {
  auto connected = co_await with_timeout(
      socket_.async_connect(endpoint_, asio::as_tuple(asio::use_awaitable)), connect_timeout);
  if (!connected) fail(peer::errc::timed_out, "connect timed out");
  if (auto [ec] = *connected; ec) throw boost::system::system_error(ec);
  socket_.set_option(tcp::no_delay(true));
}

// MSE first or plain first as the policy says; when the first way fails on a connection
// that worked, one more try the other way (unless encryption is required, the peer is
// for another torrent or is ourselves, or we closed meanwhile).
asio::awaitable<void> PeerConnection::connect_and_handshake() {
  auto policy = torrent_.encryption().outgoing;
  bool encrypted = policy != OutgoingEncryption::prefer_plaintext;
  co_await connect();
  std::string first_failure;
  try {
    co_await handshake_outgoing(encrypted, mse_offer(policy));
    co_return;
  } catch (const Error& e) {
    if (policy == OutgoingEncryption::require || closed_ ||
        e.code() == peer::make_error_code(peer::errc::wrong_torrent))
      throw;
    first_failure = e.what();
  } catch (const boost::system::system_error& e) {
    if (policy == OutgoingEncryption::require || closed_) throw;
    first_failure = e.what();
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  socket_ = tcp::socket(torrent_.executor());
  reader_ = peer::MessageReader(peer::DecodeOptions{}, &torrent_.info().geometry());
  cipher_ = {};
  try {
    co_await connect();
    co_await handshake_outgoing(!encrypted, mse_offer(policy));
  } catch (const std::exception& e) {
    fail(peer::errc::connection_closed, std::string(encrypted ? "encrypted" : "plaintext") +
                                            " handshake failed (" + first_failure + "), then " +
                                            (encrypted ? "plaintext" : "encrypted") + " (" +
                                            e.what() + ")");
  }
}

asio::awaitable<void> PeerConnection::handshake_outgoing(bool encrypted, std::uint32_t provide) {
  peer::Handshake ours = our_handshake(torrent_);
  std::string hello;
  peer::encode_handshake(ours, hello);
  mse_ = encrypted;
  if (encrypted) {
    auto outcome = co_await mse_initiate(socket_, ours.info_hash, provide, std::move(hello),
                                         handshake_timeout);
    cipher_ = std::move(outcome.cipher);
    if (!outcome.received.empty()) reader_.feed(outcome.received);
  } else {
    co_await asio::async_write(socket_, asio::buffer(hello), asio::use_awaitable);
  }

  auto read_handshake = [this]() -> asio::awaitable<peer::Handshake> {
    for (;;) {
      if (auto h = reader_.next_handshake()) co_return *h;
      auto space = reader_.prepare(4096);
      std::size_t n = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                       asio::use_awaitable);
      cipher_.decrypt(space.data(), n);
      reader_.commit(n);
    }
  };
  auto theirs = co_await with_timeout(read_handshake(), handshake_timeout);
  if (!theirs) fail(peer::errc::timed_out, "no handshake within 15 s");
  if (theirs->info_hash != ours.info_hash)
    fail(peer::errc::wrong_torrent, "peer answered for another torrent");
  if (theirs->peer_id == ours.peer_id) fail(peer::errc::wrong_torrent, "connected to ourselves");
  handshake_complete(*theirs);
}

void PeerConnection::handshake_complete(const peer::Handshake& theirs) {
  fast_ = theirs.supports_fast();
  peer::DecodeOptions options;
  options.fast_extension = fast_;
  options.extension_protocol = theirs.supports_extensions();
  extensions_ = theirs.supports_extensions();
  reader_.set_options(options);
  handshake_done_ = true;
  last_received_ = last_sent_ = last_block_ = window_start_ = Clock::now();

  key_ = torrent_.peer_connected(*this);
  registered_ = true;
  // Tell the peer what we have. With the fast extension the empty and full cases have
  // messages of their own.
  std::string bits = torrent_.our_bitfield();
  bool none = bits.find_first_not_of('\0') == std::string::npos;
  bool all = torrent_.picker().num_have() == torrent_.picker().num_pieces();
  if (fast_ && none)
    queue(peer::HaveNone{});
  else if (fast_ && all)
    queue(peer::HaveAll{});
  else if (!none)
    queue(peer::Bitfield{bits});
  if (extensions_) send_extension_handshake();
  next_pex_ = Clock::now() + first_pex_delay;
  torrent_.peer_interest_changed();  // a newcomer may take a free upload slot
}

asio::awaitable<void> PeerConnection::reader() {
  for (;;) {
    // Messages may already be buffered (they can arrive with the handshake).
    while (auto message = reader_.next())
      handle(*message);
    fill_pipeline();
    // Under a download limit, wait until the bucket has room (the kernel's buffers fill
    // and TCP slows the peer down), and read at most a quarter second's worth.
    std::size_t want = 256 * 1024;  // big reads: fewer syscalls at high rates
    if (auto wait = torrent_.download_wait(16384); wait.count() > 0) {
      co_await sleep(wait);
      want = 16384;
    }
    auto space = reader_.prepare(want);
    std::size_t n = co_await socket_.async_read_some(asio::buffer(space.data(), space.size()),
                                                     asio::use_awaitable);
    cipher_.decrypt(space.data(), n);
    reader_.commit(n);
    torrent_.count_download(static_cast<std::int64_t>(n));
    last_received_ = Clock::now();
  }
}

asio::awaitable<void> PeerConnection::writer() {
  std::string sending;
  while (!closed_) {
    if (outbox_.empty()) {
      (void)co_await wake_writer_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    sending.swap(outbox_);  // everything queued goes out in one write
    outbox_.clear();
    cipher_.encrypt(sending.data(), sending.size());
    co_await asio::async_write(socket_, asio::buffer(sending), asio::use_awaitable);
    last_sent_ = Clock::now();
    sending.clear();
    if (!requests_.empty()) wake_server_.cancel();  // room in the outbox again
  }
  fail(peer::errc::connection_closed, "connection closed");
}

asio::awaitable<void> PeerConnection::sleep(std::chrono::nanoseconds duration) {
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(duration);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<void> PeerConnection::server() {
  while (!closed_) {
    if (overflow_choked_) {
      co_await sleep(overflow_choke_pause);
      end_overflow_choke();
      continue;
    }
    if (requests_.empty() || am_choking_ || outbox_.size() > serve_outbox_limit) {
      (void)co_await wake_server_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    peer::Request r = requests_.front();
    requests_.pop_front();
    auto piece = co_await torrent_.read_piece(r.piece);
    auto length = static_cast<std::int64_t>(r.length);
    if (auto wait = torrent_.upload_wait(length); wait.count() > 0) co_await sleep(wait);
    // Choked or cancelled meanwhile: the choke already answered (or dropped) the request.
    if (am_choking_ || closed_) continue;
    torrent_.count_upload(length);
    sent_in_window_ += length;
    queue(peer::Piece{r.piece, r.begin, std::string_view(piece->data() + r.begin, r.length)});
  }
  fail(peer::errc::connection_closed, "connection closed");
}

void PeerConnection::on_request(const peer::Request& r) {
  // Requests are checked against the geometry by the reader. BEP 6: with the fast
  // extension every request we will not serve gets a reject. Without it a request made
  // while choked is void (the peer knows); any other that we cannot keep must not vanish
  // unseen: the peer would wait for it forever. So it is choked for a moment, which
  // voids all its requests, and asks again after the unchoke.
  if (am_choking_) {
    if (fast_) queue(peer::Reject{r.piece, r.begin, r.length});
    return;
  }
  if (!torrent_.picker().has(r.piece) || requests_.size() >= max_queued_requests) {
    if (fast_)
      queue(peer::Reject{r.piece, r.begin, r.length});
    else
      overflow_choke();
    return;
  }
  requests_.push_back(r);
  wake_server_.cancel();
}

void PeerConnection::overflow_choke() {
  queue(peer::Choke{});
  am_choking_ = true;
  overflow_choked_ = true;
  requests_.clear();
  wake_server_.cancel();  // the server ends the pause
}

void PeerConnection::end_overflow_choke() {
  overflow_choked_ = false;
  if (closed_ || !choker_unchoked_) return;  // the choker has choked it meanwhile
  am_choking_ = false;
  queue(peer::Unchoke{});
  wake_server_.cancel();
}

void PeerConnection::on_cancel(const peer::Cancel& c) {
  auto it = std::find_if(requests_.begin(), requests_.end(), [&](const peer::Request& r) {
    return r.piece == c.piece && r.begin == c.begin && r.length == c.length;
  });
  if (it == requests_.end()) return;  // already sent, or never asked
  requests_.erase(it);
  // BEP 6: a cancelled request is answered with the piece or a reject.
  if (fast_) queue(peer::Reject{c.piece, c.begin, c.length});
}

void PeerConnection::set_choked(bool choked) {
  choker_unchoked_ = !choked;
  // Choked on the wire for a moment; end_overflow_choke follows the choker's wish.
  if (overflow_choked_) return;
  if (closed_ || choked == am_choking_) return;
  am_choking_ = choked;
  if (choked) {
    queue(peer::Choke{});
    // Without the fast extension a choke discards the peer's requests; with it each one
    // is rejected explicitly.
    if (fast_)
      for (const auto& r : requests_)
        queue(peer::Reject{r.piece, r.begin, r.length});
    requests_.clear();
  } else {
    last_unchoked_ = Clock::now();
    queue(peer::Unchoke{});
    wake_server_.cancel();
  }
}

peer::PeerStats PeerConnection::choke_stats() const {
  peer::PeerStats s;
  s.id = id_;
  s.interested = peer_interested_;
  s.unchoked = choker_unchoked_;  // a pause for overflowing requests is not the choker's
  s.download_rate = rate_;
  s.upload_rate = upload_rate_;
  s.connected_at = connected_at_;
  if (got_piece_) s.last_piece_received = last_block_;
  s.last_unchoked = last_unchoked_;
  return s;
}

void PeerConnection::on_torrent_complete() {
  update_interest();
  check_both_seeds();
}

void PeerConnection::check_both_seeds() {
  if (registered_ && torrent_.complete() && torrent_.picker().peer_is_seed(key_)) {
    both_seeds_ = true;
    close("both seeds: nothing to trade");
  }
}

asio::awaitable<void> PeerConnection::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    timer.expires_after(1s);
    co_await timer.async_wait(asio::use_awaitable);
    auto now = Clock::now();
    // Rates over one-second windows: the download rate sizes the pipeline, both feed the
    // choker.
    auto window_ms = std::max<std::int64_t>(
        1, std::chrono::duration_cast<std::chrono::milliseconds>(now - window_start_).count());
    rate_ = bytes_in_window_ * 1000 / window_ms;
    upload_rate_ = sent_in_window_ * 1000 / window_ms;
    bytes_in_window_ = 0;
    sent_in_window_ = 0;
    window_start_ = now;
    if (now - last_received_ > silence_limit) fail(peer::errc::timed_out, "peer went silent");
    if (outstanding_ > 0 && !peer_choking_ && now - last_block_ > request_timeout) {
      // The peer sits on our requests: give them to others and stop waiting here.
      torrent_.picker().abort_requests(key_);
      outstanding_ = 0;
      fail(peer::errc::timed_out, "requests unanswered for 30 s");
    }
    if (now - last_sent_ > keepalive_interval) queue(peer::KeepAlive{});
    maybe_send_pex(now);
    fill_pipeline();
  }
}

void PeerConnection::queue(const peer::Message& message) {
  if (closed_) return;
  if (outbox_.size() > max_outbox) {  // the peer does not read: give up on it
    close("the peer does not read (outbox over 1 MiB)");
    return;
  }
  peer::encode(message, outbox_);
  wake_writer_.cancel();
}

void PeerConnection::send_have(PieceIndex piece) {
  queue(peer::Have{piece});
}

void PeerConnection::send_cancel(const piece::BlockRequest& r) {
  if (outstanding_ > 0) --outstanding_;
  queue(peer::Cancel{r.block.piece, r.begin, r.length});
}

void PeerConnection::update_interest() {
  bool want = torrent_.picker().is_interesting(key_) && !torrent_.complete();
  if (want == am_interested_) return;
  am_interested_ = want;
  if (want)
    queue(peer::Interested{});
  else
    queue(peer::NotInterested{});
}

std::size_t PeerConnection::pipeline_target() const {
  // Enough requests to cover about two seconds at the peer's rate: the last full window's,
  // or the current window's once it has run 50 ms, so a fast peer is not held to the
  // minimum for a whole second after connecting.
  auto elapsed =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - window_start_).count();
  std::int64_t rate = rate_;
  if (elapsed >= 50) rate = std::max(rate, bytes_in_window_ * 1000 / elapsed);
  auto blocks = static_cast<std::size_t>(rate * 2 / 16384);
  return std::clamp(blocks, min_pipeline, max_pipeline);
}

void PeerConnection::fill_pipeline() {
  if (!registered_ || closed_) return;
  update_interest();
  if (peer_choking_ || !am_interested_) return;
  std::size_t target = pipeline_target();
  if (outstanding_ >= target) return;
  auto picks = torrent_.picker().pick(key_, target - outstanding_, torrent_.rng(),
                                      torrent_.new_piece_allowance());
  for (const auto& r : picks) {
    queue(peer::Request{r.block.piece, r.begin, r.length});
    ++outstanding_;
  }
}

void PeerConnection::handle(const peer::Message& message) {
  auto& picker = torrent_.picker();
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, peer::Choke>) {
          peer_choking_ = true;
          // Without the fast extension a choke discards our requests; with it the peer
          // rejects each one explicitly.
          if (!fast_) {
            picker.abort_requests(key_);
            outstanding_ = 0;
          }
        } else if constexpr (std::is_same_v<T, peer::Unchoke>) {
          peer_choking_ = false;
        } else if constexpr (std::is_same_v<T, peer::Have>) {
          picker.peer_have(key_, m.piece);
          check_both_seeds();
        } else if constexpr (std::is_same_v<T, peer::Bitfield>) {
          if (!picker.peer_bitfield(key_, m.bytes))
            fail(peer::errc::invalid_bitfield, "bitfield of the wrong size");
          check_both_seeds();
        } else if constexpr (std::is_same_v<T, peer::HaveAll>) {
          picker.peer_have_all(key_);
          check_both_seeds();
        } else if constexpr (std::is_same_v<T, peer::HaveNone>) {
          picker.peer_have_none(key_);
        } else if constexpr (std::is_same_v<T, peer::Piece>) {
          on_piece(m);
        } else if constexpr (std::is_same_v<T, peer::Reject>) {
          if (auto index = torrent_.blocks().block_at(m.piece, m.begin, m.length)) {
            picker.abort_request(Block{m.piece, *index}, key_);
            if (outstanding_ > 0) --outstanding_;
          }
        } else if constexpr (std::is_same_v<T, peer::Interested>) {
          peer_interested_ = true;
          torrent_.peer_interest_changed();
        } else if constexpr (std::is_same_v<T, peer::NotInterested>) {
          peer_interested_ = false;
          torrent_.peer_interest_changed();
        } else if constexpr (std::is_same_v<T, peer::Request>) {
          on_request(m);
        } else if constexpr (std::is_same_v<T, peer::Cancel>) {
          on_cancel(m);
        } else if constexpr (std::is_same_v<T, peer::Extended>) {
          on_extended(m);
        }
        // Keep-alive, port, suggest and allowed-fast need nothing from us.
      },
      message);
}

void PeerConnection::on_piece(const peer::Piece& m) {
  auto index =
      torrent_.blocks().block_at(m.piece, m.begin, static_cast<std::uint32_t>(m.data.size()));
  if (!index) {
    torrent_.count_wasted(static_cast<std::int64_t>(m.data.size()));
    return;
  }
  if (outstanding_ > 0) --outstanding_;
  auto now = Clock::now();
  last_block_ = now;
  got_piece_ = true;
  bytes_in_window_ += static_cast<std::int64_t>(m.data.size());
  torrent_.on_block(*this, Block{m.piece, *index}, m.data);
}

}  // namespace bitflow::session

namespace bitflow::session {

void PeerConnection::send_extension_handshake() {
  peer::ExtensionHandshake ours;
  ours.m.emplace(peer::ut_metadata_name, our_ut_metadata);
  // BEP 27: a private torrent learns peers from its trackers only.
  if (!torrent_.info().is_private()) ours.m.emplace(peer::ut_pex_name, our_ut_pex);
  ours.v = std::string("bitflow ") + version_string;
  ours.p = torrent_.listen_port();
  ours.reqq = static_cast<std::uint32_t>(max_queued_requests);
  ours.metadata_size = static_cast<std::int64_t>(torrent_.info().info_bytes().size());
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) ours.yourip = to_ip_address(remote.address());
  queue(peer::Extended{0, peer::encode_extension_handshake(ours)});
}

void PeerConnection::on_extended(const peer::Extended& m) {
  if (m.id == 0) {
    auto theirs = peer::decode_extension_handshake(m.payload);  // throws: ends the connection
    their_ut_metadata_ = theirs.id_of(peer::ut_metadata_name);
    their_ut_pex_ = theirs.id_of(peer::ut_pex_name);
    if (theirs.p) listen_port_ = *theirs.p;
  } else if (m.id == our_ut_metadata) {
    on_metadata_request(m.payload);
  } else if (m.id == our_ut_pex && !torrent_.info().is_private()) {
    ErrorInfo ignored;  // a garbled PEX message is only lost news
    if (auto pex = peer::decode_pex(m.payload, ignored)) torrent_.add_pex_peers(pex->added);
  }
  // Other ids: extensions we did not offer; BEP 10 says to ignore them.
}

void PeerConnection::on_metadata_request(std::string_view payload) {
  auto message = peer::decode_metadata_message(payload);  // throws: ends the connection
  const auto* request = std::get_if<peer::MetadataRequest>(&message);
  if (!request || their_ut_metadata_ == 0) return;  // data and rejects are not for us
  std::string_view info = torrent_.info().info_bytes();
  auto total = static_cast<std::int64_t>(info.size());
  std::int64_t length = peer::metadata_piece_length(request->piece, total);
  if (length <= 0) {
    queue(peer::Extended{their_ut_metadata_,
                         peer::encode_metadata_message(peer::MetadataReject{request->piece})});
    return;
  }
  auto offset = static_cast<std::size_t>(request->piece) *
                static_cast<std::size_t>(peer::metadata_piece_size);
  peer::MetadataData data{request->piece, total,
                          info.substr(offset, static_cast<std::size_t>(length))};
  queue(peer::Extended{their_ut_metadata_, peer::encode_metadata_message(data)});
}

std::optional<peer::PexPeer> PeerConnection::pex_entry() const {
  if (!handshake_done_ || closed_) return std::nullopt;
  boost::system::error_code ec;
  auto remote = incoming_ ? socket_.remote_endpoint(ec) : endpoint_;
  if (ec) return std::nullopt;
  std::uint16_t port = incoming_ ? listen_port_.value_or(0) : remote.port();
  if (port == 0) return std::nullopt;
  peer::PexPeer entry{to_ip_address(remote.address()), port, 0};
  if (!incoming_) entry.flags |= peer::pex_flags::reachable;
  if (registered_ && torrent_.picker().peer_is_seed(key_)) entry.flags |= peer::pex_flags::seed;
  return entry;
}

void PeerConnection::maybe_send_pex(Clock::time_point now) {
  if (their_ut_pex_ == 0 || torrent_.info().is_private() || now < next_pex_) return;
  // PexTracker keeps messages a minute apart; when it had nothing to say (no other peer
  // yet, or no change), look again soon rather than a minute later.
  auto message = pex_.poll(torrent_.pex_peers(*this), now);
  next_pex_ = now + (message ? peer::PexTracker::pex_interval : pex_retry_interval);
  if (message) queue(peer::Extended{their_ut_pex_, peer::encode_pex(*message)});
}

}  // namespace bitflow::session
