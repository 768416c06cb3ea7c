// Sessions serving each other on loopback: a bitflow seeder and bitflow leechers, seed
// limits, upload limits, pause/resume, remove with data, and the events a torrent emits.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::address_of;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::stop_session;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

bool complete(TorrentState s) {
  return s == TorrentState::seeding || s == TorrentState::finished;
}

// A session seeding the fixture's source folder.
TorrentHandle add_seed(Session& session, AlbumFixture& f, SeedLimits limits = {}) {
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "src";
  params.seed = limits;
  return session.add(std::move(params));
}

TorrentHandle add_leech(Session& session, AlbumFixture& f, const fs::path& out,
                        std::vector<std::string> peers) {
  AddTorrentParams params(*f.torrent);
  params.save_path = out;
  params.peers = std::move(peers);
  params.seed = {0.0, std::nullopt};
  return session.add(std::move(params));
}

// Peer connections a session reported: made, ended, and why they ended.
struct PeerEvents {
  int connected = 0, disconnected = 0;
  std::vector<std::string> reasons;

  std::function<void(const TorrentEvent&)> listener() {
    return [this](const TorrentEvent& e) {
      if (e.kind == TorrentEvent::Kind::peer_connected) ++connected;
      if (e.kind == TorrentEvent::Kind::peer_disconnected) {
        ++disconnected;
        reasons.push_back(e.detail);
      }
    };
  }
};

}  // namespace

TEST_CASE("a session serves a complete torrent to another session", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  auto seed = add_seed(seeder, f, {std::nullopt, std::nullopt});
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));
  CHECK(seed.status().pieces_from_resume == f.torrent->num_pieces());

  Session leecher(io, loopback_settings());
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  for (const auto& file : {"a.bin", "b/empty", "b/c.bin", "d.bin"})
    CHECK(f.read(f.root / "out/album" / file) == f.read(f.root / "src/album" / file));
  auto s = seed.status();
  CHECK(s.uploaded == f.torrent->total_size());
  CHECK(s.downloaded == 0);
  CHECK(leech.status().downloaded == f.torrent->total_size());
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("seeding stops at a 1:1 share ratio by default", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  auto seed = add_seed(seeder, f);  // the default limits
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));
  Session leecher(io, loopback_settings());
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return seed.status().state == TorrentState::finished; }, 30s));
  CHECK(seed.status().uploaded >= f.torrent->total_size());
  CHECK(complete(leech.status().state));
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("a seeder with no ratio and no time limit keeps seeding", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  auto seed = add_seed(seeder, f, {std::nullopt, std::nullopt});
  Session leecher(io, loopback_settings());
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  // The share ratio is 1 now: with the default limits the seeder would stop at its next
  // once-a-second check ("seeding stops at a 1:1 share ratio by default").
  REQUIRE(seed.status().uploaded >= f.torrent->total_size());
  // A window in which nothing may happen (the thing under test), spanning that check.
  bitflow::test::run_for(io, 1500ms);
  CHECK(seed.status().state == TorrentState::seeding);
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("a seed refuses to stay connected to another seed", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  PeerEvents peers_a, peers_b;  // outlive the sessions that report to them
  Session a(io, loopback_settings());
  a.on_event(peers_a.listener());
  auto seed_a = add_seed(a, f, {std::nullopt, std::nullopt});
  // A torrent still checking its data turns connections away: let it finish first.
  REQUIRE(run_until(io, [&] { return seed_a.status().state == TorrentState::seeding; }));
  Session b(io, loopback_settings());
  b.on_event(peers_b.listener());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "src";
  params.peers = {address_of(a)};
  params.seed = {std::nullopt, std::nullopt};
  auto seed_b = b.add(std::move(params));
  // They do connect (a handshake on both sides), and then both connections end.
  bool parted = run_until(
      io,
      [&] {
        return peers_a.connected >= 1 && peers_b.connected >= 1 &&
               peers_a.disconnected == peers_a.connected &&
               peers_b.disconnected == peers_b.connected && seed_a.status().peers == 0 &&
               seed_b.status().peers == 0;
      },
      30s);
  INFO("a: " << peers_a.connected << " connected, " << peers_a.disconnected << " disconnected; b: "
             << peers_b.connected << " connected, " << peers_b.disconnected << " disconnected");
  REQUIRE(parted);
  INFO("b's first disconnect: " << peers_b.reasons.front());
  CHECK(seed_b.status().state == TorrentState::seeding);
  CHECK(seed_a.status().uploaded == 0);
  CHECK(seed_b.status().uploaded == 0);
  stop_session(io, b);
  stop_session(io, a);
}

TEST_CASE("an upload limit keeps the seeder at or below its rate", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  auto settings = loopback_settings();
  settings.upload_rate_limit = 100'000;  // bytes/s; the torrent is 271 000 bytes
  Session seeder(io, settings);
  add_seed(seeder, f, {std::nullopt, std::nullopt});
  Session leecher(io, loopback_settings());
  auto start = std::chrono::steady_clock::now();
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  // A full bucket (a quarter second, at least two blocks) goes at once; the rest waits for
  // tokens: (271 000 - 32 768) / 100 000 s at the very least.
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 2300ms);
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("pause closes the connections and resume completes the download", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  auto settings = loopback_settings();
  settings.upload_rate_limit = 100'000;  // slow enough to pause midway
  PeerEvents seeder_peers;
  Session seeder(io, settings);
  seeder.on_event(seeder_peers.listener());
  auto seed = add_seed(seeder, f, {std::nullopt, std::nullopt});
  Session leecher(io, loopback_settings());
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return leech.status().verified_bytes > 0; }, 20s));
  leech.pause();
  CHECK(leech.status().state == TorrentState::paused);
  // The connection is gone at both ends.
  REQUIRE(run_until(io, [&] { return leech.status().peers == 0 && seed.status().peers == 0; }));
  auto paused = leech.status();
  CHECK(paused.verified_bytes < f.torrent->total_size());
  int seeder_connections = seeder_peers.connected;
  // A window in which nothing may happen (the thing under test): no reconnection, no data.
  bitflow::test::run_for(io, 500ms);
  CHECK(seeder_peers.connected == seeder_connections);
  CHECK(leech.status().peers == 0);
  CHECK(leech.status().downloaded == paused.downloaded);  // nothing arrives while paused
  leech.resume();
  CHECK(leech.status().state == TorrentState::downloading);
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  CHECK(f.read(f.root / "out/album/d.bin") == f.read(f.root / "src/album/d.bin"));
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("remove with data deletes the torrent's files and forgets it", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  add_seed(seeder, f, {std::nullopt, std::nullopt});
  Session leecher(io, loopback_settings());
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  fs::create_directories(f.root / "out/mine");
  std::ofstream(f.root / "out/mine/keep.txt") << "not the torrent's";
  bool removed = false;
  asio::co_spawn(io, leecher.remove(leech, RemoveData::remove), [&](std::exception_ptr e) {
    CHECK(!e);
    removed = true;
  });
  REQUIRE(run_until(io, [&] { return removed; }));
  CHECK(!fs::exists(f.root / "out/album"));
  CHECK(fs::exists(f.root / "out/mine/keep.txt"));
  CHECK(leecher.torrents().empty());
  CHECK(!leech.valid());
  stop_session(io, seeder);
}

TEST_CASE("remove keeping data leaves the files", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session session(io, loopback_settings());
  auto seed = add_seed(session, f);
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));
  bool removed = false;
  asio::co_spawn(io, session.remove(seed, RemoveData::keep),
                 [&](std::exception_ptr) { removed = true; });
  REQUIRE(run_until(io, [&] { return removed; }));
  CHECK(session.torrents().empty());
  CHECK(fs::is_regular_file(f.root / "src/album/d.bin"));
}

TEST_CASE("a session refuses the same torrent twice", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session session(io, loopback_settings());
  add_seed(session, f);
  CHECK_THROWS_WITH(add_seed(session, f), Catch::Contains("already in the session"));
  stop_session(io, session);
}

TEST_CASE("events report state changes and every verified piece", "[seeding]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  add_seed(seeder, f, {std::nullopt, std::nullopt});
  Session leecher(io, loopback_settings());
  std::vector<TorrentState> states;
  std::set<std::int32_t> pieces;
  TorrentHandle from_event;
  leecher.on_event([&](const TorrentEvent& e) {
    from_event = e.torrent;
    if (e.kind == TorrentEvent::Kind::state_changed) states.push_back(e.state);
    if (e.kind == TorrentEvent::Kind::piece_verified) pieces.insert(e.piece);
  });
  auto leech = add_leech(leecher, f, f.root / "out", {address_of(seeder)});
  REQUIRE(run_until(
      io, [&] { return leech.status().state == TorrentState::finished; }, 30s));
  CHECK(from_event == leech);
  CHECK(states == std::vector<TorrentState>{TorrentState::checking, TorrentState::downloading,
                                            TorrentState::seeding, TorrentState::finished});
  CHECK(static_cast<std::int32_t>(pieces.size()) == f.torrent->num_pieces());
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("a taken listen port falls back to another one", "[seeding]") {
  asio::io_context io;
  Session first(io, loopback_settings());
  auto settings = loopback_settings();
  settings.listen_port = first.listen_port();
  Session second(io, settings);
  CHECK(second.listen_port() != 0);
  CHECK(second.listen_port() != first.listen_port());
  settings.listen_address = "not-an-address";
  CHECK_THROWS_WITH(Session(io, settings), Catch::Contains("not an IP address"));
}
