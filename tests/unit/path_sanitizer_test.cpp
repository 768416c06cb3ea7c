#include <catch2/catch.hpp>

#include "bitflow/metainfo.hpp"
#include "metainfo/path_sanitizer.hpp"

using namespace bitflow;

TEST_CASE("path elements that could escape the folder are dropped", "[paths]") {
  CHECK(sanitize_path_component("..").empty());
  CHECK(sanitize_path_component(".").empty());
  CHECK(sanitize_path_component("").empty());
}

TEST_CASE("separators and control characters become underscores", "[paths]") {
  CHECK(sanitize_path_component("a/b") == "a_b");
  CHECK(sanitize_path_component("/etc") == "_etc");
  CHECK(sanitize_path_component("a\\b") == "a_b");
  CHECK(sanitize_path_component(std::string("a\0b", 3)) == "a_b");
  CHECK(sanitize_path_component("tab\there\n") == "tab_here_");
  CHECK(sanitize_path_component("../..") == ".._..");  // one element: harmless text
}

TEST_CASE("valid UTF-8 is kept and invalid bytes are replaced", "[paths]") {
  CHECK(sanitize_path_component("caf\xc3\xa9 \xe2\x82\xac.txt") == "caf\xc3\xa9 \xe2\x82\xac.txt");
  CHECK(sanitize_path_component("bad\xff") == "bad_");
  CHECK(sanitize_path_component("\xc0\xaf") == "__");            // overlong '/'
  CHECK(sanitize_path_component("\xed\xa0\x80") == "___");       // surrogate
  CHECK(sanitize_path_component("\xf4\x90\x80\x80") == "____");  // past U+10FFFF
  CHECK(sanitize_path_component("cut\xe2\x82") == "cut__");
}

TEST_CASE("long elements are cut to 255 bytes keeping the extension", "[paths]") {
  std::string name(300, 'a');
  CHECK(sanitize_path_component(name).size() == 255);
  auto with_ext = sanitize_path_component(name + ".mkv");
  CHECK(with_ext.size() == 255);
  CHECK(with_ext.ends_with("a.mkv"));
  // Multi-byte characters are never split.
  std::string euros;
  for (int i = 0; i < 100; ++i)
    euros += "\xe2\x82\xac";
  auto cut = sanitize_path_component(euros);
  CHECK(cut.size() == 255);
  CHECK(sanitize_path_component(cut) == cut);
}

TEST_CASE("numbered names go before the extension", "[paths]") {
  CHECK(detail::with_number("bar.txt", 1) == "bar.1.txt");
  CHECK(detail::with_number("bar", 2) == "bar.2");
  CHECK(detail::with_number(".hidden", 3) == ".hidden.3");
}

TEST_CASE("repeated paths get numbers, in order", "[paths]") {
  detail::PathDeduplicator d;
  CHECK(d.claim({"t", "foo", "bar.txt"}) == "t/foo/bar.txt");
  CHECK(d.claim({"t", "foo", "bar.txt"}) == "t/foo/bar.1.txt");
  CHECK(d.claim({"t", "foo", "bar.txt"}) == "t/foo/bar.2.txt");
  CHECK(d.claim({"t", "foo", "bar.1.txt"}) == "t/foo/bar.1.1.txt");
}

TEST_CASE("a file and a folder of the same name do not collide", "[paths]") {
  detail::PathDeduplicator d;
  CHECK(d.claim({"t", "a", "b"}) == "t/a/b");
  CHECK(d.claim({"t", "a"}) == "t/a.1");  // 'a' is already a folder
  detail::PathDeduplicator e;
  CHECK(e.claim({"t", "a"}) == "t/a");
  CHECK(e.claim({"t", "a", "b"}) == "t/a.1/b");  // 'a' is already a file
  CHECK(e.claim({"t", "a", "c"}) == "t/a.1/c");
}

TEST_CASE("many copies of one path are numbered in linear time", "[paths]") {
  // A hostile torrent may repeat one path a million times; numbering must not restart
  // at 1 for each copy.
  detail::PathDeduplicator d;
  for (int i = 0; i < 50'000; ++i)
    d.claim({"t", "a"});
  CHECK(d.claim({"t", "a"}) == "t/a.50000");
  CHECK(d.claim({"t", "a.50001"}) == "t/a.50001");
  CHECK(d.claim({"t", "a"}) == "t/a.50002");
}
