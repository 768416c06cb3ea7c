// Signed links to a download's file, for players that cannot send an Authorization
// header (a TV's browser, VLC given a URL): "?expires=UNIX_SECONDS&signature=HEX", where
// the signature is HMAC-SHA256 under the server's link key of the owner, the download id,
// the file index and the expiry. Pure; the key lives in the database (UserStore).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bitflow::daemon {

/// The signature of a link (64 hex digits).
[[nodiscard]] std::string sign_file_link(std::string_view key, std::string_view owner,
                                         std::string_view id, std::size_t index,
                                         std::int64_t expires);

/// Whether `signature` is the link's and `expires` (Unix seconds) is not before `now`
/// (compared in constant time, so that a guess learns nothing from the answer's timing).
[[nodiscard]] bool check_file_link(std::string_view key, std::string_view owner,
                                   std::string_view id, std::size_t index, std::int64_t expires,
                                   std::string_view signature, std::int64_t now);

}  // namespace bitflow::daemon
