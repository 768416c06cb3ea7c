// MetadataFetch — the first phase of a magnet link: find peers (the magnet's trackers,
// its x.pe peers, peers given by the caller, and ut_pex from the peers themselves), ask
// them for the info dictionary with BEP 9 ut_metadata, and check it against the
// info-hash. Its peers are handed to the torrent that follows.
//
// Each peer is one short coroutine: connect (deadline) → handshake with the BEP 10 bit
// (deadline) → extended handshake → up to `pieces_per_peer` requests out at a time →
// messages until the metadata is complete, the peer has nothing to give, or it goes
// quiet. A hash mismatch bans every peer that contributed a piece, and the fetch starts
// over with the others. Threading: the network thread only. Internal to bitflow.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitflow/announcer.hpp"
#include "bitflow/extension.hpp"
#include "bitflow/metadata_assembler.hpp"
#include "bitflow/session.hpp"
#include "session/session_shared.hpp"

namespace bitflow::session {

class MetadataFetch : public std::enable_shared_from_this<MetadataFetch> {
 public:
  MetadataFetch(boost::asio::any_io_executor executor, tracker::TrackerClient& trackers,
                SessionShared& shared, Sha1Hash info_hash, std::vector<std::string> tracker_urls,
                std::vector<std::string> peers);

  /// Receives tracker_reply, tracker_error and peer_banned events (the Session fills in
  /// the handle). Set it before run().
  void on_event(std::function<void(TorrentEvent)> callback) {
    event_callback_ = std::move(callback);
  }
  /// Fetches until the verified info dictionary is here (returned) or stop() (nullopt).
  boost::asio::awaitable<std::optional<std::string>> run();
  /// Ends run() and every connection; sends "stopped" to the trackers.
  boost::asio::awaitable<void> stop();

  [[nodiscard]] int peers_connected() const noexcept { return static_cast<int>(sockets_.size()); }
  [[nodiscard]] int peers_known() const noexcept { return static_cast<int>(known_.size()); }
  [[nodiscard]] int peers_banned() const noexcept { return banned_; }
  /// Every address heard of that is not banned (for the torrent that follows).
  [[nodiscard]] std::vector<std::string> good_peers() const;
  [[nodiscard]] std::int64_t metadata_size() const noexcept { return assembler_.size(); }
  [[nodiscard]] std::int32_t pieces_received() const noexcept {
    return assembler_.pieces_received();
  }

  static constexpr int max_connections = 20;
  static constexpr int pieces_per_peer = 4;

 private:
  struct KnownPeer {
    bool connected = false;
    bool banned = false;
    int failures = 0;
    std::chrono::steady_clock::time_point next_try{};
  };
  struct Link;  // one connection's state

  boost::asio::awaitable<void> talk(std::string address);
  boost::asio::awaitable<void> exchange(Link& link);
  void on_extended(Link& link, std::uint8_t id, std::string_view payload);
  void request_more(Link& link);
  void add_peer(std::string address);
  void connect_more();
  void finish(std::string metadata);
  void emit(TorrentEvent event);

  boost::asio::any_io_executor executor_;
  tracker::TrackerClient& trackers_;
  SessionShared& shared_;
  Sha1Hash info_hash_;
  std::vector<std::string> tracker_urls_;
  std::optional<tracker::Announcer> announcer_;
  peer::MetadataAssembler assembler_;
  std::map<std::string, KnownPeer> known_;
  std::map<std::string, std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::map<std::uint64_t, std::string> link_address_;  // MetadataPeer id → address
  std::uint64_t next_link_ = 0;
  std::optional<std::string> metadata_;
  bool stopping_ = false;
  bool running_ = false;
  int banned_ = 0;
  std::string log_tag_;  // "magnet [info-hash prefix]"
  std::function<void(TorrentEvent)> event_callback_;
  boost::asio::steady_timer wake_;      // cancelled when done or stopping
  boost::asio::steady_timer run_done_;  // cancelled when run() returns
};

}  // namespace bitflow::session
