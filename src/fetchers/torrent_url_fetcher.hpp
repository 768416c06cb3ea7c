// A .torrent fetched from a URL: the bounded fetch itself (for inspect() and for the
// fetcher), and TorrentUrlFetcher, which fetches it and hands over to a TorrentFetcher.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "bitflow/fetcher_registry.hpp"
#include "net/curl_reactor.hpp"

namespace bitflow::fetch {

/// GETs `url` (with options.url's TLS/SSH settings), at most options.max_torrent_size
/// bytes, and parses it as a torrent. `done` runs once on the io_context with the torrent,
/// or with an error naming the URL (redacted) and what was wrong. Returns the transfer, for
/// CurlReactor::cancel.
net::CurlReactor::TransferId fetch_torrent_file(
    boost::asio::io_context& io, const std::string& url, const FetchOptions& options,
    std::function<void(ErrorInfo, std::optional<TorrentInfo>)> done);

/// Copies what FetchOptions says of torrents into AddTorrentParams or AddMagnetParams.
template <typename Params>
void apply_torrent_options(Params& params, const FetchOptions& options) {
  params.save_path = options.output_dir;
  params.peers = options.peers;
  params.use_trackers = options.use_trackers;
  params.sequential = options.sequential;
  params.seed = options.seed;
  params.download_rate_limit = options.download_rate_limit;
  params.upload_rate_limit = options.upload_rate_limit;
}

/// The AddTorrentParams a FetchOptions asks for.
[[nodiscard]] AddTorrentParams torrent_params(TorrentInfo info, const FetchOptions& options);

/// First the .torrent (state running, bytes_total 0), then the torrent's own download
/// through a TorrentFetcher, whose reports it passes on. Pausing while the .torrent is
/// still coming lets it arrive and starts the torrent paused.
class TorrentUrlFetcher final : public Fetcher {
 public:
  TorrentUrlFetcher(boost::asio::io_context& io, Session& session, std::string url,
                    FetchOptions options);
  ~TorrentUrlFetcher() override;

  void start() override;
  void pause() override;
  void resume() override;
  void cancel() override;
  [[nodiscard]] FetchStatus status() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow::fetch
