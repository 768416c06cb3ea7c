// Sha1Hasher: piecewise SHA-1 agrees with the one-shot digest, at every split.
#include <catch2/catch.hpp>
#include <string>
#include <utility>

#include "bitflow/hash.hpp"

using namespace bitflow;

TEST_CASE("sha1 of the FIPS 180 'abc' vector", "[hash]") {
  CHECK(sha1("abc").hex() == "a9993e364706816aba3e25717850c26c9cd0d89d");
  Sha1Hasher h;
  h.update("a");
  h.update("");
  h.update("bc");
  CHECK(h.finish().hex() == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("piecewise sha1 equals the one-shot digest at every split point", "[hash]") {
  std::string data;
  for (int i = 0; i < 300; ++i)
    data += static_cast<char>(i * 7 + 3);
  const Sha1Hash whole = sha1(data);
  Sha1Hasher h;
  for (std::size_t split = 0; split <= data.size(); ++split) {
    h.update(std::string_view(data).substr(0, split));
    h.update(std::string_view(data).substr(split));
    INFO("split at " << split);
    REQUIRE(h.finish() == whole);  // finish() also starts the hasher over
  }
}

TEST_CASE("a moved sha1 hasher carries its state; the moved-from one refuses use", "[hash]") {
  Sha1Hasher a;
  a.update("ab");
  Sha1Hasher b(std::move(a));
  b.update("c");
  CHECK(b.finish() == sha1("abc"));
  CHECK_THROWS_AS(a.update("x"), std::logic_error);  // NOLINT(bugprone-use-after-move)
  Sha1Hasher c;
  c = std::move(b);
  c.update("abc");
  CHECK(c.finish() == sha1("abc"));
}
