#include "daemon/file_range.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace bitflow::daemon {

namespace {

bool parse_u64(std::string_view text, std::uint64_t& out) noexcept {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

ByteRange parse_range(std::string_view header, std::uint64_t size) noexcept {
  ByteRange whole;
  constexpr std::string_view unit = "bytes=";
  if (!header.starts_with(unit)) return whole;
  std::string_view spec = header.substr(unit.size());
  while (!spec.empty() && spec.front() == ' ')
    spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ')
    spec.remove_suffix(1);
  if (spec.find(',') != std::string_view::npos) return whole;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange out;
  out.kind = ByteRange::Kind::partial;
  if (a.empty()) {  // the last N bytes
    std::uint64_t n = 0;
    if (!parse_u64(b, n)) return whole;
    if (n == 0 || size == 0) {
      out.kind = ByteRange::Kind::unsatisfiable;
      return out;
    }
    out.first = n >= size ? 0 : size - n;
    out.last = size - 1;
    return out;
  }
  if (!parse_u64(a, out.first)) return whole;
  if (b.empty()) {
    out.last = size == 0 ? 0 : size - 1;
  } else if (!parse_u64(b, out.last) || out.last < out.first) {
    return whole;
  }
  if (out.first >= size) {
    out.kind = ByteRange::Kind::unsatisfiable;
    return out;
  }
  if (out.last >= size) out.last = size - 1;
  return out;
}

std::string_view content_type_for(std::string_view file_name) noexcept {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 28> kTypes = {{
      {"mp4", "video/mp4"},
      {"m4v", "video/mp4"},
      {"mkv", "video/x-matroska"},
      {"webm", "video/webm"},
      {"mov", "video/quicktime"},
      {"avi", "video/x-msvideo"},
      {"ts", "video/mp2t"},
      {"mp3", "audio/mpeg"},
      {"m4a", "audio/mp4"},
      {"flac", "audio/flac"},
      {"ogg", "audio/ogg"},
      {"opus", "audio/ogg"},
      {"wav", "audio/wav"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"png", "image/png"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"pdf", "application/pdf"},
      {"zip", "application/zip"},
      {"json", "application/json"},
      {"srt", "text/plain; charset=utf-8"},
      {"vtt", "text/vtt"},
      {"txt", "text/plain; charset=utf-8"},
      {"html", "text/plain; charset=utf-8"},
      {"htm", "text/plain; charset=utf-8"},
      {"svg", "text/plain; charset=utf-8"},
      {"js", "text/plain; charset=utf-8"},
  }};
  const auto dot = file_name.rfind('.');
  const auto slash = file_name.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return "application/octet-stream";
  std::string ext;
  for (char c : file_name.substr(dot + 1))
    ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, type] : kTypes)
    if (e == ext) return type;
  return "application/octet-stream";
}

}  // namespace bitflow::daemon
