// The hashers: piecewise SHA-1 and SHA-256 agree with the one-shot digests, at every split,
// and sha256_of_file with the digest of the same bytes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
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

TEST_CASE("sha256 piecewise and of a file agree with the FIPS 180 vectors", "[hash]") {
  const std::string abc_digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(sha256("abc").hex() == abc_digest);
  Sha256Hasher h;
  h.update("ab");
  h.update("c");
  CHECK(h.finish().hex() == abc_digest);
  h.update("");  // started over: the empty message
  CHECK(h.finish().hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  // A file of more than one 1 MiB read block, with a tail.
  const auto path =
      std::filesystem::temp_directory_path() / ("bitflow-hash-test-" + std::to_string(::getpid()));
  std::string data(std::size_t{3} << 20 | 12345, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>((i * 2654435761u) >> 13);
  {
    std::ofstream out(path, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  CHECK(sha256_of_file(path) == sha256(data));
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(sha256_of_file(path),
                    Catch::Contains("cannot open") && Catch::Contains(path.string()));
}
