// The download engine end to end on loopback against in-process seeders (TestSeeder):
// byte-identical results, file selection, lying peers detected and banned, resume.
#include <unistd.h>

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/create.hpp"
#include "bitflow/fetcher.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::SeederBehaviour;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Runs a session downloading the fixture from `peers` into `out`; returns the final status.
TorrentStatus download(asio::io_context& io, AlbumFixture& f, const fs::path& out,
                       std::vector<std::string> peers, std::vector<int> priorities = {}) {
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = out;
  params.peers = std::move(peers);
  params.file_priorities = std::move(priorities);
  params.seed = {0.0, std::nullopt};  // finished as soon as complete
  auto handle = session.add(std::move(params));
  bool done = run_until(
      io,
      [&] {
        auto s = handle.status().state;
        return s == TorrentState::finished || s == TorrentState::error;
      },
      30s);
  auto status = handle.status();
  bool stopped = false;
  asio::co_spawn(io, session.stop_all(), [&](std::exception_ptr) { stopped = true; });
  run_until(
      io, [&] { return stopped; }, 10s);
  INFO("state " << to_string(status.state) << ", peers " << status.peers << "/"
                << status.peers_known << ", verified " << status.verified_bytes << "/"
                << status.wanted_bytes << ", error '" << status.error << "'");
  REQUIRE(done);
  return status;
}

}  // namespace

TEST_CASE("session downloads a multi-file torrent byte for byte", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  auto status = download(io, f, f.root / "out", {seeder.address()});
  INFO(status.error);
  REQUIRE(status.state == TorrentState::finished);
  CHECK(status.verified_bytes == f.torrent->total_size());
  CHECK(status.hash_failures == 0);
  CHECK(fs::is_regular_file(f.root / "out/album/b/empty"));
  for (const auto& file : {"a.bin", "b/empty", "b/c.bin", "d.bin"})
    CHECK(f.read(f.root / "out/album" / file) == f.read(f.root / "src/album" / file));
}

TEST_CASE("session downloads only the selected files", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  // files: a.bin, b/c.bin, b/empty, d.bin (sorted); keep only d.bin.
  auto status = download(io, f, f.root / "out", {seeder.address()}, {0, 0, 0, 4});
  REQUIRE(status.state == TorrentState::finished);
  CHECK(f.read(f.root / "out/album/d.bin") == f.read(f.root / "src/album/d.bin"));
  CHECK_FALSE(fs::exists(f.root / "out/album/b/c.bin"));
}

TEST_CASE("session detects a lying peer, bans it and gets the piece from another", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder liar(io, *f.torrent, f.content, SeederBehaviour{3, false, false});
  // The honest peer keeps piece 3 back at first, so the lie is certainly received.
  SeederBehaviour later;
  later.withhold_piece = 3;
  TestSeeder honest(io, *f.torrent, f.content, later);
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {liar.address(), honest.address()};
  params.seed = {0.0, std::nullopt};
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return handle.status().peers_banned == 1; }, 30s));
  auto status = handle.status();
  CHECK(status.hash_failures >= 1);
  CHECK(status.state == TorrentState::downloading);  // piece 3 is still missing
  honest.announce_withheld();
  bool done = run_until(
      io, [&] { return handle.status().state == TorrentState::finished; }, 30s);
  status = handle.status();
  INFO("state " << to_string(status.state) << ", peers " << status.peers << ", verified "
                << status.verified_bytes << "/" << status.wanted_bytes);
  REQUIRE(done);
  CHECK(status.peers_banned == 1);  // the honest peer is not blamed
  for (const auto& file : {"a.bin", "b/empty", "b/c.bin", "d.bin"})
    CHECK(f.read(f.root / "out/album" / file) == f.read(f.root / "src/album" / file));
  bitflow::test::stop_session(io, session);
}

TEST_CASE("session refuses a peer that answers for another torrent", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder wrong(io, *f.torrent, f.content, SeederBehaviour{std::nullopt, true, false});
  TestSeeder good(io, *f.torrent, f.content);
  auto status = download(io, f, f.root / "out", {wrong.address(), good.address()});
  REQUIRE(status.state == TorrentState::finished);
  CHECK(wrong.handshakes_received() >= 1);  // it was dialled, and its answer refused
  CHECK(wrong.bytes_served() == 0);
}

TEST_CASE("session resumes: data already on disk is verified, not fetched again", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  auto first = download(io, f, f.root / "out", {seeder.address()});
  REQUIRE(first.state == TorrentState::finished);
  auto served = seeder.bytes_served();
  auto second = download(io, f, f.root / "out", {seeder.address()});
  REQUIRE(second.state == TorrentState::finished);
  CHECK(second.pieces_from_resume == f.torrent->num_pieces());
  CHECK(second.downloaded == 0);
  CHECK(seeder.bytes_served() == served);
}

TEST_CASE("session bans a peer that alone sent a piece failing its hash check", "[session]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder liar(io, *f.torrent, f.content, SeederBehaviour{3, false, false});
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {liar.address()};
  auto handle = session.add(std::move(params));
  // Every other piece arrives; piece 3 fails, and its only sender is banned.
  REQUIRE(run_until(
      io, [&] { return handle.status().peers_banned == 1; }, 30s));
  auto status = handle.status();
  CHECK(status.hash_failures >= 1);
  CHECK(status.state == TorrentState::downloading);
  CHECK(status.wasted >= 32768);
  bool stopped = false;
  asio::co_spawn(io, session.stop_all(), [&](std::exception_ptr) { stopped = true; });
  run_until(
      io, [&] { return stopped; }, 10s);
}

TEST_CASE("torrent fetcher reports running, paused and completed across pause and resume",
          "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {seeder.address()};
  TorrentFetcher fetcher(io, session, params);
  std::vector<FetchState> seen;
  fetcher.on_progress([&](const FetchStatus& s) {
    if (seen.empty() || seen.back() != s.state) seen.push_back(s.state);
  });
  fetcher.start();
  fetcher.pause();
  REQUIRE(run_until(io, [&] { return !seen.empty() && seen.back() == FetchState::paused; }));
  fetcher.resume();
  REQUIRE(run_until(
      io, [&] { return fetcher.status().state == FetchState::completed; }, 30s));
  CHECK(seen.front() == FetchState::running);
  CHECK(std::find(seen.begin(), seen.end(), FetchState::paused) != seen.end());
  CHECK(fetcher.status().bytes_done == f.torrent->total_size());
  CHECK(f.read(f.root / "out/album/d.bin") == f.read(f.root / "src/album/d.bin"));
  bool stopped = false;
  asio::co_spawn(io, session.stop_all(), [&](std::exception_ptr) { stopped = true; });
  run_until(
      io, [&] { return stopped; }, 10s);
}

TEST_CASE("torrent fetcher cancel stops for good", "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content, SeederBehaviour{std::nullopt, false, true});
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {seeder.address()};
  TorrentFetcher fetcher(io, session, params);
  fetcher.start();
  REQUIRE(session.torrents().size() == 1);
  auto torrent = session.torrents().front();
  // Under way: connected to the seeder (which never sends, so it stays downloading).
  REQUIRE(run_until(io, [&] { return torrent.status().peers == 1; }));
  fetcher.cancel();
  CHECK(fetcher.status().state == FetchState::cancelled);
  // Cancelling removes the torrent from the session.
  REQUIRE(run_until(io, [&] { return session.torrents().empty(); }));
  CHECK_FALSE(torrent.valid());
  fetcher.resume();  // a cancelled fetch does not come back
  CHECK(fetcher.status().state == FetchState::cancelled);
  CHECK(session.torrents().empty());
  bool stopped = false;
  asio::co_spawn(io, session.stop_all(), [&](std::exception_ptr) { stopped = true; });
  run_until(
      io, [&] { return stopped; }, 10s);
}
