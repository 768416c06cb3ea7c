// Session events: what a listener may do from inside its call (pause, remove, add,
// add and remove listeners), and the peer and tracker events, on loopback.
#include <catch2/catch.hpp>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <map>
#include <string>
#include <vector>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/resume.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::address_of;
using bitflow::test::AlbumFixture;
using bitflow::test::HttpReply;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::stop_session;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// A one-file torrent of one of the fixture's files (so two of them differ), announcing to
// `trackers`.
TorrentInfo one_file_torrent(const AlbumFixture& f, const std::string& file,
                             std::vector<std::string> trackers = {}) {
  CreateOptions options;
  options.piece_length = 32768;
  for (auto& url : trackers)
    options.trackers.push_back({std::move(url)});
  return TorrentInfo::parse(create_torrent(f.root / "src/album" / file, options));
}

TorrentHandle add(Session& session, const TorrentInfo& info, const fs::path& save_path,
                  std::vector<std::string> peers = {}) {
  AddTorrentParams params(info);
  params.save_path = save_path;
  params.peers = std::move(peers);
  params.seed = {std::nullopt, std::nullopt};
  return session.add(std::move(params));
}

}  // namespace

TEST_CASE("a listener may pause, remove its torrent and add another from inside the callback",
          "[events]") {
  AlbumFixture f;
  asio::io_context io;
  auto first_info = one_file_torrent(f, "d.bin");
  auto second_info = one_file_torrent(f, "a.bin");
  Session session(io, loopback_settings());
  TorrentHandle first;
  TorrentHandle second;
  bool removed = false;
  std::map<std::string, std::vector<TorrentState>> states;  // by torrent name
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind != TorrentEvent::Kind::state_changed) return;
    states[e.torrent.info().name()].push_back(e.state);
    if (e.torrent == first && e.state == TorrentState::downloading) {
      first.pause();  // its "paused" event arrives, nested, before pause() returns
      CHECK(first.status().state == TorrentState::paused);
      asio::co_spawn(io, session.remove(first, RemoveData::keep), [&](std::exception_ptr error) {
        CHECK(!error);
        removed = true;
      });
      second = add(session, second_info, f.root / "src/album");  // complete: it seeds
    }
  });
  first = add(session, first_info, f.root / "out");  // nothing on disk, no peers: downloads
  REQUIRE(run_until(io, [&] { return removed && second.status().state == TorrentState::seeding; }));
  CHECK(states["d.bin"] == std::vector<TorrentState>{TorrentState::checking,
                                                     TorrentState::downloading,
                                                     TorrentState::paused, TorrentState::stopped});
  CHECK(states["a.bin"] ==
        std::vector<TorrentState>{TorrentState::checking, TorrentState::seeding});
  CHECK(!first.valid());
  REQUIRE(session.torrents().size() == 1);
  CHECK(session.torrents().front() == second);
  stop_session(io, session);
}

TEST_CASE("a removed listener is not called again; one added during a delivery hears the next",
          "[events]") {
  AlbumFixture f;
  asio::io_context io;
  Session session(io, loopback_settings());
  int first_calls = 0, second_calls = 0, third_calls = 0, fourth_calls = 0;
  Session::ListenerId first_id = 0, third_id = 0;
  first_id = session.on_event([&](const TorrentEvent&) {
    ++first_calls;
    session.remove_listener(first_id);
    session.remove_listener(third_id);  // later in this very delivery: skipped there too
    session.on_event([&](const TorrentEvent&) { ++fourth_calls; });
  });
  session.on_event([&](const TorrentEvent&) { ++second_calls; });
  third_id = session.on_event([&](const TorrentEvent&) { ++third_calls; });
  CHECK(first_id != 0);
  CHECK(third_id != first_id);
  auto seed = add(session, *f.torrent, f.root / "src");
  // checking, then seeding: two events at least.
  REQUIRE(run_until(
      io, [&] { return seed.status().state == TorrentState::seeding && second_calls >= 2; }));
  CHECK(first_calls == 1);
  CHECK(third_calls == 0);
  CHECK(fourth_calls == second_calls - 1);  // every event after the first
  session.remove_listener(12345);           // unknown: ignored
  stop_session(io, session);
}

TEST_CASE("peer_connected and peer_disconnected report both ends with the reason", "[events]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  add(seeder, *f.torrent, f.root / "src");
  REQUIRE(run_until(
      io, [&] { return seeder.torrents().front().status().state == TorrentState::seeding; }));
  struct Seen {
    std::vector<TorrentEvent> connected, disconnected;
  } at_seeder, at_leecher;
  auto recorder = [](Seen& seen) {
    return [&seen](const TorrentEvent& e) {
      if (e.kind == TorrentEvent::Kind::peer_connected) seen.connected.push_back(e);
      if (e.kind == TorrentEvent::Kind::peer_disconnected) seen.disconnected.push_back(e);
    };
  };
  seeder.on_event(recorder(at_seeder));
  Session leecher(io, loopback_settings());
  leecher.on_event(recorder(at_leecher));
  // The leecher pauses as soon as the handshake is done: its side of the connection ends
  // with "paused", the seeder sees the peer close it.
  leecher.on_event([](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::peer_connected) e.torrent.pause();
  });
  auto leech = add(leecher, *f.torrent, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return !at_leecher.disconnected.empty() && !at_seeder.disconnected.empty(); }));
  CHECK(leech.status().state == TorrentState::paused);
  REQUIRE(at_leecher.connected.size() == 1);
  CHECK(at_leecher.connected[0].peer == address_of(seeder));
  CHECK_FALSE(at_leecher.connected[0].incoming);
  REQUIRE(at_leecher.disconnected.size() == 1);
  CHECK(at_leecher.disconnected[0].peer == address_of(seeder));
  CHECK(at_leecher.disconnected[0].detail == "paused");
  REQUIRE(at_seeder.connected.size() == 1);
  CHECK(at_seeder.connected[0].incoming);
  CHECK(at_seeder.connected[0].peer.rfind("127.0.0.1:", 0) == 0);
  REQUIRE(at_seeder.disconnected.size() == 1);
  CHECK(at_seeder.disconnected[0].peer == at_seeder.connected[0].peer);
  INFO("the seeder's reason: " << at_seeder.disconnected[0].detail);
  CHECK(!at_seeder.disconnected[0].detail.empty());
  CHECK(at_seeder.disconnected[0].detail != "paused");
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("tracker_reply and tracker_error carry the tracker, its peers and interval, or why",
          "[events]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer trackers(io);
  bencode::Value reply;
  reply["interval"] = 1800;
  // Two peers on ports where nothing listens (127.0.0.1:9 and :11).
  reply["peers"] = std::string{127, 0, 0, 1, 0, 9, 127, 0, 0, 1, 0, 11};
  trackers.on("/announce", HttpReply::ok(bencode::encode(reply)));
  bencode::Value refusal;
  refusal["failure reason"] = "torrent not registered";
  trackers.on("/refuse", HttpReply::ok(bencode::encode(refusal)));
  auto answered = one_file_torrent(f, "d.bin", {trackers.url("/announce")});
  auto refused = one_file_torrent(f, "a.bin", {trackers.url("/refuse")});
  Session session(io, loopback_settings());
  std::vector<TorrentEvent> replies, errors;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::tracker_reply) replies.push_back(e);
    if (e.kind == TorrentEvent::Kind::tracker_error) errors.push_back(e);
  });
  auto good = add(session, answered, f.root / "src/album");
  auto bad = add(session, refused, f.root / "src/album");
  REQUIRE(run_until(io, [&] { return !replies.empty() && !errors.empty(); }));
  CHECK(replies[0].torrent == good);
  CHECK(replies[0].tracker == trackers.url("/announce"));
  CHECK(replies[0].peers_received == 2);
  CHECK(replies[0].interval == 1800s);
  CHECK(errors[0].torrent == bad);
  CHECK(errors[0].tracker == trackers.url("/refuse"));
  CHECK_THAT(errors[0].detail, Catch::Contains("torrent not registered"));
  stop_session(io, session);
}

TEST_CASE("a magnet link reports its tracker's answers while it fetches the metadata", "[events]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer trackers(io);
  bencode::Value refusal;
  refusal["failure reason"] = "torrent not registered";
  trackers.on("/announce", HttpReply::ok(bencode::encode(refusal)));
  Session session(io, loopback_settings());
  std::vector<TorrentEvent> errors;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::tracker_error) errors.push_back(e);
  });
  Magnet magnet;
  magnet.info_hash = f.torrent->info_hash();
  magnet.trackers = {trackers.url("/announce")};
  AddMagnetParams params(magnet);
  params.save_path = f.root / "out";
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(io, [&] { return !errors.empty(); }));
  CHECK(errors[0].torrent == handle);
  CHECK(errors[0].state == TorrentState::metadata);
  CHECK(errors[0].tracker == trackers.url("/announce"));
  CHECK_THAT(errors[0].detail, Catch::Contains("torrent not registered"));
  stop_session(io, session);
}

TEST_CASE("a torrent paused by a listener on its last verified piece stays paused, then seeds",
          "[events]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  add(seeder, *f.torrent, f.root / "src");
  Session leecher(io, loopback_settings());
  int verified = 0;
  leecher.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::piece_verified && ++verified == f.torrent->num_pieces())
      e.torrent.pause();
  });
  auto leech = add(leecher, *f.torrent, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return verified == f.torrent->num_pieces(); }, 30s));
  CHECK(leech.status().state == TorrentState::paused);
  // Completing the download (empty files, then resume data) happens on the disk pool after
  // the last piece: it must not override the pause. It is over once a resume file lists
  // every piece (the torrent saves none while paused, nor in its first 30 s otherwise).
  auto completed = [&] {
    ErrorInfo ignored;
    auto resume = storage::load_resume(f.root / "out", *f.torrent, ignored);
    return resume &&
           std::all_of(resume->pieces.begin(), resume->pieces.end(), [](bool has) { return has; });
  };
  REQUIRE(run_until(io, completed));
  CHECK(leech.status().state == TorrentState::paused);
  CHECK(leech.status().verified_bytes == f.torrent->total_size());
  leech.resume();
  CHECK(leech.status().state == TorrentState::seeding);
  CHECK(fs::is_regular_file(f.root / "out/album/b/empty"));
  stop_session(io, leecher);
  stop_session(io, seeder);
}
