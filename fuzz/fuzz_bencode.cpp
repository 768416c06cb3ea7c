// libFuzzer target for the bencode decoder, the Node accessors, to_value and encode.
//
// Every input is decoded strictly and leniently. A successful decode has its whole tree
// walked through every accessor, so ASan/UBSan see each token read, and these properties
// are checked (a violation traps, which libFuzzer reports as a crash):
//   * strict success => encode(to_value(root)) == input (strict means canonical) and the
//     lenient decode agrees with no quirks;
//   * any success => the re-encoding decodes strictly to an equal Value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bitflow/bencode.hpp"
#include "bitflow/error.hpp"

namespace {

namespace bc = bitflow::bencode;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// find() is linear, so calling it for every key of a huge dictionary is quadratic: only
// dictionaries up to this size have every key looked up.
constexpr std::size_t max_find_checks = 256;

struct Walker {
  std::string_view input;

  bool inside_input(std::string_view s) const {
    return s.data() >= input.data() && s.data() + s.size() <= input.data() + input.size();
  }

  void walk(bc::Node node) const {
    check(static_cast<bool>(node));
    check(inside_input(node.raw()));
    check(node.offset() == static_cast<std::size_t>(node.raw().data() - input.data()));
    switch (node.type()) {
      case bc::Type::integer:
        return walk_int(node);
      case bc::Type::string:
        return walk_string(node);
      case bc::Type::list:
        return walk_list(node);
      case bc::Type::dict:
        return walk_dict(node);
    }
    check(false);
  }

  static void walk_int(bc::Node node) {
    check(node.is_int() && !node.is_string() && !node.is_list() && !node.is_dict());
    auto v = node.int_value();
    check(v.has_value() && node.as_int() == *v);
    check(!node.string_value() && node.size() == 0 && !node.at(0) && !node.find(""));
    check(node.items().begin() == node.items().end());
    check(node.entries().begin() == node.entries().end());
    check(node.raw().front() == 'i' && node.raw().back() == 'e');
  }

  void walk_string(bc::Node node) const {
    check(node.is_string());
    auto s = node.string_value();
    check(s.has_value() && inside_input(*s) && node.as_string() == *s);
    check(node.raw().ends_with(*s) && node.raw()[node.raw().size() - s->size() - 1] == ':');
    check(!node.int_value() && node.size() == 0 && !node.find_dict(""));
    expect_type_mismatch([&] { (void)node.as_int(); });
  }

  void walk_list(bc::Node node) const {
    check(node.is_list() && !node.int_value() && !node.string_value() && !node.find(""));
    expect_type_mismatch([&] { (void)node.as_string(); });
    std::size_t i = 0;
    for (bc::Node item : node.items()) {
      if (i < max_find_checks) check(node.at(i).raw().data() == item.raw().data());
      walk(item);
      ++i;
    }
    check(i == node.size() && !node.at(i));
    check(node.entries().begin() == node.entries().end());
  }

  void walk_dict(bc::Node node) const {
    check(node.is_dict() && !node.int_value() && !node.string_value() && !node.at(0));
    check(node.items().begin() == node.items().end());
    std::size_t n = 0;
    for (auto [key, value] : node.entries()) {
      check(inside_input(key));
      if (node.size() <= max_find_checks) check_find(node, key, value);
      walk(value);
      ++n;
    }
    check(n == node.size());
  }

  // Keys are unique in every decoded document, so find() must land on this very value.
  static void check_find(bc::Node dict, std::string_view key, bc::Node value) {
    check(dict.find(key).raw().data() == value.raw().data());
    check(dict.find_int(key) == value.int_value());
    check(dict.find_string(key) == value.string_value());
    check(static_cast<bool>(dict.find_list(key)) == value.is_list());
    check(static_cast<bool>(dict.find_dict(key)) == value.is_dict());
  }

  template <typename F>
  static void expect_type_mismatch(F f) {
    try {
      f();
    } catch (const bitflow::Error& e) {
      check(e.code() == bc::errc::type_mismatch);
      return;
    }
    check(false);
  }
};

// The canonical re-encoding of `value` must decode strictly to the same value.
void check_reencoding(const bc::Value& value, const std::string& encoded) {
  bitflow::ErrorInfo error;
  auto again = bc::decode(encoded, error);
  check(again.has_value() && !error);
  check(again->quirks() == 0);
  check(bc::to_value(again->root()) == value);
}

void fuzz_strict(std::string_view input) {
  bitflow::ErrorInfo error;
  auto doc = bc::decode(input, error);
  if (!doc) {
    check(error && !error.message.empty());
    return;
  }
  check(doc->quirks() == 0 && doc->root().raw() == input);
  Walker{input}.walk(doc->root());
  bc::Value value = bc::to_value(doc->root());
  std::string encoded = bc::encode(value);
  check(encoded == input);
  check_reencoding(value, encoded);
  check(bc::decode_value(input) == value);

  bc::DecodeOptions lenient;
  lenient.strict = false;
  auto relaxed = bc::decode(input, error, lenient);
  check(relaxed.has_value() && relaxed->quirks() == 0);
  check(relaxed->token_count() == doc->token_count());
}

void fuzz_lenient(std::string_view input) {
  bc::DecodeOptions lenient;
  lenient.strict = false;
  bitflow::ErrorInfo error;
  auto doc = bc::decode(input, error, lenient);
  if (!doc) {
    check(error && !error.message.empty());
    return;
  }
  check(doc->input().data() == input.data());
  Walker{input}.walk(doc->root());
  bc::Value value = bc::to_value(doc->root());
  check_reencoding(value, bc::encode(value));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz_strict(input);
  fuzz_lenient(input);
  return 0;
}
