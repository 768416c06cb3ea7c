// The BEP 10 extended handshake, and the error category of the extension payloads.
// Pure; safe from any thread.
//
// Invariants: decoding never looks past max_extension_handshake_size bytes, at most
// max_extensions entries of m are kept, and every optional field of the result holds a
// value the encoder writes back unchanged, so decode(encode(decode(x))) == decode(x).
#include <cstring>
#include <limits>

#include "bitflow/bencode.hpp"
#include "bitflow/extension.hpp"
#include "util/error_category.hpp"
#include "util/failure.hpp"

namespace bitflow::peer {
namespace {

const char* describe(extension_errc e) noexcept {
  switch (e) {
    case extension_errc::invalid_message:
      return "malformed extension message";
    case extension_errc::message_too_large:
      return "extension message too large";
    case extension_errc::too_many_entries:
      return "extension message with too many entries";
    case extension_errc::invalid_peer_list:
      return "invalid compact peer list";
    case extension_errc::invalid_metadata_piece:
      return "metadata piece out of range";
    case extension_errc::invalid_metadata_size:
      return "invalid metadata size";
  }
  return nullptr;
}

util::Failure fail(ErrorInfo& error, extension_errc code, std::string what) {
  error.code = make_error_code(code);
  error.message = "extension handshake: " + std::move(what);
  return {};
}

// An integer field within [lo, hi], or nullopt when absent, mistyped or out of range.
std::optional<std::int64_t> int_in(bencode::Node dict, std::string_view key, std::int64_t lo,
                                   std::int64_t hi) {
  auto v = dict.find_int(key);
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return v;
}

// An address field of exactly `size` bytes (4 or 16; 0 accepts either).
std::optional<IpAddress> address_in(bencode::Node dict, std::string_view key, std::size_t size) {
  auto raw = dict.find_string(key);
  if (!raw || (size != 0 && raw->size() != size)) return std::nullopt;
  return IpAddress::from_raw(*raw);
}

}  // namespace

const std::error_category& extension_category() noexcept {
  static const util::EnumCategory<extension_errc> instance("peer extension", describe);
  return instance;
}

std::error_code make_error_code(extension_errc e) noexcept {
  return {static_cast<int>(e), extension_category()};
}

std::optional<IpAddress> IpAddress::from_raw(std::string_view raw) noexcept {
  if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
  IpAddress a;
  a.v6 = raw.size() == 16;
  std::memcpy(a.bytes.data(), raw.data(), raw.size());
  return a;
}

std::uint8_t ExtensionHandshake::id_of(std::string_view name) const noexcept {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

std::string encode_extension_handshake(const ExtensionHandshake& handshake) {
  bencode::Value::Dict extensions;
  for (const auto& [name, id] : handshake.m)
    extensions.emplace(name, bencode::Value(std::int64_t{id}));
  bencode::Value root(bencode::Value::Dict{});
  root["m"] = bencode::Value(std::move(extensions));
  if (handshake.v) root["v"] = bencode::Value(*handshake.v);
  if (handshake.p) root["p"] = bencode::Value(std::int64_t{*handshake.p});
  if (handshake.reqq) root["reqq"] = bencode::Value(std::int64_t{*handshake.reqq});
  if (handshake.metadata_size) root["metadata_size"] = bencode::Value(*handshake.metadata_size);
  if (handshake.yourip) root["yourip"] = bencode::Value(handshake.yourip->raw());
  if (handshake.ipv4) root["ipv4"] = bencode::Value(handshake.ipv4->raw());
  if (handshake.ipv6) root["ipv6"] = bencode::Value(handshake.ipv6->raw());
  return bencode::encode(root);
}

std::optional<ExtensionHandshake> decode_extension_handshake(std::string_view payload,
                                                             ErrorInfo& error) {
  if (payload.size() > max_extension_handshake_size)
    return fail(error, extension_errc::message_too_large,
                "payload of " + std::to_string(payload.size()) + " bytes, more than the limit of " +
                    std::to_string(max_extension_handshake_size));
  bencode::DecodeOptions options;
  options.strict = false;
  options.max_depth = 16;
  options.max_tokens = 4096;
  ErrorInfo decode_error;
  auto doc = bencode::decode(payload, decode_error, options);
  if (!doc) return fail(error, extension_errc::invalid_message, decode_error.message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return fail(error, extension_errc::invalid_message, "not a dictionary");

  ExtensionHandshake out;
  if (bencode::Node m = root.find("m")) {
    if (!m.is_dict()) return fail(error, extension_errc::invalid_message, "m is not a dictionary");
    if (m.size() > max_extensions)
      return fail(error, extension_errc::too_many_entries,
                  std::to_string(m.size()) + " extensions, more than the limit of " +
                      std::to_string(max_extensions));
    for (auto [name, id] : m.entries()) {
      auto value = id.int_value();
      if (value && *value >= 0 && *value <= 255)
        out.m.emplace(std::string(name), static_cast<std::uint8_t>(*value));
    }
  }
  if (auto v = root.find_string("v")) out.v = std::string(*v);
  if (auto p = int_in(root, "p", 1, 65535)) out.p = static_cast<std::uint16_t>(*p);
  if (auto q = int_in(root, "reqq", 1, std::numeric_limits<std::uint32_t>::max()))
    out.reqq = static_cast<std::uint32_t>(*q);
  out.metadata_size = int_in(root, "metadata_size", 1, max_metadata_size);
  out.yourip = address_in(root, "yourip", 0);
  out.ipv4 = address_in(root, "ipv4", 4);
  out.ipv6 = address_in(root, "ipv6", 16);
  return out;
}

ExtensionHandshake decode_extension_handshake(std::string_view payload) {
  ErrorInfo error;
  auto out = decode_extension_handshake(payload, error);
  if (!out) error.raise();
  return std::move(*out);
}

}  // namespace bitflow::peer
