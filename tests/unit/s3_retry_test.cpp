// The S3 client's retry policy (the AWS SDKs' standard mode), clock-skew correction, and
// how one request is built and its answer judged, without a network.
#include <algorithm>
#include <catch2/catch.hpp>

#include "s3/retry_policy.hpp"
#include "s3/s3_call.hpp"

using namespace bitflow;
using namespace bitflow::s3;
using namespace std::chrono;

namespace {

AttemptOutcome http(long status, std::string code = {}) {
  AttemptOutcome o;
  o.http_status = status;
  o.s3_code = std::move(code);
  return o;
}

AttemptOutcome no_answer(bool timed_out = false) {
  AttemptOutcome o;
  o.timed_out = timed_out;
  return o;
}

}  // namespace

TEST_CASE("server errors, throttling and lost connections are transient", "[s3][retry]") {
  for (long status : {500L, 502L, 503L, 504L})
    CHECK(is_transient(http(status)));
  CHECK(is_transient(http(503, "SlowDown")));
  CHECK(is_transient(http(400, "RequestTimeout")));
  CHECK(is_transient(http(200, "InternalError")));  // a 200 CompleteMultipartUpload <Error>
  CHECK(is_transient(no_answer()));
  CHECK(is_transient(no_answer(true)));
}

TEST_CASE("client errors and local failures are not retried", "[s3][retry]") {
  CHECK_FALSE(is_transient(http(404, "NoSuchBucket")));
  CHECK_FALSE(is_transient(http(403, "SignatureDoesNotMatch")));
  CHECK_FALSE(is_transient(http(403, "InvalidAccessKeyId")));
  CHECK_FALSE(is_transient(http(400, "EntityTooSmall")));
  CHECK_FALSE(is_transient(http(501)));
  AttemptOutcome cancelled;
  cancelled.local_failure = true;
  CHECK_FALSE(is_transient(cancelled));
  const RetryDecision d = decide_retry(http(403, "SignatureDoesNotMatch"), 1, false, {}, 0.5);
  CHECK(d.action == RetryAction::give_up);
}

TEST_CASE("backoff is full jitter under an exponential ceiling capped at 20 s", "[s3][retry]") {
  const RetrySettings s;  // base 1 s, cap 20 s
  CHECK(backoff_delay(1, s, 0.0) == 0ms);
  CHECK(backoff_delay(1, s, 0.5) == 500ms);
  CHECK(backoff_delay(2, s, 0.5) == 1000ms);
  CHECK(backoff_delay(3, s, 0.999) == 3996ms);
  CHECK(backoff_delay(5, s, 0.5) == 8000ms);
  CHECK(backoff_delay(6, s, 0.5) == 10000ms);  // 32 s capped to 20 s
  CHECK(backoff_delay(60, s, 0.999) == 19980ms);
  CHECK(backoff_delay(1000, s, 1.0) <= 20s);
  CHECK(backoff_delay(2, s, -3.0) == 0ms);  // the random input is clamped
}

TEST_CASE("attempts are bounded by max_attempts, the first one included", "[s3][retry]") {
  RetrySettings s;
  s.max_attempts = 3;
  auto d1 = decide_retry(http(503, "SlowDown"), 1, false, s, 0.25);
  CHECK(d1.action == RetryAction::retry);
  CHECK(d1.delay == 250ms);
  auto d2 = decide_retry(http(503, "SlowDown"), 2, false, s, 0.25);
  CHECK(d2.action == RetryAction::retry);
  CHECK(d2.delay == 500ms);
  CHECK(decide_retry(http(503, "SlowDown"), 3, false, s, 0.25).action == RetryAction::give_up);
  s.max_attempts = 1;
  CHECK(decide_retry(no_answer(), 1, false, s, 0.25).action == RetryAction::give_up);
}

TEST_CASE("a skewed clock is corrected once, then reported", "[s3][retry]") {
  const auto skewed = http(403, "RequestTimeTooSkewed");
  CHECK(decide_retry(skewed, 1, false, {}, 0.9).action == RetryAction::correct_clock_and_retry);
  CHECK(decide_retry(skewed, 1, false, {}, 0.9).delay == 0ms);
  CHECK(decide_retry(skewed, 1, true, {}, 0.9).action == RetryAction::give_up);
  CHECK(error_code_for(skewed) == errc::clock_skew);
}

TEST_CASE("the clock offset comes from the server's Date header", "[s3][retry]") {
  const auto date = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT");
  REQUIRE(date);
  CHECK(*date == sys_days{1994y / November / 6} + 8h + 49min + 37s);
  const sys_seconds local = sys_days{1994y / November / 6} + 9h + 19min + 37s;
  CHECK(clock_offset("Sun, 06 Nov 1994 08:49:37 GMT", local) == seconds{-1800});
  CHECK(clock_offset("Sun, 06 Nov 1994 10:49:37 GMT", local) == seconds{5400});
  CHECK_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Sun, 06 Nov 1994 24:49:37 GMT"));
  CHECK_FALSE(parse_http_date(""));
}

TEST_CASE("failures map to codes a caller can branch on", "[s3][retry]") {
  CHECK(error_code_for(http(404, "NoSuchBucket")) == errc::no_such_bucket);
  CHECK(error_code_for(http(404, "NoSuchKey")) == errc::no_such_key);
  CHECK(error_code_for(http(404)) == errc::no_such_key);  // HEAD: no body
  CHECK(error_code_for(http(404, "NoSuchUpload")) == errc::no_such_upload);
  CHECK(error_code_for(http(403, "SignatureDoesNotMatch")) == errc::bad_credentials);
  CHECK(error_code_for(http(403, "InvalidAccessKeyId")) == errc::bad_credentials);
  CHECK(error_code_for(http(403, "AccessDenied")) == errc::access_denied);
  // SQS's names for an unknown key id and a missing queue (query and JSON protocols).
  CHECK(error_code_for(http(403, "InvalidClientTokenId")) == errc::bad_credentials);
  CHECK(error_code_for(http(400, "AWS.SimpleQueueService.NonExistentQueue")) ==
        errc::no_such_queue);
  CHECK(error_code_for(http(400, "QueueDoesNotExist")) == errc::no_such_queue);
  CHECK(error_code_for(http(500, "InternalFailure")) == errc::server_error);
  CHECK(error_code_for(http(503, "ServiceUnavailable")) == errc::server_error);
  CHECK(error_code_for(http(503, "SlowDown")) == errc::throttled);
  CHECK(error_code_for(http(500, "InternalError")) == errc::server_error);
  CHECK(error_code_for(http(502)) == errc::server_error);
  CHECK(error_code_for(http(400, "EntityTooSmall")) == errc::entity_too_small);
  CHECK(error_code_for(http(400, "InvalidPart")) == errc::invalid_part);
  CHECK(error_code_for(http(400, "SomethingNew")) == errc::service_error);
  CHECK(error_code_for(no_answer()) == errc::connection_failed);
  CHECK(error_code_for(no_answer(true)) == errc::timed_out);
}

TEST_CASE("an S3 error document becomes the message, with code and status", "[s3][call]") {
  Call call;
  // Moved in, not assigned from literals: g++ 12 -O3 warns falsely (-Wrestrict) there.
  call.operation = std::string("HeadObject");
  call.bucket = std::string("nope");
  call.key = std::string("k");
  net::HttpResponse r;
  r.status = 404;
  r.body =
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket "
      "does not exist</Message></Error>";
  auto f = judge(call, {}, r);
  REQUIRE(f);
  CHECK(f->outcome.s3_code == "NoSuchBucket");
  CHECK(f->text == "S3 NoSuchBucket: The specified bucket does not exist (HTTP 404)");
  CHECK(final_message(call, *f, 1) ==
        "S3 NoSuchBucket: The specified bucket does not exist (HTTP 404) in HeadObject "
        "s3://nope/k after 1 attempt");
}

TEST_CASE("a 200 CompleteMultipartUpload carrying <Error> is a failure", "[s3][call]") {
  Call call;
  call.operation = std::string("CompleteMultipartUpload");
  net::HttpResponse r;
  r.status = 200;
  r.body = "<Error><Code>InternalError</Code><Message>try again</Message></Error>";
  CHECK_FALSE(judge(call, {}, r));  // other calls do not look
  call.error_in_ok_body = true;
  auto f = judge(call, {}, r);
  REQUIRE(f);
  CHECK(f->outcome.http_status == 200);
  CHECK(is_transient(f->outcome));
  r.body = "<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>";
  CHECK_FALSE(judge(call, {}, r));
}

TEST_CASE("transport failures are judged by their kind", "[s3][call]") {
  Call call;
  ErrorInfo timeout{make_error_code(net::errc::timed_out), "timed out"};
  auto f = judge(call, timeout, {});
  REQUIRE(f);
  CHECK(f->outcome.timed_out);
  CHECK(is_transient(f->outcome));
  ErrorInfo cancelled{make_error_code(net::errc::cancelled), "cancelled"};
  auto local = judge(call, cancelled, {});
  CHECK_FALSE(is_transient(local->outcome));
  CHECK(final_code(*local) == net::errc::cancelled);  // not "cannot reach S3"
  CHECK(final_code(*f) == errc::timed_out);
}

TEST_CASE("a signed request signs Host and x-amz headers, not transport ones", "[s3][call]") {
  ClientSettings s;
  s.credentials = {"AKID", "secret", ""};
  s.endpoint = Endpoint{"http", "127.0.0.1:9000", ""};
  Call call;
  call.method = std::string("PUT");
  call.bucket = std::string("b");
  call.key = std::string("dir/a b.txt");
  call.body = std::make_shared<const std::string>("hello");
  call.headers.emplace_back("Content-MD5", content_md5(*call.body));
  prepare(call);
  CHECK(call.payload_sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK(content_md5("hello") == "XUFAKrxLKna5cZ2REBfFkg==");
  auto r = signed_request(call, s, sys_days{2024y / January / 2} + 3h);
  CHECK(r.url == "http://127.0.0.1:9000/b/dir/a%20b.txt");
  std::string auth;
  for (const auto& h : r.headers)
    if (h.rfind("Authorization: ", 0) == 0) auth = h;
  CHECK(auth.find("SignedHeaders=content-md5;host;x-amz-content-sha256;x-amz-date,") !=
        std::string::npos);
  CHECK(std::find(r.headers.begin(), r.headers.end(), "Expect:") != r.headers.end());
  CHECK(std::any_of(r.headers.begin(), r.headers.end(), [](const std::string& h) {
    return h ==
           "X-Amz-Content-SHA256: "
           "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  }));
}
