// BEP 11 ut_pex payloads and PexTracker, which turns "who we are connected to now" into
// the next message for one peer. Pure; the codec is safe from any thread, a PexTracker
// belongs to one connection.
//
// Invariants: a decoded message holds at most max_pex_peers_decoded added and dropped
// peers, none with port 0, dropped peers with flags 0; an encoded one at most
// max_pex_peers_sent of each. A PexTracker's told_ set is exactly the peers its messages
// have added and not dropped since, so whatever a capped message left out is still a
// difference next time.
#include <algorithm>
#include <cstring>

#include "bitflow/bencode.hpp"
#include "bitflow/extension.hpp"
#include "util/failure.hpp"

namespace bitflow::peer {
namespace {

util::Failure fail(ErrorInfo& error, extension_errc code, std::string what) {
  error.code = make_error_code(code);
  error.message = "ut_pex: " + std::move(what);
  return {};
}

// The compact form: address bytes then a big-endian port; and the flags, one byte each.
struct Compact {
  std::string v4, v4_flags, v6, v6_flags;
};

Compact compact(const std::vector<PexPeer>& peers) {
  Compact out;
  const std::size_t n = std::min(peers.size(), max_pex_peers_sent);
  for (std::size_t i = 0; i < n; ++i) {
    const PexPeer& peer = peers[i];
    std::string& list = peer.address.v6 ? out.v6 : out.v4;
    list.append(peer.address.raw());
    list.push_back(static_cast<char>(peer.port >> 8));
    list.push_back(static_cast<char>(peer.port & 0xff));
    (peer.address.v6 ? out.v6_flags : out.v4_flags).push_back(static_cast<char>(peer.flags));
  }
  return out;
}

// Reads one compact list (with its flags, if `flags` is a string of one byte per peer).
bool read_list(bencode::Node root, std::string_view key, std::string_view flags_key,
               std::size_t address_size, std::vector<PexPeer>& out, ErrorInfo& error) {
  bencode::Node list = root.find(key);
  if (!list) return true;
  if (!list.is_string())
    return fail(error, extension_errc::invalid_message, std::string(key) + " is not a string");
  const std::string_view bytes = *list.string_value();
  const std::size_t stride = address_size + 2;
  if (bytes.size() % stride != 0)
    return fail(error, extension_errc::invalid_peer_list,
                std::string(key) + " of " + std::to_string(bytes.size()) +
                    " bytes, not a multiple of " + std::to_string(stride));
  const std::size_t count = bytes.size() / stride;
  if (out.size() + count > max_pex_peers_decoded)
    return fail(
        error, extension_errc::too_many_entries,
        "more than " + std::to_string(max_pex_peers_decoded) + " peers in " + std::string(key));
  std::string_view flags;
  if (!flags_key.empty())
    if (auto f = root.find_string(flags_key); f && f->size() == count) flags = *f;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string_view entry = bytes.substr(i * stride, stride);
    PexPeer peer;
    peer.address = *IpAddress::from_raw(entry.substr(0, address_size));
    peer.port = static_cast<std::uint16_t>((static_cast<unsigned char>(entry[address_size]) << 8) |
                                           static_cast<unsigned char>(entry[address_size + 1]));
    if (!flags.empty()) peer.flags = static_cast<std::uint8_t>(flags[i]);
    if (peer.port != 0) out.push_back(peer);
  }
  return true;
}

}  // namespace

std::string encode_pex(const PexMessage& message) {
  Compact added = compact(message.added);
  Compact dropped = compact(message.dropped);
  bencode::Value dict(bencode::Value::Dict{});
  dict["added"] = bencode::Value(std::move(added.v4));
  dict["added.f"] = bencode::Value(std::move(added.v4_flags));
  dict["added6"] = bencode::Value(std::move(added.v6));
  dict["added6.f"] = bencode::Value(std::move(added.v6_flags));
  dict["dropped"] = bencode::Value(std::move(dropped.v4));
  dict["dropped6"] = bencode::Value(std::move(dropped.v6));
  return bencode::encode(dict);
}

std::optional<PexMessage> decode_pex(std::string_view payload, ErrorInfo& error) {
  if (payload.size() > max_pex_size)
    return fail(error, extension_errc::message_too_large,
                "payload of " + std::to_string(payload.size()) + " bytes, more than the limit of " +
                    std::to_string(max_pex_size));
  bencode::DecodeOptions options;
  options.strict = false;
  options.max_depth = 8;
  options.max_tokens = 1024;
  ErrorInfo decode_error;
  auto doc = bencode::decode(payload, decode_error, options);
  if (!doc) return fail(error, extension_errc::invalid_message, decode_error.message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return fail(error, extension_errc::invalid_message, "not a dictionary");
  PexMessage out;
  if (!read_list(root, "added", "added.f", 4, out.added, error) ||
      !read_list(root, "added6", "added6.f", 16, out.added, error) ||
      !read_list(root, "dropped", "", 4, out.dropped, error) ||
      !read_list(root, "dropped6", "", 16, out.dropped, error))
    return std::nullopt;
  return out;
}

PexMessage decode_pex(std::string_view payload) {
  ErrorInfo error;
  auto out = decode_pex(payload, error);
  if (!out) error.raise();
  return std::move(*out);
}

std::optional<PexMessage> PexTracker::poll(const std::vector<PexPeer>& connected,
                                           std::chrono::steady_clock::time_point now) {
  if (last_sent_ && now - *last_sent_ < pex_interval) return std::nullopt;
  std::set<std::pair<IpAddress, std::uint16_t>> current;
  PexMessage message;
  for (const PexPeer& peer : connected) {
    auto key = std::make_pair(peer.address, peer.port);
    if (peer.port == 0 || !current.insert(key).second) continue;  // unusable, or listed twice
    if (!told_.contains(key) && message.added.size() < max_pex_peers_sent) {
      message.added.push_back(peer);
      told_.insert(key);
    }
  }
  for (auto it = told_.begin(); it != told_.end();) {
    if (current.contains(*it) || message.dropped.size() >= max_pex_peers_sent) {
      ++it;
      continue;
    }
    message.dropped.push_back(PexPeer{it->first, it->second, 0});
    it = told_.erase(it);
  }
  if (message.added.empty() && message.dropped.empty()) return std::nullopt;
  last_sent_ = now;
  return message;
}

}  // namespace bitflow::peer
