// bitflowd's API as a function: authentication, Host checks, user isolation and the error
// shapes, against a real Manager (not started, so nothing is fetched) and UserStore.
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "../support/fetch_support.hpp"
#include "bitflow/manager.hpp"
#include "bitflow/manager_store.hpp"
#include "daemon/api.hpp"
#include "daemon/daemon_args.hpp"
#include "daemon/file_link.hpp"
#include "daemon/token.hpp"
#include "daemon/user_store.hpp"

using namespace bitflow::daemon;
using bitflow::test::TempFolder;
namespace m = bitflow::manager;
namespace json = boost::json;

namespace {

struct ApiFixture {
  TempFolder tmp{"bitflowd-api"};
  boost::asio::io_context io;
  UserStore users{tmp.path / "bitflow.db"};
  std::unique_ptr<m::Manager> manager;
  std::unique_ptr<Api> api;
  std::string alice, bob;

  ApiFixture() {
    m::ManagerOptions o;
    o.work_dir = tmp.path / "work";
    o.disk_reserve = 0;
    manager =
        std::make_unique<m::Manager>(io, o, m::open_sqlite_store(tmp.path / "bitflow.db"), nullptr);
    alice = add_user("alice");
    bob = add_user("bob");
    ApiConfig config;
    config.files_dir = tmp.path / "files";
    config.host_names = {"bitflow.example"};
    api = std::make_unique<Api>(*manager, users, config);
  }

  std::string add_user(const std::string& name) {
    const std::string token = make_token();
    User u;
    u.name = name;
    users.add_user(u, hash_token(token));
    return token;
  }

  Outcome call(const std::string& method, const std::string& target, const std::string& token,
               const std::string& body = "") {
    Request r;
    r.method = method;
    r.target = target;
    r.host = "127.0.0.1:8080";
    if (!token.empty()) r.authorization = "Bearer " + token;
    r.body = body;
    return api->handle(r);
  }

  Response answer(const std::string& method, const std::string& target, const std::string& token,
                  const std::string& body = "") {
    Outcome o = call(method, target, token, body);
    REQUIRE(std::holds_alternative<Response>(o));
    return std::get<Response>(o);
  }
};

json::value body_of(const Response& r) {
  return json::parse(r.body);
}

std::string error_code(const Response& r) {
  return std::string(body_of(r).at("error").at("code").as_string());
}

}  // namespace

TEST_CASE("api: /healthz needs no token, everything else does", "[daemon]") {
  ApiFixture f;
  CHECK(f.answer("GET", "/healthz", "").status == 200);
  const Response r = f.answer("GET", "/downloads", "");
  CHECK(r.status == 401);
  CHECK(error_code(r) == "unauthorized");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].first == "WWW-Authenticate");
  CHECK(f.answer("GET", "/downloads", "bf_wrong").status == 401);
  CHECK(f.answer("GET", "/metrics", "").status == 401);
  CHECK(f.answer("GET", "/downloads", f.alice).status == 200);
}

namespace {

std::string header_of(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

}  // namespace

TEST_CASE("api: the web page is served without a token, uncached, under a strict CSP", "[daemon]") {
  ApiFixture f;
  const Response page = f.answer("GET", "/", "");
  CHECK(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body.find("<script src=\"app.js\"") != std::string::npos);
  CHECK(header_of(page, "Cache-Control") == "no-cache");
  CHECK(header_of(page, "Content-Security-Policy").starts_with("default-src 'self'"));
  CHECK(header_of(page, "X-Content-Type-Options") == "nosniff");
  const Response js = f.answer("GET", "/app.js", "");
  CHECK(js.status == 200);
  CHECK(js.content_type == "text/javascript; charset=utf-8");
  CHECK(js.body.find("Authorization") != std::string::npos);
  const Response css = f.answer("GET", "/style.css", "");
  CHECK(css.status == 200);
  CHECK(css.content_type == "text/css; charset=utf-8");
  CHECK(f.answer("GET", "/index.html", "").body == page.body);
  CHECK(f.answer("POST", "/", "").status == 405);
  CHECK(f.answer("GET", "/other.js", "").status == 404);
}

TEST_CASE("api: the Host header must name this server", "[daemon]") {
  ApiFixture f;
  Request r;
  r.method = "GET";
  r.target = "/healthz";
  r.host = "evil.example";
  const Outcome o = f.api->handle(r);
  CHECK(std::get<Response>(o).status == 421);
  r.host = "";
  CHECK(std::get<Response>(f.api->handle(r)).status == 400);
  r.host = "bitflow.example:8080";
  CHECK(std::get<Response>(f.api->handle(r)).status == 200);
}

TEST_CASE("api: an added download is its owner's alone", "[daemon]") {
  ApiFixture f;
  const Response added =
      f.answer("POST", "/downloads", f.alice, R"({"url": "http://127.0.0.1:9/movie.mkv"})");
  REQUIRE(added.status == 201);
  const json::value d = body_of(added);
  const std::string id(d.at("id").as_string());
  CHECK(d.at("owner").as_string() == "alice");
  CHECK(d.at("state").as_string() == "queued");
  CHECK(d.at("destination").as_string() == (f.tmp.path / "files" / "alice").string());

  CHECK(f.answer("GET", "/downloads/" + id, f.alice).status == 200);
  CHECK(f.answer("GET", "/downloads/" + id, f.bob).status == 404);
  CHECK(f.answer("POST", "/downloads/" + id + "/pause", f.bob).status == 404);
  CHECK(body_of(f.answer("GET", "/downloads", f.bob)).at("downloads").as_array().empty());
  CHECK(body_of(f.answer("GET", "/downloads?filter=queued", f.alice))
            .at("downloads")
            .as_array()
            .size() == 1);
  CHECK(body_of(f.answer("GET", "/downloads?filter=finished", f.alice))
            .at("downloads")
            .as_array()
            .empty());

  // Deleting needs every id to be the caller's: bob's attempt removes nothing.
  const Response refused =
      f.answer("POST", "/downloads/delete", f.bob, R"({"ids": [")" + id + R"("]})");
  CHECK(refused.status == 404);
  CHECK(f.manager->get_one(id)->state == m::DownloadState::queued);
  const Response removed =
      f.answer("POST", "/downloads/delete", f.alice, R"({"ids": [")" + id + R"("]})");
  CHECK(removed.status == 200);
  CHECK(f.manager->get_one(id)->state == m::DownloadState::removed);
  CHECK(body_of(f.answer("GET", "/history", f.alice)).at("downloads").as_array().size() == 1);
  CHECK(body_of(f.answer("DELETE", "/history", f.alice)).at("cleared").as_int64() == 1);
}

TEST_CASE("api: the list comes in pages that neither repeat nor skip", "[daemon]") {
  ApiFixture f;
  std::vector<std::string> added;
  for (int i = 0; i < 7; ++i) {
    const Response r = f.answer("POST", "/downloads", f.alice,
                                R"({"url": "http://127.0.0.1:9/f)" + std::to_string(i) + R"("})");
    REQUIRE(r.status == 201);
    added.emplace_back(body_of(r).at("id").as_string());
  }
  f.answer("POST", "/downloads", f.bob, R"({"url": "http://127.0.0.1:9/bobs"})");

  // Three pages of at most 3, in the order of adding; a download added between two pages
  // comes last, on the page it falls on.
  std::vector<std::string> seen;
  std::string after;
  int pages = 0;
  for (;;) {
    std::string target = "/downloads?limit=3";
    if (!after.empty()) target += "&after=" + after;
    const json::value page = body_of(f.answer("GET", target, f.alice));
    const auto& list = page.at("downloads").as_array();
    CHECK(list.size() <= 3);
    for (const json::value& d : list)
      seen.emplace_back(d.at("id").as_string());
    if (++pages == 1) {
      const Response late =
          f.answer("POST", "/downloads", f.alice, R"({"url": "http://127.0.0.1:9/late"})");
      added.emplace_back(body_of(late).at("id").as_string());
    }
    if (page.at("next").is_null()) break;
    after = std::string(page.at("next").as_string());
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  CHECK(seen == added);

  // Without a limit, the first 100; the limit and the cursor are checked.
  CHECK(body_of(f.answer("GET", "/downloads", f.alice)).at("downloads").as_array().size() == 8);
  CHECK(body_of(f.answer("GET", "/downloads", f.alice)).at("next").is_null());
  for (const char* bad : {"limit=0", "limit=1001", "limit=-1", "limit=ten", "after=42",
                          "after=x-abc", "after=1-a%2Fb"}) {
    const Response r = f.answer("GET", std::string("/downloads?") + bad, f.alice);
    CHECK(r.status == 400);
    CHECK(error_code(r) == "bad_request");
  }
  // A cursor past the end is an empty last page, not an error.
  const json::value beyond = body_of(f.answer("GET", "/downloads?after=999999-zzz", f.alice));
  CHECK(beyond.at("downloads").as_array().empty());
  CHECK(beyond.at("next").is_null());
}

TEST_CASE("api: bad requests are answered 400 saying why", "[daemon]") {
  ApiFixture f;
  Response r = f.answer("POST", "/downloads", f.alice, R"({"url": "http://h/f", "x": 1})");
  CHECK(r.status == 400);
  CHECK(body_of(r).at("error").at("message").as_string() == "unknown field \"x\"");
  CHECK(f.answer("POST", "/downloads", f.alice, "not json").status == 400);
  CHECK(f.answer("GET", "/downloads?filter=done", f.alice).status == 400);
  r = f.answer("POST", "/downloads", f.alice, R"({"url": "/etc/passwd"})");
  CHECK(r.status == 400);
  CHECK(error_code(r) == "bad_source");
  CHECK(f.answer("POST", "/inspect", f.alice, R"({"url": "/etc/x.torrent"})").status == 400);
  CHECK(f.answer("POST", "/downloads/nosuch/resume", f.alice).status == 404);
}

TEST_CASE("api: a move the state machine refuses is 409", "[daemon]") {
  ApiFixture f;
  const Response added = f.answer("POST", "/downloads", f.alice, R"({"url": "http://h/f.bin"})");
  const std::string id(body_of(added).at("id").as_string());
  CHECK(f.answer("POST", "/downloads/" + id + "/pause", f.alice).status == 200);
  CHECK(f.manager->get_one(id)->state == m::DownloadState::paused);
  const Response again = f.answer("POST", "/downloads/" + id + "/pause", f.alice);
  CHECK(again.status == 409);
  CHECK(error_code(again) == "illegal_transition");
  CHECK(f.answer("POST", "/downloads/" + id + "/resume", f.alice).status == 200);
}

TEST_CASE("api: inspect, files and events are answered by the socket loop", "[daemon]") {
  ApiFixture f;
  const Outcome inspect = f.call("POST", "/inspect", f.alice, R"({"url": "http://h/a.iso"})");
  REQUIRE(std::holds_alternative<Deferred>(inspect));
  CHECK(std::get<Deferred>(inspect).source == "http://h/a.iso");
  const Outcome with_files =
      f.call("POST", "/downloads", f.alice, R"({"url": "http://h/a.torrent", "files": [1]})");
  REQUIRE(std::holds_alternative<Deferred>(with_files));
  bitflow::Inspection url;
  url.source.kind = bitflow::SourceKind::url;
  url.source.type = "http";
  CHECK(std::get<Deferred>(with_files).finish(url).status == 400);  // not a torrent

  Request r;
  r.method = "GET";
  r.target = "/events";
  r.host = "localhost";
  r.authorization = "Bearer " + f.bob;
  r.last_event_id = "1-5";
  const Outcome events = f.api->handle(r);
  REQUIRE(std::holds_alternative<EventStream>(events));
  CHECK(std::get<EventStream>(events).owner == "bob");
  CHECK(std::get<EventStream>(events).last_event_id == "1-5");
}

TEST_CASE("api: a download's files are served once it completed, to its owner", "[daemon]") {
  ApiFixture f;
  const Response added = f.answer("POST", "/downloads", f.alice, R"({"url": "http://h/f.mp4"})");
  const std::string id(body_of(added).at("id").as_string());
  CHECK(f.answer("GET", "/downloads/" + id + "/files/0", f.bob).status == 404);
  // Queued: the manager does not know its files yet.
  const Response none = f.answer("GET", "/downloads/" + id + "/files/0", f.alice);
  CHECK(none.status == 404);
  CHECK(error_code(none) == "not_found");
}

TEST_CASE("api: a .torrent upload is checked before anything is stored", "[daemon]") {
  ApiFixture f;
  auto upload = [&](const std::string& parts) {
    Request r;
    r.method = "POST";
    r.target = "/downloads";
    r.host = "localhost";
    r.authorization = "Bearer " + f.alice;
    r.content_type = "multipart/form-data; boundary=B";
    r.body = parts + "--B--\r\n";
    Outcome o = f.api->handle(r);
    REQUIRE(std::holds_alternative<Response>(o));
    return std::get<Response>(o);
  };
  const std::string bad_torrent =
      "--B\r\nContent-Disposition: form-data; name=\"torrent\"; filename=\"x.torrent\"\r\n\r\n"
      "not bencode\r\n";
  Response r = upload(bad_torrent);
  CHECK(r.status == 400);
  CHECK(error_code(r) == "bad_torrent");
  r = upload("--B\r\nContent-Disposition: form-data; name=\"colour\"\r\n\r\nred\r\n");
  CHECK(r.status == 400);
  CHECK(body_of(r).at("error").at("message").as_string() == "unknown form field \"colour\"");
  r = upload("--B\r\nContent-Disposition: form-data; name=\"files\"\r\n\r\n[0]\r\n");
  CHECK(body_of(r).at("error").at("message").as_string() == "the form has no \"torrent\" file");
  r = upload(bad_torrent +
             "--B\r\nContent-Disposition: form-data; name=\"destination\"\r\n\r\n../x\r\n");
  CHECK(r.status == 400);
  CHECK(f.manager->get_all().empty());
}

TEST_CASE("api: a user's download location sends their downloads there", "[daemon]") {
  ApiFixture f;
  Response r = f.answer("GET", "/settings", f.alice);
  CHECK(r.status == 200);
  CHECK(body_of(r).at("download_location").is_null());
  CHECK(body_of(r).at("resolved_location").as_string() ==
        (f.tmp.path / "files" / "alice").string());
  r = f.answer("PUT", "/settings", f.alice, R"({"download_location": "media"})");
  CHECK(r.status == 200);
  CHECK(body_of(r).at("download_location").as_string() == "media");
  const Response added = f.answer("POST", "/downloads", f.alice,
                                  R"({"url": "http://h/f.mp4", "destination": "films"})");
  CHECK(body_of(added).at("destination").as_string() ==
        (f.tmp.path / "files" / "alice" / "media" / "films").string());
  r = f.answer("PUT", "/settings", f.alice, R"({"download_location": "s3://my-bucket/in"})");
  CHECK(r.status == 200);
  CHECK(body_of(r).at("resolved_location").as_string() == "s3://my-bucket/in/");
  // Bob's settings are his own.
  CHECK(body_of(f.answer("GET", "/settings", f.bob)).at("download_location").is_null());
  CHECK(f.answer("PUT", "/settings", f.alice, R"({"download_location": "/etc"})").status == 400);
  CHECK(f.answer("PUT", "/settings", f.alice, R"({"download_location": 1})").status == 400);
  CHECK(f.answer("PUT", "/settings", f.alice, R"({"location": "x"})").status == 400);
  r = f.answer("PUT", "/settings", f.alice, R"({"download_location": null})");
  CHECK(body_of(r).at("download_location").is_null());
}

TEST_CASE("api: a file link is signed for its owner and refused when wrong", "[daemon]") {
  ApiFixture f;
  const Response added = f.answer("POST", "/downloads", f.alice, R"({"url": "http://h/f.mp4"})");
  const std::string id(body_of(added).at("id").as_string());
  // A queued URL has no files yet: no link.
  CHECK(f.answer("POST", "/downloads/" + id + "/files/0/link", f.alice).status == 404);
  CHECK(f.answer("POST", "/downloads/" + id + "/files/0/link", f.bob).status == 404);
  Request r;
  r.method = "GET";
  r.host = "localhost";
  r.target = "/downloads/" + id + "/files/0?expires=99999999999&signature=" + std::string(64, '0');
  Outcome o = f.api->handle(r);
  REQUIRE(std::holds_alternative<Response>(o));
  CHECK(std::get<Response>(o).status == 403);
  CHECK(error_code(std::get<Response>(o)) == "bad_link");
  // A valid signature, on a download without files, reaches the file checks (404).
  const std::string sig = sign_file_link(f.users.link_key(), "alice", id, 0, 99999999999);
  r.target = "/downloads/" + id + "/files/0?expires=99999999999&signature=" + sig;
  o = f.api->handle(r);
  CHECK(std::get<Response>(o).status == 404);
  CHECK(f.users.link_key() == f.users.link_key());  // made once, then kept
}

TEST_CASE("api: inspection answers list the files", "[daemon]") {
  bitflow::Inspection i;
  i.source.kind = bitflow::SourceKind::url;
  i.source.type = "http";
  i.name = "a.iso";
  i.size = 42;
  i.files.push_back({0, "a.iso", 42});
  const Response r = inspection_response(i);
  CHECK(r.status == 200);
  const json::value v = body_of(r);
  CHECK(v.at("type").as_string() == "http");
  CHECK(v.at("size").as_int64() == 42);
  CHECK(v.at("files").as_array().size() == 1);
  i.error.code = std::make_error_code(std::errc::connection_refused);
  i.error.message = "connection refused";
  CHECK(inspection_response(i).status == 422);
  bitflow::Inspection unknown;
  unknown.error.code = std::make_error_code(std::errc::invalid_argument);
  unknown.error.message = "not a source";
  CHECK(inspection_response(unknown).status == 400);
}

TEST_CASE("api: bearer tokens and host names are parsed strictly", "[daemon]") {
  CHECK(bearer_token("Bearer abc") == "abc");
  CHECK(bearer_token("bearer  abc ") == "abc");
  CHECK_FALSE(bearer_token("Basic abc"));
  CHECK_FALSE(bearer_token("Bearer "));
  CHECK_FALSE(bearer_token("Bearer a b"));
  CHECK(host_allowed("127.0.0.1:8080", {}));
  CHECK(host_allowed("LOCALHOST", {}));
  CHECK(host_allowed("[::1]:80", {}));
  CHECK(host_allowed("nas.local", {"NAS.local"}));
  CHECK_FALSE(host_allowed("127.0.0.1.evil.com", {}));
  CHECK_FALSE(host_allowed("[::1]x", {}));
  CHECK_FALSE(host_allowed(":80", {}));
  CHECK(remote_source("magnet:?xt=urn:btih:aa"));
  CHECK(remote_source("HTTPS://h/f"));
  CHECK_FALSE(remote_source("file:///etc/passwd"));
  CHECK_FALSE(remote_source("/tmp/a.torrent"));
}

TEST_CASE("api: metrics count downloads by state", "[daemon]") {
  m::DownloadRecord a, b;
  a.state = m::DownloadState::queued;
  b.state = m::DownloadState::downloading;
  b.download_rate = 1000;
  ServerStats stats;
  stats.connections = 3;
  stats.webhook_backlog = 4;
  const std::string text = format_metrics({a, b, a}, stats);
  CHECK(text.find("bitflowd_downloads{state=\"queued\"} 2\n") != std::string::npos);
  CHECK(text.find("bitflowd_downloads{state=\"downloading\"} 1\n") != std::string::npos);
  CHECK(text.find("bitflowd_queue_length 2\n") != std::string::npos);
  CHECK(text.find("bitflowd_download_rate_bytes 1000\n") != std::string::npos);
  CHECK(text.find("bitflowd_http_connections 3\n") != std::string::npos);
  CHECK(text.find("bitflowd_webhook_backlog 4\n") != std::string::npos);
}

TEST_CASE("api: webhooks are their owner's, listed without their secret", "[daemon]") {
  ApiFixture f;
  Response r = f.answer("POST", "/webhooks", f.alice,
                        R"({"url": "https://hooks.example/in", "secret": "s3cret",
                            "events": ["finished", "failed"]})");
  REQUIRE(r.status == 201);
  const std::string id(body_of(r).at("id").as_string());
  CHECK(body_of(r).at("url") == "https://hooks.example/in");
  CHECK(json::serialize(body_of(r).at("events")) == R"(["finished","failed"])");
  CHECK_FALSE(body_of(r).as_object().contains("secret"));

  const Response listed = f.answer("GET", "/webhooks", f.alice);
  REQUIRE(listed.status == 200);
  REQUIRE(body_of(listed).at("webhooks").as_array().size() == 1);
  CHECK(listed.body.find("s3cret") == std::string::npos);
  CHECK(body_of(f.answer("GET", "/webhooks", f.bob)).at("webhooks").as_array().empty());

  CHECK(f.answer("DELETE", "/webhooks/" + id, f.bob).status == 404);
  r = f.answer("POST", "/webhooks", f.alice, R"({"url": "ftp://x/y", "secret": "k"})");
  CHECK(r.status == 400);
  CHECK(error_code(r) == "bad_webhook");
  r = f.answer("POST", "/webhooks", f.alice,
               R"({"url": "https://x/y", "secret": "k", "events": ["done"]})");
  CHECK(error_code(r) == "bad_webhook");
  CHECK(f.answer("POST", "/webhooks", f.alice, R"({"url": "https://x/y"})").status == 400);
  CHECK(f.answer("POST", "/webhooks", f.alice,
                 R"({"url": "https://x/y", "secret": "k", "events": "finished"})")
            .status == 400);
  CHECK(f.answer("PUT", "/webhooks", f.alice).status == 405);

  CHECK(f.answer("DELETE", "/webhooks/" + id, f.alice).status == 200);
  CHECK(body_of(f.answer("GET", "/webhooks", f.alice)).at("webhooks").as_array().empty());
  CHECK(f.answer("DELETE", "/webhooks/" + id, f.alice).status == 404);
}

TEST_CASE("user store keeps token hashes and refuses a taken name", "[daemon]") {
  TempFolder tmp{"bitflowd-users"};
  UserStore users(tmp.path / "u.db");
  User u;
  u.name = "carol";
  u.tier = "pro";
  const std::string token = make_token();
  CHECK(token.size() == 67);
  CHECK(token != make_token());
  users.add_user(u, hash_token(token));
  CHECK(users.find_by_token_hash(hash_token(token))->name == "carol");
  CHECK_FALSE(users.find_by_token_hash(token));
  CHECK_THROWS(users.add_user(u, hash_token(make_token())));
  u.name = "../x";
  CHECK_THROWS_AS(users.add_user(u, "h"), std::invalid_argument);
  m::Tier t;
  t.name = "free";
  t.parallel_downloads = 3;
  users.set_tier(t);
  const auto tiers = merge_tiers(m::default_tiers(), users.tiers());
  CHECK(tiers.size() == m::default_tiers().size());
  for (const m::Tier& tier : tiers)
    if (tier.name == "free") CHECK(tier.parallel_downloads == 3);
}

TEST_CASE("bitflowd's command line", "[daemon]") {
  const DaemonArgs serve = parse_daemon_args(
      {"--data-dir", "/d", "--listen", "127.0.0.1:0", "--host", "nas", "--peer", "1.2.3.4:5"});
  CHECK(serve.command == Command::serve);
  CHECK(serve.listen_port == 0);
  CHECK(serve.hosts == std::vector<std::string>{"nas"});
  const DaemonArgs add =
      parse_daemon_args({"user", "add", "alice", "--tier", "pro", "--data-dir", "/d"});
  CHECK(add.command == Command::user_add);
  CHECK(add.name == "alice");
  CHECK(add.tier == "pro");
  const DaemonArgs tier = parse_daemon_args(
      {"tier", "set", "free", "--parallel", "2", "--max-size", "2G", "--data-dir", "/d"});
  CHECK(tier.command == Command::tier_set);
  CHECK(*tier.parallel == 2);
  CHECK(*tier.max_size == (std::int64_t{2} << 30));
  CHECK_THROWS_AS(parse_daemon_args({"user", "add", "x"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_daemon_args({"user", "remove", "x", "--data-dir", "/d"}),
                  std::invalid_argument);
  CHECK_THROWS_AS(parse_daemon_args({"--data-dir", "/d", "--listen", "nope"}),
                  std::invalid_argument);
  const DaemonArgs limits =
      parse_daemon_args({"--data-dir", "/d", "--header-timeout", "3", "--max-connections", "7"});
  CHECK(limits.header_timeout_seconds == 3);
  CHECK(limits.max_connections == 7);
  CHECK_THROWS_AS(parse_daemon_args({"--data-dir", "/d", "--header-timeout", "0"}),
                  std::invalid_argument);
  CHECK(parse_byte_size("256k") == 262144);
  CHECK(parse_byte_size("1MiB") == 1048576);
  CHECK_THROWS_AS(parse_byte_size("5 parsecs"), std::invalid_argument);
}
