// WebSeed — one BEP 19 web seed (an HTTP(S) url-list entry) working for one torrent: it
// takes whole pieces from the torrent's PiecePicker like a peer that has everything,
// fetches their bytes with HTTP Range GETs through the session's CurlReactor (one request
// per file a piece touches, see web_seed_url.hpp) and hands them to the torrent as blocks,
// which hashes them like any peer's. Internal to the engine.
//
// Failures: a 5xx, 408 or 429, a transport error, a 206 whose Content-Range is not the
// range asked for, a 200 to a partial range and a short or long body each count against
// the seed; it waits 1 s, 2 s, 4 s... and is dropped after max_failures in a row. Any
// other HTTP status (404, 403...) drops it at once. The torrent drops a seed whose data
// fails the hash check (drop()). A dropped seed is not used again for this torrent.
// Memory: the picker's new-piece allowance bounds its pieces like a peer's; on top of
// that it stages at most one piece's bytes (one request at a time) before handing them
// over, so that a body cut short delivers nothing.
//
// Threading: the torrent's network thread only. The curl callbacks only append to the
// staging buffer; blocks are handed over from the coroutine, outside libcurl.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bitflow/piece_picker.hpp"
#include "net/curl_reactor.hpp"
#include "session/web_seed_url.hpp"

namespace bitflow::session {

class TorrentImpl;

class WebSeed {
 public:
  /// Failures in a row (transient ones, retried with back-off) before the seed is dropped.
  static constexpr int max_failures = 4;

  WebSeed(TorrentImpl& torrent, net::CurlReactor& http, std::string url);
  WebSeed(const WebSeed&) = delete;
  WebSeed& operator=(const WebSeed&) = delete;

  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  [[nodiscard]] bool running() const noexcept { return running_; }
  [[nodiscard]] bool dropped() const noexcept { return dropped_; }
  /// Call before spawning run(): false when it must not be spawned (dropped, or still
  /// running, in which case a stop() before is undone).
  [[nodiscard]] bool begin();
  /// Fetches pieces until stop() or drop(), or the torrent has nothing left to download.
  /// The caller keeps this object (and the torrent) alive until it returns.
  boost::asio::awaitable<void> run();
  /// Ends run() soon: the request in flight is cancelled, its blocks go back to the picker.
  void stop();
  /// Never used again for this torrent (bad data, or failing for good); stops it. The
  /// torrent's drop_web_seed() calls this and says why.
  void drop();
  /// The picker may have something for it now (a piece written, a hash failure).
  void wake();

 private:
  struct Failure {
    std::string reason;
    bool final = false;  // not worth a retry: drop now
  };

  boost::asio::awaitable<void> work();
  boost::asio::awaitable<std::optional<Failure>> fetch_run(const piece::BlockRequest* first,
                                                           std::size_t count);
  boost::asio::awaitable<std::optional<Failure>> fetch_range(const WebSeedRange& range);
  boost::asio::awaitable<void> pause_for(std::chrono::steady_clock::duration wait);
  void failed(const Failure& failure);

  TorrentImpl& torrent_;
  net::CurlReactor& http_;
  std::string url_;
  piece::PeerKey key_;
  std::uint32_t number_ = 0;  // the torrent's peer_number() for this seed
  boost::asio::steady_timer idle_;
  boost::asio::cancellation_signal cancel_;
  std::string staged_;        // bytes of the current run, in order
  std::size_t expected_ = 0;  // what staged_ may grow to within the current request
  int failures_ = 0;          // in a row
  bool running_ = false;
  bool stopping_ = false;
  bool restart_ = false;  // begin() while stopping: run() goes on after work() returns
  bool dropped_ = false;
};

}  // namespace bitflow::session
