// PeerConnection — one outgoing connection to a peer for one torrent (the thin shell
// around the pure wire codec and picker).
//
// connect (deadline) → handshake both ways (deadline; info-hash must match, our own id
// is refused) → `co_await (reader() && writer() && watchdog())`: the first to fail
// cancels the others. The reader reads straight into the MessageReader's buffer and hands
// each message to the Torrent; the writer drains a bounded outbox, coalescing queued
// messages into one write; the watchdog sends keep-alives, drops a silent peer and gives
// up on requests that get no data.
//
// Threading: the network thread only. Lifetime: owned by the Torrent through a
// shared_ptr; run() keeps it alive while it runs. Internal to bitflow.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "bitflow/message_reader.hpp"
#include "bitflow/piece_picker.hpp"
#include "bitflow/wire.hpp"

namespace bitflow::session {

class TorrentImpl;

class PeerConnection : public std::enable_shared_from_this<PeerConnection> {
 public:
  PeerConnection(TorrentImpl& torrent, std::string address,
                 boost::asio::ip::tcp::endpoint endpoint);

  /// Connects and talks to the peer until it fails or close() is called. Throws
  /// bitflow::Error or boost::system::system_error with the reason the connection ended.
  boost::asio::awaitable<void> run();
  /// Ends the connection soon (the coroutines see their socket closed).
  void close();

  /// Queue messages (they go out with the next write).
  void send_have(PieceIndex piece);
  void send_cancel(const piece::BlockRequest& request);
  /// Ask the picker for more blocks if the pipeline has room.
  void fill_pipeline();

  [[nodiscard]] const std::string& address() const noexcept { return address_; }
  [[nodiscard]] piece::PeerKey key() const noexcept { return key_; }
  [[nodiscard]] bool handshake_done() const noexcept { return handshake_done_; }

 private:
  boost::asio::awaitable<void> connect_and_handshake();
  boost::asio::awaitable<void> reader();
  boost::asio::awaitable<void> writer();
  boost::asio::awaitable<void> watchdog();
  void handle(const peer::Message& message);
  void on_piece(const peer::Piece& piece);
  void queue(const peer::Message& message);
  void update_interest();
  std::size_t pipeline_target() const;

  TorrentImpl& torrent_;
  std::string address_;
  boost::asio::ip::tcp::endpoint endpoint_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer wake_writer_;
  peer::MessageReader reader_;
  std::string outbox_;
  piece::PeerKey key_{};
  bool registered_ = false;
  bool handshake_done_ = false;
  bool closed_ = false;
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
