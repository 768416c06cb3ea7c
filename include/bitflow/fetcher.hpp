// bitflow/fetcher.hpp — one transfer from a source into a local folder, whatever the
// source is: the common interface of the BitTorrent fetcher and, later, the HTTP/FTP
// fetchers and fetchers users write themselves.
//
// Threading: a Fetcher belongs to the io_context it was made with; call it and receive
// its callbacks on that context's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "bitflow/session.hpp"

namespace bitflow {

enum class FetchState { idle, running, paused, completed, failed, cancelled };

[[nodiscard]] const char* to_string(FetchState s) noexcept;

struct FetchStatus {
  FetchState state = FetchState::idle;
  std::int64_t bytes_done = 0;   ///< verified bytes of what was asked for
  std::int64_t bytes_total = 0;  ///< bytes asked for (0 while unknown)
  std::int64_t download_rate = 0;
  int peers = 0;      ///< connections (sources, for non-BitTorrent fetchers)
  std::string error;  ///< when failed: one sentence saying why
  /// When failed: the kind of failure, for programs to branch on (fetch::errc for URL
  /// downloads; empty when the fetcher has no code for it).
  std::error_code error_code;
};

class Fetcher {
 public:
  using Callback = std::function<void(const FetchStatus&)>;

  /// Where a fetcher's progress reports go. A fetcher owns it; work that may outlive the
  /// fetcher (a timer, a coroutine) holds it through progress_sink()'s weak_ptr, so it
  /// can never call into a fetcher that is gone. A callback may destroy the fetcher or
  /// replace the callback while it runs.
  class ProgressSink {
   public:
    void notify(const FetchStatus& status) const {
      auto callback = callback_;  // keeps it alive even if it replaces itself
      if (callback && *callback) (*callback)(status);
    }

   private:
    friend class Fetcher;
    std::shared_ptr<const Callback> callback_;
  };

  virtual ~Fetcher() = default;

  /// Begins the transfer (from what is already on disk, if anything). Does not throw: a
  /// transfer that cannot start ends in state failed, with status().error saying why.
  virtual void start() = 0;
  /// Stops transferring but keeps what was fetched; resume() continues from there.
  virtual void pause() = 0;
  virtual void resume() = 0;
  /// Stops for good; the data fetched so far stays on disk.
  virtual void cancel() = 0;
  [[nodiscard]] virtual FetchStatus status() const = 0;
  /// Called on every state change and about twice a second while running.
  void on_progress(Callback callback) {
    sink_->callback_ = std::make_shared<const Callback>(std::move(callback));
  }

 protected:
  void notify(const FetchStatus& status) const { sink_->notify(status); }
  /// For work that outlives a call: expires when the fetcher is destroyed.
  [[nodiscard]] std::weak_ptr<const ProgressSink> progress_sink() const { return sink_; }

 private:
  std::shared_ptr<ProgressSink> sink_ = std::make_shared<ProgressSink>();
};

/// A torrent download through a Session, from a .torrent (AddTorrentParams) or a magnet
/// link (AddMagnetParams: its metadata comes from peers first). pause() and resume() are the
/// torrent's own (TorrentHandle::pause/resume: connections close, verified data stays, nothing is
/// re-checked); cancel() removes the torrent from the session, keeping its data. A
/// torrent that cannot be added (an unusable save path, already in the session) makes
/// start() end in state failed with the reason in status().error.
///
/// Lifetime: the Session must outlive the fetcher and the work it started. Destroying the
/// fetcher stops its reports at once; the torrent stays in the session.
class TorrentFetcher final : public Fetcher {
 public:
  TorrentFetcher(boost::asio::io_context& io, Session& session, AddTorrentParams params);
  TorrentFetcher(boost::asio::io_context& io, Session& session, AddMagnetParams params);
  ~TorrentFetcher() override;

  void start() override;
  void pause() override;
  void resume() override;
  void cancel() override;
  [[nodiscard]] FetchStatus status() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow
