// TorrentFetcher: start() never throws (an unusable save path ends in failed, with the
// reason); pause and resume are the torrent's own, also when asked for while it checks;
// destroying the fetcher while its timer runs (or from inside its own callback) is safe.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <memory>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/fetcher.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::SeederBehaviour;
using bitflow::test::stop_session;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;

namespace {

AddTorrentParams leech_params(const AlbumFixture& f, std::vector<std::string> peers) {
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = std::move(peers);
  params.seed = {0.0, std::nullopt};
  return params;
}

// A second fetcher of the same torrent, in a session of its own, that keeps running: while
// it reports twice more, a fetcher that is gone would have reported too (same timer). So
// "no more reports" is checked over time that is known to have passed, not a guess.
struct ControlFetcher {
  ControlFetcher(asio::io_context& io, const AlbumFixture& f, const TestSeeder& seeder)
      : session(io, loopback_settings()), fetcher(io, session, params(f, seeder)) {
    fetcher.on_progress([this](const FetchStatus&) { ++reports; });
    fetcher.start();
  }
  static AddTorrentParams params(const AlbumFixture& f, const TestSeeder& seeder) {
    auto p = leech_params(f, {seeder.address()});
    p.save_path = f.root / "control";
    return p;
  }
  [[nodiscard]] bool wait_for_two_more_reports(asio::io_context& io) {
    int from = reports;
    return run_until(io, [&] { return reports >= from + 2; });
  }
  void stop(asio::io_context& io) { stop_session(io, session); }

  Session session;
  TorrentFetcher fetcher;
  int reports = 0;
};

}  // namespace

TEST_CASE("torrent fetcher start on an unusable save path fails with the reason", "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  Session session(io, loopback_settings());
  auto params = leech_params(f, {});
  params.save_path = f.root / "src/album/a.bin";  // a file, not a folder
  TorrentFetcher fetcher(io, session, params);
  std::vector<FetchStatus> reports;
  fetcher.on_progress([&](const FetchStatus& s) { reports.push_back(s); });
  REQUIRE_NOTHROW(fetcher.start());
  CHECK(fetcher.status().state == FetchState::failed);
  CHECK_THAT(fetcher.status().error, Catch::Contains("a.bin") && Catch::Contains("not a folder"));
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].state == FetchState::failed);
  CHECK(session.torrents().empty());
  fetcher.start();  // failed is final
  CHECK(fetcher.status().state == FetchState::failed);
}

TEST_CASE("torrent fetcher pauses the torrent itself, also when paused while it checks",
          "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  // Unchokes but never sends: the torrent stays downloading until we look.
  TestSeeder seeder(io, *f.torrent, f.content, SeederBehaviour{std::nullopt, false, true});
  Session session(io, loopback_settings());
  TorrentFetcher fetcher(io, session, leech_params(f, {seeder.address()}));
  fetcher.start();
  REQUIRE(session.torrents().size() == 1);
  auto torrent = session.torrents().front();
  CHECK(torrent.status().state == TorrentState::checking);
  fetcher.pause();  // the torrent ignores pause() while checking: applied after
  CHECK(fetcher.status().state == FetchState::paused);
  REQUIRE(run_until(io, [&] { return torrent.status().state == TorrentState::paused; }));
  CHECK(fetcher.status().state == FetchState::paused);
  CHECK(torrent.status().peers == 0);
  fetcher.resume();
  CHECK(fetcher.status().state == FetchState::running);
  CHECK(torrent.status().state == TorrentState::downloading);
  REQUIRE(run_until(io, [&] { return torrent.status().peers == 1; }));
  fetcher.pause();  // now directly
  CHECK(torrent.status().state == TorrentState::paused);
  CHECK(session.torrents().size() == 1);  // paused, not removed
  stop_session(io, session);
}

TEST_CASE("destroying a torrent fetcher while its timer runs stops its reports", "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content, SeederBehaviour{std::nullopt, false, true});
  Session session(io, loopback_settings());
  auto fetcher = std::make_unique<TorrentFetcher>(io, session, leech_params(f, {seeder.address()}));
  int reports = 0;
  fetcher->on_progress([&](const FetchStatus&) { ++reports; });
  fetcher->start();
  // The watch timer reports about twice a second while running.
  REQUIRE(run_until(io, [&] { return reports >= 2; }));
  ControlFetcher control(io, f, seeder);
  fetcher.reset();
  int at_destruction = reports;
  REQUIRE(control.wait_for_two_more_reports(io));
  CHECK(reports == at_destruction);
  CHECK(session.torrents().size() == 1);  // the torrent is the session's, and goes on
  control.stop(io);
  stop_session(io, session);
}

TEST_CASE("a torrent fetcher may be destroyed from inside its own progress callback", "[fetcher]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content, SeederBehaviour{std::nullopt, false, true});
  Session session(io, loopback_settings());
  auto fetcher = std::make_unique<TorrentFetcher>(io, session, leech_params(f, {seeder.address()}));
  int reports = 0;
  fetcher->on_progress([&](const FetchStatus& s) {
    ++reports;
    if (s.state == FetchState::running && reports == 2) fetcher.reset();  // from the timer
  });
  ControlFetcher control(io, f, seeder);
  fetcher->start();
  REQUIRE(run_until(io, [&] { return fetcher == nullptr; }));
  REQUIRE(control.wait_for_two_more_reports(io));
  CHECK(reports == 2);
  control.stop(io);
  stop_session(io, session);
}
