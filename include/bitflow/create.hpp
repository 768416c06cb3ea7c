// bitflow/create.hpp — making .torrent files (v1, BEP 3) from a file or a folder.
//
// A folder's regular files are taken recursively, in byte order of their relative
// paths, so the same folder always gives the same torrent; symbolic links and special
// files are left out. Pieces are hashed with SHA-1 on worker threads; the calling
// thread waits and reports progress.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bitflow/error.hpp"

namespace bitflow {

struct CreateOptions {
  /// Tracker tiers (BEP 12): the first URL becomes `announce`; an announce-list is
  /// written when there is more than one URL.
  std::vector<std::vector<std::string>> trackers;
  std::vector<std::string> web_seeds;  ///< url-list (BEP 19)
  std::int64_t piece_length = 0;       ///< 0: auto_piece_length(); else a power of two >= 16 KiB
  bool is_private = false;             ///< BEP 27
  std::string comment;
  std::string created_by = "bitflow";
  /// Seconds since the epoch; nullopt writes no creation date (reproducible output).
  std::optional<std::int64_t> creation_date;
  unsigned threads = 0;  ///< hashing threads; 0: one per core
  /// Called on the calling thread, about ten times a second and once at the end, with
  /// bytes hashed so far and the total.
  std::function<void(std::int64_t done, std::int64_t total)> progress;
};

/// A power of two from 16 KiB to 16 MiB that keeps the piece count near 2000 or below.
[[nodiscard]] std::int64_t auto_piece_length(std::int64_t total_size) noexcept;

/// Builds the bencoded .torrent for `content` (a file or a folder). Throws
/// bitflow::Error (metainfo category: io_error, no_files, no_data, invalid_piece_length).
[[nodiscard]] std::string create_torrent(const std::filesystem::path& content,
                                         const CreateOptions& options = {});
/// Non-throwing form: nullopt and `error` filled in on failure.
[[nodiscard]] std::optional<std::string> create_torrent(const std::filesystem::path& content,
                                                        const CreateOptions& options,
                                                        ErrorInfo& error);

}  // namespace bitflow
