// parse_iso_time("2013-05-24T00:00:00Z"): the UTC time a test vector names (SigV4 cases);
// parse_amz_date("20130524T000000Z"): the time of a signed request.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace bitflow::test {

namespace detail {
// `text` read by the sscanf `format` of year, month, day, hour, minute, second, in UTC.
inline std::chrono::sys_seconds utc_time(const std::string& text, const char* format) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  REQUIRE(std::sscanf(text.c_str(), format, &y, &mo, &d, &h, &mi, &s) == 6);
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}
}  // namespace detail

inline std::chrono::sys_seconds parse_iso_time(const std::string& text) {
  return detail::utc_time(text, "%d-%u-%uT%u:%u:%uZ");
}

/// X-Amz-Date's basic form: "20150830T123600Z".
inline std::chrono::sys_seconds parse_amz_date(const std::string& text) {
  return detail::utc_time(text, "%4d%2u%2uT%2u%2u%2uZ");
}

}  // namespace bitflow::test
