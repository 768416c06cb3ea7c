#include "sinks/upload_state.hpp"

#include "bitflow/bencode.hpp"
#include "bitflow/sink.hpp"
#include "util/concat.hpp"
#include "util/failure.hpp"

namespace bitflow::sinks {
namespace {

constexpr std::int64_t format_version = 1;
// Far above any real state (10 000 files of long keys), far below what could hurt.
constexpr std::size_t max_state_size = 16u << 20;
constexpr std::size_t max_files = 1u << 20;
constexpr std::size_t max_text = 4096;  // S3 keys are at most 1024 bytes, upload ids shorter

util::Failure fail(ErrorInfo& error, std::string what) {
  error.code = std::make_error_code(std::errc::invalid_argument);
  error.message = "S3 upload state: " + what;
  return {};
}

const bencode::Value* field(const bencode::Value& dict, std::string_view name, bencode::Type type) {
  const bencode::Value* v = dict.find(name);
  return v && v->type() == type ? v : nullptr;
}

bool read_text(const bencode::Value& dict, std::string_view name, std::string& out,
               ErrorInfo& error, bool required = true) {
  const bencode::Value* v = field(dict, name, bencode::Type::string);
  if (!v) return !required || fail(error, util::concat("no text '", name, "'"));
  if (v->as_string().size() > max_text)
    return fail(error, util::concat("'", name, "' is too long"));
  out = v->as_string();
  return true;
}

bool read_size(const bencode::Value& dict, std::string_view name, std::uint64_t& out,
               ErrorInfo& error) {
  const bencode::Value* v = field(dict, name, bencode::Type::integer);
  if (!v || v->as_int() < 0) return fail(error, util::concat("no size '", name, "'"));
  out = static_cast<std::uint64_t>(v->as_int());
  return true;
}

}  // namespace

std::string encode_upload_state(const UploadState& state) {
  bencode::Value::List files;
  for (const SavedFile& f : state.files) {
    bencode::Value::Dict d;
    d["key"] = f.key;
    d["size"] = static_cast<std::int64_t>(f.size);
    d["part-size"] = static_cast<std::int64_t>(f.part_size);
    if (!f.upload_id.empty()) d["upload-id"] = f.upload_id;
    if (!f.etag.empty()) d["etag"] = f.etag;
    files.emplace_back(std::move(d));
  }
  bencode::Value::Dict root;
  root["version"] = format_version;
  root["bucket"] = state.bucket;
  root["source"] = state.source;
  root["files"] = std::move(files);
  return bencode::encode(bencode::Value(std::move(root)));
}

std::optional<UploadState> decode_upload_state(std::string_view bytes, ErrorInfo& error) {
  if (bytes.size() > max_state_size) return fail(error, "larger than any state bitflow writes");
  ErrorInfo decode_error;
  auto document = bencode::decode(bytes, decode_error);
  if (!document) return fail(error, decode_error.message);
  const bencode::Value root = bencode::to_value(document->root());
  if (!root.is_dict()) return fail(error, "not a dictionary");
  const bencode::Value* version = field(root, "version", bencode::Type::integer);
  if (!version || version->as_int() != format_version)
    return fail(error, "not a version this bitflow reads");
  UploadState state;
  if (!read_text(root, "bucket", state.bucket, error) ||
      !read_text(root, "source", state.source, error))
    return std::nullopt;
  const bencode::Value* files = field(root, "files", bencode::Type::list);
  if (!files) return fail(error, "no file list");
  if (files->as_list().size() > max_files) return fail(error, "too many files");
  for (const bencode::Value& f : files->as_list()) {
    if (!f.is_dict()) return fail(error, "a file entry is not a dictionary");
    SavedFile saved;
    if (!read_text(f, "key", saved.key, error) || !read_size(f, "size", saved.size, error) ||
        !read_size(f, "part-size", saved.part_size, error) ||
        !read_text(f, "upload-id", saved.upload_id, error, false) ||
        !read_text(f, "etag", saved.etag, error, false))
      return std::nullopt;
    if (saved.part_size < s3_min_part_size) return fail(error, "a part size under 5 MiB");
    state.files.push_back(std::move(saved));
  }
  return state;
}

}  // namespace bitflow::sinks
