// XML-RPC (xmlrpc.com/spec) values, calls and answers, as rTorrent speaks them: a
// methodCall of string and integer parameters out; a methodResponse of one value — or a
// fault — back. Values in answers may be i4/int/i8 (rTorrent's 64-bit integers), string
// (also untyped text), boolean, double, array and struct. Pure: no I/O. Internal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitflow::remote::xmlrpc {

struct Value {
  enum class Type { integer, string, boolean, real, array, structure };
  Type type = Type::string;
  std::int64_t integer = 0;  ///< integer, boolean (0/1)
  double real = 0;
  std::string string;
  std::vector<Value> items;  ///< array
  /// structure: member i is named member_names[i] and holds member_values[i]. Two vectors,
  /// not one of pairs: a pair cannot hold the still incomplete Value (clang refuses it).
  std::vector<std::string> member_names;
  std::vector<Value> member_values;

  static Value of(std::int64_t v);
  static Value of(std::string v);

  /// The member `name` of a structure, or nullptr.
  [[nodiscard]] const Value* member(std::string_view name) const;
};

[[nodiscard]] const char* to_string(Value::Type type) noexcept;

/// <?xml …?><methodCall><methodName>…</methodName><params>…</params></methodCall>
[[nodiscard]] std::string encode_call(std::string_view method, const std::vector<Value>& params);

/// Arrays and structs nest at most this deep in an answer: deeper is malformed.
inline constexpr int max_depth = 16;

/// The value of a methodResponse. Throws bitflow::Error: remote::errc::rpc_failed with
/// the fault's code and string for a fault, remote::errc::malformed_response for anything
/// that is not a well-formed methodResponse (unknown types, bad integers, too deep).
/// `who` starts every message.
[[nodiscard]] Value decode_response(std::string_view xml, std::string_view who);

}  // namespace bitflow::remote::xmlrpc
