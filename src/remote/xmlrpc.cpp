// See xmlrpc.hpp. Built and read with pugixml, which escapes and unescapes text; DOCTYPEs
// are not parsed and only XML's own five entities are expanded, so an answer cannot
// expand itself.
#include "remote/xmlrpc.hpp"

#include <pugixml.hpp>

#include <fmt/format.h>
#include <charconv>
#include <cstdlib>
#include <sstream>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"

namespace bitflow::remote::xmlrpc {

namespace {

[[noreturn]] void malformed(std::string_view who, std::string_view what) {
  throw Error(errc::malformed_response, fmt::format("{}: malformed XML-RPC answer: {}", who, what));
}

pugi::xml_node only_element(const pugi::xml_node& parent) {
  pugi::xml_node found;
  for (pugi::xml_node n = parent.first_child(); n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    if (found) return {};  // more than one
    found = n;
  }
  return found;
}

void write_value(pugi::xml_node parent, const Value& v) {
  pugi::xml_node value = parent.append_child("value");
  switch (v.type) {
    case Value::Type::integer:
      value.append_child("i8").text().set(static_cast<long long>(v.integer));
      break;
    case Value::Type::boolean:
      value.append_child("boolean").text().set(v.integer != 0 ? "1" : "0");
      break;
    case Value::Type::real:
      value.append_child("double").text().set(v.real);
      break;
    case Value::Type::string:
      value.append_child("string").text().set(v.string.c_str());
      break;
    case Value::Type::array: {
      pugi::xml_node data = value.append_child("array").append_child("data");
      for (const auto& item : v.items)
        write_value(data, item);
      break;
    }
    case Value::Type::structure: {
      pugi::xml_node s = value.append_child("struct");
      for (std::size_t i = 0; i < v.member_names.size(); ++i) {
        pugi::xml_node m = s.append_child("member");
        m.append_child("name").text().set(v.member_names[i].c_str());
        write_value(m, v.member_values[i]);
      }
      break;
    }
  }
}

std::int64_t parse_integer(std::string_view text, std::string_view who) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n'))
    text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
    malformed(who, fmt::format("'{}' is not an integer", text.substr(0, 40)));
  return v;
}

Value read_value(const pugi::xml_node& value, int depth, std::string_view who);

Value read_array(const pugi::xml_node& node, int depth, std::string_view who) {
  Value out;
  out.type = Value::Type::array;
  pugi::xml_node data = node.child("data");
  if (!data) malformed(who, "an array without <data>");
  for (pugi::xml_node v = data.child("value"); v; v = v.next_sibling("value"))
    out.items.push_back(read_value(v, depth + 1, who));
  return out;
}

Value read_struct(const pugi::xml_node& node, int depth, std::string_view who) {
  Value out;
  out.type = Value::Type::structure;
  for (pugi::xml_node m = node.child("member"); m; m = m.next_sibling("member")) {
    pugi::xml_node name = m.child("name");
    pugi::xml_node v = m.child("value");
    if (!name || !v) malformed(who, "a struct member without <name> or <value>");
    out.member_names.emplace_back(name.text().get());
    out.member_values.push_back(read_value(v, depth + 1, who));
  }
  return out;
}

Value read_value(const pugi::xml_node& value, int depth, std::string_view who) {
  if (depth > max_depth) malformed(who, fmt::format("values nest deeper than {}", max_depth));
  pugi::xml_node typed = only_element(value);
  Value out;
  if (!typed) {
    // No type element: the text is a string (or several elements: malformed).
    for (pugi::xml_node n = value.first_child(); n; n = n.next_sibling())
      if (n.type() == pugi::node_element) malformed(who, "a <value> with several types");
    out.string = value.text().get();
    return out;
  }
  const std::string_view type = typed.name();
  if (type == "i4" || type == "i8" || type == "int") {
    out.type = Value::Type::integer;
    out.integer = parse_integer(typed.text().get(), who);
  } else if (type == "string") {
    out.string = typed.text().get();
  } else if (type == "boolean") {
    out.type = Value::Type::boolean;
    out.integer = parse_integer(typed.text().get(), who);
    if (out.integer != 0 && out.integer != 1) malformed(who, "a boolean that is not 0 or 1");
  } else if (type == "double") {
    out.type = Value::Type::real;
    std::istringstream in(typed.text().get());
    in.imbue(std::locale::classic());
    if (!(in >> out.real)) malformed(who, "a double that is not a number");
  } else if (type == "array") {
    return read_array(typed, depth, who);
  } else if (type == "struct") {
    return read_struct(typed, depth, who);
  } else {
    malformed(who, fmt::format("unknown value type <{}>", type.substr(0, 40)));
  }
  return out;
}

[[noreturn]] void throw_fault(const pugi::xml_node& fault, std::string_view who) {
  pugi::xml_node v = fault.child("value");
  if (!v) malformed(who, "a <fault> without <value>");
  const Value f = read_value(v, 0, who);
  const Value* code = f.member("faultCode");
  const Value* text = f.member("faultString");
  if (f.type != Value::Type::structure || !code || !text || code->type != Value::Type::integer ||
      text->type != Value::Type::string)
    malformed(who, "a fault that is not {faultCode: int, faultString: string}");
  throw Error(errc::rpc_failed, fmt::format("{}: fault {}: {}", who, code->integer, text->string));
}

}  // namespace

Value Value::of(std::int64_t v) {
  Value out;
  out.type = Type::integer;
  out.integer = v;
  return out;
}

Value Value::of(std::string v) {
  Value out;
  out.string = std::move(v);
  return out;
}

const Value* Value::member(std::string_view name) const {
  for (std::size_t i = 0; i < member_names.size(); ++i)
    if (member_names[i] == name) return &member_values[i];
  return nullptr;
}

const char* to_string(Value::Type type) noexcept {
  switch (type) {
    case Value::Type::integer:
      return "integer";
    case Value::Type::string:
      return "string";
    case Value::Type::boolean:
      return "boolean";
    case Value::Type::real:
      return "double";
    case Value::Type::array:
      return "array";
    case Value::Type::structure:
      return "struct";
  }
  return "unknown";
}

std::string encode_call(std::string_view method, const std::vector<Value>& params) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  pugi::xml_node call = doc.append_child("methodCall");
  call.append_child("methodName").text().set(std::string(method).c_str());
  pugi::xml_node ps = call.append_child("params");
  for (const auto& p : params)
    write_value(ps.append_child("param"), p);
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}

Value decode_response(std::string_view xml, std::string_view who) {
  pugi::xml_document doc;
  const auto result =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!result)
    malformed(who, fmt::format("not XML ({} at byte {})", result.description(), result.offset));
  pugi::xml_node response = doc.child("methodResponse");
  if (!response) malformed(who, "no <methodResponse>");
  if (pugi::xml_node fault = response.child("fault")) throw_fault(fault, who);
  pugi::xml_node value = response.child("params").child("param").child("value");
  if (!value) malformed(who, "no <params><param><value>");
  return read_value(value, 0, who);
}

}  // namespace bitflow::remote::xmlrpc
