// bitflow/fetcher_registry.hpp — from a string a user pasted to a running Fetcher: what
// the source is (detect), what it holds (inspect, for an "add download" dialog), and the
// fetcher that gets it (create). Programs add fetchers of their own for the sources they
// know (a video site, an internal store); those are asked first.
//
//   magnet:?xt=urn:btih:…            → "magnet"   TorrentFetcher (metadata from peers)
//   file.torrent, or any local file  → "torrent"  TorrentFetcher
//   http(s)/ftp(s)/sftp URL of a path
//     ending in .torrent             → "torrent"  the .torrent is fetched (at most
//                                                 FetchOptions::max_torrent_size), then a
//                                                 TorrentFetcher takes over
//   http, https, ftp, ftps, sftp URL → the scheme UrlFetcher
//   s3://bucket/key                  → "s3"       UrlFetcher of the object's URL, every
//                                                 request signed (bitflow/s3_source.hpp)
//
// Threading: like every Fetcher, use the registry on its io_context's thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/fetcher.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/s3.hpp"
#include "bitflow/session.hpp"
#include "bitflow/url_fetcher.hpp"

namespace bitflow {

enum class SourceKind {
  unknown,       ///< nothing bitflow or a registered fetcher can fetch
  magnet,        ///< a magnet link
  torrent_file,  ///< a local .torrent file
  torrent_url,   ///< a URL whose path ends in .torrent
  url,           ///< an http, https, ftp, ftps or sftp URL of the file itself
  s3,            ///< s3://bucket/key: an object in S3 or an S3-compatible store
  registered,    ///< claimed by a fetcher added with FetcherRegistry::add
};

[[nodiscard]] const char* to_string(SourceKind kind) noexcept;

/// What detect() says of a source.
struct DetectedSource {
  SourceKind kind = SourceKind::unknown;
  /// "magnet", "torrent", "http", "https", "ftp", "ftps", "sftp", "s3", or the registered
  /// fetcher's name; empty when unknown.
  std::string type;

  explicit operator bool() const noexcept { return kind != SourceKind::unknown; }
};

/// How to fetch, for every kind of source; each fetcher uses the fields that apply to it.
struct FetchOptions {
  std::filesystem::path output_dir = ".";
  /// URL downloads: everything but `url` and `output_dir`, which come from the source and
  /// from output_dir above.
  UrlFetchOptions url;
  /// s3:// sources: credentials, region, endpoint; nullopt: s3::settings_from_environment()
  /// (AWS_* variables, ~/.aws), read when the fetcher is created or the source inspected.
  std::optional<s3::ClientSettings> s3;
  /// Torrents: one priority per file (0 skips it), as AddTorrentParams::file_priorities;
  /// empty wants every file. Not for magnets, whose file list is not known yet (create()
  /// refuses the two together).
  std::vector<int> file_priorities;
  /// Torrents and magnets: as in AddTorrentParams.
  std::vector<std::string> peers;
  bool use_trackers = true;
  bool sequential = false;
  SeedLimits seed;
  /// Every kind of source: bytes/s for this download; 0: unlimited. URLs take the download
  /// limit only (UrlFetchOptions::max_download_rate); torrents both, as their own limits
  /// in the session.
  std::int64_t download_rate_limit = 0;
  std::int64_t upload_rate_limit = 0;
  /// The largest .torrent fetched from a URL (bytes).
  std::size_t max_torrent_size = 16u << 20;
};

/// What inspect() learnt of a source. Fields that could not be known stay empty / -1.
struct Inspection {
  DetectedSource source;
  std::string name;
  std::int64_t size = -1;  ///< bytes, -1 when unknown
  struct File {
    std::size_t index = 0;  ///< the file's number in the torrent (for file_priorities)
    std::string path;       ///< '/'-separated, relative to the download's folder
    std::int64_t size = 0;
  };
  /// The files a download would create: a torrent's (without pad files), or one for a
  /// URL. Empty for a magnet, whose file list comes with its metadata.
  std::vector<File> files;
  std::string content_type;            ///< URLs: the server's Content-Type
  std::optional<TorrentInfo> torrent;  ///< a .torrent file, or the one a URL served
  std::optional<Magnet> magnet;
  ErrorInfo error;  ///< set when the source could not be inspected; the rest is partial
};

/// A fetcher a program adds for the sources it knows.
struct FetcherFactory {
  /// Its type in DetectedSource::type: letters, digits, '-' and '_' only, and none of the
  /// built-in names.
  std::string name;
  /// Whether this fetcher takes `source`. Must not block.
  std::function<bool(std::string_view source)> matches;
  /// Makes the fetcher (not started). May throw bitflow::Error for a source it cannot use.
  std::function<std::unique_ptr<Fetcher>(boost::asio::io_context& io, const std::string& source,
                                         const FetchOptions& options)>
      create;
  /// Optional: what the source holds. Must call `done` exactly once, on the io_context's
  /// thread. Without it, inspect() reports the type only.
  std::function<void(boost::asio::io_context& io, const std::string& source,
                     std::function<void(Inspection)> done)>
      inspect;
};

class FetcherRegistry {
 public:
  using InspectHandler = std::function<void(Inspection)>;

  /// `session` runs the torrent and magnet downloads; without one (nullptr) those sources
  /// are still detected and inspected, but create() refuses them. The session, when
  /// given, must outlive the registry and every fetcher it made.
  explicit FetcherRegistry(boost::asio::io_context& io, Session* session = nullptr);
  ~FetcherRegistry();
  FetcherRegistry(const FetcherRegistry&) = delete;
  FetcherRegistry& operator=(const FetcherRegistry&) = delete;

  /// Adds a fetcher, asked before the built-in ones and after those added earlier.
  /// Throws bitflow::Error (std::errc::invalid_argument) for a bad or taken name or a
  /// factory without `matches` or `create`.
  void add(FetcherFactory factory);

  /// What `source` is. Does not fetch anything; a local path is looked at only to see
  /// whether it is a file.
  [[nodiscard]] DetectedSource detect(std::string_view source) const;

  /// The fetcher for `source`, not started. Throws bitflow::Error: fetch::errc::bad_url
  /// for a source nobody fetches or an s3:// URL without a bucket and a key; the parse
  /// error of a local .torrent or a magnet; std::errc::operation_not_supported for a
  /// torrent or magnet without a session; s3::errc::missing_credentials or invalid_config
  /// for an s3:// source without usable AWS settings.
  [[nodiscard]] std::unique_ptr<Fetcher> create(const std::string& source,
                                                const FetchOptions& options = {});
  /// The same after inspect(): a torrent that inspect() already fetched and parsed
  /// (Inspection::torrent, also for a URL that served one without ending in .torrent) is
  /// downloaded from it directly; anything else is create(source, options).
  [[nodiscard]] std::unique_ptr<Fetcher> create(const std::string& source,
                                                const Inspection& inspected,
                                                const FetchOptions& options = {});

  /// Finds out what `source` holds (HEAD for URLs and s3://, the .torrent for torrent files and
  /// URLs; a URL served as application/x-bittorrent is read as a torrent too) and calls
  /// `done` once, on the io_context, never from inside this call. `options` supplies the
  /// URL settings (TLS, SSH keys, timeouts) and max_torrent_size.
  void inspect(const std::string& source, InspectHandler done, const FetchOptions& options = {});

  /// Whether `url`'s host is `domain` or one of its subdomains ("www.youtube.com" is in
  /// "youtube.com"; "notyoutube.com" is not), case-insensitively. For `matches` functions.
  [[nodiscard]] static bool host_matches(std::string_view url, std::string_view domain);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow
