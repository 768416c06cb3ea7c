// KRPC (BEP 5): the DHT's messages — queries (ping, find_node, get_peers, announce_peer),
// responses and errors — as bencoded dictionaries in single UDP datagrams. A pure codec:
// bytes in, plain structs out, and back; no sockets, no clock. Hostile packets are the
// normal case here, so decoding is bounded (depth, values, lengths) and every failure is
// an ErrorInfo naming what was wrong, never an exception or a crash.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"

namespace bitflow::dht {

/// A 160-bit node id or info-hash.
using Id = std::array<std::uint8_t, 20>;

/// An IPv4 or IPv6 address and a port, as the compact formats carry them.
struct Endpoint {
  std::vector<std::uint8_t> address;  ///< 4 bytes (IPv4) or 16 (IPv6), network order
  std::uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

/// A node from a "nodes" (IPv4, 26 bytes each) or "nodes6" (BEP 32, 38 bytes) string.
struct NodeInfo {
  Id id{};
  Endpoint endpoint;
  friend bool operator==(const NodeInfo&, const NodeInfo&) = default;
};

enum class Method { ping, find_node, get_peers, announce_peer, unknown };

[[nodiscard]] const char* to_string(Method m) noexcept;

struct Query {
  std::string transaction;  ///< "t": opaque, echoed in the answer
  Method method = Method::ping;
  std::string method_name;    ///< "q" as sent (for Method::unknown: answer error 204)
  Id id{};                    ///< the querying node
  Id target{};                ///< find_node
  Id info_hash{};             ///< get_peers, announce_peer
  std::uint16_t port = 0;     ///< announce_peer
  bool implied_port = false;  ///< announce_peer: use the packet's source port instead
  std::string token;          ///< announce_peer: from an earlier get_peers answer
  bool read_only = false;     ///< BEP 43 "ro": 1 — do not add the sender to routing tables
  friend bool operator==(const Query&, const Query&) = default;
};

struct Response {
  std::string transaction;
  Id id{};                           ///< the answering node
  std::vector<NodeInfo> nodes;       ///< "nodes" and "nodes6" together
  std::vector<Endpoint> values;      ///< get_peers: peers for the info-hash
  std::optional<std::string> token;  ///< get_peers: for a later announce_peer
  friend bool operator==(const Response&, const Response&) = default;
};

/// BEP 5 error codes.
enum class KrpcError : std::int64_t {
  generic = 201,
  server = 202,
  protocol = 203,  ///< malformed packet, invalid arguments, bad token
  method_unknown = 204,
};

struct ErrorReply {
  std::string transaction;
  std::int64_t code = static_cast<std::int64_t>(KrpcError::generic);
  std::string message;
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

using Message = std::variant<Query, Response, ErrorReply>;

/// Limits on what a decoded packet may hold (a datagram is at most 64 KiB anyway).
struct KrpcLimits {
  std::size_t max_packet = 8192;     ///< larger datagrams are refused unread
  std::size_t max_transaction = 64;  ///< bytes of "t"
  std::size_t max_values = 200;      ///< peers in one get_peers answer
  std::size_t max_nodes = 64;        ///< nodes in one answer (8 is usual)
  std::size_t max_token = 256;
};

/// Decodes one datagram. Unknown keys are ignored (BEP 5 extensions add some); a
/// message with a wrong type, a missing required key, an id that is not 20 bytes, a
/// compact string of the wrong length or any limit exceeded is refused.
[[nodiscard]] std::optional<Message> decode(std::string_view packet, ErrorInfo& error,
                                            const KrpcLimits& limits = {});

/// Canonical bencoding of each message kind (keys sorted, as BEP 5's examples are).
[[nodiscard]] std::string encode(const Query& query);
[[nodiscard]] std::string encode(const Response& response);
[[nodiscard]] std::string encode(const ErrorReply& error);
[[nodiscard]] std::string encode(const Message& message);

/// The compact forms: 6/18-byte peers, 26/38-byte nodes (by address family).
[[nodiscard]] std::string compact(const Endpoint& endpoint);
[[nodiscard]] std::string compact(const NodeInfo& node);

}  // namespace bitflow::dht
