// API tokens of bitflowd's users: made from the kernel's random source, shown to the user
// once, and kept only as their SHA-256 so that a copy of the database grants nothing.
#pragma once

#include <string>
#include <string_view>

namespace bitflow::daemon {

/// A new token: "bf_" and 64 lowercase hex digits (256 random bits from getrandom()).
/// Throws std::system_error when the kernel gives no randomness.
[[nodiscard]] std::string make_token();

/// What the store keeps of a token: its SHA-256 as 64 hex digits.
[[nodiscard]] std::string hash_token(std::string_view token);

}  // namespace bitflow::daemon
