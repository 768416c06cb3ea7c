// bitflow/session.hpp — the download engine: a Session owns torrents, their peer
// connections, trackers, hashing and disk work.
//
// Threading: a Session lives on one io_context, run by one thread (the network thread).
// Create it, add torrents, read status and destroy it on that thread. SHA-1 hashing and
// disk writes run on the session's own small thread pool; their results come back to the
// network thread. Nothing here blocks the network thread on disk or hashing.
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

#include "bitflow/metainfo.hpp"
#include "bitflow/peer_id.hpp"
#include "bitflow/tracker_client.hpp"

namespace bitflow {

struct SessionSettings {
  PeerId peer_id = PeerId::generate();
  /// The port we tell trackers we listen on (incoming connections come with seeding).
  std::uint16_t listen_port = 6881;
  /// Connections per torrent.
  int max_peers_per_torrent = 60;
  /// Threads for hashing and disk writes.
  unsigned disk_threads = 2;
  tracker::ClientOptions tracker;
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
};

enum class TorrentState { checking, downloading, finished, stopped, error };

[[nodiscard]] const char* to_string(TorrentState s) noexcept;

struct TorrentStatus {
  TorrentState state = TorrentState::checking;
  std::int64_t wanted_bytes = 0;    ///< bytes of the selected files' pieces
  std::int64_t verified_bytes = 0;  ///< of those, verified so far
  std::int64_t downloaded = 0;      ///< payload bytes received this session
  std::int64_t wasted = 0;          ///< payload bytes thrown away (duplicates, failed hashes)
  std::int64_t download_rate = 0;   ///< bytes/s over the last few seconds
  std::int32_t pieces_have = 0;
  std::int32_t num_pieces = 0;
  std::int32_t pieces_from_resume = 0;  ///< verified at start without downloading
  int hash_failures = 0;
  int peers = 0;        ///< connected
  int peers_known = 0;  ///< known addresses
  int peers_banned = 0;
  std::string error;  ///< when state == error

  [[nodiscard]] double progress() const noexcept {
    return wanted_bytes ? static_cast<double>(verified_bytes) / static_cast<double>(wanted_bytes)
                        : 1.0;
  }
};

class Torrent;

/// A handle to a torrent in a session; cheap to copy, safe to keep after removal (calls
/// then do nothing and status() reports stopped).
class TorrentHandle {
 public:
  TorrentHandle() = default;
  [[nodiscard]] TorrentStatus status() const;
  [[nodiscard]] const TorrentInfo& info() const;
  /// Stops the torrent: closes connections, waits for pending disk work, saves resume
  /// data, sends "stopped" to the trackers. Await it before destroying the session.
  boost::asio::awaitable<void> stop() const;
  [[nodiscard]] bool valid() const noexcept { return !torrent_.expired(); }

 private:
  friend class Session;
  explicit TorrentHandle(std::weak_ptr<Torrent> t) : torrent_(std::move(t)) {}
  std::weak_ptr<Torrent> torrent_;
};

class Session {
 public:
  Session(boost::asio::io_context& io, SessionSettings settings = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Adds a torrent and starts it: checks existing data (resume file, else hashing what is
  /// on disk), then downloads. Throws bitflow::Error if the save path is unusable.
  TorrentHandle add(AddTorrentParams params);
  /// Called on the network thread whenever a torrent changes state.
  void on_state_change(std::function<void(TorrentHandle, TorrentState)> callback);
  /// Stops every torrent (see TorrentHandle::stop).
  boost::asio::awaitable<void> stop_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitflow
