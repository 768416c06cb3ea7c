#include "fetchers/torrent_url_fetcher.hpp"

#include "fetchers/download_request.hpp"
#include "fetchers/source_kind.hpp"

namespace bitflow::fetch {

namespace asio = boost::asio;

net::CurlReactor::TransferId fetch_torrent_file(
    asio::io_context& io, const std::string& url, const FetchOptions& options,
    std::function<void(ErrorInfo, std::optional<TorrentInfo>)> done) {
  UrlFetchOptions settings = options.url;
  settings.url = url;
  net::HttpRequest request = download_request(settings);
  request.timeout = std::chrono::seconds(120);  // a .torrent is small: no reason to wait long
  request.max_body = options.max_torrent_size;
  request.decode_content = true;
  const bool http = url_scheme(url).rfind("http", 0) == 0;
  return net::shared_reactor(io).start(
      std::move(request), [url, http, limit = options.max_torrent_size, done = std::move(done)](
                              ErrorInfo e, net::HttpResponse r) {
        const std::string shown = net::redacted(url);
        if (e) {
          if (e.code == net::errc::body_too_large)
            e.message = shown + ": more than " + std::to_string(limit) +
                        " bytes, too large for a .torrent (FetchOptions::max_torrent_size)";
          done(std::move(e), std::nullopt);
          return;
        }
        if (http && (r.status < 200 || r.status >= 300)) {
          done(
              {make_error_code(errc::server_refused), shown + ": HTTP " + std::to_string(r.status)},
              std::nullopt);
          return;
        }
        ErrorInfo parse_error;
        auto torrent = TorrentInfo::parse(std::move(r.body), parse_error);
        if (!torrent) {
          parse_error.message = shown + " is not a usable .torrent: " + parse_error.message;
          done(std::move(parse_error), std::nullopt);
          return;
        }
        done({}, std::move(torrent));
      });
}

AddTorrentParams torrent_params(TorrentInfo info, const FetchOptions& options) {
  AddTorrentParams params(std::move(info));
  apply_torrent_options(params, options);
  params.file_priorities = options.file_priorities;
  return params;
}

struct TorrentUrlFetcher::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, Session& s, std::string u, FetchOptions o,
       std::weak_ptr<const ProgressSink> progress)
      : io(context),
        session(s),
        url(std::move(u)),
        options(std::move(o)),
        sink(std::move(progress)) {}

  void report() const {
    if (auto s = sink.lock()) s->notify(status());
  }

  FetchStatus status() const { return torrent ? torrent->status() : own; }

  void fetched(ErrorInfo e, std::optional<TorrentInfo> info) {
    transfer.reset();
    if (own.state != FetchState::running && own.state != FetchState::paused) return;
    if (e) {
      own.state = FetchState::failed;
      own.error = e.message;
      own.error_code = e.code;
      report();
      return;
    }
    const bool paused = own.state == FetchState::paused;
    torrent =
        std::make_unique<TorrentFetcher>(io, session, torrent_params(std::move(*info), options));
    torrent->on_progress([weak = sink](const FetchStatus& s) {
      if (auto outer = weak.lock()) outer->notify(s);
    });
    torrent->start();
    if (paused) torrent->pause();
  }

  asio::io_context& io;
  Session& session;
  std::string url;
  FetchOptions options;
  std::weak_ptr<const ProgressSink> sink;
  FetchStatus own;  // until the torrent takes over
  std::optional<net::CurlReactor::TransferId> transfer;
  std::unique_ptr<TorrentFetcher> torrent;
};

TorrentUrlFetcher::TorrentUrlFetcher(asio::io_context& io, Session& session, std::string url,
                                     FetchOptions options)
    : impl_(std::make_shared<Impl>(io, session, std::move(url), std::move(options),
                                   progress_sink())) {}

TorrentUrlFetcher::~TorrentUrlFetcher() {
  impl_->sink.reset();  // the cancelled transfer's handler reports to nobody
  if (impl_->transfer) net::shared_reactor(impl_->io).cancel(*impl_->transfer);
}

void TorrentUrlFetcher::start() {
  if (impl_->own.state != FetchState::idle) return;
  impl_->own.state = FetchState::running;
  impl_->report();
  impl_->transfer = fetch_torrent_file(
      impl_->io, impl_->url, impl_->options,
      [weak = impl_->weak_from_this()](ErrorInfo e, std::optional<TorrentInfo> info) {
        if (auto self = weak.lock()) self->fetched(std::move(e), std::move(info));
      });
}

void TorrentUrlFetcher::pause() {
  if (impl_->torrent) return impl_->torrent->pause();
  if (impl_->own.state != FetchState::running) return;
  impl_->own.state = FetchState::paused;
  impl_->report();
}

void TorrentUrlFetcher::resume() {
  if (impl_->torrent) return impl_->torrent->resume();
  if (impl_->own.state != FetchState::paused) return;
  impl_->own.state = FetchState::running;
  impl_->report();
}

void TorrentUrlFetcher::cancel() {
  if (impl_->torrent) return impl_->torrent->cancel();
  const FetchState before = impl_->own.state;
  if (before == FetchState::completed || before == FetchState::failed ||
      before == FetchState::cancelled)
    return;
  impl_->own.state = FetchState::cancelled;
  if (impl_->transfer) net::shared_reactor(impl_->io).cancel(*impl_->transfer);
  impl_->report();
}

FetchStatus TorrentUrlFetcher::status() const {
  return impl_->status();
}

}  // namespace bitflow::fetch
