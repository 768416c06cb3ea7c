// See transmission_codec.hpp.
#include "remote/transmission_codec.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>

#include "bitflow/error.hpp"

namespace bitflow::remote::transmission {

namespace json = boost::json;

namespace {

[[noreturn]] void malformed(std::string_view who, std::string_view what) {
  throw Error(errc::malformed_response, fmt::format("{}: malformed answer: {}", who, what));
}

std::string request(std::string_view method, json::object arguments) {
  json::object o;
  o["method"] = method;
  o["arguments"] = std::move(arguments);
  return json::serialize(o);
}

json::object ids_argument(std::string_view hash) {
  json::object args;
  args["ids"] = json::array{json::string(hash)};
  return args;
}

json::object parse_object(std::string_view body, std::string_view who) {
  boost::system::error_code ec;
  // Transmission's JSON is plain: no comments, no trailing commas; the default depth
  // limit (32) bounds the nesting a hostile answer could use.
  json::value v = json::parse(body, ec);
  if (ec) malformed(who, fmt::format("not JSON ({})", ec.message()));
  if (!v.is_object()) malformed(who, "the answer is not a JSON object");
  return std::move(v.as_object());
}

std::int64_t integer(const json::object& t, std::string_view key, std::size_t index,
                     std::string_view who) {
  const json::value* v = t.if_contains(key);
  if (!v) malformed(who, fmt::format("torrent {} has no '{}'", index, key));
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  malformed(who, fmt::format("torrent {}: '{}' is not an integer", index, key));
}

std::string text(const json::object& t, std::string_view key, std::size_t index,
                 std::string_view who) {
  const json::value* v = t.if_contains(key);
  if (!v) malformed(who, fmt::format("torrent {} has no '{}'", index, key));
  if (!v->is_string()) malformed(who, fmt::format("torrent {}: '{}' is not a string", index, key));
  return std::string(v->as_string());
}

bool is_hex_hash(const std::string& s) {
  if (s.size() != 40) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Transmission's tr_torrent_activity: 0 stopped, 1 check-wait, 2 check, 3 download-wait,
// 4 download, 5 seed-wait, 6 seed. Its error 3 is a local error that stopped the torrent;
// 1 and 2 are tracker warnings and errors, which do not stop it.
RemoteState state_of(std::int64_t status, std::int64_t error, std::size_t index,
                     std::string_view who) {
  if (error == 3) return RemoteState::error;
  switch (status) {
    case 0:
      return RemoteState::paused;
    case 1:
    case 2:
      return RemoteState::checking;
    case 3:
      return RemoteState::queued;
    case 4:
      return RemoteState::downloading;
    case 5:
    case 6:
      return RemoteState::seeding;
    default:
      malformed(who, fmt::format("torrent {}: unknown status {}", index, status));
  }
}

RemoteTorrent torrent_of(const json::value& v, std::size_t index, std::string_view who) {
  if (!v.is_object()) malformed(who, fmt::format("torrent {} is not an object", index));
  const json::object& t = v.as_object();
  RemoteTorrent out;
  out.hash = text(t, "hashString", index, who);
  for (char& c : out.hash)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!is_hex_hash(out.hash))
    malformed(who, fmt::format("torrent {}: hashString is not 40 hex digits", index));
  out.name = text(t, "name", index, who);
  const std::int64_t size = integer(t, "sizeWhenDone", index, who);
  const std::int64_t left = integer(t, "leftUntilDone", index, who);
  if (size < 0 || left < 0 || left > size)
    malformed(who, fmt::format("torrent {}: sizeWhenDone {} and leftUntilDone {} do not fit", index,
                               size, left));
  // Without metadata (a magnet link) transmission says 0 for both.
  out.bytes_total = size > 0 ? size : -1;
  out.bytes_done = size - left;
  out.download_rate = integer(t, "rateDownload", index, who);
  out.upload_rate = integer(t, "rateUpload", index, who);
  const std::int64_t error = integer(t, "error", index, who);
  out.state = state_of(integer(t, "status", index, who), error, index, who);
  if (error != 0) out.error = text(t, "errorString", index, who);
  return out;
}

void check_result(const json::object& o, std::string_view who) {
  const json::value* result = o.if_contains("result");
  if (!result || !result->is_string()) malformed(who, "no \"result\" string");
  if (result->as_string() != "success")
    throw Error(errc::rpc_failed,
                fmt::format("{}: refused: {}", who, std::string_view(result->as_string())));
}

}  // namespace

const std::vector<std::string>& torrent_fields() {
  static const std::vector<std::string> fields{"hashString",   "name",          "status",
                                               "sizeWhenDone", "leftUntilDone", "rateDownload",
                                               "rateUpload",   "error",         "errorString"};
  return fields;
}

std::string torrent_get(std::string_view hash) {
  json::object args = hash.empty() ? json::object{} : ids_argument(hash);
  json::array fields;
  for (const auto& f : torrent_fields())
    fields.emplace_back(f);
  args["fields"] = std::move(fields);
  return request("torrent-get", std::move(args));
}

std::string torrent_stop(std::string_view hash) {
  return request("torrent-stop", ids_argument(hash));
}

std::string torrent_start(std::string_view hash) {
  return request("torrent-start", ids_argument(hash));
}

std::string torrent_remove(std::string_view hash, bool delete_data) {
  json::object args = ids_argument(hash);
  args["delete-local-data"] = delete_data;
  return request("torrent-remove", std::move(args));
}

void check_result(std::string_view body, std::string_view who) {
  check_result(parse_object(body, who), who);
}

std::vector<RemoteTorrent> parse_torrents(std::string_view body, std::string_view who) {
  const json::object o = parse_object(body, who);
  check_result(o, who);
  const json::value* args = o.if_contains("arguments");
  if (!args || !args->is_object()) malformed(who, "no \"arguments\" object");
  const json::value* torrents = args->as_object().if_contains("torrents");
  if (!torrents || !torrents->is_array()) malformed(who, "no \"torrents\" array");
  std::vector<RemoteTorrent> out;
  out.reserve(torrents->as_array().size());
  std::size_t index = 0;
  for (const auto& t : torrents->as_array())
    out.push_back(torrent_of(t, index++, who));
  return out;
}

}  // namespace bitflow::remote::transmission
