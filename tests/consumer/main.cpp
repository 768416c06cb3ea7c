// Uses the installed bitflow headers and library: decodes a bencoded dictionary and parses
// a magnet link, and exits 0 only if both come out exactly as expected.
#include <bitflow/bencode.hpp>
#include <bitflow/magnet.hpp>

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

namespace {

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: wrong result: %s\n", what);
    ++failures;
  }
}

void check_bencode() {
  const std::string input = "d4:listli1ei-2ee4:name5:hello4:sizei42ee";
  auto doc = bitflow::bencode::decode(input);
  auto root = doc.root();
  expect(root.is_dict(), "root is a dictionary");
  expect(root.size() == 3, "the dictionary has 3 keys");
  expect(root.find_string("name") == std::string_view("hello"), "name is \"hello\"");
  expect(root.find_int("size") == 42, "size is 42");
  auto list = root.find_list("list");
  expect(list.size() == 2 && list.at(0).int_value() == 1 && list.at(1).int_value() == -2,
         "list is [1, -2]");

  // The non-throwing form reports bad input instead of accepting it.
  bitflow::ErrorInfo error;
  expect(!bitflow::bencode::decode("i03e", error) && error, "\"i03e\" is rejected");
}

void check_magnet() {
  const char* uri =
      "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
      "&dn=Hello+World&tr=http%3A%2F%2F127.0.0.1%3A9%2Fannounce&xl=1234";
  auto magnet = bitflow::Magnet::parse(uri);
  expect(magnet.info_hash && magnet.info_hash->hex() == "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
         "the info-hash");
  expect(magnet.display_name == "Hello World", "the display name");
  expect(magnet.trackers.size() == 1 && magnet.trackers[0] == "http://127.0.0.1:9/announce",
         "the tracker");
  expect(magnet.exact_length == 1234, "the exact length");

  bitflow::ErrorInfo error;
  expect(!bitflow::Magnet::parse("http://example.invalid/", error) && error,
         "a non-magnet URI is rejected");
}

}  // namespace

int main() {
  try {
    check_bencode();
    check_magnet();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: unexpected exception: %s\n", e.what());
    return 1;
  }
  if (failures == 0) std::puts("consumer: bitflow works from its installed package");
  return failures == 0 ? 0 : 1;
}
