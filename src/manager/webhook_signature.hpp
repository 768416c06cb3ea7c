// How a webhook delivery is signed: HMAC-SHA256 of the exact body bytes with the webhook's
// secret, sent as "X-Bitflow-Signature: sha256=<64 lowercase hex digits>". A receiver
// recomputes it over the bytes it got and compares in constant time. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace bitflow::manager::detail {

/// HMAC-SHA256 (RFC 2104 over SHA-256) of `data` with `key`, as 64 lowercase hex digits.
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view data);

/// The value of the X-Bitflow-Signature header for `body`: "sha256=" + hmac_sha256_hex.
[[nodiscard]] std::string webhook_signature(std::string_view secret, std::string_view body);

}  // namespace bitflow::manager::detail
