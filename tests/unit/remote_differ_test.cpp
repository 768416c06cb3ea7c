// SnapshotDiffer: successive snapshots of a remote client become the manager's events, in
// the documented order, with progress throttled per torrent.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bitflow/manager_json.hpp"
#include "bitflow/remote_watch.hpp"
#include "util/concat.hpp"

using namespace bitflow;
using namespace bitflow::remote;
using manager::DownloadState;
using manager::Event;
using manager::EventKind;

namespace {

RemoteTorrent torrent(const std::string& hash, RemoteState state, std::int64_t done,
                      std::int64_t total = 1000) {
  RemoteTorrent t;
  t.hash = hash;
  t.name = util::concat("name-", hash);
  t.state = state;
  t.bytes_done = done;
  t.bytes_total = total;
  return t;
}

std::vector<std::string> kinds(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(std::string(to_string(e.kind)) + ":" + e.download.id);
  return out;
}

using Kinds = std::vector<std::string>;

}  // namespace

TEST_CASE("a torrent first seen is added, and started when it is downloading", "[remote]") {
  SnapshotDiffer d("tr");
  auto events = d.update(
      {torrent("a", RemoteState::downloading, 0), torrent("b", RemoteState::seeding, 1000)}, 1000);
  CHECK(kinds(events) == Kinds{"added:a", "started:a", "added:b"});
  CHECK(events[0].download.owner == "tr");
  CHECK(events[0].download.type == "torrent");
  CHECK(events[0].download.source == "magnet:?xt=urn:btih:a");
  CHECK(events[0].download.state == DownloadState::downloading);
  CHECK(events[2].download.state == DownloadState::completed);
  CHECK(events[0].at == 1000);
  CHECK(d.update(
             {torrent("a", RemoteState::downloading, 0), torrent("b", RemoteState::seeding, 1000)},
             2000)
            .empty());
}

TEST_CASE("a download goes added, progress, finished, and removed when it is gone", "[remote]") {
  SnapshotDiffer d("tr");
  CHECK(kinds(d.update({torrent("a", RemoteState::queued, 0)}, 0)) == Kinds{"added:a"});
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 100)}, 1000)) ==
        Kinds{"started:a", "progress:a"});
  auto done = d.update({torrent("a", RemoteState::seeding, 1000)}, 2000);
  CHECK(kinds(done) == Kinds{"finished:a"});  // no progress next to finished
  CHECK(done[0].download.progress() == 100);
  CHECK(done[0].download.finished_at == 2000);
  CHECK(done[0].download.created_at == 0);
  auto gone = d.update({}, 3000);
  CHECK(kinds(gone) == Kinds{"removed:a"});
  CHECK(gone[0].download.state == DownloadState::removed);
  CHECK(d.update({}, 4000).empty());
}

TEST_CASE("progress comes at most once per interval and catches up later", "[remote]") {
  SnapshotDiffer d("tr", std::chrono::milliseconds(500));
  (void)d.update({torrent("a", RemoteState::downloading, 0)}, 0);
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 10)}, 100)).empty());
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 20)}, 499)).empty());
  auto p = d.update({torrent("a", RemoteState::downloading, 30)}, 500);
  REQUIRE(kinds(p) == Kinds{"progress:a"});
  CHECK(p[0].download.bytes_done == 30);
  // Nothing moved: nothing to say, however long it has been.
  CHECK(d.update({torrent("a", RemoteState::downloading, 30)}, 5000).empty());
  // A move held back by the throttle shows in the next poll after the interval.
  CHECK(d.update({torrent("a", RemoteState::downloading, 40)}, 5200).size() == 1);
  CHECK(d.update({torrent("a", RemoteState::downloading, 40)}, 5300).empty());
  CHECK(d.update({torrent("a", RemoteState::downloading, 50)}, 5400).empty());
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 50)}, 5700)) == Kinds{"progress:a"});
}

TEST_CASE("a check's bytes are not progress: rTorrent re-hashing a finished download", "[remote]") {
  SnapshotDiffer d("rt", std::chrono::milliseconds(0));
  (void)d.update({torrent("a", RemoteState::downloading, 0)}, 0);
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 950)}, 1000)) ==
        Kinds{"progress:a"});
  CHECK(d.update({torrent("a", RemoteState::checking, 200)}, 2000).empty());
  CHECK(d.update({torrent("a", RemoteState::checking, 600)}, 3000).empty());
  CHECK(kinds(d.update({torrent("a", RemoteState::seeding, 1000)}, 4000)) == Kinds{"finished:a"});
}

TEST_CASE("a wall clock set back does not silence progress", "[remote]") {
  SnapshotDiffer d("tr", std::chrono::milliseconds(500));
  (void)d.update({torrent("a", RemoteState::downloading, 0)}, 10'000);
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 10)}, 2'000)) ==
        Kinds{"progress:a"});
}

TEST_CASE("pause and resume are told as such, whatever the state around them", "[remote]") {
  SnapshotDiffer d("tr");
  (void)d.update({torrent("a", RemoteState::downloading, 0)}, 0);
  CHECK(kinds(d.update({torrent("a", RemoteState::paused, 0)}, 1000)) == Kinds{"paused:a"});
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 0)}, 2000)) == Kinds{"resumed:a"});
  (void)d.update({torrent("a", RemoteState::seeding, 1000)}, 3000);
  CHECK(kinds(d.update({torrent("a", RemoteState::paused, 1000)}, 4000)) == Kinds{"paused:a"});
  // A complete torrent resumed is not finished a second time.
  CHECK(kinds(d.update({torrent("a", RemoteState::seeding, 1000)}, 5000)) == Kinds{"resumed:a"});
}

TEST_CASE("a local error fails the download with the client's reason", "[remote]") {
  SnapshotDiffer d("tr");
  (void)d.update({torrent("a", RemoteState::downloading, 0)}, 0);
  auto t = torrent("a", RemoteState::error, 0);
  t.error = "No space left on device";
  auto events = d.update({t}, 1000);
  REQUIRE(kinds(events) == Kinds{"failed:a", "updated:a"});
  CHECK(events[0].download.state == DownloadState::failed);
  CHECK(events[0].download.error == "No space left on device");
  CHECK(events[1].changed == std::vector<std::string>{"error"});
  // Started again from failed.
  CHECK(kinds(d.update({torrent("a", RemoteState::downloading, 0)}, 2000)) ==
        Kinds{"started:a", "updated:a"});
}

TEST_CASE("a tracker's complaint on a running torrent is not an error of the download",
          "[remote]") {
  auto t = torrent("a", RemoteState::downloading, 0);
  t.error = "Tracker gave HTTP response code 404";
  CHECK(to_record(t, "tr").error.empty());
}

TEST_CASE("changes no other event names are updated events with the fields", "[remote]") {
  SnapshotDiffer d("tr");
  (void)d.update({torrent("a", RemoteState::downloading, 0, -1)}, 0);
  auto t = torrent("a", RemoteState::downloading, 0, 5000);
  t.name = "real name";
  auto events = d.update({t}, 1000);
  REQUIRE(kinds(events) == Kinds{"updated:a"});
  CHECK(events[0].changed == std::vector<std::string>{"name", "bytes_total"});
  // downloading → queued has no event of its own.
  t.state = RemoteState::queued;
  events = d.update({t}, 2000);
  REQUIRE(kinds(events) == Kinds{"updated:a"});
  CHECK(events[0].changed == std::vector<std::string>{"state"});
  // Rates alone say nothing.
  t.download_rate = 12345;
  CHECK(d.update({t}, 3000).empty());
}

TEST_CASE("events come in the new snapshot's order, removed ones last", "[remote]") {
  SnapshotDiffer d("tr");
  (void)d.update({torrent("a", RemoteState::paused, 0), torrent("b", RemoteState::paused, 0)}, 0);
  CHECK(kinds(d.update({torrent("c", RemoteState::paused, 0), torrent("b", RemoteState::queued, 0),
                        torrent("c", RemoteState::seeding, 0)},
                       1000)) == Kinds{"added:c", "resumed:b", "removed:a"});
}

TEST_CASE("an event of a remote torrent has the manager's JSON shape", "[remote]") {
  SnapshotDiffer d("transmission 127.0.0.1:9091");
  auto events = d.update({torrent("a", RemoteState::queued, 250)}, 1764814267042);
  auto json = manager::to_json(events.at(0));
  CHECK(json.at("event") == "added");
  CHECK(json.at("download").at("id") == "a");
  CHECK(json.at("download").at("owner") == "transmission 127.0.0.1:9091");
  CHECK(json.at("download").at("progress") == 25);
  CHECK(json.at("download").at("state") == "queued");
}
