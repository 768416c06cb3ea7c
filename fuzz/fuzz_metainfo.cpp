// libFuzzer target for TorrentInfo::parse. A torrent that parses must be safe to download:
// these invariants are what storage relies on, so a violation traps (a libFuzzer crash).
//   * every file path (and symlink target) is relative, with no empty, "." or ".."
//     element and no NUL byte;
//   * non-pad paths are unique, and none is also a folder of another non-pad file;
//   * file offsets are the running sum of sizes and the sizes add up to total_size;
//   * the piece count matches total_size / piece_length, the last piece hash is readable
//     and map_piece() of the first and last pieces covers exactly piece_size() bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/metainfo.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Relative, no empty / "." / ".." element, no NUL. `allow_empty` is for symlink targets,
// which may sanitise down to nothing.
void check_path(std::string_view path, bool allow_empty) {
  if (path.empty()) return check(allow_empty);
  check(path.front() != '/' && path.find('\0') == std::string_view::npos);
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view element = path.substr(start, slash - start);
    check(!element.empty() && element != "." && element != "..");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

void check_files(const bitflow::TorrentInfo& t) {
  std::unordered_set<std::string_view> paths;
  std::unordered_set<std::string_view> folders;
  std::int64_t offset = 0;
  for (const bitflow::FileEntry& f : t.files()) {
    check_path(f.path, false);
    check_path(f.symlink_target, true);
    check(f.size >= 0 && f.offset == offset);
    offset += f.size;
    if (!t.is_multi_file()) check(f.path == t.name());
    if (f.pad) continue;
    check(paths.insert(f.path).second);
    std::string_view p = f.path;
    for (auto slash = p.rfind('/'); slash != std::string_view::npos; slash = p.rfind('/')) {
      p = p.substr(0, slash);
      folders.insert(p);
    }
  }
  check(offset == t.total_size());
  for (std::string_view folder : folders)
    check(!paths.contains(folder));
}

void check_geometry(const bitflow::TorrentInfo& t) {
  const bitflow::Geometry& g = t.geometry();
  check(t.piece_length() > 0 && t.total_size() > 0);
  std::int64_t expected = (t.total_size() + t.piece_length() - 1) / t.piece_length();
  check(t.num_pieces() == expected && g.num_files() == static_cast<std::int32_t>(t.files().size()));
  bitflow::PieceIndex last(t.num_pieces() - 1);
  (void)t.piece_hash(last);
  for (bitflow::PieceIndex p : {bitflow::PieceIndex(0), last}) {
    std::int64_t covered = 0;
    for (const bitflow::FileSlice& s : g.map_piece(p)) {
      check(s.length > 0 && s.offset >= 0 && s.offset + s.length <= g.file_size(s.file));
      covered += s.length;
    }
    check(covered == g.piece_size(p) && covered > 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  bitflow::ErrorInfo error;
  auto info = bitflow::TorrentInfo::parse(bytes, error);
  if (!info) {
    check(error && !error.message.empty());
    return 0;
  }
  check(!error && info->bytes() == bytes && !info->name().empty());
  check(info->info_bytes().front() == 'd' && info->info_bytes().back() == 'e');
  check_files(*info);
  check_geometry(*info);
  return 0;
}
