// bitflow/metainfo.hpp — .torrent files (BEP 3) parsed into a TorrentInfo.
//
// What is read: single- and multi-file v1 torrents, the v1 part of hybrid v1+v2
// torrents (BEP 52), announce / announce-list tiers (BEP 12), url-list web seeds
// (BEP 19), the private flag (BEP 27), creation metadata, name.utf-8 / path.utf-8, and
// BEP 47 pad files and attributes. v2-only torrents are recognised and rejected with
// errc::v2_not_supported.
//
// The info-hash is the SHA-1 of the info dictionary's bytes exactly as they stand in the
// file; nothing is re-encoded.
//
// File paths are sanitised so that no torrent can make bitflow write outside the folder
// it downloads into. The mapping is deterministic (see sanitize_path_component() and
// docs/ARCHITECTURE.md): each path element is taken from path.utf-8 (else path); '/',
// '\' and control characters become '_'; bytes that are not valid UTF-8 become '_';
// empty, "." and ".." elements are dropped; an element longer than 255 bytes is cut to
// 255 (keeping a short extension); a file left with no elements is named "_"; a name
// that sanitises to nothing becomes the info-hash in hex; a path that repeats an
// earlier file's path, or collides with one of its folders, gets ".1", ".2", ... before
// its extension. Pad files are never written and are named ".pad/<size>".
//
// A TorrentInfo is an immutable value once parsed: copy it freely and read it from any
// thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/hash.hpp"

namespace bitflow::metainfo {

/// Why a torrent was rejected. Bencoding errors keep their bencode::errc code.
enum class errc {
  not_a_dictionary = 1,  ///< the file is not a bencoded dictionary
  missing_info,          ///< no info dictionary
  missing_name,          ///< no usable name
  invalid_piece_length,  ///< missing, not positive, or larger than 1 GiB
  invalid_pieces,        ///< missing, or not a multiple of 20 bytes
  piece_count_mismatch,  ///< the number of hashes disagrees with the total size
  invalid_file_size,     ///< a missing, negative or overflowing length
  invalid_file_list,     ///< files is not a list of dictionaries
  invalid_path,          ///< a path that is not a list of strings
  no_files,              ///< an empty files list
  no_data,               ///< a total size of zero
  too_large,             ///< over ParseOptions limits (bytes, files)
  v2_not_supported,      ///< a v2-only torrent
  inconsistent_hybrid,   ///< a hybrid whose v1 and v2 parts list different files
  io_error,              ///< the .torrent file could not be read
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace bitflow::metainfo

template <>
struct std::is_error_code_enum<bitflow::metainfo::errc> : std::true_type {};

namespace bitflow {

/// One file of a torrent, in torrent order.
struct FileEntry {
  /// Sanitised path relative to the download folder, '/'-separated. For a multi-file
  /// torrent it starts with the torrent's (sanitised) name.
  std::string path;
  std::int64_t size = 0;
  std::int64_t offset = 0;            ///< where the file starts in the content stream
  bool pad = false;                   ///< BEP 47 'p': filler, never written to disk
  bool executable = false;            ///< BEP 47 'x'
  bool hidden = false;                ///< BEP 47 'h'
  bool symlink = false;               ///< BEP 47 'l' (the link itself is not created)
  std::string symlink_target;         ///< sanitised, relative to the torrent's root
  std::optional<std::int64_t> mtime;  ///< seconds since the epoch, if given
};

enum class TorrentVersion { v1, hybrid };

/// Limits that keep a hostile .torrent from exhausting memory.
struct ParseOptions {
  std::size_t max_size = 256u << 20;  ///< bytes of the whole .torrent file
  std::size_t max_files = 1u << 20;   ///< entries in the files list
};

class TorrentInfo {
 public:
  /// Parses a whole .torrent file. Throws bitflow::Error.
  static TorrentInfo parse(std::string bytes, const ParseOptions& options = {});
  /// Non-throwing form: nullopt and `error` filled in on failure.
  static std::optional<TorrentInfo> parse(std::string bytes, ErrorInfo& error,
                                          const ParseOptions& options = {});
  /// Reads and parses the file at `path`.
  static TorrentInfo load(const std::filesystem::path& path, const ParseOptions& options = {});
  static std::optional<TorrentInfo> load(const std::filesystem::path& path, ErrorInfo& error,
                                         const ParseOptions& options = {});

  [[nodiscard]] const Sha1Hash& info_hash() const noexcept { return info_hash_; }
  /// SHA-256 of the info dictionary for hybrid torrents (their v2 info-hash).
  [[nodiscard]] const std::optional<Sha256Hash>& info_hash_v2() const noexcept {
    return info_hash_v2_;
  }
  [[nodiscard]] TorrentVersion version() const noexcept { return version_; }

  /// The sanitised name: the file name (single-file) or the top folder (multi-file).
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// true when the info dictionary has a files list (even with a single entry).
  [[nodiscard]] bool is_multi_file() const noexcept { return multi_file_; }
  [[nodiscard]] std::int64_t piece_length() const noexcept { return geometry_.piece_length(); }
  [[nodiscard]] std::int32_t num_pieces() const noexcept { return geometry_.num_pieces(); }
  [[nodiscard]] std::int64_t total_size() const noexcept { return geometry_.total_size(); }
  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  /// The expected SHA-1 of piece `p`.
  [[nodiscard]] Sha1Hash piece_hash(PieceIndex p) const;
  [[nodiscard]] const std::vector<FileEntry>& files() const noexcept { return files_; }

  /// Trackers by tier (BEP 12); a lone `announce` is one tier of one tracker.
  [[nodiscard]] const std::vector<std::vector<std::string>>& trackers() const noexcept {
    return trackers_;
  }
  [[nodiscard]] const std::vector<std::string>& web_seeds() const noexcept { return web_seeds_; }
  [[nodiscard]] bool is_private() const noexcept { return private_; }
  [[nodiscard]] std::optional<std::int64_t> creation_date() const noexcept {
    return creation_date_;
  }
  [[nodiscard]] const std::string& created_by() const noexcept { return created_by_; }
  [[nodiscard]] const std::string& comment() const noexcept { return comment_; }

  /// The info dictionary's bytes as they stand in the file (what the info-hash covers).
  [[nodiscard]] std::string_view info_bytes() const noexcept {
    return std::string_view(bytes_).substr(info_offset_, info_length_);
  }
  /// The whole .torrent file.
  [[nodiscard]] const std::string& bytes() const noexcept { return bytes_; }
  /// Things the parser accepted but changed or ignored (unsorted keys, renamed paths...),
  /// one human sentence each.
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  friend class TorrentParser;
  TorrentInfo() = default;

  std::string bytes_;
  std::size_t info_offset_ = 0;
  std::size_t info_length_ = 0;
  std::size_t pieces_offset_ = 0;  // where the concatenated piece hashes start in bytes_
  Sha1Hash info_hash_;
  std::optional<Sha256Hash> info_hash_v2_;
  TorrentVersion version_ = TorrentVersion::v1;
  std::string name_;
  bool multi_file_ = false;
  Geometry geometry_;
  std::vector<FileEntry> files_;
  std::vector<std::vector<std::string>> trackers_;
  std::vector<std::string> web_seeds_;
  bool private_ = false;
  std::optional<std::int64_t> creation_date_;
  std::string created_by_;
  std::string comment_;
  std::vector<std::string> warnings_;
};

/// One path element made safe for the local file system (see the header comment):
/// returns "" when the element is to be dropped ("", ".", "..").
[[nodiscard]] std::string sanitize_path_component(std::string_view element);

}  // namespace bitflow
