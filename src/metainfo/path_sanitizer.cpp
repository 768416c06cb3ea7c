// Path sanitising: the rules in bitflow/metainfo.hpp, implemented once. Everything here is
// a pure function of its input, so the same torrent always maps to the same paths.
#include "metainfo/path_sanitizer.hpp"

#include "bitflow/metainfo.hpp"
#include "util/utf8.hpp"

namespace bitflow {
namespace {

constexpr std::size_t max_element_bytes = 255;  // NAME_MAX on Linux file systems
constexpr std::size_t max_kept_extension = 16;

// Cuts `s` to at most `limit` bytes without splitting a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t limit) {
  std::size_t end = 0;
  while (end < s.size()) {
    std::size_t n = util::utf8_sequence_length(s, end);
    if (n == 0) n = 1;  // cannot happen after sanitising; keeps the loop total
    if (end + n > limit) break;
    end += n;
  }
  return s.substr(0, end);
}

std::string shorten(std::string element) {
  if (element.size() <= max_element_bytes) return element;
  std::string_view view(element);
  std::size_t dot = view.rfind('.');
  std::string_view extension;
  if (dot != std::string_view::npos && dot > 0 && view.size() - dot <= max_kept_extension)
    extension = view.substr(dot);
  std::string out(utf8_prefix(view.substr(0, view.size() - extension.size()),
                              max_element_bytes - extension.size()));
  out.append(extension);
  return out;
}

}  // namespace

std::string sanitize_path_component(std::string_view element) {
  std::string out;
  out.reserve(element.size());
  for (std::size_t i = 0; i < element.size();) {
    auto c = static_cast<unsigned char>(element[i]);
    std::size_t n = util::utf8_sequence_length(element, i);
    if (n == 0 || c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
      out.push_back('_');
      i += n == 0 ? 1 : n;
      continue;
    }
    out.append(element.substr(i, n));
    i += n;
  }
  if (out == "." || out == "..") return {};
  return shorten(std::move(out));
}

namespace detail {

std::string with_number(std::string_view element, int n) {
  std::size_t dot = element.rfind('.');
  // Appended piece by piece: g++ 12 at -O3 misreads `"." + std::string&&` as an
  // overlapping memcpy (-Wrestrict, GCC bug 105651).
  bool has_extension = dot != std::string_view::npos && dot != 0;
  std::string out(element.substr(0, has_extension ? dot : element.size()));
  out += '.';
  out += std::to_string(n);
  if (has_extension) out += element.substr(dot);
  return out;
}

std::string PathDeduplicator::claim(const std::vector<std::string>& elements) {
  std::string prefix;
  auto join = [&](std::string_view element) {
    return prefix.empty() ? std::string(element) : prefix + "/" + std::string(element);
  };
  // The first free numbered form of `element` under `prefix`. next_number_ remembers
  // where the search for each clashing path ended, so a torrent repeating one path n
  // times costs O(n), not O(n^2).
  auto numbered = [&](const std::string& element, const std::string& taken, auto&& is_taken) {
    int& n = next_number_[taken];
    std::string candidate;
    do {
      candidate = join(with_number(element, ++n));
    } while (is_taken(candidate));
    return candidate;
  };
  for (std::size_t i = 0; i + 1 < elements.size(); ++i) {
    std::string folder = join(elements[i]);
    if (files_.contains(folder)) {  // every later file under it goes to the same new folder
      auto [alias, fresh] = folder_renames_.try_emplace(folder);
      if (fresh)
        alias->second =
            numbered(elements[i], folder, [&](const std::string& p) { return files_.contains(p); });
      folder = alias->second;
    }
    folders_.insert(folder);
    prefix = std::move(folder);
  }
  const std::string& leaf = elements.back();
  std::string path = join(leaf);
  auto taken = [&](const std::string& p) { return files_.contains(p) || folders_.contains(p); };
  if (taken(path)) path = numbered(leaf, path, taken);
  files_.insert(path);
  return path;
}

}  // namespace detail
}  // namespace bitflow
