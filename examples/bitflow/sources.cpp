#include "sources.hpp"

#include <boost/asio/io_context.hpp>

namespace cli {

bitflow::DetectedSource detect_source(const std::string& source) {
  boost::asio::io_context io;
  return bitflow::FetcherRegistry(io).detect(source);
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
