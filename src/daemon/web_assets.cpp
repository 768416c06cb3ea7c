#include "daemon/web_assets.hpp"

#include <string>

namespace bitflow::daemon {

std::string_view web_content_type(std::string_view name) noexcept {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  if (name.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::optional<Response> web_file_response(std::string_view name) {
  for (const EmbeddedFile& f : embedded_web_files()) {
    if (f.name != name) continue;
    Response r;
    r.content_type = std::string(web_content_type(name));
    r.body = std::string(f.bytes);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  return std::nullopt;
}

}  // namespace bitflow::daemon
