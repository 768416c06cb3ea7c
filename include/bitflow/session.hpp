// bitflow/session.hpp — the download engine: a Session owns torrents, their peer
// connections, trackers, hashing and disk work.
//
// Threading: a Session lives on one io_context, run by one thread (the network thread).
// Create it, add torrents, read status and destroy it on that thread. SHA-1 hashing and
// disk reads and writes run on the session's own small thread pool; their results come
// back to the network thread. Nothing here blocks the network thread on disk or hashing.
//
// Peers: outgoing connections to the addresses trackers and AddTorrentParams::peers give,
// incoming ones through the session's listening socket, routed to their torrent by the
// info-hash of their handshake. Both download and upload: every torrent serves the pieces
// it has, choking and unchoking peers with bitflow::peer::Choker (tit-for-tat while
// downloading, rotating among interested peers while seeding), within the upload and
// download rate limits (token buckets, session-wide and per torrent).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/peer_id.hpp"
#include "bitflow/rate_limiter.hpp"
#include "bitflow/tracker_client.hpp"

namespace bitflow {

/// MSE/PE (Message Stream Encryption, also called Protocol Encryption): peer connections
/// that start with a Diffie-Hellman key exchange, so that neither the BitTorrent handshake
/// nor (with RC4) the data that follows is visible on the wire. The other side decides,
/// from what we offer, between RC4 (the whole stream encrypted) and plaintext (only the
/// handshake hidden). This is obfuscation against traffic shaping, not security.
///
/// How we dial peers:
/// - prefer_plaintext: a plain BitTorrent handshake; if the peer closes or does not
///   answer it, one more try with MSE (offering RC4 and plaintext).
/// - prefer_encrypted (the default, as libtorrent's): MSE first, offering RC4 and
///   plaintext; if the peer does not complete it, one more try in plain text.
/// - require: MSE offering RC4 only, never plain text.
/// A retry happens only when the TCP connection itself worked.
enum class OutgoingEncryption { prefer_plaintext, prefer_encrypted, require };
/// Which incoming connections we take: accept_both (the default: plain BitTorrent or
/// MSE with RC4 or plaintext), or require (MSE with RC4 only; a plain handshake, or an
/// MSE peer offering plaintext only, is closed).
enum class IncomingEncryption { accept_both, require };

struct EncryptionSettings {
  OutgoingEncryption outgoing = OutgoingEncryption::prefer_encrypted;
  IncomingEncryption incoming = IncomingEncryption::accept_both;
  /// When a peer dialling us offers both RC4 and plaintext and we accept both: choose
  /// RC4 (true) or plaintext (false, the default, as libtorrent's: the handshake is
  /// still hidden and the data costs no cipher).
  bool prefer_rc4 = false;
};

struct SessionSettings {
  PeerId peer_id = PeerId::generate();
  /// Where incoming connections are accepted. Port 0 picks any free port; a port that is
  /// taken falls back to any free port (Session::listen_port() says which one it got).
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = 6881;
  /// Connections per torrent, and in the whole session (incoming and outgoing).
  int max_peers_per_torrent = 60;
  int max_connections = 200;
  /// Peers of a torrent we upload to at once (regular unchoke slots; one optimistic
  /// unchoke comes on top). Negative: every interested peer.
  int upload_slots = 4;
  /// Session-wide limits in bytes/s; 0 = unlimited.
  std::int64_t upload_rate_limit = 0;
  std::int64_t download_rate_limit = 0;
  /// Memory for pieces kept to serve peers (least recently used go first).
  std::size_t read_cache_bytes = 32u << 20;
  /// Memory per torrent for the pieces being downloaded: from its first request until it
  /// is written, a piece is held in memory whole, and no new piece is started while those
  /// in flight would need more than this (at least two pieces are always allowed, however
  /// large). The default keeps a 1 GiB/s download on a local disk busy.
  std::size_t piece_memory_bytes = 16u << 20;
  /// Threads for hashing and disk work.
  unsigned disk_threads = 2;
  tracker::ClientOptions tracker;
  /// Download from the torrents' web seeds (BEP 19: the url-list's http(s) URLs, and
  /// AddTorrentParams::web_seeds). Off here turns them off for every torrent.
  bool use_web_seeds = true;
  /// MSE/PE for peer connections (see EncryptionSettings). `{OutgoingEncryption::
  /// prefer_plaintext}` dials in plain text first; `require` in both talks only RC4.
  EncryptionSettings encryption;
};

struct AddTorrentParams {
  explicit AddTorrentParams(TorrentInfo torrent) : info(std::move(torrent)) {}

  TorrentInfo info;
  std::filesystem::path save_path = ".";
  /// One per file; 0 skips the file. Empty: every file wanted.
  std::vector<int> file_priorities;
  bool sequential = false;
  /// Peers to connect to besides those the trackers give ("host:port", "[v6]:port").
  std::vector<std::string> peers;
  /// Announce to the torrent's trackers.
  bool use_trackers = true;
  /// When seeding stops once every wanted piece is here. The default never seeds past a
  /// 1:1 share ratio; SeedLimits{0.0, {}} does not seed at all; {nullopt, nullopt} seeds
  /// until stopped.
  SeedLimits seed;
  /// This torrent's own limits in bytes/s (on top of the session's); 0 = unlimited.
  std::int64_t upload_rate_limit = 0;
  std::int64_t download_rate_limit = 0;
  /// Fetch pieces from web seeds too (BEP 19), while downloading: each http(s) URL of the
  /// torrent's url-list and of `web_seeds` works like a peer that has every piece; one
  /// whose data fails a hash check, or that keeps failing, is not used again. Their bytes
  /// count in downloaded and download_rate and obey the download limits.
  bool use_web_seeds = true;
  /// Web seed URLs besides the torrent's url-list (same rules: a URL ending in '/' gets
  /// the torrent's name appended).
  std::vector<std::string> web_seeds;
};

/// A magnet link to add: the torrent's metadata (its info dictionary) is fetched from
/// peers first (BEP 9), then it goes on as an AddTorrentParams with the same settings.
struct AddMagnetParams {
  explicit AddMagnetParams(Magnet link) : magnet(std::move(link)) {}

  Magnet magnet;  ///< needs a v1 info-hash (btih)
  std::filesystem::path save_path = ".";
  bool sequential = false;
  /// Peers besides the magnet's own x.pe peers and those its trackers (tr) give.
  std::vector<std::string> peers;
  bool use_trackers = true;
  SeedLimits seed;
  std::int64_t upload_rate_limit = 0;
  std::int64_t download_rate_limit = 0;
  /// As in AddTorrentParams; the magnet's own ws= URLs are in the torrent's url-list.
  bool use_web_seeds = true;
  std::vector<std::string> web_seeds;
};

/// metadata: a magnet link whose info dictionary is being fetched from peers.
/// checking: hashing existing data. downloading: fetching (and serving what it has).
/// seeding: complete, serving peers until the seed limits are met. finished: complete
/// and done seeding. paused: connections closed until resume(). stopped: stop() ran.
/// error: a disk error or similar; status().error says what.
enum class TorrentState {
  metadata,
  checking,
  downloading,
  seeding,
  finished,
  paused,
  stopped,
  error
};

[[nodiscard]] const char* to_string(TorrentState s) noexcept;

struct TorrentStatus {
  TorrentState state = TorrentState::checking;
  std::int64_t wanted_bytes = 0;    ///< bytes of the selected files' pieces
  std::int64_t verified_bytes = 0;  ///< of those, verified so far
  std::int64_t downloaded = 0;      ///< payload bytes received this session
  std::int64_t uploaded = 0;        ///< payload bytes sent this session
  std::int64_t wasted = 0;          ///< payload bytes thrown away (duplicates, failed hashes)
  std::int64_t download_rate = 0;   ///< bytes/s over the last second
  std::int64_t upload_rate = 0;     ///< bytes/s over the last second
  std::int32_t pieces_have = 0;
  std::int32_t num_pieces = 0;
  std::int32_t pieces_from_resume = 0;  ///< verified at start without downloading
  std::int64_t metadata_size = 0;       ///< state metadata: bytes of the info dictionary (0:
                                        ///< not known yet)
  std::int32_t metadata_pieces = 0;     ///< state metadata: 16 KiB pieces of it received
  int hash_failures = 0;
  /// Pieces held in memory while they download, hash and write (bounded by
  /// SessionSettings::piece_memory_bytes).
  std::int32_t pieces_in_flight = 0;
  int peers = 0;           ///< connected
  int peers_incoming = 0;  ///< of those, connected to us
  int peers_unchoked = 0;  ///< peers we upload to
  int peers_known = 0;     ///< known addresses
  int peers_banned = 0;
  /// Web seeds fetching for this torrent now (BEP 19); 0 while paused, complete, and for
  /// those dropped for bad data or repeated failures.
  int web_seeds = 0;
  std::string error;  ///< when state == error

  [[nodiscard]] double progress() const noexcept {
    return wanted_bytes ? static_cast<double>(verified_bytes) / static_cast<double>(wanted_bytes)
                        : 1.0;
  }
};

class Torrent;

/// A handle to a torrent in a session; cheap to copy, safe to keep after removal (calls
/// then do nothing and status() reports stopped). Use it on the session's thread.
class TorrentHandle {
 public:
  TorrentHandle() = default;
  [[nodiscard]] TorrentStatus status() const;
  /// False while a magnet link's metadata is being fetched.
  [[nodiscard]] bool has_metadata() const;
  /// One flag per piece: verified and on disk. Empty before the metadata is known and
  /// once the torrent is gone. Pieces verified later are announced by piece_verified events.
  [[nodiscard]] std::vector<bool> have_pieces() const;
  /// The torrent's metainfo. Throws bitflow::Error before the metadata is known, and
  /// std::logic_error once the torrent is gone.
  [[nodiscard]] const TorrentInfo& info() const;
  /// Closes every connection and stops requesting and serving until resume(); verified
  /// data and resume data stay. Does nothing unless downloading or seeding.
  void pause() const;
  /// Undoes pause(): back to downloading or seeding.
  void resume() const;
  /// Stops the torrent: closes connections, waits for pending disk work, saves resume
  /// data, sends "stopped" to the trackers. Await it before destroying the session.
  boost::asio::awaitable<void> stop() const;
  [[nodiscard]] bool valid() const noexcept { return !torrent_.expired(); }
  friend bool operator==(const TorrentHandle& a, const TorrentHandle& b) noexcept {
    return !a.torrent_.owner_before(b.torrent_) && !b.torrent_.owner_before(a.torrent_);
  }

 private:
  friend class Session;
  explicit TorrentHandle(std::weak_ptr<Torrent> t) : torrent_(std::move(t)) {}
  std::weak_ptr<Torrent> torrent_;
};

/// Something that happened to a torrent, delivered on the network thread.
struct TorrentEvent {
  enum class Kind {
    state_changed,      ///< `state` is the new state (`detail` the error, for error)
    piece_verified,     ///< `piece` passed its hash check and is on disk
    hash_failed,        ///< `piece` failed its hash check and will be fetched again
    peer_banned,        ///< `peer` (and `detail`, as before) is the banned peer's address
                        ///< (also a magnet's metadata liars), or the URL of a web seed
                        ///< dropped for bad data or repeated failures
    metadata_received,  ///< a magnet's info dictionary arrived and matched its info-hash
    /// A tracker answered an announce: `tracker` is its URL, `peers_received` the number
    /// of peers it gave, `interval` its re-announce interval, `detail` its warning if any.
    tracker_reply,
    /// An announce failed (no answer, refused, garbled): `tracker` is the URL, `detail`
    /// says why. A magnet link reports these while it fetches its metadata too (`state`
    /// is then metadata).
    tracker_error,
    /// A peer finished the handshake with us for this torrent: `peer` is its
    /// "host:port" ("[v6]:port"); `incoming` says whether it connected to us; `detail`
    /// how the connection is carried: "rc4" (MSE/PE, the stream RC4-encrypted),
    /// "mse-plaintext" (MSE/PE handshake, the stream in plain text) or "plaintext" (a
    /// plain BitTorrent handshake).
    peer_connected,
    /// A peer that was reported by peer_connected is gone: `peer` and `incoming` as
    /// there, `detail` the reason ("peer closed the connection", "banned", "paused", a
    /// protocol error...). Every peer_connected is followed by exactly one of these,
    /// unless the torrent is removed first (a removed torrent's events stop). Peers of a
    /// magnet link's metadata phase are not reported (they are logged at debug level).
    peer_disconnected,
  };
  Kind kind = Kind::state_changed;
  TorrentHandle torrent;
  TorrentState state = TorrentState::checking;  ///< the torrent's state when it happened
  std::int32_t piece = -1;
  std::string detail;
  std::string peer;                  ///< peer_* kinds: the peer's address
  std::string tracker;               ///< tracker_* kinds: the tracker's announce URL
  bool incoming = false;             ///< peer_connected/peer_disconnected
  int peers_received = 0;            ///< tracker_reply
  std::chrono::seconds interval{0};  ///< tracker_reply
};

[[nodiscard]] const char* to_string(TorrentEvent::Kind kind) noexcept;

/// Whether Session::remove() deletes the torrent's files too.
enum class RemoveData { keep, remove };

class Session {
 public:
  /// Starts listening for incoming peers (see SessionSettings::listen_port). Throws
  /// bitflow::Error when no port at all can be bound.
  Session(boost::asio::io_context& io, SessionSettings settings = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Adds a torrent and starts it: checks existing data (resume file, else hashing what is
  /// on disk), then downloads, then seeds (see AddTorrentParams::seed). Throws
  /// bitflow::Error if the save path is unusable or the torrent is already in the session.
  TorrentHandle add(AddTorrentParams params);
  /// Adds a magnet link: fetches its metadata from peers (state metadata), then goes on
  /// as add() does. Throws bitflow::Error if the magnet has no v1 info-hash or the torrent
  /// is already in the session.
  TorrentHandle add(AddMagnetParams params);
  /// Non-throwing forms of both: an invalid handle (valid() == false) and `error` filled
  /// in where the throwing forms would throw.
  TorrentHandle add(AddTorrentParams params, ErrorInfo& error);
  TorrentHandle add(AddMagnetParams params, ErrorInfo& error);
  /// Stops the torrent (as TorrentHandle::stop) and forgets it; with RemoveData::remove
  /// also deletes its files, side file and resume file (see Storage::remove_files). Throws
  /// bitflow::Error if deleting fails.
  boost::asio::awaitable<void> remove(TorrentHandle torrent, RemoveData data);
  [[nodiscard]] std::vector<TorrentHandle> torrents() const;
  /// The port incoming peers reach us on.
  [[nodiscard]] std::uint16_t listen_port() const noexcept;

  /// Identifies a listener, for remove_listener(). Never 0.
  using ListenerId = std::uint64_t;
  /// Calls `listener` on the network thread for every event of every torrent, in the
  /// order listeners were added. Returns its id for remove_listener().
  ///
  /// What a listener may do from inside the call (the engine is in a consistent state
  /// whenever it emits an event, and delivery works on a snapshot of the listener list):
  ///   - TorrentHandle::pause(), resume(), status(), info();
  ///   - start Session::remove() or TorrentHandle::stop() (co_spawn them; they finish
  ///     later, and the torrent's own events stop once it is removed);
  ///   - Session::add() (the new torrent's first events are delivered at once, nested in
  ///     this call);
  ///   - on_event(), on_state_change(), remove_listener(): a listener added during a
  ///     delivery first hears the next event; one removed during it is not called again,
  ///     not even for the rest of the current event.
  /// Events caused by these calls (paused, checking...) are delivered nested, before the
  /// call returns. A listener must not destroy the Session. An exception escaping a
  /// listener is logged (bitflow/log.hpp, level warn) and does not reach the engine.
  ListenerId on_event(std::function<void(const TorrentEvent&)> listener);
  /// Shorthand: a listener for state changes only.
  ListenerId on_state_change(std::function<void(TorrentHandle, TorrentState)> callback);
  /// The listener is not called again (also when called from inside a listener). Unknown
  /// ids are ignored.
  void remove_listener(ListenerId id);
  /// Stops every torrent (see TorrentHandle::stop) and stops listening.
  boost::asio::awaitable<void> stop_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitflow
