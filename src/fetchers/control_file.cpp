// Control-file codec: see control_file.hpp. Layout: d 4:done l <begin> <end> ... e
// 4:etag .. 13:last-modified .. 4:size i..e 3:url .. 7:version i1e e.
#include "fetchers/control_file.hpp"

#include "bitflow/bencode.hpp"

namespace bitflow::fetch {

namespace {
constexpr std::int64_t control_version = 1;

std::optional<ControlState> invalid(ErrorInfo& error, std::string_view why) {
  error.code = std::make_error_code(std::errc::invalid_argument);
  error.message = "control file: " + std::string(why);
  return std::nullopt;
}
}  // namespace

std::string encode_control(const ControlState& state) {
  bencode::Value::List done;
  for (const ByteRange& r : state.done.ranges()) {
    done.emplace_back(r.begin);
    done.emplace_back(r.end);
  }
  bencode::Value::Dict d;
  d["version"] = control_version;
  d["url"] = state.url;
  d["size"] = state.size;
  d["etag"] = state.etag;
  d["last-modified"] = state.last_modified;
  d["done"] = std::move(done);
  return bencode::encode(bencode::Value(std::move(d)));
}

std::optional<ControlState> decode_control(std::string_view bytes, ErrorInfo& error) {
  auto document = bencode::decode(bytes, error);
  if (!document) return std::nullopt;
  bencode::Node root = document->root();
  if (!root.is_dict()) return invalid(error, "not a dictionary");
  if (root.find_int("version") != control_version) return invalid(error, "unknown version");
  auto url = root.find_string("url");
  auto size = root.find_int("size");
  auto etag = root.find_string("etag");
  auto modified = root.find_string("last-modified");
  bencode::Node done = root.find_list("done");
  if (!url || !size || *size < 0 || !etag || !modified || !done)
    return invalid(error, "missing or mistyped fields");
  ControlState state;
  state.url = std::string(*url);
  state.size = *size;
  state.etag = std::string(*etag);
  state.last_modified = std::string(*modified);
  if (done.size() % 2 != 0) return invalid(error, "odd number of range bounds");
  std::int64_t previous_end = -1;
  for (std::size_t i = 0; i < done.size(); i += 2) {
    auto begin = done.at(i).int_value(), end = done.at(i + 1).int_value();
    if (!begin || !end || *begin <= previous_end || *begin >= *end || *end > state.size)
      return invalid(error, "range out of order or outside the file");
    state.done.add(*begin, *end);
    previous_end = *end;
  }
  return state;
}

bool same_version(const ControlState& saved, std::int64_t size, std::string_view etag,
                  std::string_view last_modified) {
  if (saved.size != size) return false;
  if (!saved.etag.empty() || !etag.empty()) return saved.etag == etag;
  return saved.last_modified == last_modified;
}

}  // namespace bitflow::fetch
