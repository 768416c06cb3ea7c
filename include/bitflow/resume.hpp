// bitflow/resume.hpp — what a restart needs to skip re-checking a torrent's data.
//
// Files are written in place under their final names (bitflow/storage.hpp), so a file on
// disk says nothing about which of its pieces are complete. The resume data says it: the
// pieces that were verified, the file priorities, and the size and modification time of
// every file (and of the side file) when it was made. At a restart, if those sizes and
// times still match the disk (resume_matches_files), the verified pieces are trusted;
// otherwise the data was touched behind our back and must be checked again
// (check_existing). Make the resume data after the writes it covers have finished (on
// pause or shutdown, after Storage::sync): one made while writes continue will be found
// stale at the next start, which is safe but costs a full check.
//
// On disk: "<save_path>/.bitflow/<info-hash hex>.resume", a canonical bencoded dictionary:
//   "file-format"     "bitflow resume"
//   "file-version"    1
//   "info-hash"       the 20 raw bytes of the torrent's info-hash
//   "num-pieces"      the torrent's piece count
//   "pieces"          bitfield of verified pieces, ceil(num-pieces / 8) bytes, high bit of
//                     the first byte = piece 0, spare bits zero (as in the wire BITFIELD)
//   "files"           one [size, mtime] list per file: bytes and nanoseconds since the
//                     epoch, or [-1, 0] for a file that did not exist
//   "parts"           [size, mtime] of the side file, likewise
//   "file-priorities" one integer 0..7 per file
// Unknown keys are ignored (for later versions that add some). save_resume() writes
// "<file>.tmp", fsyncs it, renames it over the file and fsyncs the folder, so a crash
// leaves the old resume file or the new one, never a torn one.
//
// Decoding validates everything against the torrent: bad bencoding, missing or mistyped
// keys, another format or version, another info-hash, another piece or file count, set
// spare bits, priorities outside 0..7 are each refused with a storage::errc code and a
// message saying what is wrong. No input crashes or hangs the decoder.
//
// Threading: free functions over plain values, safe from any thread; two threads must not
// save the same torrent's resume file at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/storage.hpp"

namespace bitflow::storage {

/// A file's size and modification time on disk.
struct FileStamp {
  std::int64_t size = -1;  ///< bytes; -1 when the file does not exist
  std::int64_t mtime = 0;  ///< nanoseconds since the epoch; 0 when it does not exist
  friend bool operator==(const FileStamp&, const FileStamp&) = default;
};

struct ResumeData {
  Sha1Hash info_hash;
  std::vector<bool> pieces;          ///< one per piece: verified
  std::vector<FileStamp> files;      ///< one per file of the torrent, in torrent order
  FileStamp parts;                   ///< the side file holding bytes of skipped files
  std::vector<int> file_priorities;  ///< one per file, 0..7
  friend bool operator==(const ResumeData&, const ResumeData&) = default;
};

/// "<save_path>/.bitflow/<info-hash hex>.resume".
[[nodiscard]] std::filesystem::path resume_file_path(const std::filesystem::path& save_path,
                                                     const Sha1Hash& info_hash);

/// The stamps of `torrent`'s files under `save_path` as they are now, in torrent order
/// (reached without following symlinks below save_path, like Storage does).
[[nodiscard]] std::vector<FileStamp> current_file_stamps(const TorrentInfo& torrent,
                                                         const std::filesystem::path& save_path);

/// Resume data for `storage`'s torrent now: `verified` (one per piece), its priorities and
/// the current stamps of its files and side file. Throws std::invalid_argument when
/// `verified` has the wrong size.
[[nodiscard]] ResumeData make_resume_data(const TorrentInfo& torrent, const Storage& storage,
                                          std::vector<bool> verified);

/// Whether the files on disk still have the sizes and times `data` recorded (pad files are
/// not compared), so its verified pieces can be trusted; false also when `data` is for
/// another torrent or has another file count.
[[nodiscard]] bool resume_matches_files(const ResumeData& data, const TorrentInfo& torrent,
                                        const std::filesystem::path& save_path);
[[nodiscard]] bool resume_matches_files(const ResumeData& data, const TorrentInfo& torrent,
                                        const Storage& storage);

/// The canonical bencoding described above. `data` must have one bit per piece and one
/// stamp and priority per file of the torrent it is for.
[[nodiscard]] std::string encode_resume(const ResumeData& data);

/// Decodes and validates resume data for `torrent`. Throws bitflow::Error.
[[nodiscard]] ResumeData decode_resume(std::string_view bytes, const TorrentInfo& torrent);
/// Non-throwing form: nullopt and `error` filled in on failure.
[[nodiscard]] std::optional<ResumeData> decode_resume(std::string_view bytes,
                                                      const TorrentInfo& torrent, ErrorInfo& error);

/// Writes `data` atomically to resume_file_path(save_path, data.info_hash), creating
/// the .bitflow folder (never through a symlink). false and `error` on failure.
[[nodiscard]] bool save_resume(const ResumeData& data, const std::filesystem::path& save_path,
                               ErrorInfo& error);
void save_resume(const ResumeData& data, const std::filesystem::path& save_path);

/// Reads and decodes the resume file of `torrent` under `save_path`; errc::missing_file
/// when there is none. Files larger than any valid resume data for `torrent` are refused
/// before being read.
[[nodiscard]] std::optional<ResumeData> load_resume(const std::filesystem::path& save_path,
                                                    const TorrentInfo& torrent, ErrorInfo& error);
[[nodiscard]] ResumeData load_resume(const std::filesystem::path& save_path,
                                     const TorrentInfo& torrent);

}  // namespace bitflow::storage
