#include "sources.hpp"

#include <boost/asio/io_context.hpp>

#include "bitflow/s3_source.hpp"

namespace cli {

bitflow::DetectedSource detect_source(const std::string& source) {
  boost::asio::io_context io;
  return bitflow::FetcherRegistry(io).detect(source);
}

bool is_file_source(bitflow::SourceKind kind) {
  return kind == bitflow::SourceKind::url || kind == bitflow::SourceKind::s3;
}

bitflow::UrlFetchOptions url_fetch_options(bitflow::UrlFetchOptions options) {
  if (detect_source(options.url).kind != bitflow::SourceKind::s3) return options;
  const std::string source = options.url;
  (void)bitflow::s3::parse_object_url(source);  // a bad URL is named before missing keys
  return bitflow::s3::object_fetch_options(source, std::move(options),
                                           bitflow::s3::settings_from_environment());
}

bitflow::Inspection inspect_source(const std::string& source,
                                   const bitflow::FetchOptions& options) {
  boost::asio::io_context io;
  bitflow::FetcherRegistry registry(io);
  bitflow::Inspection result;
  registry.inspect(
      source, [&](bitflow::Inspection inspection) { result = std::move(inspection); }, options);
  io.run();
  return result;
}

bitflow::TorrentInfo load_torrent(const std::string& source) {
  if (detect_source(source).kind != bitflow::SourceKind::torrent_url)
    return bitflow::TorrentInfo::load(source);
  auto inspection = inspect_source(source);
  if (inspection.error) inspection.error.raise();
  return std::move(*inspection.torrent);
}

}  // namespace cli
