// Resume data: encoding, validating decoder, atomic save and load (see bitflow/resume.hpp).
//
// Invariants: decode_resume() accepts only what encode_resume() could have written for the
// same torrent (plus unknown keys); every count is checked against the torrent before it
// sizes anything, and the input size is bounded by what such data can take.
// Threading: none; free functions over values and the file system.
#include "bitflow/resume.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <utility>

#include "bitflow/bencode.hpp"
#include "storage/fs_util.hpp"

namespace bitflow::storage {

namespace fs = std::filesystem;
using detail::fail;
using detail::quoted;

namespace {

constexpr std::string_view format_name = "bitflow resume";
constexpr std::int64_t format_version = 1;

// More than any resume data for `torrent` can take: a fixed part, the bitfield, and per
// file a [size, mtime] list of two 20-digit integers and a priority.
std::size_t max_resume_size(const TorrentInfo& torrent) {
  return 4096 + static_cast<std::size_t>(torrent.num_pieces()) / 8 + torrent.files().size() * 64;
}

FileStamp stamp_of(const fs::path& save_path, const fs::path& rel) {
  auto st = detail::stat_under(save_path, rel);
  if (!st || !S_ISREG(st->st_mode)) return {};
  return {static_cast<std::int64_t>(st->st_size), detail::mtime_ns(*st)};
}

bencode::Value stamp_value(const FileStamp& stamp) {
  return bencode::Value::List{bencode::Value(stamp.size), bencode::Value(stamp.mtime)};
}

std::string errno_text(int e) {
  return std::error_code(e, std::generic_category()).message();
}

// Validates one decoded document against the torrent, field by field.
class ResumeParser {
 public:
  ResumeParser(const TorrentInfo& torrent, ErrorInfo& error) : torrent_(torrent), error_(error) {}

  std::optional<ResumeData> parse(bencode::Node root) {
    if (!root.is_dict()) return malformed("it is not a dictionary");
    if (root.find_string("file-format") != format_name)
      return malformed("'file-format' is not \"bitflow resume\"");
    auto version = root.find_int("file-version");
    if (!version) return malformed("'file-version' is missing");
    if (*version != format_version)
      return malformed("unsupported 'file-version' " + std::to_string(*version));
    ResumeData data;
    if (!parse_hash(root, data) || !parse_pieces(root, data) || !parse_files(root, data) ||
        !parse_priorities(root, data))
      return std::nullopt;
    return data;
  }

 private:
  util::Failure malformed(const std::string& what) {
    return fail(error_, errc::resume_malformed, "resume data: " + what);
  }
  util::Failure wrong_geometry(const std::string& what) {
    return fail(error_, errc::resume_wrong_geometry, "resume data: " + what);
  }

  bool parse_hash(bencode::Node root, ResumeData& data) {
    auto raw = root.find_string("info-hash");
    auto hash = raw ? Sha1Hash::from_bytes(*raw) : std::nullopt;
    if (!hash) return malformed("'info-hash' is missing or not 20 bytes");
    if (*hash != torrent_.info_hash())
      return fail(
          error_, errc::resume_wrong_torrent,
          "resume data is for info-hash " + hash->hex() + ", not " + torrent_.info_hash().hex());
    data.info_hash = *hash;
    return true;
  }

  bool parse_pieces(bencode::Node root, ResumeData& data) {
    auto count = root.find_int("num-pieces");
    auto bits = root.find_string("pieces");
    if (!count || !bits) return malformed("'num-pieces' or 'pieces' is missing");
    const std::int64_t n = torrent_.num_pieces();
    if (*count != n)
      return wrong_geometry("it has " + std::to_string(*count) + " pieces, the torrent " +
                            std::to_string(n));
    const auto bytes = static_cast<std::size_t>((n + 7) / 8);
    if (bits->size() != bytes)
      return malformed("'pieces' is " + std::to_string(bits->size()) + " bytes, not " +
                       std::to_string(bytes));
    data.pieces.resize(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < bytes * 8; ++i) {
      const unsigned byte = static_cast<unsigned char>((*bits)[i / 8]);
      const bool set = ((byte >> (7 - i % 8)) & 1u) != 0;
      if (i < data.pieces.size())
        data.pieces[i] = set;
      else if (set)
        return malformed("'pieces' has spare bits set");
    }
    return true;
  }

  bool parse_stamp(bencode::Node node, FileStamp& stamp, const std::string& what) {
    if (!node.is_list() || node.size() != 2 || !node.at(0).is_int() || !node.at(1).is_int())
      return malformed(what + " is not a [size, mtime] list");
    stamp.size = *node.at(0).int_value();
    stamp.mtime = *node.at(1).int_value();
    if (stamp.size < -1) return malformed(what + " has a negative size");
    return true;
  }

  bool parse_files(bencode::Node root, ResumeData& data) {
    bencode::Node files = root.find_list("files");
    if (!files) return malformed("'files' is missing");
    if (files.size() != torrent_.files().size())
      return wrong_geometry("it has " + std::to_string(files.size()) + " files, the torrent " +
                            std::to_string(torrent_.files().size()));
    data.files.resize(files.size());
    std::size_t i = 0;
    for (bencode::Node item : files.items()) {
      if (!parse_stamp(item, data.files[i], "'files' entry " + std::to_string(i))) return false;
      ++i;
    }
    bencode::Node parts = root.find("parts");
    if (!parts) return malformed("'parts' is missing");
    return parse_stamp(parts, data.parts, "'parts'");
  }

  bool parse_priorities(bencode::Node root, ResumeData& data) {
    bencode::Node list = root.find_list("file-priorities");
    if (!list) return malformed("'file-priorities' is missing");
    if (list.size() != torrent_.files().size())
      return wrong_geometry("it has " + std::to_string(list.size()) +
                            " file priorities, the torrent " +
                            std::to_string(torrent_.files().size()) + " files");
    for (bencode::Node item : list.items()) {
      auto value = item.int_value();
      if (!value || *value < 0 || *value > 7)
        return malformed("'file-priorities' entry " + std::to_string(data.file_priorities.size()) +
                         " is not an integer in 0..7");
      data.file_priorities.push_back(static_cast<int>(*value));
    }
    return true;
  }

  const TorrentInfo& torrent_;
  ErrorInfo& error_;
};

}  // namespace

fs::path resume_file_path(const fs::path& save_path, const Sha1Hash& info_hash) {
  return save_path / state_folder / (info_hash.hex() + ".resume");
}

std::vector<FileStamp> current_file_stamps(const TorrentInfo& torrent, const fs::path& save_path) {
  std::vector<FileStamp> stamps;
  stamps.reserve(torrent.files().size());
  for (const FileEntry& file : torrent.files()) {
    auto rel = file.pad ? std::nullopt : detail::resolve_under(save_path, file.path);
    stamps.push_back(rel ? stamp_of(save_path, *rel) : FileStamp{});
  }
  return stamps;
}

ResumeData make_resume_data(const TorrentInfo& torrent, const Storage& storage,
                            std::vector<bool> verified) {
  if (verified.size() != static_cast<std::size_t>(torrent.num_pieces()))
    throw std::invalid_argument("make_resume_data: one verified flag per piece expected");
  if (storage.info_hash() != torrent.info_hash())
    throw std::invalid_argument("make_resume_data: the storage belongs to another torrent");
  ResumeData data;
  data.info_hash = torrent.info_hash();
  data.pieces = std::move(verified);
  data.files = current_file_stamps(torrent, storage.save_path());
  data.parts = stamp_of(storage.save_path(), parts_file_path(fs::path(), data.info_hash));
  data.file_priorities = storage.file_priorities();
  return data;
}

bool resume_matches_files(const ResumeData& data, const TorrentInfo& torrent,
                          const fs::path& save_path) {
  if (data.info_hash != torrent.info_hash() || data.files.size() != torrent.files().size())
    return false;
  std::vector<FileStamp> now = current_file_stamps(torrent, save_path);
  for (std::size_t i = 0; i < now.size(); ++i)
    if (!torrent.files()[i].pad && now[i] != data.files[i]) return false;
  return stamp_of(save_path, parts_file_path(fs::path(), data.info_hash)) == data.parts;
}

bool resume_matches_files(const ResumeData& data, const TorrentInfo& torrent,
                          const Storage& storage) {
  return resume_matches_files(data, torrent, storage.save_path());
}

std::string encode_resume(const ResumeData& data) {
  std::string bits((data.pieces.size() + 7) / 8, '\0');
  for (std::size_t i = 0; i < data.pieces.size(); ++i)
    if (data.pieces[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (0x80 >> (i % 8)));
  bencode::Value::List files;
  files.reserve(data.files.size());
  for (const FileStamp& stamp : data.files)
    files.push_back(stamp_value(stamp));
  bencode::Value::List priorities(data.file_priorities.begin(), data.file_priorities.end());
  bencode::Value root;
  root["file-format"] = format_name;
  root["file-version"] = format_version;
  root["info-hash"] = data.info_hash.view();
  root["num-pieces"] = data.pieces.size();
  root["pieces"] = std::move(bits);
  root["files"] = std::move(files);
  root["parts"] = stamp_value(data.parts);
  root["file-priorities"] = std::move(priorities);
  return bencode::encode(root);
}

std::optional<ResumeData> decode_resume(std::string_view bytes, const TorrentInfo& torrent,
                                        ErrorInfo& error) {
  if (bytes.size() > max_resume_size(torrent))
    return fail(error, errc::resume_malformed,
                "resume data: " + std::to_string(bytes.size()) +
                    " bytes is more than any resume data for this torrent");
  ErrorInfo decode_error;
  auto document = bencode::decode(bytes, decode_error);
  if (!document) return fail(error, errc::resume_malformed, "resume data: " + decode_error.message);
  return ResumeParser(torrent, error).parse(document->root());
}

ResumeData decode_resume(std::string_view bytes, const TorrentInfo& torrent) {
  ErrorInfo error;
  auto data = decode_resume(bytes, torrent, error);
  if (!data) error.raise();
  return std::move(*data);
}

bool save_resume(const ResumeData& data, const fs::path& save_path, ErrorInfo& error) {
  return detail::write_atomically(save_path, resume_file_path(fs::path(), data.info_hash),
                                  encode_resume(data), error);
}

void save_resume(const ResumeData& data, const fs::path& save_path) {
  ErrorInfo error;
  if (!save_resume(data, save_path, error)) error.raise();
}

std::optional<ResumeData> load_resume(const fs::path& save_path, const TorrentInfo& torrent,
                                      ErrorInfo& error) {
  const fs::path rel = resume_file_path(fs::path(), torrent.info_hash());
  detail::Fd file = detail::open_file(save_path, rel, O_RDONLY, 0, error);
  if (!file) return std::nullopt;
  struct stat st {};
  if (::fstat(file.get(), &st) != 0)
    return fail(error, errc::read_failed, "cannot stat " + quoted(rel) + ": " + errno_text(errno));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_resume_size(torrent))
    return fail(error, errc::resume_malformed,
                "resume file " + quoted(rel) + " is " + std::to_string(size) +
                    " bytes, more than any resume data for this torrent");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!detail::pread_all(file.get(), bytes, 0, rel, error)) return std::nullopt;
  return decode_resume(bytes, torrent, error);
}

ResumeData load_resume(const fs::path& save_path, const TorrentInfo& torrent) {
  ErrorInfo error;
  auto data = load_resume(save_path, torrent, error);
  if (!data) error.raise();
  return std::move(*data);
}

}  // namespace bitflow::storage
