#include <catch2/catch.hpp>
#include <random>

#include "bitflow/bencode.hpp"

using namespace bitflow;
using namespace bitflow::bencode;

namespace {

// A random value of bounded depth: every type, binary strings, extreme integers.
Value random_value(std::mt19937_64& rng, int depth) {
  std::uniform_int_distribution<int> kind(0, depth > 0 ? 3 : 1);
  switch (kind(rng)) {
    case 0: {
      static const std::int64_t edges[] = {0, -1, 1, INT64_MIN, INT64_MAX, 10, -10};
      if (rng() % 4 == 0) return Value(edges[rng() % 7]);
      return Value(static_cast<std::int64_t>(rng()));
    }
    case 1: {
      std::string s(rng() % 40, '\0');
      for (auto& c : s)
        c = static_cast<char>(rng());
      return Value(std::move(s));
    }
    case 2: {
      Value::List list;
      for (auto n = rng() % 6; n > 0; --n)
        list.push_back(random_value(rng, depth - 1));
      return Value(std::move(list));
    }
    default: {
      Value::Dict dict;
      for (auto n = rng() % 6; n > 0; --n) {
        std::string key(rng() % 8, '\0');
        for (auto& c : key)
          c = static_cast<char>(rng());
        dict[key] = random_value(rng, depth - 1);
      }
      return Value(std::move(dict));
    }
  }
}

}  // namespace

TEST_CASE("bencode encode is canonical", "[bencode]") {
  Value v;
  v["zeta"] = 1;
  v["alpha"] = Value::List{Value("x"), Value(-5), Value(Value::Dict{})};
  v["\xff"] = "high";
  CHECK(encode(v) ==
        "d5:alphal1:xi-5edee4:zetai1e1:\xff"
        "4:highe");
  CHECK(encode(Value(std::int64_t{INT64_MIN})) == "i-9223372036854775808e");
  CHECK(encode(Value("")) == "0:");
}

TEST_CASE("bencode random values survive encode then decode", "[bencode][property]") {
  std::mt19937_64 rng(20261121);
  for (int i = 0; i < 2000; ++i) {
    Value original = random_value(rng, 4);
    std::string bytes = encode(original);
    INFO("case " << i);
    Value decoded = decode_value(bytes);  // strict: canonical by construction
    REQUIRE(decoded == original);
    REQUIRE(encode(decoded) == bytes);
  }
}

TEST_CASE("bencode canonical input round-trips byte for byte", "[bencode]") {
  const char* inputs[] = {"i0e",
                          "0:",
                          "le",
                          "de",
                          "d1:ad1:bl1:ci-1eeee",
                          "d8:announce3:url4:infod6:lengthi1e4:name1:xee"};
  for (const char* in : inputs) {
    CHECK(encode(decode_value(in)) == in);
  }
}

TEST_CASE("bencode lenient input is re-encoded canonically", "[bencode]") {
  DecodeOptions options;
  options.strict = false;
  CHECK(encode(decode_value("d1:bi1e1:ai2ee", options)) == "d1:ai2e1:bi1ee");
}

TEST_CASE("bencode Value typed access", "[bencode]") {
  Value v = decode_value("d1:ai1e1:bl0:ee");
  CHECK(v.is_dict());
  CHECK(v.find("a")->as_int() == 1);
  CHECK(v.find("b")->as_list().size() == 1);
  CHECK(v.find("zz") == nullptr);
  CHECK_THROWS_AS(v.find("a")->as_string(), Error);
  CHECK_THROWS_AS(Value(1).as_dict(), Error);
  Value w = 7;
  w["k"] = "v";  // turns into a dictionary
  CHECK(encode(w) == "d1:k1:ve");
}
