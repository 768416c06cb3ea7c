// s3:// sources: the URL rules (bucket and key as written), the object's URL by the
// endpoint rules, the registry's detection and errors, and — against the scripted HTTP
// server, which checks every request head — a request signer called afresh for every
// request, retries included, and a SigV4 signature that a re-computation agrees with.
// (moto, in tests/integration/s3_source.sh, checks the signatures for real.)
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "../support/fetch_support.hpp"
#include "../support/iso_time.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/fetcher_registry.hpp"
#include "bitflow/s3_source.hpp"
#include "fetchers/source_kind.hpp"
#include "s3/sigv4.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::HttpReply;
using bitflow::test::parse_amz_date;
using bitflow::test::read_file;
using bitflow::test::request_header;
using bitflow::test::run_to_end;
using bitflow::test::run_until;
using bitflow::test::TempFolder;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string pattern(std::size_t size) {
  std::string body(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    body[i] = static_cast<char>((i * 131) ^ (i >> 9));
  return body;
}

s3::ClientSettings settings_for(const TestHttpServer& server) {
  s3::ClientSettings s;
  s.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "the-token"};
  s.region = "eu-central-1";
  s.endpoint = s3::Endpoint{"http", "127.0.0.1:" + std::to_string(server.port()), ""};
  return s;
}

std::string bad_url_message(std::string_view url) {
  ErrorInfo error;
  CHECK_FALSE(s3::parse_object_url(url, error));
  CHECK(error.code == fetch::errc::bad_url);
  return error.message;
}

}  // namespace

TEST_CASE("s3 URLs are a kind of their own, bucket and key as written", "[s3][source]") {
  CHECK(fetch::classify_source("s3://b/k", false).kind == SourceKind::s3);
  CHECK(fetch::classify_source("S3://b/k", false).type == "s3");
  // Even a bad one: its error comes from create() or inspect(), saying what is missing.
  CHECK(fetch::classify_source("s3://b", false).kind == SourceKind::s3);
  CHECK(std::string(to_string(SourceKind::s3)) == "s3");

  auto where = s3::parse_object_url("s3://my-bucket/dir/my file%20x.txt");
  CHECK(where.bucket == "my-bucket");
  CHECK(where.key == "dir/my file%20x.txt");  // not percent-decoded, like `aws s3 cp`
  CHECK(s3::parse_object_url("s3://b/a?b#c").key == "a?b#c");
  CHECK(s3::parse_object_url("s3://b/dir/").key == "dir/");  // an object (presign may want it)

  CHECK_THAT(bad_url_message("s3://b"), Catch::Contains("names a bucket, not an object"));
  CHECK_THAT(bad_url_message("s3://b/"), Catch::Contains("names a bucket, not an object"));
  CHECK_THAT(bad_url_message("s3:///k"), Catch::Contains("has no bucket"));
  CHECK_THAT(bad_url_message("s3://"), Catch::Contains("has no bucket"));
  CHECK_THAT(bad_url_message("http://b/k"), Catch::Contains("is not an s3://bucket/key URL"));
}

TEST_CASE("an s3 source downloads the object's URL under the key's last segment", "[s3][source]") {
  s3::ClientSettings custom;
  custom.endpoint = s3::Endpoint{"http", "127.0.0.1:9000", ""};
  UrlFetchOptions base;
  base.connections = 7;
  auto o = s3::object_fetch_options("s3://b/dir/my file.txt", base, custom);
  CHECK(o.url == "http://127.0.0.1:9000/b/dir/my%20file.txt");  // path-style on an endpoint
  CHECK(o.file_name == "my file.txt");
  CHECK(o.source_name == "s3://b/dir/my file.txt");
  CHECK(o.connections == 7);
  CHECK(o.verify_tls);
  REQUIRE(o.request_signer);

  s3::ClientSettings aws;
  aws.region = "eu-west-1";
  aws.verify_tls = false;
  CHECK(s3::object_fetch_options("s3://bucket/k", base, aws).url ==
        "https://bucket.s3.eu-west-1.amazonaws.com/k");
  CHECK_FALSE(s3::object_fetch_options("s3://bucket/k", base, aws).verify_tls);
  // A dot in the name would break the wildcard certificate: path-style.
  CHECK(s3::object_fetch_options("s3://my.bucket/top.bin", base, aws).url ==
        "https://s3.eu-west-1.amazonaws.com/my.bucket/top.bin");
  base.file_name = "chosen.bin";
  CHECK(s3::object_fetch_options("s3://bucket/a/b.bin", base, aws).file_name == "chosen.bin");

  ErrorInfo error;
  CHECK_FALSE(s3::object_fetch_options("s3://b/dir/", base, aws, error));
  CHECK(error.code == fetch::errc::bad_url);
  CHECK_THAT(error.message, Catch::Contains("names a folder"));
  aws.addressing = s3::AddressingStyle::virtual_hosted;
  CHECK_FALSE(s3::object_fetch_options("s3://Not_A_Host/k", base, aws, error));
  CHECK(error.code == s3::errc::invalid_config);
}

TEST_CASE("the registry refuses an s3 URL without a key, saying so", "[s3][source]") {
  asio::io_context io;
  FetcherRegistry registry(io);
  FetchOptions options;
  options.s3 = s3::ClientSettings{};
  CHECK(registry.detect("s3://b/dir/my file.bin").kind == SourceKind::s3);
  try {
    (void)registry.create("s3://b", options);
    FAIL("created a fetcher for a bucket");
  } catch (const Error& e) {
    CHECK(e.code() == fetch::errc::bad_url);
    CHECK_THAT(e.what(), Catch::Contains("'s3://b' names a bucket, not an object"));
  }
  auto fetcher = registry.create("s3://b/dir/my file.bin", options);
  CHECK(dynamic_cast<UrlFetcher*>(fetcher.get()) != nullptr);

  std::optional<Inspection> inspected;
  registry.inspect(
      "s3://b/", [&](Inspection in) { inspected = std::move(in); }, options);
  REQUIRE(run_until(io, [&] { return inspected.has_value(); }));
  CHECK(inspected->source.kind == SourceKind::s3);
  CHECK_THAT(inspected->error.message, Catch::Contains("names a bucket, not an object"));
}

TEST_CASE("the request signer is called for every request, retries included", "[s3][source]") {
  asio::io_context io;
  TestHttpServer server(io);
  const std::string body = pattern(300'000);
  server.on_file("/obj.bin", body);
  std::vector<std::string> seen;  // the Authorization of each request, as it arrived
  int unsigned_requests = 0, ranged = 0;
  server.check_heads([&](std::string_view head) -> std::optional<HttpReply> {
    const std::string authorization = request_header(head, "Authorization");
    if (authorization.empty()) {
      ++unsigned_requests;
      return HttpReply::status_only(403, "unsigned");
    }
    seen.push_back(authorization);
    if (!request_header(head, "Range").empty() && ++ranged == 1)
      return HttpReply::status_only(503, "try again");  // the first ranged GET, once
    return std::nullopt;
  });
  int calls = 0;
  std::set<std::string> methods;
  TempFolder out("bitflow-s3src");
  UrlFetchOptions o;
  o.url = server.url("/obj.bin");
  o.output_dir = out.path;
  o.connections = 3;
  o.min_segment = 64 * 1024;
  o.request_signer = [&](std::string_view method, std::string_view url) {
    CHECK(url == server.url("/obj.bin"));
    methods.insert(std::string(method));
    return std::vector<std::string>{"Authorization: call-" + std::to_string(++calls)};
  };
  UrlFetcher f(io, o);
  auto s = run_to_end(io, f);
  INFO(s.error);
  REQUIRE(s.state == FetchState::completed);
  CHECK(read_file(out.path / "obj.bin") == body);
  CHECK(unsigned_requests == 0);
  CHECK(ranged >= 4);  // 3 segments, one of them twice
  CHECK(calls == static_cast<int>(server.request_lines().size()));
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == seen.size());  // all fresh
  CHECK(methods == std::set<std::string>{"GET", "HEAD"});
}

TEST_CASE("an s3 source signs with SigV4 as a re-computation does, and inspects", "[s3][source]") {
  asio::io_context io;
  TestHttpServer server(io);
  const std::string body = pattern(200'000);
  server.on_file("/b/dir/my%20file.bin", body);
  const s3::ClientSettings settings = settings_for(server);
  int checked = 0;
  std::vector<std::string> problems;
  server.check_heads([&](std::string_view head) -> std::optional<HttpReply> {
    s3::SignableRequest request;
    request.method = std::string(head.substr(0, head.find(' ')));
    request.path = "/b/dir/my file.bin";
    request.headers.emplace_back("Host", request_header(head, "Host"));
    request.payload_hash = s3::empty_payload_sha256;
    const std::string date = request_header(head, "X-Amz-Date");
    if (date.empty()) return HttpReply::status_only(403, "no X-Amz-Date");
    const s3::SigningParams params{
        settings.credentials, settings.region, "s3", parse_amz_date(date), {}};
    const auto expected = s3::sign_request(request, params);
    if (request_header(head, "Authorization") != expected.authorization)
      problems.push_back(std::string(head));
    if (request_header(head, "X-Amz-Content-SHA256") != s3::empty_payload_sha256 ||
        request_header(head, "X-Amz-Security-Token") != "the-token")
      problems.push_back(std::string(head));
    ++checked;
    return std::nullopt;
  });
  FetcherRegistry registry(io);
  TempFolder out("bitflow-s3src");
  FetchOptions options;
  options.output_dir = out.path;
  options.s3 = settings;
  options.url.min_segment = 64 * 1024;

  std::optional<Inspection> inspected;
  registry.inspect(
      "s3://b/dir/my file.bin", [&](Inspection in) { inspected = std::move(in); }, options);
  REQUIRE(run_until(io, [&] { return inspected.has_value(); }));
  INFO(inspected->error.message);
  CHECK_FALSE(inspected->error);
  CHECK(inspected->source.type == "s3");
  CHECK(inspected->name == "my file.bin");
  CHECK(inspected->size == 200'000);

  auto fetcher = registry.create("s3://b/dir/my file.bin", options);
  auto s = run_to_end(io, *fetcher);
  INFO(s.error);
  REQUIRE(s.state == FetchState::completed);
  CHECK(read_file(out.path / "my file.bin") == body);
  CHECK(checked >= 5);  // two HEADs, at least three ranged GETs
  CHECK(checked == static_cast<int>(server.request_lines().size()));
  for (const auto& p : problems)
    FAIL_CHECK("a request whose signature does not check: " << p);
}

TEST_CASE("a 403 or 404 from an s3 source is final and names the object", "[s3][source]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/b/denied.bin", HttpReply::status_only(403));
  FetcherRegistry registry(io);
  TempFolder out("bitflow-s3src");
  FetchOptions options;
  options.output_dir = out.path;
  options.s3 = settings_for(server);
  for (const char* source : {"s3://b/missing.bin", "s3://b/denied.bin"}) {
    INFO(source);
    const auto before = server.request_lines().size();
    auto fetcher = registry.create(source, options);
    auto s = run_to_end(io, *fetcher);
    CHECK(s.state == FetchState::failed);
    CHECK(s.error_code == fetch::errc::server_refused);
    CHECK_THAT(s.error, Catch::StartsWith(std::string(source) + ": HTTP 40"));
    CHECK(server.request_lines().size() == before + 1);  // not retried
  }
  CHECK(fs::is_empty(out.path));
}
