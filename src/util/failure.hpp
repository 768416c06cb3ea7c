// The value a parser's fail() returns: converts to `false` in functions that return bool
// and to an empty optional in functions that return one, so every failure path reads
// `return fail(code, "what");`. Internal.
#pragma once

#include <optional>

namespace bitflow::util {

struct Failure {
  // NOLINTNEXTLINE(google-explicit-constructor): implicit on purpose, see above
  operator bool() const noexcept { return false; }
  template <typename T>
  operator std::optional<T>() const noexcept {  // NOLINT(google-explicit-constructor)
    return std::nullopt;
  }
};

}  // namespace bitflow::util
