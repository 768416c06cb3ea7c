// The remote clients' pure codecs: transmission's JSON, SCGI framing, XML-RPC values and
// rTorrent's d.multicall2 rows — good answers, and hostile ones (truncated, oversized,
// wrong types) failing with errors that say what is wrong.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"
#include "remote/rtorrent_codec.hpp"
#include "remote/scgi.hpp"
#include "remote/transmission_codec.hpp"
#include "remote/xmlrpc.hpp"
#include "util/concat.hpp"

using namespace bitflow;
using namespace bitflow::remote;
using Catch::Matchers::Contains;

namespace {

const std::string hash_a = "0123456789abcdef0123456789abcdef01234567";

std::string tr_torrent(const std::string& fields) {
  return util::concat(R"({"result":"success","arguments":{"torrents":[{)", fields, "}]}}");
}

const std::string good_fields =
    R"("hashString":"0123456789ABCDEF0123456789abcdef01234567","name":"a.bin","status":4,)"
    R"("sizeWhenDone":1000,"leftUntilDone":250,"rateDownload":50,"rateUpload":7,)"
    R"("error":0,"errorString":"")";

// `text` with its first `from` replaced by `to` (which must be there).
std::string with(const std::string& text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return util::concat(text.substr(0, at), to, text.substr(at + from.size()));
}

// The error code and message of what `f` throws.
template <typename F>
ErrorInfo failure_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

}  // namespace

TEST_CASE("transmission torrent-get asks for the fields and the one id", "[remote]") {
  auto all = boost::json::parse(transmission::torrent_get(""));
  CHECK(all.at("method") == "torrent-get");
  CHECK_FALSE(all.at("arguments").as_object().contains("ids"));
  CHECK(all.at("arguments").at("fields").as_array().size() ==
        transmission::torrent_fields().size());
  auto one = boost::json::parse(transmission::torrent_get(hash_a));
  CHECK(one.at("arguments").at("ids").at(0).as_string() == hash_a);
  auto remove = boost::json::parse(transmission::torrent_remove(hash_a, true));
  CHECK(remove.at("method") == "torrent-remove");
  CHECK(remove.at("arguments").at("delete-local-data") == true);
  CHECK(boost::json::parse(transmission::torrent_stop(hash_a)).at("method") == "torrent-stop");
  CHECK(boost::json::parse(transmission::torrent_start(hash_a)).at("method") == "torrent-start");
}

TEST_CASE("transmission torrents become RemoteTorrents with lower-case hashes", "[remote]") {
  auto ts = transmission::parse_torrents(tr_torrent(good_fields), "tr");
  REQUIRE(ts.size() == 1);
  CHECK(ts[0].hash == hash_a);
  CHECK(ts[0].name == "a.bin");
  CHECK(ts[0].state == RemoteState::downloading);
  CHECK(ts[0].bytes_total == 1000);
  CHECK(ts[0].bytes_done == 750);
  CHECK(ts[0].download_rate == 50);
  CHECK(ts[0].upload_rate == 7);
  CHECK(ts[0].error.empty());
}

TEST_CASE("transmission statuses and errors map to the shared states", "[remote]") {
  auto state = [](int status, int error) {
    const std::string f =
        with(with(good_fields, "\"status\":4", util::concat("\"status\":", std::to_string(status))),
             "\"error\":0", util::concat("\"error\":", std::to_string(error)));
    return transmission::parse_torrents(tr_torrent(f), "tr").at(0);
  };
  CHECK(state(0, 0).state == RemoteState::paused);
  CHECK(state(1, 0).state == RemoteState::checking);
  CHECK(state(2, 0).state == RemoteState::checking);
  CHECK(state(3, 0).state == RemoteState::queued);
  CHECK(state(5, 0).state == RemoteState::seeding);
  CHECK(state(6, 0).state == RemoteState::seeding);
  CHECK(state(4, 2).state == RemoteState::downloading);  // a tracker error does not stop it
  CHECK(state(0, 3).state == RemoteState::error);
  auto e = failure_of([&] { (void)state(9, 0); });
  CHECK(e.code == errc::malformed_response);
  CHECK_THAT(e.message, Contains("unknown status 9"));
}

TEST_CASE("a transmission magnet without metadata has an unknown size", "[remote]") {
  const std::string f = with(good_fields, "\"sizeWhenDone\":1000,\"leftUntilDone\":250",
                             "\"sizeWhenDone\":0,\"leftUntilDone\":0");
  auto t = transmission::parse_torrents(tr_torrent(f), "tr").at(0);
  CHECK(t.bytes_total == -1);
  CHECK(t.bytes_done == 0);
}

TEST_CASE("hostile transmission answers fail with what is wrong", "[remote]") {
  auto fails = [](const std::string& body) {
    return failure_of([&] { (void)transmission::parse_torrents(body, "transmission h:1"); });
  };
  auto e = fails(tr_torrent(good_fields).substr(0, 60));
  CHECK(e.code == errc::malformed_response);
  CHECK_THAT(e.message, Contains("transmission h:1: malformed answer: not JSON"));
  CHECK_THAT(fails("[1,2]").message, Contains("not a JSON object"));
  CHECK_THAT(fails(R"({"arguments":{}})").message, Contains("no \"result\""));
  CHECK_THAT(fails(R"({"result":"success"})").message, Contains("no \"arguments\""));
  CHECK_THAT(fails(R"({"result":"success","arguments":{"torrents":{}}})").message,
             Contains("no \"torrents\" array"));
  CHECK_THAT(fails(R"({"result":"success","arguments":{"torrents":[3]}})").message,
             Contains("torrent 0 is not an object"));
  const std::string wrong = with(good_fields, "\"rateUpload\":7", "\"rateUpload\":\"7\"");
  CHECK_THAT(fails(tr_torrent(wrong)).message, Contains("'rateUpload' is not an integer"));
  const std::string missing = with(good_fields, "\"name\":\"a.bin\",", "");
  CHECK_THAT(fails(tr_torrent(missing)).message, Contains("torrent 0 has no 'name'"));
  const std::string short_hash = with(good_fields, "01234567\"", "\"");
  CHECK_THAT(fails(tr_torrent(short_hash)).message, Contains("not 40 hex digits"));
  const std::string too_much_done =
      with(good_fields, "\"leftUntilDone\":250", "\"leftUntilDone\":2000");
  CHECK_THAT(fails(tr_torrent(too_much_done)).message, Contains("do not fit"));
  // Nesting beyond Boost.JSON's depth limit is refused, not recursed into.
  CHECK(fails(std::string(100000, '[')).code == errc::malformed_response);
}

TEST_CASE("every truncation of a transmission answer fails as malformed", "[remote]") {
  const std::string whole = tr_torrent(good_fields);
  REQUIRE(transmission::parse_torrents(whole, "tr").size() == 1);
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(failure_of([&] {
            (void)transmission::parse_torrents(whole.substr(0, cut), "tr");
          }).code == errc::malformed_response);
  }
}

TEST_CASE("a transmission result other than success is a refusal with its text", "[remote]") {
  auto e = failure_of(
      [] { transmission::check_result(R"({"result":"no such method","arguments":{}})", "tr"); });
  CHECK(e.code == errc::rpc_failed);
  CHECK(e.message == "tr: refused: no such method");
  CHECK_NOTHROW(transmission::check_result(R"({"result":"success","arguments":{}})", "tr"));
}

TEST_CASE("an SCGI request is a netstring of headers, CONTENT_LENGTH first, then the body",
          "[remote]") {
  using namespace std::string_literals;
  const std::string headers =
      "CONTENT_LENGTH\0"
      "5\0"
      "SCGI\0"
      "1\0"
      "REQUEST_METHOD\0"
      "POST\0"
      "REQUEST_URI\0"
      "/RPC2\0"s;
  REQUIRE(headers.size() == 62);
  const std::string want = util::concat("62:", headers, ",hello");
  CHECK(scgi::encode_request("hello") == want);
}

TEST_CASE("an SCGI answer's body is found and checked against its headers", "[remote]") {
  CHECK(scgi::decode_response(
            "Status: 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 4\r\n\r\nbody", "rt") ==
        "body");
  CHECK(scgi::decode_response("Content-Type: text/xml\n\nbody", "rt") == "body");
  CHECK(scgi::decode_response("Content-Length: 0\r\n\r\n", "rt").empty());
}

TEST_CASE("every truncation of an SCGI answer with a Content-Length fails", "[remote]") {
  const std::string whole = "Status: 200 OK\r\nContent-Length: 12\r\n\r\n<xml>1</xml>";
  REQUIRE(scgi::decode_response(whole, "rt") == "<xml>1</xml>");
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(failure_of([&] { (void)scgi::decode_response(whole.substr(0, cut), "rt"); }).code ==
          errc::malformed_response);
  }
}

TEST_CASE("hostile SCGI answers fail with what is wrong", "[remote]") {
  auto fails = [](const std::string& response) {
    return failure_of([&] { (void)scgi::decode_response(response, "rtorrent h:1"); });
  };
  auto e = fails("Content-Length: 10\r\n\r\nshort");
  CHECK(e.code == errc::malformed_response);
  CHECK_THAT(e.message, Contains("rtorrent h:1: malformed SCGI answer: Content-Length says 10 "
                                 "bytes, 5 came (truncated?)"));
  CHECK_THAT(fails("").message, Contains("closed without an answer"));
  CHECK_THAT(fails("Status: 200 OK\r\nContent-Len").message, Contains("never ends"));
  CHECK_THAT(fails("Status: 500 Internal\r\n\r\n").message, Contains("status '500 Internal'"));
  CHECK_THAT(fails("Content-Length: -3\r\n\r\n").message, Contains("is not a number"));
  CHECK_THAT(fails("Content-Length: 99999999999999999999999\r\n\r\n").message,
             Contains("is not a number"));
  CHECK_THAT(fails("garbage\r\n\r\n").message, Contains("without ':'"));
}

TEST_CASE("an XML-RPC call carries escaped strings and 64-bit integers", "[remote]") {
  const std::string call = xmlrpc::encode_call(
      "d.name",
      {xmlrpc::Value::of(std::string("<a&b>")), xmlrpc::Value::of(std::int64_t{1} << 40)});
  CHECK(call ==
        "<?xml version=\"1.0\"?><methodCall><methodName>d.name</methodName><params>"
        "<param><value><string>&lt;a&amp;b&gt;</string></value></param>"
        "<param><value><i8>1099511627776</i8></value></param></params></methodCall>");
}

TEST_CASE("XML-RPC answers decode every value type rTorrent sends", "[remote]") {
  auto v = xmlrpc::decode_response(
      "<?xml version=\"1.0\"?><methodResponse><params><param><value><array><data>"
      "<value><i8>5000000000</i8></value><value><i4>-3</i4></value><value><int>7</int></value>"
      "<value>untyped &amp; text</value><value><string></string></value>"
      "<value><boolean>1</boolean></value><value><double>2.5</double></value>"
      "<value><struct><member><name>k</name><value><i4>1</i4></value></member></struct></value>"
      "</data></array></value></param></params></methodResponse>",
      "rt");
  REQUIRE(v.type == xmlrpc::Value::Type::array);
  REQUIRE(v.items.size() == 8);
  CHECK(v.items[0].integer == 5000000000);
  CHECK(v.items[1].integer == -3);
  CHECK(v.items[2].integer == 7);
  CHECK(v.items[3].type == xmlrpc::Value::Type::string);
  CHECK(v.items[3].string == "untyped & text");
  CHECK(v.items[4].string.empty());
  CHECK(v.items[5].type == xmlrpc::Value::Type::boolean);
  CHECK(v.items[6].real == 2.5);
  REQUIRE(v.items[7].member("k"));
  CHECK(v.items[7].member("k")->integer == 1);
}

TEST_CASE("an XML-RPC fault is a refusal with its code and string", "[remote]") {
  auto e = failure_of([] {
    (void)xmlrpc::decode_response(
        "<methodResponse><fault><value><struct>"
        "<member><name>faultCode</name><value><i4>-501</i4></value></member>"
        "<member><name>faultString</name><value><string>Could not find info-hash.</string>"
        "</value></member></struct></value></fault></methodResponse>",
        "rtorrent h:1");
  });
  CHECK(e.code == errc::rpc_failed);
  CHECK(e.message == "rtorrent h:1: fault -501: Could not find info-hash.");
}

TEST_CASE("hostile XML-RPC answers fail with what is wrong", "[remote]") {
  auto fails = [](const std::string& xml) {
    return failure_of([&] { (void)xmlrpc::decode_response(xml, "rt"); });
  };
  const std::string ok =
      "<methodResponse><params><param><value><i8>1</i8></value></param></params></methodResponse>";
  for (std::size_t cut = 0; cut < ok.size() - 1; ++cut) {
    INFO("cut at " << cut);
    CHECK(fails(ok.substr(0, cut)).code == errc::malformed_response);
  }
  auto wrap = [](const std::string& value) {
    return util::concat("<methodResponse><params><param><value>", value,
                        "</value></param></params></methodResponse>");
  };
  CHECK_THAT(fails(wrap("<i8>12x</i8>")).message, Contains("'12x' is not an integer"));
  CHECK_THAT(fails(wrap("<i8>99999999999999999999</i8>")).message, Contains("not an integer"));
  CHECK_THAT(fails(wrap("<base64>AAAA</base64>")).message, Contains("unknown value type <base64>"));
  CHECK_THAT(fails(wrap("<boolean>2</boolean>")).message, Contains("not 0 or 1"));
  CHECK_THAT(fails(wrap("<array></array>")).message, Contains("without <data>"));
  CHECK_THAT(fails(wrap("<i4>1</i4><i4>2</i4>")).message, Contains("several types"));
  CHECK_THAT(fails("<other/>").message, Contains("no <methodResponse>"));
  CHECK_THAT(
      fails("<methodResponse><fault><value><i4>1</i4></value></fault></methodResponse>").message,
      Contains("a fault that is not"));
  std::string deep = "<i4>1</i4>";
  for (int i = 0; i < 40; ++i)
    deep = util::concat("<array><data><value>", deep, "</value></data></array>");
  CHECK_THAT(fails(wrap(deep)).message, Contains("nest deeper than 16"));
}

namespace {

xmlrpc::Value row(const std::string& hash, std::int64_t state, std::int64_t active,
                  std::int64_t complete, std::int64_t hashing, std::int64_t done,
                  std::int64_t size) {
  xmlrpc::Value r;
  r.type = xmlrpc::Value::Type::array;
  r.items = {xmlrpc::Value::of(hash),
             xmlrpc::Value::of(std::string("name")),
             xmlrpc::Value::of(state),
             xmlrpc::Value::of(active),
             xmlrpc::Value::of(complete),
             xmlrpc::Value::of(hashing),
             xmlrpc::Value::of(done),
             xmlrpc::Value::of(size),
             xmlrpc::Value::of(std::int64_t{9}),
             xmlrpc::Value::of(std::int64_t{3}),
             xmlrpc::Value::of(std::string())};
  return r;
}

xmlrpc::Value rows(std::vector<xmlrpc::Value> items) {
  xmlrpc::Value a;
  a.type = xmlrpc::Value::Type::array;
  a.items = std::move(items);
  return a;
}

}  // namespace

TEST_CASE("the rTorrent list call is one d.multicall2 over the main view", "[remote]") {
  const std::string call = rtorrent::list_call();
  CHECK_THAT(call, Contains("<methodName>d.multicall2</methodName>"));
  CHECK_THAT(call, Contains("<value><string></string></value></param><param><value><string>main"));
  CHECK_THAT(call, Contains("<string>d.hash=</string>"));
  CHECK_THAT(rtorrent::torrent_call("d.stop", hash_a),
             Contains("<string>0123456789ABCDEF0123456789ABCDEF01234567</string>"));
}

TEST_CASE("rTorrent rows become RemoteTorrents in the shared states", "[remote]") {
  const std::string upper = "0123456789ABCDEF0123456789ABCDEF01234567";
  auto ts =
      rtorrent::parse_list(rows({row(upper, 1, 1, 0, 0, 10, 100), row(upper, 1, 1, 1, 0, 100, 100),
                                 row(upper, 0, 0, 0, 0, 10, 100), row(upper, 1, 0, 0, 0, 10, 100),
                                 row(upper, 1, 1, 0, 1, 0, 100), row(upper, 1, 1, 0, 0, 0, 0)}),
                           "rt");
  REQUIRE(ts.size() == 6);
  CHECK(ts[0].hash == hash_a);
  CHECK(ts[0].state == RemoteState::downloading);
  CHECK(ts[0].bytes_done == 10);
  CHECK(ts[0].bytes_total == 100);
  CHECK(ts[0].download_rate == 9);
  CHECK(ts[0].upload_rate == 3);
  CHECK(ts[1].state == RemoteState::seeding);
  CHECK(ts[2].state == RemoteState::paused);  // stopped
  CHECK(ts[3].state == RemoteState::paused);  // started but paused
  CHECK(ts[4].state == RemoteState::checking);
  CHECK(ts[5].bytes_total == -1);  // no metadata yet
}

TEST_CASE("hostile rTorrent rows fail naming the row and field", "[remote]") {
  auto fails = [](const xmlrpc::Value& v) {
    return failure_of([&] { (void)rtorrent::parse_list(v, "rtorrent h:1"); });
  };
  CHECK_THAT(fails(xmlrpc::Value::of(std::int64_t{1})).message,
             Contains("an integer, not an array"));
  auto short_row = row(hash_a, 1, 1, 0, 0, 0, 10);
  short_row.items.pop_back();
  CHECK_THAT(fails(rows({short_row})).message, Contains("torrent 0 has 10 fields, not 11"));
  auto wrong_type = row(hash_a, 1, 1, 0, 0, 0, 10);
  wrong_type.items[7] = xmlrpc::Value::of(std::string("10"));
  auto e = fails(rows({row(hash_a, 1, 1, 0, 0, 0, 10), wrong_type}));
  CHECK(e.code == errc::malformed_response);
  CHECK_THAT(e.message, Contains("torrent 1: d.size_bytes= is a string, not an integer"));
  CHECK_THAT(fails(rows({row("xyz", 1, 1, 0, 0, 0, 10)})).message, Contains("not 40 hex digits"));
  CHECK_THAT(fails(rows({row(hash_a, 1, 1, 0, 0, 11, 10)})).message,
             Contains("11 bytes done of 10"));
  CHECK_THAT(fails(rows({row(hash_a, 1, 1, 0, 0, -1, 10)})).message, Contains("is negative"));
}
