// What an S3 sink keeps between runs, pure: per file its key, size and part size, and
// either its multipart upload id or, once delivered, its ETag. Encoded as a bencoded
// dictionary; decoding checks every field and bounds (a damaged file is reported, and the
// sink then starts over). Internal to the sinks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"

namespace bitflow::sinks {

struct SavedFile {
  std::string key;
  std::uint64_t size = 0;
  std::uint64_t part_size = 0;
  std::string upload_id;  ///< a multipart upload still open; empty: none started
  std::string etag;       ///< set once the object is complete
  friend bool operator==(const SavedFile&, const SavedFile&) = default;
};

struct UploadState {
  std::string bucket;
  std::string source;  ///< S3SinkOptions::source_identity
  std::vector<SavedFile> files;
  friend bool operator==(const UploadState&, const UploadState&) = default;
};

[[nodiscard]] std::string encode_upload_state(const UploadState& state);
/// std::errc::invalid_argument with "S3 upload state: <what>" when the bytes are not
/// a state this version wrote.
[[nodiscard]] std::optional<UploadState> decode_upload_state(std::string_view bytes,
                                                             ErrorInfo& error);

}  // namespace bitflow::sinks
