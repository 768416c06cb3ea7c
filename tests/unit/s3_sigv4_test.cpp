// The SigV4 signer against botocore, byte for byte: tests/data/s3/sigv4_s3_cases.json holds
// S3 requests signed by botocore's S3SigV4Auth / S3SigV4QueryAuth at a fixed time (made
// by tests/data/s3/make_sigv4_cases.py; no Python is needed to run this), plus the S3 rules
// botocore does not exercise: expiry limits, retries, path and encoding details.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "../support/iso_time.hpp"
#include "../support/json_fixture.hpp"
#include "s3/s3_error.hpp"
#include "s3/sigv4.hpp"
#include "s3/uri_encode.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
namespace json = boost::json;
using bitflow::test::pairs;
using bitflow::test::str;

namespace {

std::set<std::string> split_query(std::string_view query) {
  std::set<std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    out.emplace(query.substr(0, amp));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

s3::SigningParams example_params() {
  s3::SigningParams params;
  params.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  params.region = "us-east-1";
  params.time = std::chrono::sys_days{std::chrono::year{2013} / 5 / 24};
  return params;
}

s3::SignableRequest example_get() {
  s3::SignableRequest request;
  request.path = "/test.txt";
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  request.payload_hash = s3::empty_payload_sha256;
  return request;
}

}  // namespace

TEST_CASE("sigv4 signs every botocore S3 case byte for byte", "[s3][sigv4]") {
  const auto fixture = test::read_json_fixture(BITFLOW_TEST_DATA_DIR "/s3/sigv4_s3_cases.json");
  const auto& cases = fixture.at("cases").as_array();
  REQUIRE(cases.size() >= 15);
  for (const auto& item : cases) {
    const auto& c = item.as_object();
    INFO("case: " << str(c.at("name")));
    s3::SignableRequest request;
    request.method = str(c.at("method"));
    request.path = str(c.at("path"));
    request.query = pairs(c.at("query"));
    request.headers = pairs(c.at("headers"));
    request.payload_hash = str(c.at("payload_hash"));
    s3::SigningParams params;
    params.credentials = {str(c.at("access_key_id")), str(c.at("secret_access_key")),
                          str(c.at("session_token"))};
    params.region = str(c.at("region"));
    params.service = str(c.at("service"));
    params.time = bitflow::test::parse_iso_time(str(c.at("time")));
    if (c.at("generic").as_bool()) {
      params.rules.normalize_path = true;
      params.rules.double_encode_path = true;
      params.rules.content_sha256_header = false;
    }

    const bool query_form = str(c.at("form")) == "query";
    const s3::SignedRequest out =
        query_form
            ? s3::presign_request(request, params, std::chrono::seconds(c.at("expires").as_int64()))
            : s3::sign_request(request, params);
    CHECK(out.canonical_request == str(c.at("canonical_request")));
    CHECK(out.string_to_sign == str(c.at("string_to_sign")));
    CHECK(out.signature == str(c.at("signature")));

    if (query_form) {
      // botocore orders the URL's parameters its own way; the set must be the same.
      const std::string url = str(c.at("url"));
      const auto question = url.find('?');
      REQUIRE(question != std::string::npos);
      const std::string host = request.headers.front().second;
      CHECK(url.substr(0, question) == "https://" + host + out.encoded_path);
      CHECK(split_query(out.query_string) == split_query(url.substr(question + 1)));
      CHECK(out.authorization.empty());
      CHECK(out.added_headers.empty());
    } else {
      CHECK(out.authorization == str(c.at("authorization")));
      // The headers botocore added to the request are the ones we add.
      std::set<std::pair<std::string, std::string>> expected, ours;
      const auto given = request.headers;
      for (const auto& h : pairs(c.at("sent_headers")))
        if (std::find(given.begin(), given.end(), h) == given.end()) expected.insert(h);
      for (const auto& h : out.added_headers)
        ours.insert(h);
      CHECK(ours == expected);
    }
  }
}

TEST_CASE("sigv4 reproduces the S3 reference's worked examples", "[s3][sigv4]") {
  const auto out = s3::sign_request(example_get(), example_params());
  CHECK(out.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  auto presign = example_get();
  presign.headers.pop_back();  // the presigned example signs only Host
  presign.payload_hash = s3::unsigned_payload;
  const auto url = s3::presign_request(presign, example_params(), 86400s);
  CHECK(url.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  CHECK(url.query_string.ends_with("&X-Amz-Signature=" + url.signature));
}

TEST_CASE("sigv4 presigned URLs last from 1 second to 7 days", "[s3][sigv4]") {
  auto request = example_get();
  ErrorInfo error;
  CHECK(s3::presign_request(request, example_params(), 604800s, error));
  CHECK(s3::presign_request(request, example_params(), 1s, error));
  CHECK_FALSE(error);
  CHECK_FALSE(s3::presign_request(request, example_params(), 604801s, error));
  CHECK(error.code == s3::errc::invalid_expiry);
  CHECK(error.message.find("604801") != std::string::npos);
  error.clear();
  CHECK_FALSE(s3::presign_request(request, example_params(), 0s, error));
  CHECK(error.code == s3::errc::invalid_expiry);
  CHECK_THROWS_AS(s3::presign_request(request, example_params(), -5s), Error);
  CHECK_THROWS_AS(s3::presign_request(request, example_params(), 8 * 86400s), Error);
}

TEST_CASE("sigv4 re-signing a retried request replaces the old signing headers", "[s3][sigv4]") {
  auto params = example_params();
  params.credentials.session_token = "stale";
  auto request = example_get();
  const auto first = s3::sign_request(request, params);
  request.headers.insert(request.headers.end(), first.added_headers.begin(),
                         first.added_headers.end());
  auto later = params;
  later.time += 10min;
  later.credentials.session_token = "fresh";  // refreshed credentials, as on a retry
  const auto retry = s3::sign_request(request, later);
  CHECK(retry.signature != first.signature);
  CHECK(retry.canonical_request.find("stale") == std::string::npos);
  CHECK(retry.canonical_request.find("\nx-amz-security-token:fresh\n") != std::string::npos);
  CHECK(retry.canonical_request.find("20130524T001000Z") != std::string::npos);
  CHECK(retry.signature == s3::sign_request(example_get(), later).signature);
}

TEST_CASE("sigv4 refuses a request without a Host header", "[s3][sigv4]") {
  auto request = example_get();
  request.headers.erase(request.headers.begin());
  CHECK_THROWS_AS(s3::sign_request(request, example_params()), std::invalid_argument);
  CHECK_THROWS_AS(s3::presign_request(request, example_params(), 60s), std::invalid_argument);
}

TEST_CASE("sigv4 signs the session token in both forms", "[s3][sigv4]") {
  auto params = example_params();
  params.credentials.session_token = "tok/en+=";
  const auto header = s3::sign_request(example_get(), params);
  CHECK(header.canonical_request.find("\nx-amz-security-token:tok/en+=\n") != std::string::npos);
  const auto query = s3::presign_request(example_get(), params, 60s);
  CHECK(query.canonical_request.find("&X-Amz-Security-Token=tok%2Fen%2B%3D&") != std::string::npos);
}

TEST_CASE("uri_encode keeps only unreserved characters, and '/' in paths", "[s3][sigv4]") {
  CHECK(s3::uri_encode("AZaz09-._~", false) == "AZaz09-._~");
  CHECK(s3::uri_encode("a b/c+d=e&f%", false) == "a%20b%2Fc%2Bd%3De%26f%25");
  CHECK(s3::uri_encode("a b/c+d=e&f%", true) == "a%20b/c%2Bd%3De%26f%25");
  CHECK(s3::uri_encode("\xc3\xa9\xff", true) == "%C3%A9%FF");
  CHECK(s3::uri_encode(std::string_view("\0", 1), false) == "%00");
}

TEST_CASE("the generic rules normalise paths but S3 keeps them as they are", "[s3][sigv4]") {
  CHECK(s3::normalize_path("/") == "/");
  CHECK(s3::normalize_path("") == "/");
  CHECK(s3::normalize_path("//example//") == "/example/");
  CHECK(s3::normalize_path("/a/b/../c/./d") == "/a/c/d");
  CHECK(s3::normalize_path("/a/b/..") == "/a/");
  CHECK(s3::normalize_path("/../../x") == "/x");
  auto request = example_get();
  request.path = "/a//b/./c";
  const auto out = s3::sign_request(request, example_params());
  CHECK(out.canonical_request.starts_with("GET\n/a//b/./c\n"));
  CHECK(out.encoded_path == "/a//b/./c");
}

TEST_CASE("amz_date formats the signing time", "[s3][sigv4]") {
  using namespace std::chrono;
  CHECK(s3::amz_date(sys_days{year{2015} / 8 / 30} + 12h + 36min) == "20150830T123600Z");
  CHECK(s3::amz_date(sys_days{year{1999} / 12 / 31} + 23h + 59min + 59s) == "19991231T235959Z");
}

TEST_CASE("sigv4 keeps the caller's headers that it does not set itself", "[s3][sigv4]") {
  auto params = example_params();
  params.rules.content_sha256_header = false;
  auto request = example_get();
  request.headers.emplace_back("X-Amz-Content-SHA256", "caller-set");
  request.headers.emplace_back("X-Amz-Security-Token", "caller-token");
  const auto out = s3::sign_request(request, params);
  CHECK(out.canonical_request.find("\nx-amz-content-sha256:caller-set\n") != std::string::npos);
  CHECK(out.canonical_request.find("\nx-amz-security-token:caller-token\n") != std::string::npos);
  CHECK(out.added_headers.size() == 2);  // X-Amz-Date and Authorization
}
