// KRPC codec: decoding walks the bencode token tree (no copies until a field is taken),
// encoding builds a bencode::Value, whose encoder sorts keys.
#include "dht/krpc.hpp"

#include <algorithm>

#include "bitflow/bencode.hpp"

namespace bitflow::dht {

namespace {

using bencode::Node;

struct Refusal {
  std::string why;
};

[[noreturn]] void refuse(std::string why) {
  throw Refusal{std::move(why)};
}

Id id_from(std::string_view bytes, const char* what) {
  if (bytes.size() != 20)
    refuse(std::string(what) + " is " + std::to_string(bytes.size()) + " bytes, not 20");
  Id id{};
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(id.data()));
  return id;
}

std::string_view required_string(const Node& dict, std::string_view key) {
  auto value = dict.find_string(key);
  if (!value) refuse(std::string("no string '") + std::string(key) + "'");
  return *value;
}

Endpoint endpoint_from(std::string_view bytes) {
  Endpoint e;
  const std::size_t address = bytes.size() - 2;
  e.address.assign(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                   reinterpret_cast<const std::uint8_t*>(bytes.data()) + address);
  e.port = static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[address]) << 8) |
                                      static_cast<unsigned char>(bytes[address + 1]));
  return e;
}

// "nodes" (26 bytes each) or "nodes6" (38 bytes each).
void add_nodes(std::string_view bytes, std::size_t width, const KrpcLimits& limits,
               std::vector<NodeInfo>& out) {
  if (bytes.size() % width != 0)
    refuse("a compact node list of " + std::to_string(bytes.size()) +
           " bytes is not a multiple of " + std::to_string(width));
  if (out.size() + bytes.size() / width > limits.max_nodes)
    refuse("more than " + std::to_string(limits.max_nodes) + " nodes");
  for (std::size_t at = 0; at < bytes.size(); at += width) {
    NodeInfo node;
    node.id = id_from(bytes.substr(at, 20), "a node id");
    node.endpoint = endpoint_from(bytes.substr(at + 20, width - 20));
    out.push_back(std::move(node));
  }
}

Method method_of(std::string_view name) {
  if (name == "ping") return Method::ping;
  if (name == "find_node") return Method::find_node;
  if (name == "get_peers") return Method::get_peers;
  if (name == "announce_peer") return Method::announce_peer;
  return Method::unknown;
}

Query decode_query(const Node& root, std::string transaction) {
  Query q;
  q.transaction = std::move(transaction);
  q.method_name = std::string(required_string(root, "q"));
  q.method = method_of(q.method_name);
  Node args = root.find_dict("a");
  if (!args) refuse("a query without its arguments ('a')");
  q.id = id_from(required_string(args, "id"), "the querying node's id");
  q.read_only = root.find_int("ro").value_or(0) == 1;
  switch (q.method) {
    case Method::find_node:
      q.target = id_from(required_string(args, "target"), "find_node's target");
      break;
    case Method::get_peers:
      q.info_hash = id_from(required_string(args, "info_hash"), "get_peers' info_hash");
      break;
    case Method::announce_peer: {
      q.info_hash = id_from(required_string(args, "info_hash"), "announce_peer's info_hash");
      q.implied_port = args.find_int("implied_port").value_or(0) != 0;
      auto port = args.find_int("port");
      if (!q.implied_port && (!port || *port < 1 || *port > 65535))
        refuse("announce_peer without a port from 1 to 65535");
      if (port && *port >= 0 && *port <= 65535) q.port = static_cast<std::uint16_t>(*port);
      q.token = std::string(required_string(args, "token"));
      break;
    }
    case Method::ping:
    case Method::unknown:
      break;
  }
  return q;
}

Response decode_response(const Node& root, std::string transaction, const KrpcLimits& limits) {
  Response r;
  r.transaction = std::move(transaction);
  Node body = root.find_dict("r");
  if (!body) refuse("a response without its body ('r')");
  r.id = id_from(required_string(body, "id"), "the answering node's id");
  if (auto nodes = body.find_string("nodes")) add_nodes(*nodes, 26, limits, r.nodes);
  if (auto nodes6 = body.find_string("nodes6")) add_nodes(*nodes6, 38, limits, r.nodes);
  if (auto token = body.find_string("token")) {
    if (token->size() > limits.max_token)
      refuse("a token of more than " + std::to_string(limits.max_token) + " bytes");
    r.token = std::string(*token);
  }
  if (Node values = body.find("values")) {
    if (!values.is_list()) refuse("'values' is not a list");
    if (values.size() > limits.max_values)
      refuse("more than " + std::to_string(limits.max_values) + " peers in 'values'");
    for (const Node& v : values.items()) {
      auto bytes = v.string_value();
      if (!bytes || (bytes->size() != 6 && bytes->size() != 18))
        refuse("a peer in 'values' is not a 6- or 18-byte compact address");
      r.values.push_back(endpoint_from(*bytes));
    }
  }
  return r;
}

ErrorReply decode_error(const Node& root, std::string transaction) {
  Node list = root.find_list("e");
  if (!list || list.size() < 2) refuse("an error without [code, message] ('e')");
  auto code = list.at(0).int_value();
  auto message = list.at(1).string_value();
  if (!code || !message) refuse("an error whose 'e' is not [integer, string]");
  return {std::move(transaction), *code, std::string(*message)};
}

bencode::Value bytes_value(const Id& id) {
  return bencode::Value(std::string(reinterpret_cast<const char*>(id.data()), id.size()));
}

}  // namespace

const char* to_string(Method m) noexcept {
  switch (m) {
    case Method::ping:
      return "ping";
    case Method::find_node:
      return "find_node";
    case Method::get_peers:
      return "get_peers";
    case Method::announce_peer:
      return "announce_peer";
    case Method::unknown:
      break;
  }
  return "unknown";
}

std::optional<Message> decode(std::string_view packet, ErrorInfo& error, const KrpcLimits& limits) {
  error.clear();
  auto fail = [&](std::string why) -> std::optional<Message> {
    error.code = std::make_error_code(std::errc::bad_message);
    error.message = "krpc: " + why;
    return std::nullopt;
  };
  if (packet.size() > limits.max_packet)
    return fail("a packet of " + std::to_string(packet.size()) + " bytes (at most " +
                std::to_string(limits.max_packet) + ")");
  bencode::DecodeOptions options;
  options.strict = false;  // real nodes send unsorted keys; the content is what matters
  options.max_depth = 8;
  options.max_tokens = 4096;
  ErrorInfo bencode_error;
  auto document = bencode::decode(packet, bencode_error, options);
  if (!document) return fail(bencode_error.message);
  const Node root = document->root();
  if (!root.is_dict()) return fail("the packet is not a dictionary");
  try {
    auto transaction = root.find_string("t");
    if (!transaction) refuse("no transaction id ('t')");
    if (transaction->size() > limits.max_transaction)
      refuse("a transaction id of more than " + std::to_string(limits.max_transaction) + " bytes");
    const std::string_view kind = required_string(root, "y");
    std::string t(*transaction);
    if (kind == "q") return Message(decode_query(root, std::move(t)));
    if (kind == "r") return Message(decode_response(root, std::move(t), limits));
    if (kind == "e") return Message(decode_error(root, std::move(t)));
    refuse("unknown message type 'y'");
  } catch (const Refusal& r) {
    return fail(r.why);
  }
}

std::string compact(const Endpoint& endpoint) {
  std::string out(endpoint.address.begin(), endpoint.address.end());
  out.push_back(static_cast<char>(endpoint.port >> 8));
  out.push_back(static_cast<char>(endpoint.port & 0xff));
  return out;
}

std::string compact(const NodeInfo& node) {
  std::string out(reinterpret_cast<const char*>(node.id.data()), node.id.size());
  out += compact(node.endpoint);
  return out;
}

std::string encode(const Query& query) {
  bencode::Value::Dict args;
  args["id"] = bytes_value(query.id);
  switch (query.method) {
    case Method::find_node:
      args["target"] = bytes_value(query.target);
      break;
    case Method::get_peers:
      args["info_hash"] = bytes_value(query.info_hash);
      break;
    case Method::announce_peer:
      args["info_hash"] = bytes_value(query.info_hash);
      if (query.implied_port) args["implied_port"] = 1;
      args["port"] = static_cast<std::int64_t>(query.port);
      args["token"] = query.token;
      break;
    case Method::ping:
    case Method::unknown:
      break;
  }
  bencode::Value::Dict root;
  root["a"] = std::move(args);
  root["q"] =
      query.method == Method::unknown ? query.method_name : std::string(to_string(query.method));
  if (query.read_only) root["ro"] = 1;
  root["t"] = query.transaction;
  root["y"] = "q";
  return bencode::encode(bencode::Value(std::move(root)));
}

std::string encode(const Response& response) {
  bencode::Value::Dict body;
  body["id"] = bytes_value(response.id);
  std::string nodes, nodes6;
  for (const auto& n : response.nodes)
    (n.endpoint.address.size() == 16 ? nodes6 : nodes) += compact(n);
  if (!nodes.empty()) body["nodes"] = std::move(nodes);
  if (!nodes6.empty()) body["nodes6"] = std::move(nodes6);
  if (response.token) body["token"] = *response.token;
  if (!response.values.empty()) {
    bencode::Value::List values;
    for (const auto& v : response.values)
      values.emplace_back(compact(v));
    body["values"] = std::move(values);
  }
  bencode::Value::Dict root;
  root["r"] = std::move(body);
  root["t"] = response.transaction;
  root["y"] = "r";
  return bencode::encode(bencode::Value(std::move(root)));
}

std::string encode(const ErrorReply& error) {
  bencode::Value::Dict root;
  root["e"] = bencode::Value::List{bencode::Value(error.code), bencode::Value(error.message)};
  root["t"] = error.transaction;
  root["y"] = "e";
  return bencode::encode(bencode::Value(std::move(root)));
}

std::string encode(const Message& message) {
  return std::visit([](const auto& m) { return encode(m); }, message);
}

}  // namespace bitflow::dht
