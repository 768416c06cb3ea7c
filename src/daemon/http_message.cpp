#include "daemon/http_message.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace bitflow::daemon {

Response json_response(unsigned status, const boost::json::value& value) {
  Response response;
  response.status = status;
  response.body = boost::json::serialize(value);
  response.body += '\n';
  return response;
}

Response error_response(unsigned status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object wrapper;
  wrapper["error"] = std::move(error);
  return json_response(status, wrapper);
}

}  // namespace bitflow::daemon
