// SQS SendMessage: the pure core against botocore byte for byte
// (tests/data/s3/sqs_send_message_cases.json, made by tests/data/s3/make_sqs_cases.py; no
// Python is needed to run this), the queue URL and answer parsers, the MD5 check and the
// JSON escaping (checked by parsing it back with Boost.JSON); then the SqsNotifier shell
// against the scripted HTTP server: retries, error texts, the MD5 mismatch. moto, in
// tests/integration/sqs_notify.sh, checks the real service's view.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <set>

#include "../support/iso_time.hpp"
#include "../support/json_fixture.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/sqs.hpp"
#include "bitflow/text.hpp"
#include "s3/aws_exchange.hpp"
#include "s3/sqs_message.hpp"
#include "support/run_coroutine.hpp"
#include "support/test_http_server.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
namespace json = boost::json;
using bitflow::test::pairs;
using bitflow::test::str;
namespace asio = boost::asio;

namespace {

// What moto 5.2.1 answered to SendMessage of {"a":"b c&d=é"} (recorded once).
const std::string moto_message = "{\"a\":\"b c&d=\xc3\xa9\"}";
const std::string moto_answer =
    "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
    "<SendMessageResult><MD5OfMessageBody>60f8c28b01a137098dde8d0ae9346931</MD5OfMessageBody>"
    "<MessageId>0c3c888b-f0e9-44e0-ac4f-c912c0498104</MessageId></SendMessageResult>"
    "<ResponseMetadata><RequestId>SnnIbg</RequestId></ResponseMetadata></SendMessageResponse>";

}  // namespace

TEST_CASE("sqs SendMessage is signed like botocore, byte for byte", "[sqs]") {
  const auto fixture =
      test::read_json_fixture(BITFLOW_TEST_DATA_DIR "/s3/sqs_send_message_cases.json");
  const auto& cases = fixture.at("cases").as_array();
  REQUIRE(cases.size() == 3);
  for (const auto& item : cases) {
    const auto& c = item.as_object();
    INFO("case: " << str(c.at("name")));
    const s3::QueueUrl queue = s3::parse_queue_url(str(c.at("queue_url")));
    CHECK(queue.url() == str(c.at("queue_url")));
    const std::string region = s3::queue_region(queue, "us-east-1");
    CHECK(region == str(c.at("region")));
    const std::string form = s3::send_message_form(str(c.at("message")));
    CHECK(form == str(c.at("form_body")));

    const s3::SignableRequest request = s3::send_message_request(queue, form);
    CHECK(request.method == "POST");
    CHECK(request.path == str(c.at("path")));
    CHECK(request.query.empty());
    CHECK(request.headers == pairs(c.at("headers")));
    CHECK(request.payload_hash == str(c.at("payload_hash")));

    const s3::Credentials credentials{str(c.at("access_key_id")), str(c.at("secret_access_key")),
                                      str(c.at("session_token"))};
    const auto out = s3::sign_request(
        request, s3::sqs_signing_params(credentials, region,
                                        bitflow::test::parse_iso_time(str(c.at("time")))));
    CHECK(out.canonical_request == str(c.at("canonical_request")));
    CHECK(out.string_to_sign == str(c.at("string_to_sign")));
    CHECK(out.signature == str(c.at("signature")));
    CHECK(out.authorization == str(c.at("authorization")));
    CHECK(out.encoded_path == queue.path);
    // The headers botocore added are the ones we add: no x-amz-content-sha256 for SQS.
    std::set<s3::Header> expected, ours(out.added_headers.begin(), out.added_headers.end());
    for (const auto& h : pairs(c.at("sent_headers")))
      if (h.first != "Content-Type") expected.insert(h);
    CHECK(ours == expected);
  }
}

TEST_CASE("sqs the delivery notice's JSON is what Python's json.dumps writes", "[sqs]") {
  const auto fixture =
      test::read_json_fixture(BITFLOW_TEST_DATA_DIR "/s3/sqs_send_message_cases.json");
  const std::string expected = str(fixture.at("cases").as_array().at(0).at("message"));
  s3::DeliveryNotice notice{"b",
                            "dir/a b.bin",
                            5,
                            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
                            "https://example.com/a?x=1&y=2",
                            "d-1"};
  CHECK(s3::delivery_notice_json(notice) == expected);
}

TEST_CASE("sqs queue URLs are taken apart and odd ones refused", "[sqs]") {
  auto q = s3::parse_queue_url("HTTPS://SQS.us-west-2.AMAZONAWS.com:443/123456789012/My-Queue");
  CHECK(q.scheme == "https");
  CHECK(q.host == "sqs.us-west-2.amazonaws.com");  // the default port is not in Host
  CHECK(q.path == "/123456789012/My-Queue");       // queue names keep their case
  CHECK(s3::queue_region(q, "us-east-1") == "us-west-2");
  q = s3::parse_queue_url("http://127.0.0.1:4566/000000000000/q");
  CHECK(q.host == "127.0.0.1:4566");
  CHECK(s3::queue_region(q, "ap-south-1") == "ap-south-1");
  CHECK(s3::queue_region(s3::parse_queue_url("https://sqs.cn-north-1.amazonaws.com.cn/1/q"),
                         "us-east-1") == "cn-north-1");
  CHECK(s3::queue_region(s3::parse_queue_url("http://[::1]:9324/1/q"), "eu-west-3") == "eu-west-3");
  CHECK(s3::queue_region(s3::parse_queue_url("https://sqs..amazonaws.com/1/q"), "x-1") == "x-1");

  for (const char* bad : {"", "sqs.us-east-1.amazonaws.com/1/q", "ftp://h/1/q", "http:///1/q",
                          "http://user:pw@h/1/q", "http://h", "http://h/", "http://h/1/q?x=1",
                          "http://h/1/q#f", "http://h/1/my%20queue", "http://h/1/a b"}) {
    INFO(bad);
    ErrorInfo error;
    CHECK_FALSE(s3::parse_queue_url(bad, error));
    CHECK(error.code == s3::errc::invalid_config);
    CHECK(error.message.find("SQS queue URL") != std::string::npos);
  }
}

TEST_CASE("sqs the form encodes every byte but the unreserved ones, spaces as +", "[sqs]") {
  CHECK(s3::send_message_form("a b+c&d=e/~_.-%20") ==
        "Action=SendMessage&MessageBody=a+b%2Bc%26d%3De%2F~_.-%2520&Version=2012-11-05");
  CHECK(s3::send_message_form("\xc3\xa9\n") ==
        "Action=SendMessage&MessageBody=%C3%A9%0A&Version=2012-11-05");
  const auto q = s3::parse_queue_url("http://127.0.0.1:9/1/q");
  const auto request = s3::send_message_request(q, "Action=x");
  CHECK(request.payload_hash == sha256(std::string_view("Action=x")).hex());
  const auto params = s3::sqs_signing_params({"AKID", "secret", ""}, "us-east-1", {});
  CHECK(params.service == "sqs");
  CHECK_FALSE(params.rules.content_sha256_header);
  CHECK(params.rules.normalize_path);
  CHECK(params.rules.double_encode_path);
}

TEST_CASE("sqs a SendMessageResponse gives the MessageId and the MD5", "[sqs]") {
  ErrorInfo error;
  auto r = s3::parse_send_message_response(moto_answer, error);
  REQUIRE(r);
  CHECK(r->message_id == "0c3c888b-f0e9-44e0-ac4f-c912c0498104");
  CHECK(r->md5_of_message_body == "60f8c28b01a137098dde8d0ae9346931");
  CHECK(s3::check_message_md5(*r, moto_message, error));

  // Namespace prefixes do not matter.
  r = s3::parse_send_message_response(
      "<q:SendMessageResponse xmlns:q=\"x\"><q:SendMessageResult><q:MessageId>m</q:MessageId>"
      "<q:MD5OfMessageBody>d</q:MD5OfMessageBody></q:SendMessageResult></q:SendMessageResponse>",
      error);
  REQUIRE(r);
  CHECK(r->message_id == "m");

  struct Bad {
    const char* body;
    s3::errc code;
    const char* says;
  };
  for (const Bad& bad : {
           Bad{"<SendMessageResponse><SendMessageResult>", s3::errc::malformed_xml, "byte"},
           Bad{"", s3::errc::malformed_xml, "sqs xml"},
           Bad{"<Other/>", s3::errc::unexpected_xml, "<Other>"},
           Bad{"<SendMessageResponse><SendMessageResult><MD5OfMessageBody>d</MD5OfMessageBody>"
               "</SendMessageResult></SendMessageResponse>",
               s3::errc::unexpected_xml, "<MessageId>"},
           Bad{"<SendMessageResponse><SendMessageResult><MessageId>m</MessageId>"
               "</SendMessageResult></SendMessageResponse>",
               s3::errc::unexpected_xml, "<MD5OfMessageBody>"},
           Bad{"<ErrorResponse><Error><Code>InternalFailure</Code><Message>oops</Message>"
               "</Error></ErrorResponse>",
               s3::errc::service_error, "InternalFailure: oops"},
       }) {
    INFO(bad.body);
    ErrorInfo e;
    CHECK_FALSE(s3::parse_send_message_response(bad.body, e));
    CHECK(e.code == bad.code);
    CHECK(e.message.find(bad.says) != std::string::npos);
  }
}

TEST_CASE("sqs error documents are read in AWS's, moto's and the bare form", "[sqs]") {
  ErrorInfo error;
  auto e = s3::parse_sqs_error(
      "<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Sender"
      "</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue "
      "does not exist for this wsdl version.</Message><Detail/></Error><RequestId>42</RequestId>"
      "</ErrorResponse>",
      error);
  REQUIRE(e);
  CHECK(e->code == "AWS.SimpleQueueService.NonExistentQueue");
  CHECK(e->message == "The specified queue does not exist for this wsdl version.");
  CHECK(e->request_id == "42");
  // moto's authentication errors nest the <Error> in <Errors>.
  e = s3::parse_sqs_error(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ErrorResponse><Errors><Error><Code>"
      "SignatureDoesNotMatch</Code><Message>no</Message><Type>Sender</Type></Error></Errors>"
      "</ErrorResponse>",
      error);
  REQUIRE(e);
  CHECK(e->code == "SignatureDoesNotMatch");
  e = s3::parse_sqs_error("<Error><Code>Throttling</Code></Error>", error);
  REQUIRE(e);
  CHECK(e->code == "Throttling");

  CHECK_FALSE(
      s3::parse_sqs_error("<ErrorResponse><Error><Message>m</Message></Error>"
                          "</ErrorResponse>",
                          error));
  CHECK(error.code == s3::errc::unexpected_xml);
  CHECK_FALSE(s3::parse_sqs_error("<ErrorResponse/>", error));
  CHECK(error.code == s3::errc::unexpected_xml);
  CHECK_FALSE(s3::parse_sqs_error("<html>bad gateway", error));
  CHECK(error.code == s3::errc::malformed_xml);
}

TEST_CASE("sqs an MD5 that is not the message's is an error naming both", "[sqs]") {
  s3::SendMessageResult r{"id-1", "60F8C28B01A137098DDE8D0AE9346931"};
  ErrorInfo error;
  CHECK(s3::check_message_md5(r, moto_message, error));  // hex in any case
  CHECK_FALSE(s3::check_message_md5(r, moto_message + " ", error));
  CHECK(error.code == s3::errc::checksum_mismatch);
  CHECK(error.message.find("id-1") != std::string::npos);
  CHECK(error.message.find(s3::md5_hex(moto_message + " ")) != std::string::npos);
  CHECK(s3::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_CASE("sqs JSON strings escape what JSON requires and stay valid UTF-8", "[sqs]") {
  CHECK(s3::json_string("") == "\"\"");
  CHECK(s3::json_string("a\"b\\c/d") == "\"a\\\"b\\\\c/d\"");
  CHECK(s3::json_string("\n\r\t\b\f\x01\x1f\x7f") == "\"\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\"");
  CHECK(s3::json_string(std::string("a\0b", 3)) == "\"a\\u0000b\"");
  CHECK(s3::json_string("\xc3\xa9\xf0\x9f\x98\x80") == "\"\xc3\xa9\xf0\x9f\x98\x80\"");
  CHECK(s3::json_string("\xff"
                        "a\xc3") ==
        "\"\xef\xbf\xbd"
        "a\xef\xbf\xbd\"");
  CHECK(s3::json_string("\xed\xa0\x80") ==
        "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
  CHECK(s3::json_string("\xef\xbf\xbe\xef\xbf\xbf") == "\"\\ufffe\\uffff\"");

  // Every single byte, every pair of bytes from a spread: Boost.JSON reads back the text
  // (made valid UTF-8) and the JSON has no raw control characters.
  std::vector<std::string> inputs;
  for (int a = 0; a < 256; ++a) {
    inputs.emplace_back(1, static_cast<char>(a));
    for (int b : {0, 0x0a, 0x22, 0x41, 0x5c, 0x80, 0xa9, 0xbf, 0xc3, 0xff})
      inputs.push_back(std::string{static_cast<char>(a), static_cast<char>(b)});
  }
  for (const auto& in : inputs) {
    const std::string out = s3::json_string(in);
    INFO("input bytes: " << json::serialize(json::string(to_valid_utf8(in))));
    boost::system::error_code ec;
    const json::value parsed = json::parse(out, ec);
    REQUIRE_FALSE(ec);
    CHECK(str(parsed) == to_valid_utf8(in));
    CHECK(std::none_of(out.begin(), out.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
  }
}

TEST_CASE("sqs a notice with awkward strings parses back to the same fields", "[sqs]") {
  s3::DeliveryNotice n{"bucket", "dir/\"quoted\"\n\\key\x01.bin", 18446744073709551615u,
                       "ab",     "magnet:?xt=urn:btih:x&dn=a b",  "id\xff"};
  const auto v = json::parse(s3::delivery_notice_json(n)).as_object();
  CHECK(v.size() == 6);
  CHECK(str(v.at("bucket")) == "bucket");
  CHECK(str(v.at("key")) == n.key);
  CHECK(v.at("size").as_uint64() == 18446744073709551615u);
  CHECK(str(v.at("sha256")) == "ab");
  CHECK(str(v.at("source")) == n.source);
  CHECK(str(v.at("download_id")) == "id\xef\xbf\xbd");
}

// ---- the SqsNotifier shell against the scripted server ----

namespace {

// Fast retries, and a region that the queue's host (127.0.0.1) cannot override.
s3::ClientSettings test_settings() {
  s3::ClientSettings s;
  s.credentials = {"AKIDEXAMPLE", "secret", ""};
  s.region = "eu-central-1";
  s.retry.base_delay = 10ms;
  return s;
}

struct Notifier {
  asio::io_context io;
  test::TestHttpServer server{io};
  s3::SqsNotifier notifier{io, test_settings(), server.url("/123456789012/q")};

  // Sends `message` to its end: the MessageId, or the error thrown.
  std::string send(const std::string& message, ErrorInfo& error) {
    std::string id;
    test::run_coroutine(
        io, [&]() -> asio::awaitable<void> { id = co_await notifier.send(message); }, error);
    return id;
  }
};

test::HttpReply sqs_error(int status, const std::string& code) {
  return test::HttpReply::status_only(status, "<ErrorResponse><Error><Code>" + code +
                                                  "</Code><Message>scripted</Message></Error>"
                                                  "<RequestId>r</RequestId></ErrorResponse>");
}

}  // namespace

TEST_CASE("sqs the notifier POSTs the form and returns the MessageId", "[sqs][notifier]") {
  Notifier f;
  f.server.on("/123456789012/q", test::HttpReply::ok(moto_answer));
  CHECK(f.notifier.region() == "eu-central-1");  // not an AWS host: the settings' region
  ErrorInfo error;
  CHECK(f.send(moto_message, error) == "0c3c888b-f0e9-44e0-ac4f-c912c0498104");
  CHECK_FALSE(error);
  REQUIRE(f.server.request_lines().size() == 1);
  CHECK(f.server.request_lines()[0] == "POST /123456789012/q HTTP/1.1");
  CHECK(f.server.request_bodies()[0] == s3::send_message_form(moto_message));
}

TEST_CASE("sqs the notifier retries InternalFailure and names the queue when it gives up",
          "[sqs][notifier]") {
  Notifier f;
  f.server.on("/123456789012/q", test::HttpReply::ok(moto_answer));
  f.server.fail_next("/123456789012/q", 2, sqs_error(500, "InternalFailure"));
  ErrorInfo error;
  CHECK(f.send(moto_message, error) == "0c3c888b-f0e9-44e0-ac4f-c912c0498104");
  CHECK(f.server.request_lines().size() == 3);
  // Every attempt sends the same form (the body is not consumed by the first).
  CHECK(f.server.request_bodies()[2] == f.server.request_bodies()[0]);

  f.server.fail_next("/123456789012/q", 3, sqs_error(500, "InternalFailure"));
  CHECK(f.send(moto_message, error).empty());
  CHECK(error.code == s3::errc::server_error);
  CHECK(error.message == std::string("SQS InternalFailure: scripted (HTTP 500) in SendMessage ") +
                             f.server.url("/123456789012/q") + " after 3 attempts");
}

TEST_CASE("sqs a missing queue fails at once with SQS's code", "[sqs][notifier]") {
  Notifier f;
  f.server.on("/123456789012/q", sqs_error(400, "AWS.SimpleQueueService.NonExistentQueue"));
  ErrorInfo error;
  CHECK(f.send("x", error).empty());
  CHECK(error.code == s3::errc::no_such_queue);
  CHECK(error.message.starts_with("SQS AWS.SimpleQueueService.NonExistentQueue: scripted"));
  CHECK(error.message.ends_with("after 1 attempt"));
  CHECK(f.server.request_lines().size() == 1);
}

TEST_CASE("sqs a stored message whose MD5 is not ours is an error", "[sqs][notifier]") {
  Notifier f;
  f.server.on("/123456789012/q", test::HttpReply::ok(moto_answer));
  ErrorInfo error;
  CHECK(f.send("not the message moto hashed", error).empty());
  CHECK(error.code == s3::errc::checksum_mismatch);
  CHECK(error.message.find("0c3c888b-f0e9-44e0-ac4f-c912c0498104") != std::string::npos);
  CHECK(error.message.find("in SendMessage http://127.0.0.1:") != std::string::npos);
  CHECK(f.server.request_lines().size() == 1);  // not retried: the copy is in the queue
}

TEST_CASE("sqs a 200 answer that is not a SendMessageResponse is an error", "[sqs][notifier]") {
  Notifier f;
  f.server.on("/123456789012/q", test::HttpReply::ok("<html>proxy page</html>"));
  ErrorInfo error;
  CHECK(f.send("x", error).empty());
  CHECK(error.code == s3::errc::unexpected_xml);
}

TEST_CASE("sqs a bad queue URL is refused when the notifier is made", "[sqs][notifier]") {
  asio::io_context io;
  CHECK_THROWS_AS(s3::SqsNotifier(io, {}, "http://h/1/q?x"), bitflow::Error);
  s3::SqsNotifier aws(io, {}, "https://sqs.sa-east-1.amazonaws.com/1/q");
  CHECK(aws.region() == "sa-east-1");
  CHECK(aws.queue_url() == "https://sqs.sa-east-1.amazonaws.com/1/q");
}
