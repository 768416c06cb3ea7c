// Writing an output file of the client whole or not at all.
#pragma once

#include <filesystem>
#include <string_view>

namespace cli {

/// Writes `bytes` beside `path` and renames it into place, so a failure never leaves half
/// a file. Throws std::runtime_error ("<path>: cannot write") or filesystem_error.
void write_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace cli
