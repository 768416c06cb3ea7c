// Hashing a finished download for UrlFetchOptions::checksum. Internal to the fetchers.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "bitflow/url_fetcher.hpp"

namespace bitflow::fetch {

/// The lowercase hex digest of the file at `path`; nullopt with `error` when it cannot be
/// read. Blocking: run it off the network thread.
[[nodiscard]] std::optional<std::string> file_digest_hex(const std::filesystem::path& path,
                                                         Checksum::Algorithm algorithm,
                                                         ErrorInfo& error);

}  // namespace bitflow::fetch
