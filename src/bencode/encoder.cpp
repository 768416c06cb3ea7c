// The canonical bencode encoder. Dictionaries are std::maps ordered by raw bytes, so the
// output is canonical by construction.
#include <charconv>

#include "bitflow/bencode.hpp"

namespace bitflow::bencode {
namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_string(std::string& out, std::string_view s) {
  append_int(out, static_cast<std::int64_t>(s.size()));
  out.push_back(':');
  out.append(s);
}

}  // namespace

void encode_to(std::string& out, const Value& value) {
  switch (value.type()) {
    case Type::integer:
      out.push_back('i');
      append_int(out, value.as_int());
      out.push_back('e');
      return;
    case Type::string:
      append_string(out, value.as_string());
      return;
    case Type::list:
      out.push_back('l');
      for (const Value& item : value.as_list())
        encode_to(out, item);
      out.push_back('e');
      return;
    case Type::dict:
      out.push_back('d');
      for (const auto& [key, item] : value.as_dict()) {
        append_string(out, key);
        encode_to(out, item);
      }
      out.push_back('e');
      return;
  }
}

std::string encode(const Value& value) {
  std::string out;
  encode_to(out, value);
  return out;
}

}  // namespace bitflow::bencode
