#include <catch2/catch.hpp>
#include <string>

#include "bitflow/bencode.hpp"

using namespace bitflow;
using namespace bitflow::bencode;

namespace {

// Decodes `input` expecting failure; returns the error.
ErrorInfo decode_error(std::string_view input, DecodeOptions options = {}) {
  ErrorInfo error;
  auto doc = decode(input, error, options);
  REQUIRE_FALSE(doc.has_value());
  REQUIRE(error);
  return error;
}

DecodeOptions lenient() {
  DecodeOptions o;
  o.strict = false;
  return o;
}

}  // namespace

TEST_CASE("bencode decodes integers within int64", "[bencode]") {
  std::string in = "i42e";
  CHECK(decode(in).root().as_int() == 42);
  in = "i-17e";
  CHECK(decode(in).root().as_int() == -17);
  in = "i0e";
  CHECK(decode(in).root().as_int() == 0);
  in = "i9223372036854775807e";
  CHECK(decode(in).root().as_int() == INT64_MAX);
  in = "i-9223372036854775808e";
  CHECK(decode(in).root().as_int() == INT64_MIN);
}

TEST_CASE("bencode rejects malformed integers with the right code and offset", "[bencode]") {
  CHECK(decode_error("i9223372036854775808e").code == errc::integer_overflow);
  CHECK(decode_error("i-9223372036854775809e").code == errc::integer_overflow);
  CHECK(decode_error("i99999999999999999999999e").code == errc::integer_overflow);
  CHECK(decode_error("ie").code == errc::empty_integer);
  CHECK(decode_error("i-e").code == errc::empty_integer);
  CHECK(decode_error("i03e").code == errc::leading_zero);
  CHECK(decode_error("i-03e").code == errc::leading_zero);
  CHECK(decode_error("i-0e").code == errc::negative_zero);
  CHECK(decode_error("i+3e").code == errc::unexpected_character);
  CHECK(decode_error("i3 e").code == errc::unexpected_character);
  CHECK(decode_error("i12").code == errc::unexpected_end);
  auto e = decode_error("li1ei2x3ee");
  CHECK(e.code == errc::unexpected_character);
  CHECK(e.message == "bencode: unexpected 'x' in integer at byte 6");
}

TEST_CASE("bencode leading zeros are rejected even in lenient mode for integers", "[bencode]") {
  CHECK(decode_error("i007e", lenient()).code == errc::leading_zero);
}

TEST_CASE("bencode decodes byte strings, including binary and empty ones", "[bencode]") {
  std::string in = "4:spam";
  CHECK(decode(in).root().as_string() == "spam");
  in = "0:";
  CHECK(decode(in).root().as_string().empty());
  in = std::string("3:\0\xff\n", 5);
  CHECK(decode(in).root().as_string() == std::string_view("\0\xff\n", 3));
}

TEST_CASE("bencode rejects malformed strings", "[bencode]") {
  CHECK(decode_error("5:spam").code == errc::string_too_long);
  CHECK(decode_error("99999999999999999999999:x").code == errc::string_too_long);
  CHECK(decode_error("4spam").code == errc::unexpected_character);
  CHECK(decode_error("4").code == errc::string_too_long);
  CHECK(decode_error("1").code == errc::unexpected_end);
  CHECK(decode_error("04:spam").code == errc::leading_zero);
  CHECK(decode_error("-1:x").code == errc::unexpected_character);
}

TEST_CASE("bencode lenient mode accepts a leading zero in a string length and says so",
          "[bencode]") {
  std::string in = "04:spam";
  auto doc = decode(in, lenient());
  CHECK(doc.root().as_string() == "spam");
  CHECK(doc.quirks() == quirk_leading_zero_length);
}

TEST_CASE("bencode decodes lists and dictionaries", "[bencode]") {
  std::string in = "d3:bar4:spam3:fooi42e4:listli1ei2eli3eeee";
  auto doc = decode(in);
  Node root = doc.root();
  REQUIRE(root.is_dict());
  CHECK(root.size() == 3);
  CHECK(root.find_string("bar") == "spam");
  CHECK(root.find_int("foo") == 42);
  CHECK_FALSE(root.find("missing"));
  CHECK_FALSE(root.find_int("bar").has_value());
  Node list = root.find_list("list");
  REQUIRE(list);
  CHECK(list.size() == 3);
  CHECK(list.at(0).as_int() == 1);
  CHECK(list.at(2).is_list());
  CHECK(list.at(2).at(0).as_int() == 3);
  CHECK_FALSE(list.at(3));
  std::vector<std::string_view> keys;
  for (auto [key, value] : root.entries())
    keys.push_back(key);
  CHECK(keys == std::vector<std::string_view>{"bar", "foo", "list"});
  CHECK(list.raw() == "li1ei2eli3eee");
  CHECK(list.offset() == 27);
}

TEST_CASE("bencode empty containers have no items", "[bencode]") {
  std::string in =
      "ld"
      "e"
      "le"
      "e";
  auto doc = decode(in);
  CHECK(doc.root().size() == 2);
  CHECK(doc.root().at(0).size() == 0);
  CHECK(doc.root().at(1).items().begin() == doc.root().at(1).items().end());
}

TEST_CASE("bencode dictionaries must have sorted unique string keys", "[bencode]") {
  CHECK(decode_error("d1:b0:1:a0:e").code == errc::unsorted_keys);
  CHECK(decode_error("d1:a0:1:a0:e").code == errc::duplicate_key);
  CHECK(decode_error("di1e0:e").code == errc::key_not_string);
  CHECK(decode_error("d1:ae").code == errc::unexpected_character);
  CHECK(decode_error("d1:a").code == errc::unexpected_end);
}

TEST_CASE("bencode keys compare as unsigned bytes", "[bencode]") {
  std::string in =
      "d1:a0:1:\xff"
      "0:e";
  CHECK_NOTHROW(decode(in));
  in = "d1:\xff"
       "0:1:a0:e";
  CHECK_THROWS_AS(decode(in), Error);
}

TEST_CASE("bencode lenient mode accepts unsorted keys but never duplicates", "[bencode]") {
  std::string in = "d1:bi1e1:ai2ee";
  auto doc = decode(in, lenient());
  CHECK(doc.quirks() == quirk_unsorted_keys);
  CHECK(doc.root().find_int("a") == 2);
  CHECK(doc.root().find_int("b") == 1);
  CHECK(decode_error("d1:bi1e1:ai2e1:bi3ee", lenient()).code == errc::duplicate_key);
}

TEST_CASE("bencode trailing data is an error unless lenient", "[bencode]") {
  auto e = decode_error("i1ei2e");
  CHECK(e.code == errc::trailing_data);
  CHECK(e.message == "bencode: trailing data at byte 3");
  std::string in = "i1e\n";
  auto doc = decode(in, lenient());
  CHECK(doc.root().as_int() == 1);
  CHECK(doc.quirks() == quirk_trailing_data);
}

TEST_CASE("bencode rejects empty input and stray bytes", "[bencode]") {
  CHECK(decode_error("").code == errc::unexpected_end);
  CHECK(decode_error("e").code == errc::unexpected_character);
  CHECK(decode_error("x").message == "bencode: unexpected 'x' at byte 0");
  CHECK(decode_error(std::string_view("\0", 1)).message ==
        "bencode: unexpected byte 0x00 at byte 0");
  CHECK(decode_error("l").code == errc::unexpected_end);
}

TEST_CASE("bencode nesting depth is bounded", "[bencode]") {
  DecodeOptions options;
  options.max_depth = 10;
  std::string ok = std::string(10, 'l') + std::string(10, 'e');
  CHECK_NOTHROW(decode(ok, options));
  std::string deep = std::string(11, 'l') + std::string(11, 'e');
  CHECK(decode_error(deep, options).code == errc::depth_exceeded);
  // A million-deep list must fail fast at the default limit, not overflow the stack.
  std::string hostile(1'000'000, 'l');
  CHECK(decode_error(hostile).code == errc::depth_exceeded);
}

TEST_CASE("bencode token count is bounded", "[bencode]") {
  DecodeOptions options;
  options.max_tokens = 4;
  std::string four = "li1ei2ei3ee";
  CHECK_NOTHROW(decode(four, options));
  std::string five = "li1ei2ei3ei4ee";
  CHECK(decode_error(five, options).code == errc::too_many_tokens);
}

TEST_CASE("bencode every truncation of a valid document fails cleanly", "[bencode]") {
  const std::string full =
      "d4:infod5:filesld6:lengthi425e4:pathl3:foo7:bar.txteee"
      "4:name4:temp12:piece lengthi16384eee";
  REQUIRE_NOTHROW(decode(full));
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    INFO("cut at " << cut);
    auto e = decode_error(std::string_view(full).substr(0, cut));
    CHECK((e.code == errc::unexpected_end || e.code == errc::string_too_long));
  }
}

TEST_CASE("bencode accessors throw type_mismatch on the wrong type", "[bencode]") {
  std::string in = "i1e";
  auto doc = decode(in);
  CHECK_THROWS_MATCHES(doc.root().as_string(), Error,
                       Catch::Matchers::Predicate<Error>(
                           [](const Error& e) { return e.code() == errc::type_mismatch; }));
  CHECK(doc.root().size() == 0);
  CHECK_FALSE(doc.root().find("x"));
}

TEST_CASE("bencode throwing decode carries code and message", "[bencode]") {
  try {
    (void)decode("i01e");
    FAIL("no exception");
  } catch (const Error& e) {
    CHECK(e.code() == errc::leading_zero);
    CHECK(std::string(e.what()) == "bencode: leading zero in integer at byte 0");
  }
}

TEST_CASE("bencode an absent node is safe to ask anything but type()", "[bencode]") {
  Node absent;
  CHECK_FALSE(absent);
  CHECK_FALSE(absent.is_int());
  CHECK(absent.raw().empty());
  CHECK(absent.offset() == 0);
  CHECK(absent.size() == 0);
  CHECK_FALSE(absent.int_value());
  CHECK_FALSE(absent.find("x"));
  CHECK_THROWS_AS(absent.as_int(), Error);
  CHECK_THROWS_AS(to_value(absent), Error);
}

TEST_CASE("error codes carry their area's name and a message", "[errors]") {
  std::error_code code = errc::leading_zero;
  CHECK(std::string(code.category().name()) == "bencode");
  CHECK(code.message() == "leading zero");
  CHECK(make_error_code(static_cast<errc>(999)).message() == "bencode error 999");
}
