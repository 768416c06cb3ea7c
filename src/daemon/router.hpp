// Which endpoint of bitflowd's API a request's method and target name: a pure function,
// so that every path, every wrong method and every malformed id is a unit test.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "daemon/http_message.hpp"

namespace bitflow::daemon {

enum class Endpoint {
  healthz,           ///< GET /healthz
  metrics,           ///< GET /metrics
  list_downloads,    ///< GET /downloads
  add_download,      ///< POST /downloads
  get_download,      ///< GET /downloads/{id}
  delete_downloads,  ///< POST /downloads/delete
  pause_download,    ///< POST /downloads/{id}/pause
  resume_download,   ///< POST /downloads/{id}/resume
  history,           ///< GET /history
  clear_history,     ///< DELETE /history
  inspect,           ///< POST /inspect
  events,            ///< GET /events
  download_file,     ///< GET /downloads/{id}/files/{index}
  file_link,         ///< POST /downloads/{id}/files/{index}/link
  get_settings,      ///< GET /settings
  put_settings,      ///< PUT /settings
  list_webhooks,     ///< GET /webhooks
  add_webhook,       ///< POST /webhooks
  delete_webhook,    ///< DELETE /webhooks/{id}
  web_file,          ///< GET /, /app.js, /style.css: the web page, served without a token
};

struct Route {
  Endpoint endpoint = Endpoint::healthz;
  std::string id;              ///< the {id} of the path, when it has one
  std::size_t file_index = 0;  ///< the {index} of /downloads/{id}/files/{index}
  std::string query;           ///< what follows '?', undecoded
  std::string web_file;        ///< the file of src/daemon/web/ that a web_file route serves
};

/// The route of `method` and `target`, or the error response: 404 (not_found) for a path
/// that is no endpoint or an id that cannot be a download's, 405 (method_not_allowed, with
/// an Allow header) for a known path with another method. HEAD is not served.
[[nodiscard]] std::variant<Route, Response> route(std::string_view method, std::string_view target);

/// The value of `name` in a query string ("a=1&filter=active"), percent-decoded ('+' is a
/// space); nullopt when absent or when its encoding is broken.
[[nodiscard]] std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace bitflow::daemon
