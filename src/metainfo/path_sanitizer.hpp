// Turning untrusted torrent paths into safe relative paths. Internal to metainfo.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bitflow::detail {

/// Hands out unique relative paths: a path equal to an earlier file's path, or one whose
/// folder is an earlier file (or whose name is an earlier folder), is renamed by adding
/// ".N" before the extension of the clashing element, with the smallest free N.
class PathDeduplicator {
 public:
  /// `elements` are already sanitised and non-empty. Returns the '/'-joined unique path.
  std::string claim(const std::vector<std::string>& elements);

 private:
  std::unordered_set<std::string> files_;
  std::unordered_set<std::string> folders_;
  std::unordered_map<std::string, int> next_number_;  // last number tried per clashing path
  std::unordered_map<std::string, std::string> folder_renames_;  // clashing folder -> new one
};

/// "bar.txt", 2 -> "bar.2.txt"; "bar", 2 -> "bar.2"; ".hidden", 2 -> ".hidden.2".
std::string with_number(std::string_view element, int n);

}  // namespace bitflow::detail
