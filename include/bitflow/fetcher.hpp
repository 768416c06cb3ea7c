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
  std::string error;  ///< when failed
};

class Fetcher {
 public:
  using Callback = std::function<void(const FetchStatus&)>;
  virtual ~Fetcher() = default;

  /// Begins the transfer (from what is already on disk, if anything).
  virtual void start() = 0;
  /// Stops transferring but keeps what was fetched; resume() continues from there.
  virtual void pause() = 0;
  virtual void resume() = 0;
  /// Stops for good; the data fetched so far stays on disk.
  virtual void cancel() = 0;
  [[nodiscard]] virtual FetchStatus status() const = 0;
  /// Called on every state change and about twice a second while running.
  void on_progress(Callback callback) { callback_ = std::move(callback); }

 protected:
  void notify(const FetchStatus& status) const {
    if (callback_) callback_(status);
  }

 private:
  Callback callback_;
};

/// A torrent download through a Session. Pausing stops the torrent (its resume data is
/// saved); resuming adds it again, which trusts the resume file and fetches only what is
/// missing.
class TorrentFetcher final : public Fetcher {
 public:
  TorrentFetcher(boost::asio::io_context& io, Session& session, AddTorrentParams params);
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
