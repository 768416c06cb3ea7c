// unhex — byte strings for tests written as hex: "00 0a ff" or "000aff" (spaces ignored).
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

namespace bitflow::test {

inline std::string unhex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    if (hex[i] == ' ') continue;
    REQUIRE(i + 1 < hex.size());
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
    ++i;
  }
  return out;
}

}  // namespace bitflow::test
