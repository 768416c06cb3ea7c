// The S3 client's shell against a scripted HTTP server: which answers it retries, how many
// times, the clock-skew correction from the Date header, and errors that are not retried.
// (moto, in tests/integration/s3_client.sh, checks the signatures and the real calls.)
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <optional>
#include <string>

#include "bitflow/s3.hpp"
#include "support/run_coroutine.hpp"
#include "support/test_http_server.hpp"

using namespace bitflow;
using namespace std::chrono;
namespace asio = boost::asio;

namespace {

const std::string content = "0123456789abcdefghijklmnopqrstuvwxyz";

struct Fixture {
  asio::io_context io;
  test::TestHttpServer server{io};
  std::optional<s3::Client> client;

  Fixture() {
    s3::ClientSettings s;
    s.credentials = {"AKIDEXAMPLE", "secret", ""};
    s.endpoint = s3::Endpoint{"http", "127.0.0.1:" + std::to_string(server.port()), ""};
    s.retry.base_delay = 10ms;
    client.emplace(io, s);
    server.on_file("/b/k", content);
  }

  // Runs get_object(b, k, 2-5) to its end; the data, or the error thrown.
  std::string get(ErrorInfo& error) {
    std::string data;
    test::run_coroutine(
        io,
        [&]() -> asio::awaitable<void> {
          auto r = co_await client->get_object("b", "k", s3::ByteRange{2, 5});
          data = r.data;
        },
        error);
    return data;
  }

  [[nodiscard]] std::size_t requests() const { return server.request_lines().size(); }
};

test::HttpReply s3_error(int status, const std::string& code) {
  return test::HttpReply::status_only(
      status, "<Error><Code>" + code + "</Code><Message>scripted</Message></Error>");
}

std::string http_date(system_clock::time_point t) {
  const std::time_t tt = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

}  // namespace

TEST_CASE("the client retries SlowDown and succeeds on the third attempt", "[s3][client]") {
  Fixture f;
  f.server.fail_next("/b/k", 2, s3_error(503, "SlowDown"));
  ErrorInfo error;
  CHECK(f.get(error) == "2345");
  CHECK_FALSE(error);
  CHECK(f.requests() == 3);
}

TEST_CASE("the client gives up after max_attempts with the last error", "[s3][client]") {
  Fixture f;
  f.server.fail_next("/b/k", 5, s3_error(500, "InternalError"));
  ErrorInfo error;
  CHECK(f.get(error).empty());
  CHECK(error.code == s3::errc::server_error);
  CHECK(error.message ==
        "S3 InternalError: scripted (HTTP 500) in GetObject s3://b/k after 3 attempts");
  CHECK(f.requests() == 3);
}

TEST_CASE("a connection closed without an answer is retried", "[s3][client]") {
  Fixture f;
  f.server.fail_next("/b/k", 1, test::HttpReply::close_without_answer());
  ErrorInfo error;
  CHECK(f.get(error) == "2345");
  CHECK(f.requests() == 2);
}

TEST_CASE("a client error is not retried", "[s3][client]") {
  Fixture f;
  f.server.fail_next("/b/k", 1, s3_error(404, "NoSuchKey"));
  ErrorInfo error;
  CHECK(f.get(error).empty());
  CHECK(error.code == s3::errc::no_such_key);
  CHECK(f.requests() == 1);
}

TEST_CASE("RequestTimeTooSkewed corrects the clock from Date and retries once", "[s3][client]") {
  Fixture f;
  auto skewed = s3_error(403, "RequestTimeTooSkewed");
  skewed.headers.push_back("Date: " + http_date(system_clock::now() + 1h));
  f.server.fail_next("/b/k", 1, skewed);
  ErrorInfo error;
  CHECK(f.get(error) == "2345");
  CHECK(f.requests() == 2);
  CHECK(f.client->clock_offset() >= 3598s);
  CHECK(f.client->clock_offset() <= 3602s);

  // Skewed again after the correction: reported, not corrected forever.
  f.server.fail_next("/b/k", 3, skewed);
  CHECK(f.get(error).empty());
  CHECK(error.code == s3::errc::clock_skew);
}

TEST_CASE("a presigned URL is built without a request", "[s3][client]") {
  Fixture f;
  const std::string url = f.client->presign(s3::PresignMethod::put, "b", "a b", 60s);
  CHECK(url.rfind(f.server.url("/b/a%20b?X-Amz-Algorithm=AWS4-HMAC-SHA256"), 0) == 0);
  CHECK(url.find("X-Amz-Expires=60") != std::string::npos);
  ErrorInfo error;
  CHECK_FALSE(f.client->presign(s3::PresignMethod::get, "b", "k", 8 * 24h, error));
  CHECK(error.code == s3::errc::invalid_expiry);
  CHECK(f.requests() == 0);
}

TEST_CASE("cancelling the awaiting operation abandons the request", "[s3][client]") {
  Fixture f;
  f.server.fail_next("/b/k", 1, test::HttpReply::never_answer());
  asio::cancellation_signal cancel;
  bool done = false;
  std::string failure;
  asio::co_spawn(
      f.io, [&]() -> asio::awaitable<void> { (void)co_await f.client->get_object("b", "k"); },
      asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
        done = true;
        try {
          if (e) std::rethrow_exception(e);
        } catch (const std::exception& x) {
          failure = x.what();
        }
      }));
  REQUIRE(test::run_until(f.io, [&] { return f.requests() == 1; }));
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(test::run_until(
      f.io, [&] { return done; }, 2s));
  CHECK(failure.find("after 1 attempt") != std::string::npos);  // not retried
  CHECK(f.requests() == 1);
}

TEST_CASE("settings come from the process environment like the AWS CLI's", "[s3][client]") {
  // Only this test's variables: no files, no profile.
  for (const char* name :
       {"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_S3", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"})
    unsetenv(name);
  setenv("AWS_CONFIG_FILE", "/nonexistent/bitflow/config", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/bitflow/credentials", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  setenv("AWS_REGION", "eu-central-1", 1);
  setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000", 1);
  setenv("AWS_MAX_ATTEMPTS", "5", 1);
  const s3::ClientSettings s = s3::settings_from_environment();
  CHECK(s.credentials.access_key_id == "AKIDENV");
  CHECK(s.credentials.secret_access_key == "secretenv");
  CHECK(s.region == "eu-central-1");
  REQUIRE(s.endpoint);
  CHECK(s.endpoint->host == "127.0.0.1:9000");
  CHECK(s.retry.max_attempts == 5);

  setenv("AWS_MAX_ATTEMPTS", "zero", 1);
  ErrorInfo error;
  CHECK_FALSE(s3::settings_from_environment(error));
  CHECK(error.code == s3::errc::invalid_config);
  unsetenv("AWS_MAX_ATTEMPTS");
  unsetenv("AWS_ACCESS_KEY_ID");
  CHECK_FALSE(s3::settings_from_environment(error));
  CHECK(error.code == s3::errc::invalid_config);  // half a key pair
  unsetenv("AWS_SECRET_ACCESS_KEY");
  CHECK_FALSE(s3::settings_from_environment(error));
  CHECK(error.code == s3::errc::missing_credentials);
  for (const char* name :
       {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_REGION", "AWS_ENDPOINT_URL"})
    unsetenv(name);
}
