// BEP 52 "file tree" reading, used to check that a hybrid torrent's v1 and v2 views
// describe the same files. Internal to metainfo.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bitflow/bencode.hpp"

namespace bitflow::detail {

/// A file as a torrent lists it, before sanitising: '/'-joined raw path and length.
using RawFile = std::pair<std::string, std::int64_t>;

/// Appends the files of a v2 file tree, in tree order, to `out`. Returns false if the
/// tree is malformed (a node that is not a dictionary, a file without a length).
[[nodiscard]] bool read_file_tree(bencode::Node tree, std::vector<RawFile>& out);

}  // namespace bitflow::detail
