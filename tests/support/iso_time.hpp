// parse_iso_time("2013-05-24T00:00:00Z"): the UTC time a test vector names (SigV4 cases).
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace bitflow::test {

inline std::chrono::sys_seconds parse_iso_time(const std::string& text) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  REQUIRE(std::sscanf(text.c_str(), "%d-%u-%uT%u:%u:%uZ", &y, &mo, &d, &h, &mi, &s) == 6);
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

}  // namespace bitflow::test
