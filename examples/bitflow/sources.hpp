// What a command was given (a magnet, a .torrent, a URL), through the library's
// FetcherRegistry, for the commands that work on any source.
#pragma once

#include <string>

#include "bitflow/fetcher_registry.hpp"

namespace cli {

/// FetcherRegistry::detect without a session.
[[nodiscard]] bitflow::DetectedSource detect_source(const std::string& source);

/// A URL of one file: http(s), ftp(s), sftp or s3:// (what `download` fetches with a
/// UrlFetcher).
[[nodiscard]] bool is_file_source(bitflow::SourceKind kind);

/// `options` as a UrlFetcher needs them: unchanged for a URL; for s3://bucket/key, the
/// object's URL and a SigV4 signer from the AWS settings of the environment and ~/.aws.
[[nodiscard]] bitflow::UrlFetchOptions url_fetch_options(bitflow::UrlFetchOptions options);

/// FetcherRegistry::inspect, run to its end on an io_context of its own.
[[nodiscard]] bitflow::Inspection inspect_source(const std::string& source,
                                                 const bitflow::FetchOptions& options = {});

/// The torrent behind a URL of a .torrent (or a local .torrent file); throws
/// bitflow::Error with the reason when there is none.
[[nodiscard]] bitflow::TorrentInfo load_torrent(const std::string& source);

}  // namespace cli
