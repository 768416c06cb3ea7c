// web_seed_url: see web_seed_url.hpp.
#include "session/web_seed_url.hpp"

#include <charconv>

namespace bitflow::session {

namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// The path's elements, each percent-encoded, joined by '/'.
std::string encode_path(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    out += percent_encode(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    out += '/';
    path.remove_prefix(slash + 1);
  }
  return out;
}

// A decimal number that fills `text` exactly.
bool parse_number(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

std::string web_seed_file_url(std::string_view base, const TorrentInfo& info, FileIndex file) {
  std::string url(base);
  if (!info.is_multi_file()) {
    if (url.ends_with('/')) url += percent_encode(info.name());
    return url;
  }
  if (!url.ends_with('/')) url += '/';
  // A multi-file torrent's FileEntry::path already starts with the torrent's name.
  url += encode_path(info.files()[static_cast<std::size_t>(file.value)].path);
  return url;
}

std::vector<WebSeedRange> map_web_seed_range(std::string_view base, const TorrentInfo& info,
                                             PieceIndex piece, std::int64_t offset,
                                             std::int64_t length) {
  std::vector<WebSeedRange> out;
  for (const FileSlice& slice : info.geometry().map_piece(piece, offset, length)) {
    const FileEntry& entry = info.files()[static_cast<std::size_t>(slice.file.value)];
    WebSeedRange range;
    range.first = slice.offset;
    range.length = slice.length;
    range.file_size = entry.size;
    range.zeros = entry.pad;
    if (!entry.pad) range.url = web_seed_file_url(base, info, slice.file);
    out.push_back(std::move(range));
  }
  return out;
}

bool content_range_matches(std::string_view value, std::int64_t first, std::int64_t length,
                           std::int64_t file_size) {
  constexpr std::string_view unit = "bytes ";
  if (!value.starts_with(unit)) return false;
  value.remove_prefix(unit.size());
  std::size_t dash = value.find('-');
  std::size_t slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return false;
  std::int64_t from = 0, last = 0, total = 0;
  if (!parse_number(value.substr(0, dash), from) ||
      !parse_number(value.substr(dash + 1, slash - dash - 1), last))
    return false;
  std::string_view total_text = value.substr(slash + 1);
  if (total_text != "*" && (!parse_number(total_text, total) || total != file_size)) return false;
  return from == first && last == first + length - 1;
}

}  // namespace bitflow::session
