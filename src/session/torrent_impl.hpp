// TorrentImpl — one torrent in a session: peers and web seeds, the picker, pieces being
// assembled, hashing and writing on the disk pool, serving pieces to peers through the
// read cache, the choker, the announcer.
//
// Threading: every member runs on the network thread except the jobs posted to the disk
// pool, which touch only what they capture (a piece's bytes, the Storage — which is safe
// for concurrent use on different pieces) and post their result back.
// Invariants: a piece is in assembling_ from its first wanted block until its final
// hash-and-write job is posted; disk_jobs_ counts jobs not yet back; connections_ holds every live
// PeerConnection, keyed by its picker key once the handshake is done; a piece is served
// only once the picker has it, which happens after it is written.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "bitflow/announcer.hpp"
#include "bitflow/block_geometry.hpp"
#include "bitflow/choker.hpp"
#include "bitflow/extension.hpp"
#include "bitflow/piece_picker.hpp"
#include "bitflow/rate_limiter.hpp"
#include "bitflow/session.hpp"
#include "bitflow/storage.hpp"
#include "bitflow/wire.hpp"
#include "session/encryption.hpp"
#include "session/piece_assembly.hpp"
#include "session/piece_buffer.hpp"
#include "session/read_cache.hpp"
#include "session/session_shared.hpp"
#include "session/web_seed.hpp"

namespace bitflow::session {

class PeerConnection;

class TorrentImpl : public std::enable_shared_from_this<TorrentImpl> {
 public:
  TorrentImpl(boost::asio::any_io_executor executor, boost::asio::thread_pool& disk,
              tracker::TrackerClient& trackers, SessionShared& shared, AddTorrentParams params);
  ~TorrentImpl();

  /// Checks existing data, then downloads and seeds until stop().
  void start();
  boost::asio::awaitable<void> stop();
  void pause();
  void resume();
  /// After stop(): deletes the torrent's files (Storage::remove_files) on the disk pool.
  boost::asio::awaitable<ErrorInfo> remove_files();
  [[nodiscard]] TorrentStatus status() const;
  [[nodiscard]] const TorrentInfo& info() const noexcept { return params_.info; }
  /// Receives every event; the Session fills in the handle.
  void on_event(std::function<void(TorrentEvent)> callback) {
    event_callback_ = std::move(callback);
  }
  /// An incoming connection whose handshake named this torrent.
  /// An incoming connection whose handshake (`theirs`) was read by the session; after an
  /// MSE handshake with its ciphers and the bytes received after the peer's handshake.
  void accept(boost::asio::ip::tcp::socket socket, const peer::Handshake& theirs, bool mse = false,
              StreamCipher cipher = {}, std::string_view received = {});
  [[nodiscard]] bool accepting() const noexcept;

  // ---- for PeerConnection -------------------------------------------------------
  [[nodiscard]] boost::asio::any_io_executor executor() const { return executor_; }
  [[nodiscard]] const PeerId& peer_id() const noexcept { return shared_.settings.peer_id; }
  [[nodiscard]] const EncryptionSettings& encryption() const noexcept {
    return shared_.settings.encryption;
  }
  [[nodiscard]] piece::PiecePicker& picker() noexcept { return picker_; }
  [[nodiscard]] const BlockGeometry& blocks() const noexcept { return blocks_; }
  [[nodiscard]] std::mt19937& rng() noexcept { return rng_; }
  /// Every wanted piece is here: nothing to request, only to serve.
  [[nodiscard]] bool complete() const noexcept {
    return state_ == TorrentState::seeding || state_ == TorrentState::finished;
  }
  [[nodiscard]] std::string our_bitfield() const;
  [[nodiscard]] std::vector<bool> have_pieces() const;
  piece::PeerKey peer_connected(PeerConnection& connection);
  void peer_disconnected(PeerConnection& connection);
  void peer_interest_changed() { rechoke(); }
  void on_block(PeerConnection& from, Block block, std::string_view data);
  [[nodiscard]] const std::string& log_tag() const noexcept { return log_tag_; }

  // ---- for WebSeed ---------------------------------------------------------------
  /// Downloading (not paused, stopping, complete or failed): web seeds have work.
  [[nodiscard]] bool wants_web_seed_data() const noexcept {
    return state_ == TorrentState::downloading && !stopping_;
  }
  /// A block from a web seed, known to the picker as `key`, numbered `number`.
  void on_web_seed_block(piece::PeerKey key, std::uint32_t number, Block block,
                         std::string_view data) {
    accept_block(key, number, block, data);
  }
  /// Never use `seed` again for this torrent; logged and reported as peer_banned.
  void drop_web_seed(WebSeed& seed, const std::string& reason);
  void count_wasted(std::int64_t bytes) noexcept { wasted_ += bytes; }
  /// How many pieces a pick may start now: every piece from its first request until it is
  /// written lives in memory, and together they stay within the session's
  /// piece_memory_bytes (at least two pieces). 0 holds peers to the pieces in flight until
  /// one is written (back-pressure from the disk; bounds memory).
  [[nodiscard]] std::size_t new_piece_allowance() const noexcept;
  /// A small number for `address`, the same for the torrent's lifetime: what a piece
  /// records as the sender of each block.
  [[nodiscard]] std::uint32_t peer_number(const std::string& address);
  /// A verified piece's bytes for serving, from the read cache or read from disk on the
  /// pool. Throws bitflow::Error when the data cannot be read.
  boost::asio::awaitable<std::shared_ptr<const PieceBuffer>> read_piece(PieceIndex piece);
  /// How long to wait before sending (receiving) `bytes` more under the upload
  /// (download) limits; then count_upload (count_download) takes them.
  [[nodiscard]] std::chrono::nanoseconds upload_wait(std::int64_t bytes);
  [[nodiscard]] std::chrono::nanoseconds download_wait(std::int64_t bytes);
  void count_upload(std::int64_t bytes);
  void count_download(std::int64_t bytes);
  [[nodiscard]] std::uint16_t listen_port() const noexcept { return shared_.listen_port; }
  /// Peers learnt through peer exchange (BEP 11).
  void add_pex_peers(const std::vector<peer::PexPeer>& peers);
  /// The connected peers to tell `to` about, for peer exchange.
  [[nodiscard]] std::vector<peer::PexPeer> pex_peers(const PeerConnection& to) const;

 private:
  using Assembly = std::shared_ptr<PieceAssembly>;
  struct KnownPeer {
    int failures = 0;
    std::chrono::steady_clock::time_point next_try{};
    bool connected = false;
    bool banned = false;
    bool seed = false;  // a seed, and so are we: nothing to trade
  };
  struct PendingRead {  // a piece being read from disk for serving
    explicit PendingRead(const boost::asio::any_io_executor& e)
        : done(e, std::chrono::steady_clock::time_point::max()) {}
    boost::asio::steady_timer done;  // cancelled when the read is back
    bool finished = false;
    std::shared_ptr<const PieceBuffer> data;
    ErrorInfo error;
  };

  boost::asio::awaitable<void> main();
  boost::asio::awaitable<void> check_existing_data();
  template <typename Job>
  boost::asio::awaitable<std::invoke_result_t<Job&>> on_disk(Job&& job);
  boost::asio::awaitable<void> connect_to(std::string address);
  boost::asio::awaitable<void> serve_incoming(std::shared_ptr<PeerConnection> connection);
  void start_announcing();
  void connect_more();
  void add_peers(const std::vector<PeerEntry>& peers);
  void accept_block(piece::PeerKey key, std::uint32_t number, Block block, std::string_view data);
  void make_web_seeds();
  void start_web_seeds();
  void stop_web_seeds();
  void wake_web_seeds();
  boost::asio::awaitable<void> run_web_seed(std::shared_ptr<WebSeed> seed);
  void hash_more(PieceIndex piece, Assembly assembly);
  void verify_and_write(PieceIndex piece, Assembly assembly);
  void piece_done(PieceIndex piece, const Assembly& assembly, bool hash_ok, ErrorInfo write_error);
  void keep_failed(PieceIndex piece, Assembly assembly);
  void blame(PieceIndex piece, const PieceAssembly& good);
  [[nodiscard]] bool someone_lacks(PieceIndex piece) const;
  void ban(const std::string& address, std::string_view evidence = {});
  void set_state(TorrentState state, std::string error = {});
  void emit(TorrentEvent::Kind kind, std::int32_t piece = -1, std::string detail = {});
  void emit(TorrentEvent event);
  void connection_ended(const PeerConnection& connection, const std::string& reason);
  static std::string end_reason(const PeerConnection* connection, const std::exception* error);
  void tracker_result(const tracker::Announcer::Result& result);
  void save_resume();
  void on_finished();
  void finished_files_ready(ErrorInfo error);
  void stop_seeding();
  void rechoke();
  void tick();
  [[nodiscard]] bool has_room_for_peer() const;
  [[nodiscard]] bool active() const noexcept {
    return state_ == TorrentState::downloading || state_ == TorrentState::seeding;
  }

  boost::asio::any_io_executor executor_;
  boost::asio::thread_pool& disk_;
  std::string log_tag_;  // "name [info-hash prefix]", the context of every log line
  SessionShared& shared_;
  AddTorrentParams params_;
  BlockGeometry blocks_;
  piece::PiecePicker picker_;
  std::shared_ptr<storage::Storage> storage_;
  std::mt19937 rng_;
  std::optional<tracker::Announcer> announcer_;
  tracker::TrackerClient& trackers_;
  peer::Choker choker_;
  TokenBucket upload_limit_;
  TokenBucket download_limit_;
  ReadCache cache_;
  std::unordered_map<std::int32_t, std::shared_ptr<PendingRead>> reads_;

  TorrentState state_ = TorrentState::checking;
  TorrentState state_before_pause_ = TorrentState::downloading;
  std::string error_;
  std::function<void(TorrentEvent)> event_callback_;
  std::map<std::string, KnownPeer> known_;
  std::set<std::shared_ptr<PeerConnection>> connections_;
  std::vector<std::shared_ptr<WebSeed>> web_seeds_;  // dropped ones too (never used again)
  std::unordered_map<std::uint32_t, PeerConnection*> by_key_;  // picker key slot → connection
  std::unordered_map<std::int32_t, Assembly> assembling_;
  std::map<std::int32_t, Assembly> failed_;  // what pieces looked like when their hash failed
  std::int64_t failed_bytes_ = 0;
  std::map<std::string, int> hash_failures_by_peer_;
  std::vector<std::string> peer_addresses_;  // by peer_number()
  std::unordered_map<std::string, std::uint32_t> peer_numbers_;
  int disk_jobs_ = 0;
  bool stopping_ = false;
  bool resume_dirty_ = false;
  std::chrono::steady_clock::time_point last_resume_save_ = std::chrono::steady_clock::now();
  bool finishing_ = false;           // on_finished() ran
  bool announcer_stopping_ = false;  // stop_seeding() or stop() told the trackers
  bool announcer_stopped_ = false;   // stop_seeding()'s announcer_->stop() has returned
  boost::asio::steady_timer ticker_;
  boost::asio::steady_timer disk_idle_;       // cancelled whenever disk_jobs_ drops to 0
  boost::asio::steady_timer announcer_done_;  // cancelled when announcer_stopped_ is set
  std::chrono::steady_clock::time_point seeding_since_{};

  std::int64_t wanted_bytes_ = 0;
  std::int64_t verified_bytes_ = 0;
  std::int64_t downloaded_ = 0;
  std::int64_t uploaded_ = 0;
  std::int64_t wasted_ = 0;
  std::int64_t rate_ = 0;
  std::int64_t up_rate_ = 0;
  std::int64_t downloaded_at_last_tick_ = 0;
  std::int64_t uploaded_at_last_tick_ = 0;
  std::int32_t pieces_have_ = 0;
  std::int32_t pieces_from_resume_ = 0;
  int hash_failures_ = 0;
  int banned_ = 0;
};

}  // namespace bitflow::session
