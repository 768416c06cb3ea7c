// RemoteWatchers — the manager's watchers of ManagerOptions::remote_clients: one
// remote::watch() coroutine per client, its events rewritten into the manager's terms
// (type = the client's kind, a stable URL-safe id, the configured owner) and handed to one
// sink; the last answered snapshot of each client kept for Manager::remote_downloads.
//
// Threading: the io_context's thread only. stop() (or destroying the object) cancels the
// coroutines; each keeps its client alive until it has ended, and no event reaches the
// sink after stop().
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/manager.hpp"
#include "bitflow/manager_types.hpp"

namespace bitflow::manager::detail {

/// "transmission" or "rtorrent": the scheme of a remote client's URL before its '+'.
[[nodiscard]] std::string remote_kind(std::string_view url);
/// A remote torrent's record id: "<kind>-<8 hex digits of FNV-1a(url)>-<info-hash>".
[[nodiscard]] std::string remote_id(std::string_view url, std::string_view hash);

class RemoteWatchers {
 public:
  using Sink = std::function<void(const Event&)>;

  /// Makes a client for each entry (nothing is sent yet). Throws bitflow::Error:
  /// remote::errc::bad_url, std::errc::invalid_argument for an empty or too long owner.
  RemoteWatchers(boost::asio::io_context& io, const std::vector<WatchedClient>& clients,
                 std::chrono::milliseconds progress_interval);
  ~RemoteWatchers();
  RemoteWatchers(const RemoteWatchers&) = delete;
  RemoteWatchers& operator=(const RemoteWatchers&) = delete;

  /// Starts watching every client; each event goes to `sink` (what it throws is logged).
  void start(Sink sink);
  /// Cancels the watchers; idempotent.
  void stop();

  [[nodiscard]] std::vector<DownloadRecord> downloads(
      const std::optional<std::string>& owner) const;

  struct Watched;  // one client, shared with its coroutine

 private:
  boost::asio::io_context& io_;
  std::chrono::milliseconds progress_interval_;
  std::vector<std::shared_ptr<Watched>> watched_;
  bool started_ = false;
};

}  // namespace bitflow::manager::detail
