// FetcherRegistry: the table of bitflow/fetcher_registry.hpp. Registered fetchers are asked
// in order, then the pure built-in rules (fetchers/source_kind.hpp); inspect() answers
// through the io_context in every case, so a caller never sees its handler run inside
// the call.
#include "bitflow/fetcher_registry.hpp"

#include <boost/asio/post.hpp>
#include <set>

#include "bitflow/s3_source.hpp"
#include "fetchers/download_request.hpp"
#include "fetchers/http_parsing.hpp"
#include "fetchers/source_kind.hpp"
#include "fetchers/torrent_url_fetcher.hpp"
#include "util/concat.hpp"

namespace bitflow {

namespace asio = boost::asio;

const char* to_string(SourceKind kind) noexcept {
  switch (kind) {
    case SourceKind::unknown:
      return "unknown";
    case SourceKind::magnet:
      return "magnet";
    case SourceKind::torrent_file:
      return "torrent_file";
    case SourceKind::torrent_url:
      return "torrent_url";
    case SourceKind::url:
      return "url";
    case SourceKind::s3:
      return "s3";
    case SourceKind::registered:
      return "registered";
  }
  return "unknown";
}

namespace {

const std::set<std::string, std::less<>> builtin_names = {"magnet", "torrent", "http", "https",
                                                          "ftp",    "ftps",    "sftp", "s3"};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

void describe_torrent(Inspection& out, TorrentInfo info) {
  out.name = info.name();
  out.size = 0;
  for (std::size_t i = 0; i < info.files().size(); ++i) {
    const auto& f = info.files()[i];
    if (f.pad) continue;
    out.files.push_back({i, f.path, f.size});
    out.size += f.size;
  }
  out.torrent = std::move(info);
}

bool is_regular_file(std::string_view path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(std::string(path)), ec);
}

}  // namespace

struct FetcherRegistry::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, Session* s) : io(context), session(s) {}

  const FetcherFactory* registered(std::string_view source) const {
    for (const auto& f : factories)
      if (f.matches(source)) return &f;
    return nullptr;
  }

  Session& need_session(const DetectedSource& what) const {
    if (!session)
      throw Error(
          std::make_error_code(std::errc::operation_not_supported),
          std::string("a ") + what.type + " source needs a Session: this registry has none");
    return *session;
  }

  // The URL download's options for `url`, or for the object of an s3:// source.
  static std::optional<UrlFetchOptions> url_options(const std::string& source,
                                                    const DetectedSource& what,
                                                    const FetchOptions& options, ErrorInfo& error) {
    UrlFetchOptions settings = options.url;
    settings.output_dir = options.output_dir;
    if (options.download_rate_limit > 0) settings.max_download_rate = options.download_rate_limit;
    if (what.kind != SourceKind::s3) {
      settings.url = source;
      return settings;
    }
    // A bad URL is named before missing credentials are.
    if (!s3::parse_object_url(source, error)) return std::nullopt;
    auto s3_settings = options.s3 ? options.s3 : s3::settings_from_environment(error);
    if (!s3_settings) return std::nullopt;
    return s3::object_fetch_options(source, std::move(settings), *s3_settings, error);
  }

  void inspect_url(UrlFetchOptions settings, Inspection out, const FetchOptions& options,
                   InspectHandler done) {
    net::HttpRequest head = fetch::download_request(settings, "HEAD");
    head.timeout = std::chrono::seconds(60);
    const std::string scheme = fetch::url_scheme(settings.url);
    const bool http = scheme == "http" || scheme == "https";
    net::shared_reactor(io).start(
        std::move(head), [self = shared_from_this(), settings, http, options, out = std::move(out),
                          done = std::move(done)](ErrorInfo e, net::HttpResponse r) mutable {
          const std::string& url = settings.url;
          const bool refused = http && !e && (r.status < 200 || r.status >= 300);
          // Servers without HEAD (405, 501) still have the file: only the name is known.
          const bool no_head = http && !e && (r.status == 405 || r.status == 501);
          out.name =
              !settings.file_name.empty()
                  ? fetch::safe_filename(settings.file_name, "download")
                  : fetch::suggested_filename(http ? r.header("Content-Disposition") : std::nullopt,
                                              r.effective_url, url);
          if (e) {
            out.error = std::move(e);
          } else if (refused && !no_head) {
            out.error = {fetch::make_error_code(fetch::errc::server_refused),
                         fetch::shown_name(settings) + ": HTTP " + std::to_string(r.status)};
          } else if (!no_head) {
            out.size =
                fetch::parse_content_length(r.header("Content-Length").value_or("")).value_or(-1);
            out.content_type = r.header("Content-Type").value_or("");
          }
          // A torrent behind a URL that does not say so (a download script's link); not
          // for signed sources, whose .torrent is downloaded as the file it is.
          if (!out.error && !settings.request_signer &&
              out.content_type.rfind("application/x-bittorrent", 0) == 0) {
            out.source = {SourceKind::torrent_url, "torrent"};
            self->inspect_torrent_url(url, std::move(out), options, std::move(done));
            return;
          }
          out.files.push_back({0, out.name, std::max<std::int64_t>(out.size, 0)});
          done(std::move(out));
        });
  }

  void inspect_torrent_url(const std::string& url, Inspection out, const FetchOptions& options,
                           InspectHandler done) {
    fetch::fetch_torrent_file(io, url, options,
                              [out = std::move(out), done = std::move(done)](
                                  ErrorInfo e, std::optional<TorrentInfo> info) mutable {
                                if (info)
                                  describe_torrent(out, std::move(*info));
                                else
                                  out.error = std::move(e);
                                done(std::move(out));
                              });
  }

  // Answers from the io_context, never from inside inspect().
  void answer(Inspection out, InspectHandler done) {
    asio::post(io,
               [out = std::move(out), done = std::move(done)]() mutable { done(std::move(out)); });
  }

  asio::io_context& io;
  Session* session;
  std::vector<FetcherFactory> factories;
};

FetcherRegistry::FetcherRegistry(asio::io_context& io, Session* session)
    : impl_(std::make_shared<Impl>(io, session)) {}

FetcherRegistry::~FetcherRegistry() = default;

void FetcherRegistry::add(FetcherFactory factory) {
  auto invalid = [](std::string message) {
    return Error(std::make_error_code(std::errc::invalid_argument), std::move(message));
  };
  if (!valid_name(factory.name))
    throw invalid(util::concat("a fetcher's name is 1 to 64 letters, digits, '-' or '_': '",
                               factory.name, "'"));
  if (builtin_names.count(factory.name))
    throw invalid(util::concat("'", factory.name, "' is the name of a built-in fetcher"));
  for (const auto& f : impl_->factories)
    if (f.name == factory.name)
      throw invalid(util::concat("a fetcher named '", factory.name, "' exists already"));
  if (!factory.matches || !factory.create)
    throw invalid(util::concat("fetcher '", factory.name, "' needs both matches and create"));
  impl_->factories.push_back(std::move(factory));
}

DetectedSource FetcherRegistry::detect(std::string_view source) const {
  if (const auto* f = impl_->registered(source)) return {SourceKind::registered, f->name};
  const bool has_scheme = !fetch::url_scheme(source).empty() || is_magnet_uri(source);
  return fetch::classify_source(source, !has_scheme && is_regular_file(source));
}

std::unique_ptr<Fetcher> FetcherRegistry::create(const std::string& source,
                                                 const FetchOptions& options) {
  if (const auto* f = impl_->registered(source)) return f->create(impl_->io, source, options);
  const DetectedSource what = detect(source);
  switch (what.kind) {
    case SourceKind::magnet: {
      Session& session = impl_->need_session(what);
      if (!options.file_priorities.empty())
        throw Error(std::make_error_code(std::errc::invalid_argument),
                    "a magnet link's files are not known before its metadata: choose files "
                    "after inspecting the torrent, not with file_priorities");
      AddMagnetParams params(Magnet::parse(source));
      fetch::apply_torrent_options(params, options);
      return std::make_unique<TorrentFetcher>(impl_->io, session, std::move(params));
    }
    case SourceKind::torrent_file: {
      Session& session = impl_->need_session(what);
      return std::make_unique<TorrentFetcher>(
          impl_->io, session, fetch::torrent_params(TorrentInfo::load(source), options));
    }
    case SourceKind::torrent_url:
      return std::make_unique<fetch::TorrentUrlFetcher>(impl_->io, impl_->need_session(what),
                                                        source, options);
    case SourceKind::url:
    case SourceKind::s3: {
      ErrorInfo error;
      auto settings = Impl::url_options(source, what, options, error);
      if (!settings) error.raise();
      return std::make_unique<UrlFetcher>(impl_->io, std::move(*settings));
    }
    case SourceKind::registered:
    case SourceKind::unknown:
      break;
  }
  throw Error(fetch::make_error_code(fetch::errc::bad_url),
              util::concat("'", net::redacted(source),
                           "' is not a magnet link, a .torrent file, an http, https, ftp, ftps, "
                           "sftp or s3 URL, and no registered fetcher takes it"));
}

std::unique_ptr<Fetcher> FetcherRegistry::create(const std::string& source,
                                                 const Inspection& inspected,
                                                 const FetchOptions& options) {
  if (!inspected.torrent || inspected.source.kind == SourceKind::registered)
    return create(source, options);
  return std::make_unique<TorrentFetcher>(impl_->io, impl_->need_session(inspected.source),
                                          fetch::torrent_params(*inspected.torrent, options));
}

void FetcherRegistry::inspect(const std::string& source, InspectHandler done,
                              const FetchOptions& options) {
  Inspection out;
  out.source = detect(source);
  if (const auto* f = impl_->registered(source); f && f->inspect) {
    // Whatever the fetcher says, the answer is about this source.
    f->inspect(impl_->io, source, [type = out.source, done = std::move(done)](Inspection in) {
      in.source = type;
      done(std::move(in));
    });
    return;
  }
  switch (out.source.kind) {
    case SourceKind::magnet: {
      auto magnet = Magnet::parse(source, out.error);
      if (magnet) {
        out.name = magnet->display_name;
        out.size = magnet->exact_length.value_or(-1);
        out.magnet = std::move(magnet);
      }
      return impl_->answer(std::move(out), std::move(done));
    }
    case SourceKind::torrent_file: {
      auto info = TorrentInfo::load(source, out.error);
      if (info) describe_torrent(out, std::move(*info));
      return impl_->answer(std::move(out), std::move(done));
    }
    case SourceKind::torrent_url:
      return impl_->inspect_torrent_url(source, std::move(out), options, std::move(done));
    case SourceKind::url:
    case SourceKind::s3: {
      auto settings = Impl::url_options(source, out.source, options, out.error);
      if (!settings) return impl_->answer(std::move(out), std::move(done));
      return impl_->inspect_url(std::move(*settings), std::move(out), options, std::move(done));
    }
    case SourceKind::registered:  // a fetcher without inspect: its type is what is known
      return impl_->answer(std::move(out), std::move(done));
    case SourceKind::unknown:
      break;
  }
  out.error = {fetch::make_error_code(fetch::errc::bad_url),
               util::concat("'", net::redacted(source), "' is not a source bitflow can fetch")};
  impl_->answer(std::move(out), std::move(done));
}

bool FetcherRegistry::host_matches(std::string_view url, std::string_view domain) {
  return fetch::host_in_domain(fetch::url_host(url), domain);
}

}  // namespace bitflow
