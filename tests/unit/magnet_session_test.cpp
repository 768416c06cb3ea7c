// Magnet links end to end on loopback between sessions: metadata fetched with BEP 9 and
// checked, then the download; peers learnt through peer exchange (BEP 11).
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <chrono>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::address_of;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::SeederBehaviour;
using bitflow::test::stop_session;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

Magnet magnet_of(const TorrentInfo& info, std::vector<std::string> peers) {
  Magnet m;
  m.info_hash = info.info_hash();
  m.display_name = info.name();
  m.peers = std::move(peers);
  return m;
}

TorrentHandle seed(Session& session, AlbumFixture& f) {
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "src";
  params.seed = {std::nullopt, std::nullopt};
  return session.add(std::move(params));
}

}  // namespace

TEST_CASE("a magnet link fetches the metadata from a peer, then downloads", "[magnet-session]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  seed(seeder, f);
  Session leecher(io, loopback_settings());
  std::vector<TorrentEvent::Kind> kinds;
  std::vector<TorrentState> states;
  leecher.on_event([&](const TorrentEvent& e) {
    kinds.push_back(e.kind);
    if (e.kind == TorrentEvent::Kind::state_changed) states.push_back(e.state);
    if (e.kind == TorrentEvent::Kind::metadata_received) {
      CHECK(e.torrent.has_metadata());
      CHECK(e.torrent.info().info_hash() == f.torrent->info_hash());
    }
  });
  AddMagnetParams params(magnet_of(*f.torrent, {address_of(seeder)}));
  params.save_path = f.root / "out";
  params.seed = {0.0, std::nullopt};
  auto handle = leecher.add(std::move(params));
  CHECK(!handle.has_metadata());
  CHECK(handle.status().state == TorrentState::metadata);
  CHECK_THROWS_WITH(handle.info(), Catch::Contains("has not arrived yet"));
  REQUIRE(run_until(
      io, [&] { return handle.status().state == TorrentState::finished; }, 30s));
  CHECK(handle.info().info_bytes() == f.torrent->info_bytes());
  CHECK(std::count(kinds.begin(), kinds.end(), TorrentEvent::Kind::metadata_received) == 1);
  REQUIRE(!states.empty());
  CHECK(states.front() == TorrentState::metadata);
  for (const auto& file : {"a.bin", "b/empty", "b/c.bin", "d.bin"})
    CHECK(f.read(f.root / "out/album" / file) == f.read(f.root / "src/album" / file));
  stop_session(io, leecher);
  stop_session(io, seeder);
}

TEST_CASE("a magnet whose peers never answer stays fetching and stops cleanly",
          "[magnet-session]") {
  AlbumFixture f;
  asio::io_context io;
  Session leecher(io, loopback_settings());
  // A peer that takes the connection and the handshake, then never says a word.
  SeederBehaviour silent;
  silent.never_answer = true;
  TestSeeder mute(io, *f.torrent, f.content, silent);
  AddMagnetParams params(magnet_of(*f.torrent, {mute.address()}));
  params.save_path = f.root / "out";
  auto handle = leecher.add(std::move(params));
  // The magnet did try: its handshake for this info-hash reached the peer.
  REQUIRE(run_until(io, [&] { return mute.handshakes_received() >= 1; }));
  auto status = handle.status();
  CHECK(status.state == TorrentState::metadata);
  CHECK(status.metadata_size == 0);  // not even the size is known
  CHECK(status.metadata_pieces == 0);
  stop_session(io, leecher);
  CHECK(handle.status().state == TorrentState::stopped);
  CHECK(!fs::exists(f.root / "out/album"));
}

TEST_CASE("a peer serving metadata that fails the info-hash check is banned", "[magnet-session]") {
  AlbumFixture f;
  asio::io_context io;
  SeederBehaviour lie;
  lie.serve_metadata = true;
  lie.corrupt_metadata = true;
  TestSeeder liar(io, *f.torrent, f.content, lie);
  Session leecher(io, loopback_settings());
  AddMagnetParams params(magnet_of(*f.torrent, {liar.address()}));
  params.save_path = f.root / "out";
  auto handle = leecher.add(std::move(params));
  REQUIRE(run_until(io, [&] { return handle.status().peers_banned == 1; }));
  REQUIRE(run_until(io, [&] { return handle.status().peers == 0; }));
  // A window in which nothing may happen (the thing under test): the banned liar is not
  // dialled or asked again.
  bitflow::test::run_for(io, 500ms);
  CHECK(handle.status().state == TorrentState::metadata);  // nothing else to trust
  CHECK(handle.status().peers == 0);
  CHECK(liar.handshakes_received() == 1);
  CHECK(liar.metadata_pieces_served() == 1);  // not asked again after the lie
  stop_session(io, leecher);
}

TEST_CASE("after a metadata liar the magnet completes from an honest peer", "[magnet-session]") {
  AlbumFixture f;
  asio::io_context io;
  SeederBehaviour lie;
  lie.serve_metadata = true;
  lie.corrupt_metadata = true;
  TestSeeder liar(io, *f.torrent, f.content, lie);
  SeederBehaviour honest_behaviour;
  honest_behaviour.serve_metadata = true;
  TestSeeder honest(io, *f.torrent, f.content, honest_behaviour);
  Session leecher(io, loopback_settings());
  AddMagnetParams params(magnet_of(*f.torrent, {liar.address(), honest.address()}));
  params.save_path = f.root / "out";
  params.seed = {0.0, std::nullopt};
  auto handle = leecher.add(std::move(params));
  bool done = run_until(
      io, [&] { return handle.status().state == TorrentState::finished; }, 30s);
  auto status = handle.status();
  INFO("state " << to_string(status.state) << ", peers " << status.peers << ", banned "
                << status.peers_banned << ", liar served " << liar.metadata_pieces_served()
                << ", honest served " << honest.metadata_pieces_served() << ", error "
                << status.error);
  REQUIRE(done);
  CHECK(handle.info().info_hash() == f.torrent->info_hash());
  CHECK(f.read(f.root / "out/album/d.bin") == f.read(f.root / "src/album/d.bin"));
  stop_session(io, leecher);
}

TEST_CASE("a magnet without a v1 info-hash is refused", "[magnet-session]") {
  asio::io_context io;
  Session session(io, loopback_settings());
  Magnet m;
  m.info_hash_v2 = Sha256Hash{};
  CHECK_THROWS_WITH(session.add(AddMagnetParams(m)), Catch::Contains("v1 info-hash"));
}

TEST_CASE("a leecher that knows one peer finds the others through peer exchange",
          "[magnet-session]") {
  AlbumFixture f;
  asio::io_context io;
  auto slow = loopback_settings();
  slow.upload_rate_limit = 40'000;  // keeps the first leechers busy (and connected) a while
  Session seeder(io, slow);
  auto seeding = seed(seeder, f);
  // A torrent still checking its data turns connections away: let it finish first.
  REQUIRE(run_until(io, [&] { return seeding.status().state == TorrentState::seeding; }));
  std::vector<std::unique_ptr<Session>> early;
  for (int i = 0; i < 2; ++i) {
    early.push_back(std::make_unique<Session>(io, loopback_settings()));
    AddTorrentParams params(*f.torrent);
    params.save_path = f.root / ("early" + std::to_string(i));
    params.peers = {address_of(seeder)};
    early.back()->add(std::move(params));
  }
  REQUIRE(run_until(io, [&] { return seeding.status().peers == 2; }));
  Session late(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "late";
  params.peers = {address_of(seeder)};  // the only address it is given
  auto handle = late.add(std::move(params));
  // Every leecher was given the seeder's address only: connections between leechers come
  // from peer exchange (the late one learns of the early ones, or they of it).
  bool found = run_until(
      io, [&] { return handle.status().peers >= 3; }, 15s);
  auto status = handle.status();
  INFO("late: " << to_string(status.state) << ", peers " << status.peers << ", known "
                << status.peers_known << ", verified " << status.verified_bytes);
  REQUIRE(found);
  stop_session(io, late);
  for (auto& s : early)
    stop_session(io, *s);
  stop_session(io, seeder);
}
