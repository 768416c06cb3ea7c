// The control file of a resumable download: "<name>.part.bitflow" next to "<name>.part",
// saying which bytes of the .part file are already the server's and which version of the
// file they came from. Pure codec (bencoded dictionary); the fetcher reads and writes it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "fetchers/range_set.hpp"

namespace bitflow::fetch {

struct ControlState {
  std::string url;            ///< what was asked for (a resume must ask for the same)
  std::int64_t size = 0;      ///< the file's size
  std::string etag;           ///< the server's validators, when it sent them
  std::string last_modified;  ///< "" when unknown
  RangeSet done;              ///< bytes of the .part file that are final
};

/// The file's bytes. Deterministic (bencode is canonical).
[[nodiscard]] std::string encode_control(const ControlState& state);
/// Parses a control file; nullopt with `error` for anything that is not one of ours or
/// is inconsistent (ranges outside the size, out of order, overlapping).
[[nodiscard]] std::optional<ControlState> decode_control(std::string_view bytes, ErrorInfo& error);

/// Whether a server's answer still describes the file the .part holds: same size, and
/// the same ETag (when either side has one: a strong validator wins) or else the same
/// Last-Modified. Without any validator only the size is compared.
[[nodiscard]] bool same_version(const ControlState& saved, std::int64_t size, std::string_view etag,
                                std::string_view last_modified);

}  // namespace bitflow::fetch
