#include "data_path.hpp"

#include "args.hpp"

namespace cli {

std::filesystem::path save_path_for(const bitflow::TorrentInfo& torrent,
                                    std::filesystem::path data) {
  if (!std::filesystem::exists(data))
    throw UsageError("data path '" + data.string() + "' does not exist");
  // "content/" names the same folder as "content" (shells complete folder names so).
  while (!data.has_filename() && data.has_relative_path())
    data = data.parent_path();
  if (data.filename() == torrent.name()) data = data.parent_path();
  return data.empty() ? std::filesystem::path(".") : data;
}

}  // namespace cli
