// See rtorrent_codec.hpp.
#include "remote/rtorrent_codec.hpp"

#include <fmt/format.h>
#include <array>
#include <cctype>

#include "bitflow/error.hpp"

namespace bitflow::remote::rtorrent {

namespace {

// The fields of a row, in this order.
enum Field : std::size_t {
  hash,
  name,
  state,      // 1 started, 0 stopped
  active,     // 0 while paused (d.pause) or stopped
  complete,   // 1 when every wanted chunk is done
  hashing,    // 0 unless checking
  done,       // completed bytes
  size,       // 0 before metadata
  down_rate,  // bytes/s
  up_rate,
  message,  // the last tracker or local complaint
  field_count
};

constexpr std::array<const char*, field_count> commands{
    "d.hash=",      "d.name=",    "d.state=",           "d.is_active=",
    "d.complete=",  "d.hashing=", "d.completed_bytes=", "d.size_bytes=",
    "d.down.rate=", "d.up.rate=", "d.message="};

// "an integer", "a string": types as a message names them.
std::string a_type(xmlrpc::Value::Type type) {
  const bool vowel = type == xmlrpc::Value::Type::integer || type == xmlrpc::Value::Type::array;
  return fmt::format("{} {}", vowel ? "an" : "a", to_string(type));
}

[[noreturn]] void malformed(std::string_view who, std::string_view what) {
  throw Error(errc::malformed_response,
              fmt::format("{}: malformed d.multicall2 answer: {}", who, what));
}

const xmlrpc::Value& typed(const xmlrpc::Value& row, Field f, xmlrpc::Value::Type type,
                           std::size_t index, std::string_view who) {
  const xmlrpc::Value& v = row.items[f];
  if (v.type != type)
    malformed(who, fmt::format("torrent {}: {} is {}, not {}", index, commands[f], a_type(v.type),
                               a_type(type)));
  return v;
}

std::int64_t number(const xmlrpc::Value& row, Field f, std::size_t index, std::string_view who) {
  const std::int64_t v = typed(row, f, xmlrpc::Value::Type::integer, index, who).integer;
  if (v < 0) malformed(who, fmt::format("torrent {}: {} is negative", index, commands[f]));
  return v;
}

RemoteState state_of(const xmlrpc::Value& row, std::size_t index, std::string_view who) {
  if (number(row, hashing, index, who) != 0) return RemoteState::checking;
  if (number(row, state, index, who) == 0 || number(row, active, index, who) == 0)
    return RemoteState::paused;
  return number(row, complete, index, who) != 0 ? RemoteState::seeding : RemoteState::downloading;
}

RemoteTorrent torrent_of(const xmlrpc::Value& row, std::size_t index, std::string_view who) {
  if (row.type != xmlrpc::Value::Type::array)
    malformed(who, fmt::format("torrent {} is {}, not an array", index, a_type(row.type)));
  if (row.items.size() != field_count)
    malformed(who, fmt::format("torrent {} has {} fields, not {}", index, row.items.size(),
                               static_cast<std::size_t>(field_count)));
  RemoteTorrent out;
  out.hash = typed(row, hash, xmlrpc::Value::Type::string, index, who).string;
  bool hex = out.hash.size() == 40;
  for (char& c : out.hash) {
    hex = hex && std::isxdigit(static_cast<unsigned char>(c));
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (!hex) malformed(who, fmt::format("torrent {}: d.hash is not 40 hex digits", index));
  out.name = typed(row, name, xmlrpc::Value::Type::string, index, who).string;
  out.state = state_of(row, index, who);
  const std::int64_t total = number(row, size, index, who);
  out.bytes_done = number(row, done, index, who);
  if (total > 0 && out.bytes_done > total)
    malformed(who, fmt::format("torrent {}: {} bytes done of {}", index, out.bytes_done, total));
  out.bytes_total = total > 0 ? total : -1;
  out.download_rate = number(row, down_rate, index, who);
  out.upload_rate = number(row, up_rate, index, who);
  out.error = typed(row, message, xmlrpc::Value::Type::string, index, who).string;
  return out;
}

}  // namespace

std::string list_call() {
  std::vector<xmlrpc::Value> params{xmlrpc::Value::of(std::string()),
                                    xmlrpc::Value::of(std::string("main"))};
  for (const char* c : commands)
    params.push_back(xmlrpc::Value::of(std::string(c)));
  return xmlrpc::encode_call("d.multicall2", params);
}

std::string torrent_call(std::string_view method, std::string_view hash) {
  std::string upper(hash);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return xmlrpc::encode_call(method, {xmlrpc::Value::of(std::move(upper))});
}

std::vector<RemoteTorrent> parse_list(const xmlrpc::Value& answer, std::string_view who) {
  if (answer.type != xmlrpc::Value::Type::array)
    malformed(who, fmt::format("{}, not an array", a_type(answer.type)));
  std::vector<RemoteTorrent> out;
  out.reserve(answer.items.size());
  for (std::size_t i = 0; i < answer.items.size(); ++i)
    out.push_back(torrent_of(answer.items[i], i, who));
  return out;
}

}  // namespace bitflow::remote::rtorrent
