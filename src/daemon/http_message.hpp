// The HTTP requests and responses of bitflowd's API as plain values: the API's logic
// (daemon/api.hpp) maps one to the other without sockets, so that it is tested by calling
// it; the Beast server (daemon/http_server.hpp) only copies fields in and out.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bitflow::daemon {

struct Request {
  std::string method;  ///< "GET", "POST", …
  std::string target;  ///< the request target: path and query ("/downloads?filter=all")
  std::string host;    ///< the Host header; empty when absent
  std::string authorization;
  std::string last_event_id;  ///< the Last-Event-ID header (GET /events)
  std::string content_type;   ///< the Content-Type header (multipart uploads)
  std::string range;          ///< the Range header (GET /downloads/{id}/files/{index})
  std::string body;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Headers besides Content-Type and Content-Length (WWW-Authenticate, Allow, Location…).
  std::vector<std::pair<std::string, std::string>> headers;
};

/// A JSON response: `value` serialized, with a newline for curl users.
[[nodiscard]] Response json_response(unsigned status, const boost::json::value& value);

/// The API's error shape: {"error": {"code": CODE, "message": MESSAGE}}. `code` is a
/// stable machine-readable word ("unauthorized", "not_found", "bad_request" …); the message
/// says what is wrong for a human.
[[nodiscard]] Response error_response(unsigned status, std::string_view code,
                                      std::string_view message);

}  // namespace bitflow::daemon
