// TorrentInfo parsing: bencode document -> validated, sanitised TorrentInfo.
//
// The parser decodes leniently (real torrents have unsorted keys), then checks every
// field it uses and fails with a metainfo::errc and a sentence naming the field. The
// info-hash covers the raw info bytes, so lenient decoding never changes it.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <unordered_set>

#include "bitflow/bencode.hpp"
#include "bitflow/metainfo.hpp"
#include "metainfo/file_tree.hpp"
#include "metainfo/path_sanitizer.hpp"
#include "util/failure.hpp"

namespace bitflow {

using bencode::Node;
using metainfo::errc;

namespace {
constexpr std::int64_t max_piece_length = std::int64_t{1} << 30;

std::string trimmed(std::string_view s) {
  const char* space = " \t\r\n";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  auto last = s.find_last_not_of(space);
  return std::string(s.substr(first, last - first + 1));
}

// A string list (or a lone string) of URLs: trimmed, empties and repeats dropped.
void add_urls(Node node, std::vector<std::string>& out, std::unordered_set<std::string>& seen) {
  auto add = [&](Node n) {
    if (auto s = n.string_value()) {
      std::string url = trimmed(*s);
      if (!url.empty() && seen.insert(url).second) out.push_back(std::move(url));
    }
  };
  if (node.is_list()) {
    for (Node item : node.items())
      add(item);
  } else {
    add(node);
  }
}
}  // namespace

class TorrentParser {
 public:
  TorrentParser(const ParseOptions& options, ErrorInfo& error) : opt_(options), error_(error) {}

  std::optional<TorrentInfo> parse(std::string bytes) {
    if (bytes.size() > opt_.max_size)
      return fail(errc::too_large,
                  "torrent file larger than " + std::to_string(opt_.max_size) + " bytes");
    t_.bytes_ = std::move(bytes);
    bencode::DecodeOptions decode_options;
    decode_options.strict = false;
    auto doc = bencode::decode(t_.bytes_, error_, decode_options);
    if (!doc) {
      error_.message = "torrent: " + error_.message;
      return std::nullopt;
    }
    note_quirks(doc->quirks());
    Node root = doc->root();
    if (!root.is_dict()) return fail(errc::not_a_dictionary, "not a bencoded dictionary");
    Node info = root.find("info");
    if (!info.is_dict()) return fail(errc::missing_info, "missing or invalid 'info' dictionary");
    t_.info_offset_ = info.offset();
    t_.info_length_ = info.raw().size();
    if (!parse_info(info)) return std::nullopt;
    parse_trackers(root);
    parse_creation(root);
    return std::move(t_);
  }

 private:
  util::Failure fail(errc code, std::string_view what) {
    error_.code = metainfo::make_error_code(code);
    error_.message = "torrent: " + std::string(what);
    return {};
  }

  void note_quirks(unsigned quirks) {
    if (quirks & bencode::quirk_unsorted_keys)
      t_.warnings_.push_back("dictionary keys are not sorted (accepted)");
    if (quirks & bencode::quirk_leading_zero_length)
      t_.warnings_.push_back("a string length has leading zeros (accepted)");
    if (quirks & bencode::quirk_trailing_data)
      t_.warnings_.push_back("data after the torrent's dictionary was ignored");
  }

  bool parse_info(Node info) {
    t_.info_hash_ = sha1(info.raw());
    bool has_v1 = info.find("pieces") || info.find("files") || info.find("length");
    if (info.find_int("meta version") == 2) {
      if (!has_v1)
        return fail(errc::v2_not_supported,
                    "v2-only torrents (BEP 52) are not supported yet; hybrid v1+v2 ones are");
      t_.version_ = TorrentVersion::hybrid;
      t_.info_hash_v2_ = sha256(info.raw());
    }
    auto piece_length = info.find_int("piece length");
    if (!piece_length || *piece_length <= 0 || *piece_length > max_piece_length)
      return fail(errc::invalid_piece_length,
                  "'piece length' missing, not positive, or over 1 GiB");
    if (!parse_name(info)) return false;
    std::vector<std::int64_t> sizes;
    if (!parse_files(info, sizes)) return false;
    if (t_.version_ == TorrentVersion::hybrid && !check_hybrid(info)) return false;
    return check_pieces(info, *piece_length, std::move(sizes));
  }

  // A hybrid's v1 and v2 parts must describe the same files, or v1 and v2 peers would
  // be sharing different content under one name.
  bool check_hybrid(Node info) {
    std::vector<detail::RawFile> v2_files;
    if (!detail::read_file_tree(info.find("file tree"), v2_files))
      return fail(errc::inconsistent_hybrid, "hybrid torrent has a malformed v2 'file tree'");
    if (v2_files != raw_v1_files_)
      return fail(errc::inconsistent_hybrid,
                  "hybrid torrent's v1 and v2 parts list different files");
    return true;
  }

  bool parse_name(Node info) {
    Node name = info.find("name.utf-8");
    if (!name.is_string()) name = info.find("name");
    if (!name.is_string()) return fail(errc::missing_name, "missing or invalid 'name'");
    t_.name_ = sanitize_path_component(name.as_string());
    if (t_.name_.empty()) {
      t_.name_ = t_.info_hash_.hex();
      t_.warnings_.push_back("name '" + std::string(name.as_string()) +
                             "' is not a usable file name; using the info-hash");
    } else if (t_.name_ != name.as_string()) {
      t_.warnings_.push_back("name sanitised to '" + t_.name_ + "'");
    }
    return true;
  }

  bool parse_files(Node info, std::vector<std::int64_t>& sizes) {
    Node files = info.find("files");
    if (!files) {
      auto length = info.find_int("length");
      if (!length || *length < 0)
        return fail(errc::invalid_file_size, "missing or negative 'length'");
      FileEntry entry;
      entry.path = t_.name_;
      entry.size = *length;
      raw_v1_files_.emplace_back(std::string(*info.find_string("name")), *length);
      read_attributes(info, entry);
      sizes.push_back(entry.size);
      t_.files_.push_back(std::move(entry));
      return true;
    }
    t_.multi_file_ = true;
    if (!files.is_list()) return fail(errc::invalid_file_list, "'files' is not a list");
    if (files.size() == 0) return fail(errc::no_files, "'files' is empty");
    if (files.size() > opt_.max_files)
      return fail(errc::too_large, "more than " + std::to_string(opt_.max_files) + " files");
    detail::PathDeduplicator paths;
    std::int64_t offset = 0;
    std::size_t index = 0;
    for (Node file : files.items()) {
      FileEntry entry;
      if (!parse_file(file, index, entry, paths)) return false;
      if (entry.size > std::numeric_limits<std::int64_t>::max() - offset)
        return fail(errc::invalid_file_size, "total size overflows");
      entry.offset = offset;
      offset += entry.size;
      sizes.push_back(entry.size);
      t_.files_.push_back(std::move(entry));
      ++index;
    }
    return true;
  }

  bool parse_file(Node file, std::size_t index, FileEntry& entry, detail::PathDeduplicator& paths) {
    std::string where = "file " + std::to_string(index);
    if (!file.is_dict()) return fail(errc::invalid_file_list, where + " is not a dictionary");
    read_attributes(file, entry);
    auto length = file.find_int("length");
    if (entry.symlink && !length) length = 0;  // a link carries no content of its own
    if (!length || *length < 0)
      return fail(errc::invalid_file_size, where + ": missing or negative 'length'");
    entry.size = *length;
    if (entry.pad) {  // never written, so its path does not matter
      entry.path = t_.name_ + "/.pad/" + std::to_string(entry.size);
      return true;
    }
    Node path = file.find("path.utf-8");
    if (!path.is_list() || !all_strings(path)) path = file.find("path");
    if (!path.is_list() || !all_strings(path))
      return fail(errc::invalid_path, where + ": 'path' is not a list of strings");
    if (entry.symlink && !read_symlink(file, where, entry)) return false;
    std::vector<std::string> elements{t_.name_};
    for (Node element : path.items()) {
      std::string clean = sanitize_path_component(element.as_string());
      if (!clean.empty()) elements.push_back(std::move(clean));
    }
    if (elements.size() == 1) elements.emplace_back("_");
    entry.path = paths.claim(elements);
    std::string listed = join_raw(path);
    raw_v1_files_.emplace_back(listed, entry.size);
    if (entry.path != t_.name_ + "/" + listed)
      t_.warnings_.push_back(where + ": path '" + listed + "' stored as '" + entry.path + "'");
    return true;
  }

  static bool all_strings(Node list) {
    for (Node item : list.items())
      if (!item.is_string()) return false;
    return true;
  }

  static std::string join_raw(Node path) {
    std::string out;
    for (Node element : path.items()) {
      if (!out.empty()) out.push_back('/');
      out.append(element.as_string());
    }
    return out;
  }

  static void read_attributes(Node dict, FileEntry& entry) {
    if (auto attr = dict.find_string("attr")) {
      entry.pad = attr->find('p') != std::string_view::npos;
      entry.executable = attr->find('x') != std::string_view::npos;
      entry.hidden = attr->find('h') != std::string_view::npos;
      entry.symlink = attr->find('l') != std::string_view::npos;
    }
    entry.mtime = dict.find_int("mtime");
  }

  bool read_symlink(Node file, const std::string& where, FileEntry& entry) {
    Node target = file.find("symlink path");
    if (!target.is_list() || !all_strings(target))
      return fail(errc::invalid_path, where + ": 'symlink path' is not a list of strings");
    for (Node element : target.items()) {
      std::string clean = sanitize_path_component(element.as_string());
      if (clean.empty()) continue;
      if (!entry.symlink_target.empty()) entry.symlink_target.push_back('/');
      entry.symlink_target += clean;
    }
    entry.size = 0;
    return true;
  }

  bool check_pieces(Node info, std::int64_t piece_length, std::vector<std::int64_t> sizes) {
    Node pieces = info.find("pieces");
    if (!pieces.is_string() || pieces.as_string().size() % 20 != 0)
      return fail(errc::invalid_pieces, "'pieces' missing or not a multiple of 20 bytes");
    std::int64_t total = 0;
    for (auto s : sizes)
      total += s;  // overflow excluded by parse_files
    if (total == 0) return fail(errc::no_data, "total size is zero");
    std::int64_t expected = total / piece_length + (total % piece_length != 0);
    auto have = static_cast<std::int64_t>(pieces.as_string().size() / 20);
    if (expected != have)
      return fail(errc::piece_count_mismatch,
                  "'pieces' has " + std::to_string(have) + " hashes but " + std::to_string(total) +
                      " bytes in pieces of " + std::to_string(piece_length) + " need " +
                      std::to_string(expected));
    t_.pieces_offset_ = static_cast<std::size_t>(pieces.string_value()->data() - t_.bytes_.data());
    t_.geometry_ = Geometry(piece_length, std::move(sizes));
    t_.private_ = info.find_int("private") == 1;
    return true;
  }

  void parse_trackers(Node root) {
    std::unordered_set<std::string> seen;
    for (Node tier : root.find_list("announce-list").items()) {
      std::vector<std::string> urls;
      if (tier.is_list()) add_urls(tier, urls, seen);
      if (!urls.empty()) t_.trackers_.push_back(std::move(urls));
    }
    if (t_.trackers_.empty()) {
      std::vector<std::string> urls;
      add_urls(root.find("announce"), urls, seen);
      if (!urls.empty()) t_.trackers_.push_back(std::move(urls));
    }
    std::unordered_set<std::string> seen_seeds;
    add_urls(root.find("url-list"), t_.web_seeds_, seen_seeds);
  }

  void parse_creation(Node root) {
    t_.creation_date_ = root.find_int("creation date");
    if (auto s = root.find_string("created by")) t_.created_by_ = *s;
    auto comment = root.find_string("comment.utf-8");
    if (!comment) comment = root.find_string("comment");
    if (comment) t_.comment_ = *comment;
  }

  const ParseOptions& opt_;
  ErrorInfo& error_;
  TorrentInfo t_;
  std::vector<detail::RawFile> raw_v1_files_;  // non-pad files as listed, for check_hybrid
};

std::optional<TorrentInfo> TorrentInfo::parse(std::string bytes, ErrorInfo& error,
                                              const ParseOptions& options) {
  error.clear();
  return TorrentParser(options, error).parse(std::move(bytes));
}

TorrentInfo TorrentInfo::parse(std::string bytes, const ParseOptions& options) {
  ErrorInfo error;
  auto info = parse(std::move(bytes), error, options);
  if (!info) error.raise();
  return std::move(*info);
}

std::optional<TorrentInfo> TorrentInfo::load(const std::filesystem::path& path, ErrorInfo& error,
                                             const ParseOptions& options) {
  error.clear();
  auto io_failure = [&](std::string why) {
    error.code = metainfo::make_error_code(errc::io_error);
    error.message = path.string() + ": " + why;
    return std::nullopt;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return io_failure("is a folder, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_failure(std::strerror(errno));
  std::string bytes;
  char chunk[64 * 1024];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > options.max_size) {
      error.code = metainfo::make_error_code(errc::too_large);
      error.message = path.string() + ": torrent file larger than " +
                      std::to_string(options.max_size) + " bytes";
      return std::nullopt;
    }
  }
  if (in.bad()) return io_failure("read error");
  auto info = parse(std::move(bytes), error, options);
  if (!info) error.message = path.string() + ": " + error.message;
  return info;
}

TorrentInfo TorrentInfo::load(const std::filesystem::path& path, const ParseOptions& options) {
  ErrorInfo error;
  auto info = load(path, error, options);
  if (!info) error.raise();
  return std::move(*info);
}

Sha1Hash TorrentInfo::piece_hash(PieceIndex p) const {
  if (p.value < 0 || p.value >= num_pieces()) throw std::out_of_range("piece index out of range");
  return *Sha1Hash::from_bytes(
      std::string_view(bytes_).substr(pieces_offset_ + 20 * static_cast<std::size_t>(p.value), 20));
}

}  // namespace bitflow
