// concat(a, b, ...): one string from string-like parts, appended in order. Also a way
// around g++ 12's -Wrestrict false positive on `"literal" + std::string` at -O3.
#pragma once

#include <string>

namespace bitflow::util {

template <typename... Parts>
[[nodiscard]] std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

}  // namespace bitflow::util
