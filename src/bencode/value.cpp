// The owning bencode::Value and its conversion from decoded Nodes.
#include <string>

#include "bitflow/bencode.hpp"

namespace bitflow::bencode {
namespace {
[[noreturn]] void mismatch(std::string_view wanted) {
  throw Error(make_error_code(errc::type_mismatch), "bencode: expected " + std::string(wanted));
}
}  // namespace

Value::Integer Value::as_int() const {
  if (auto* p = std::get_if<Integer>(&v_)) return *p;
  mismatch("an integer");
}
const Value::String& Value::as_string() const {
  if (auto* p = std::get_if<String>(&v_)) return *p;
  mismatch("a string");
}
const Value::List& Value::as_list() const {
  if (auto* p = std::get_if<List>(&v_)) return *p;
  mismatch("a list");
}
const Value::Dict& Value::as_dict() const {
  if (auto* p = std::get_if<Dict>(&v_)) return *p;
  mismatch("a dictionary");
}
Value::List& Value::as_list() {
  if (auto* p = std::get_if<List>(&v_)) return *p;
  mismatch("a list");
}
Value::Dict& Value::as_dict() {
  if (auto* p = std::get_if<Dict>(&v_)) return *p;
  mismatch("a dictionary");
}

Value& Value::operator[](std::string_view key) {
  if (!is_dict()) v_ = Dict{};
  auto& dict = std::get<Dict>(v_);
  auto it = dict.find(key);
  if (it == dict.end()) it = dict.emplace(std::string(key), Value{}).first;
  return it->second;
}

const Value* Value::find(std::string_view key) const noexcept {
  const auto* dict = std::get_if<Dict>(&v_);
  if (!dict) return nullptr;
  auto it = dict->find(key);
  return it == dict->end() ? nullptr : &it->second;
}

Value to_value(Node node) {
  if (!node) mismatch("a value, not an absent node");
  switch (node.type()) {
    case Type::integer:
      return Value(*node.int_value());
    case Type::string:
      return Value(*node.string_value());
    case Type::list: {
      Value::List list;
      list.reserve(node.size());
      for (Node item : node.items())
        list.push_back(to_value(item));
      return Value(std::move(list));
    }
    case Type::dict: {
      Value::Dict dict;
      // Keys are unique in every decoded document; the map restores canonical order.
      for (auto [key, item] : node.entries())
        dict.emplace(std::string(key), to_value(item));
      return Value(std::move(dict));
    }
  }
  return {};
}

Value decode_value(std::string_view input, const DecodeOptions& options) {
  return to_value(decode(input, options).root());
}

}  // namespace bitflow::bencode
