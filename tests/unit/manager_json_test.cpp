// The manager's JSON (bitflow/manager_json.hpp): every key present, null for what is not
// known yet, times in RFC 3339 UTC, events with their kind and changed fields.
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include "bitflow/manager_json.hpp"

using namespace bitflow::manager;
namespace json = boost::json;

TEST_CASE("times are RFC 3339 UTC with milliseconds", "[manager][json]") {
  CHECK(format_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_utc(1'796'263'867'042) == "2026-12-03T02:11:07.042Z");
  CHECK(format_utc(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("a download that has just been queued: unknowns are null", "[manager][json]") {
  DownloadRecord r;
  r.id = "d1";
  r.owner = "ann";
  r.source = "magnet:?xt=urn:btih:0123";
  r.type = "magnet";
  r.created_at = 1'000;
  const json::object o = to_json(r);
  CHECK(o.at("id") == "d1");
  CHECK(o.at("state") == "queued");
  CHECK(o.at("progress") == 0);
  CHECK(o.at("bytes_total").is_null());
  CHECK(o.at("eta").is_null());
  CHECK(o.at("error").is_null());
  CHECK(o.at("waiting_reason").is_null());
  CHECK(o.at("created_at") == "1970-01-01T00:00:01.000Z");
  CHECK(o.at("started_at").is_null());
  CHECK(o.at("finished_at").is_null());
  CHECK(o.at("files").as_array().empty());
  for (const char* key : {"name", "destination", "bytes_done", "bytes_uploaded", "download_rate",
                          "upload_rate", "attempts", "retry_at"})
    CHECK(o.contains(key));
}

TEST_CASE("a download under way and a failed one", "[manager][json]") {
  DownloadRecord r;
  r.state = DownloadState::downloading;
  r.bytes_done = 250;
  r.bytes_total = 1000;
  r.download_rate = 75;
  r.files = {{"a/b.bin", 800, 200, true}, {"c.txt", 200, 50, false}};
  json::object o = to_json(r);
  CHECK(o.at("progress") == 25);
  CHECK(o.at("bytes_total") == 1000);
  CHECK(o.at("eta") == 10);
  const json::array& files = o.at("files").as_array();
  REQUIRE(files.size() == 2);
  CHECK(files[0].at("index") == 0);
  CHECK(files[0].at("path") == "a/b.bin");
  CHECK(files[0].at("progress") == 25);
  CHECK(files[1].at("selected") == false);

  r.state = DownloadState::failed;
  r.error = "HTTP 404 Not Found";
  r.error_code = "fetch:4";
  o = to_json(r);
  CHECK(o.at("state") == "failed");
  CHECK(o.at("error").at("message") == "HTTP 404 Not Found");
  CHECK(o.at("error").at("code") == "fetch:4");
}

TEST_CASE("an event carries its kind, time, download and changed fields", "[manager][json]") {
  Event e;
  e.kind = EventKind::updated;
  e.at = 86'400'000;
  e.download.id = "d2";
  e.changed = {"name", "bytes_total"};
  const json::object o = to_json(e);
  CHECK(o.at("event") == "updated");
  CHECK(o.at("timestamp") == "1970-01-02T00:00:00.000Z");
  CHECK(o.at("download").at("id") == "d2");
  CHECK(json::serialize(o.at("changed")) == R"(["name","bytes_total"])");
}
