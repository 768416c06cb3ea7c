// Where a torrent's content is on disk, as the commands that read existing data (seed,
// check) take it from the command line.
#pragma once

#include <filesystem>

#include "bitflow/metainfo.hpp"

namespace cli {

/// The save path (the folder the torrent's files are under) for `data`, which names
/// either that folder or the content itself: the single file, or the top folder of a
/// multi-file torrent (recognised by having the torrent's name), with or without a
/// trailing slash. Throws UsageError when `data` does not exist.
[[nodiscard]] std::filesystem::path save_path_for(const bitflow::TorrentInfo& torrent,
                                                  std::filesystem::path data);

}  // namespace cli
