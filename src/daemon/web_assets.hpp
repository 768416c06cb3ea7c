// The web page's files (src/daemon/web/), embedded into bitflowd at build time by
// cmake/embed_files.cmake, and the responses that serve them. The page holds no data: it
// is served without a token, and every call it makes to the API carries the user's.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "daemon/http_message.hpp"

namespace bitflow::daemon {

struct EmbeddedFile {
  std::string_view name;   ///< the file's name in src/daemon/web/ ("index.html")
  std::string_view bytes;  ///< its contents
};

/// Every file of src/daemon/web/, in the binary's read-only data (generated source).
[[nodiscard]] std::span<const EmbeddedFile> embedded_web_files() noexcept;

/// The Content-Type of a web file from its extension ("text/html; charset=utf-8" …).
[[nodiscard]] std::string_view web_content_type(std::string_view name) noexcept;

/// The 200 response serving the embedded file `name`, with its Content-Type,
/// `Cache-Control: no-cache`, a strict Content-Security-Policy (default-src 'self', no
/// framing) and `X-Content-Type-Options: nosniff`; nullopt when there is no such file.
[[nodiscard]] std::optional<Response> web_file_response(std::string_view name);

}  // namespace bitflow::daemon
