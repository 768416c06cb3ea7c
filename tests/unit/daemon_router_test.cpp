// bitflowd's router and query strings: every endpoint, wrong methods, malformed ids.
#include <catch2/catch.hpp>

#include "daemon/router.hpp"

using namespace bitflow::daemon;

namespace {

Route routed(std::string_view method, std::string_view target) {
  auto r = route(method, target);
  REQUIRE(std::holds_alternative<Route>(r));
  return std::get<Route>(r);
}

Response refused(std::string_view method, std::string_view target) {
  auto r = route(method, target);
  REQUIRE(std::holds_alternative<Response>(r));
  return std::get<Response>(r);
}

}  // namespace

TEST_CASE("router maps every endpoint of the API", "[daemon]") {
  CHECK(routed("GET", "/healthz").endpoint == Endpoint::healthz);
  const Route page = routed("GET", "/");
  CHECK(page.endpoint == Endpoint::web_file);
  CHECK(page.web_file == "index.html");
  CHECK(routed("GET", "/index.html").web_file == "index.html");
  CHECK(routed("GET", "/app.js").web_file == "app.js");
  CHECK(routed("GET", "/style.css").web_file == "style.css");
  CHECK(routed("GET", "/?token=x").web_file == "index.html");
  CHECK(routed("GET", "/metrics").endpoint == Endpoint::metrics);
  CHECK(routed("GET", "/events").endpoint == Endpoint::events);
  CHECK(routed("POST", "/inspect").endpoint == Endpoint::inspect);
  CHECK(routed("GET", "/settings").endpoint == Endpoint::get_settings);
  CHECK(routed("PUT", "/settings").endpoint == Endpoint::put_settings);
  CHECK(routed("GET", "/history").endpoint == Endpoint::history);
  CHECK(routed("DELETE", "/history").endpoint == Endpoint::clear_history);
  CHECK(routed("GET", "/downloads").endpoint == Endpoint::list_downloads);
  CHECK(routed("POST", "/downloads").endpoint == Endpoint::add_download);
  CHECK(routed("POST", "/downloads/delete").endpoint == Endpoint::delete_downloads);
  const Route one = routed("GET", "/downloads/Ab3_x-9");
  CHECK(one.endpoint == Endpoint::get_download);
  CHECK(one.id == "Ab3_x-9");
  const Route pause = routed("POST", "/downloads/abc/pause");
  CHECK(pause.endpoint == Endpoint::pause_download);
  CHECK(pause.id == "abc");
  CHECK(routed("POST", "/downloads/abc/resume").endpoint == Endpoint::resume_download);
  CHECK(routed("GET", "/webhooks").endpoint == Endpoint::list_webhooks);
  CHECK(routed("POST", "/webhooks").endpoint == Endpoint::add_webhook);
  const Route hook = routed("DELETE", "/webhooks/Wh_1");
  CHECK(hook.endpoint == Endpoint::delete_webhook);
  CHECK(hook.id == "Wh_1");
}

TEST_CASE("router keeps the query string apart from the path", "[daemon]") {
  const Route r = routed("GET", "/downloads?filter=active&x=1");
  CHECK(r.endpoint == Endpoint::list_downloads);
  CHECK(r.query == "filter=active&x=1");
}

TEST_CASE("router answers 405 with Allow for a known path and another method", "[daemon]") {
  const Response r = refused("PUT", "/downloads");
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].first == "Allow");
  CHECK(r.headers[0].second == "GET, POST");
  CHECK(r.body.find("method_not_allowed") != std::string::npos);
  CHECK(refused("GET", "/downloads/abc/pause").status == 405);
  CHECK(refused("HEAD", "/healthz").status == 405);
  CHECK(refused("POST", "/app.js").status == 405);
}

TEST_CASE("router answers 404 for unknown paths and ids that cannot be a download's", "[daemon]") {
  CHECK(refused("GET", "/favicon.ico").status == 404);
  CHECK(refused("GET", "/app.js/x").status == 404);
  CHECK(refused("GET", "/downloadsx").status == 404);
  CHECK(refused("GET", "/downloads/").status == 404);
  CHECK(refused("GET", "/downloads/a.b").status == 404);
  CHECK(refused("GET", "/downloads/..%2f").status == 404);
  CHECK(refused("POST", "/downloads/abc/stop").status == 404);
  CHECK(refused("GET", "/downloads/" + std::string(65, 'a')).status == 404);
}

TEST_CASE("query_param decodes percent escapes and plus signs", "[daemon]") {
  CHECK(query_param("filter=active", "filter") == "active");
  CHECK(query_param("a=1&filter=fin%69shed", "filter") == "finished");
  CHECK(query_param("q=a+b", "q") == "a b");
  CHECK(query_param("flag", "flag") == "");
  CHECK_FALSE(query_param("a=1", "filter").has_value());
  CHECK_FALSE(query_param("filter=%zz", "filter").has_value());
  CHECK_FALSE(query_param("filter=%4", "filter").has_value());
}
