// PeerConnection — one connection to a peer for one torrent (the thin shell around the
// pure wire codec and picker), outgoing or incoming.
//
// Outgoing: connect (deadline) → handshake both ways (deadline; info-hash must match, our
// own id is refused), inside an MSE/PE handshake first or not as the session's
// EncryptionSettings say, with one retry the other way on a new connection when the first
// way fails. Incoming: the listener has read the peer's handshake (and done the MSE
// handshake, if it was one) and routed it here; we answer with ours. With RC4 every byte
// read is decrypted before the MessageReader sees it, and the outbox is encrypted just
// before it is written. Then `co_await (reader() && writer() && server() &&
// watchdog())`: the first to fail cancels the others. The reader reads straight into the
// MessageReader's buffer and hands each message to the Torrent; the writer drains a
// bounded outbox, coalescing queued messages into one write; the server answers the
// peer's requests (bounded queue) while we unchoke it; the watchdog sends keep-alives,
// drops a silent peer and gives up on requests that get no data.
//
// Threading: the network thread only. Lifetime: owned by the Torrent through a
// shared_ptr; run() keeps it alive while it runs. Internal to bitflow.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "bitflow/choker.hpp"
#include "bitflow/extension.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/piece_picker.hpp"
#include "bitflow/wire.hpp"
#include "session/encryption.hpp"

namespace bitflow::session {

class TorrentImpl;

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  /// Outgoing: run() connects to `endpoint`.
  PeerConnection(TorrentImpl& torrent, std::string address,
                 boost::asio::ip::tcp::endpoint endpoint);
  /// Incoming: the peer's handshake (`theirs`) has been read from `socket` already;
  /// after an MSE handshake (`mse`) `cipher` holds its ciphers (empty for plain text)
  /// and `received` the bytes that came after the peer's handshake, decrypted.
  PeerConnection(TorrentImpl& torrent, std::string address, boost::asio::ip::tcp::socket socket,
                 const peer::Handshake& theirs, bool mse = false, StreamCipher cipher = {},
                 std::string_view received = {});

  /// Connects and talks to the peer until it fails or close() is called. Throws
  /// bitflow::Error or boost::system::system_error with the reason the connection ended.
  boost::asio::awaitable<void> run();
  /// Ends the connection soon (the coroutines see their socket closed). The first reason
  /// given is kept: close_reason() reports why we closed it.
  void close(std::string_view reason = "closed by us");
  /// Why we closed the connection ("" while open, or when the peer or an error ended it).
  [[nodiscard]] const std::string& close_reason() const noexcept { return close_reason_; }

  /// Queue messages (they go out with the next write).
  void send_have(PieceIndex piece);
  void send_cancel(const piece::BlockRequest& request);
  /// Ask the picker for more blocks if the pipeline has room.
  void fill_pipeline();
  /// The torrent has every wanted piece: lose interest, and leave a peer that is a seed.
  void on_torrent_complete();
  /// The choker's verdict: choke (refusing queued requests) or unchoke the peer.
  void set_choked(bool choked);
  [[nodiscard]] peer::PeerStats choke_stats() const;

  [[nodiscard]] const std::string& address() const noexcept { return address_; }
  /// The torrent's number for this peer's address (TorrentImpl::peer_number).
  [[nodiscard]] std::uint32_t number() const noexcept { return number_; }
  [[nodiscard]] piece::PeerKey key() const noexcept { return key_; }
  [[nodiscard]] bool handshake_done() const noexcept { return handshake_done_; }
  [[nodiscard]] bool incoming() const noexcept { return incoming_; }
  /// How the connection is carried: "rc4" or "mse-plaintext" after an MSE handshake,
  /// "plaintext" after a plain BitTorrent handshake (TorrentEvent::detail says the same).
  [[nodiscard]] const char* encryption() const noexcept;
  [[nodiscard]] bool am_choking() const noexcept { return am_choking_; }
  /// We and the peer both had everything: the connection ended for lack of anything to
  /// trade (do not dial it again while seeding).
  [[nodiscard]] bool both_seeds() const noexcept { return both_seeds_; }
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }
  /// Where the peer accepts connections, for peer exchange: the address we dialled, or an
  /// incoming peer's IP with the port from its extended handshake (nullopt if unknown).
  [[nodiscard]] std::optional<peer::PexPeer> pex_entry() const;

 private:
  boost::asio::awaitable<void> connect_and_handshake();
  boost::asio::awaitable<void> connect();
  boost::asio::awaitable<void> handshake_outgoing(bool encrypted, std::uint32_t provide);
  boost::asio::awaitable<void> answer_handshake();
  void handshake_complete(const peer::Handshake& theirs);
  boost::asio::awaitable<void> reader();
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> server();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<void> sleep(std::chrono::nanoseconds duration);
  void handle(const peer::Message& message);
  void on_piece(const peer::Piece& piece);
  void on_request(const peer::Request& request);
  void on_cancel(const peer::Cancel& cancel);
  // A peer without the fast extension asked for more than we hold: choke it (voiding its
  // requests) and let server() unchoke it after a pause, if the choker still wants it.
  void overflow_choke();
  void end_overflow_choke();
  void check_both_seeds();
  void send_extension_handshake();
  void on_extended(const peer::Extended& message);
  void on_metadata_request(std::string_view payload);
  void maybe_send_pex(std::chrono::steady_clock::time_point now);
  void queue(const peer::Message& message);
  void update_interest();
  std::size_t pipeline_target() const;

  TorrentImpl& torrent_;
  std::string address_;
  std::uint32_t number_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_writer_;
  boost::asio::steady_timer wake_server_;  // cancelled: requests queued, unchoked, room
  peer::MessageReader reader_;
  StreamCipher cipher_;
  bool mse_ = false;  // the connection began with an MSE handshake
  std::string outbox_;
  piece::PeerKey key_{};
  std::uint64_t id_;
  bool incoming_ = false;
  peer::Handshake theirs_{};  // incoming: read by the listener
  bool both_seeds_ = false;
  // BEP 10: the ids the peer wants our messages under (0: it does not take them).
  bool extensions_ = false;
  std::uint8_t their_ut_metadata_ = 0;
  std::uint8_t their_ut_pex_ = 0;
  std::optional<std::uint16_t> listen_port_;  // from its extended handshake
  peer::PexTracker pex_;
  std::chrono::steady_clock::time_point next_pex_{};
  // Serving.
  bool am_choking_ = true;        // on the wire
  bool choker_unchoked_ = false;  // what the choker last chose
  bool overflow_choked_ = false;  // choked for a moment: see overflow_choke()
  bool peer_interested_ = false;
  std::deque<peer::Request> requests_;  // theirs, waiting to be served
  std::int64_t sent_in_window_ = 0;     // payload sent in the current rate window
  std::int64_t upload_rate_ = 0;        // payload bytes/s sent, last window
  std::chrono::steady_clock::time_point connected_at_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> last_unchoked_;
  bool got_piece_ = false;  // the peer has sent piece data (else last_block_ is a start time)
  bool registered_ = false;
  bool handshake_done_ = false;
  bool closed_ = false;
  std::string close_reason_;
  bool peer_choking_ = true;
  bool am_interested_ = false;
  bool fast_ = false;
  std::size_t outstanding_ = 0;  // our requests not yet answered
  std::chrono::steady_clock::time_point last_received_;
  std::chrono::steady_clock::time_point last_sent_;
  std::chrono::steady_clock::time_point last_block_;
  std::int64_t bytes_in_window_ = 0;  // payload received in the current rate window
  std::int64_t rate_ = 0;             // payload bytes/s, last window
  std::chrono::steady_clock::time_point window_start_;
};

}  // namespace bitflow::session
