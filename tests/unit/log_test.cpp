// The "bitflow" logger: an application's sink receives the engine's lines (bans with their
// evidence, hash failures, connection ends), and by default only warnings and errors
// appear.
#include <catch2/catch.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <sstream>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/bencode.hpp"
#include "bitflow/create.hpp"
#include "bitflow/log.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::HttpReply;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::SeederBehaviour;
using bitflow::test::stop_session;
using bitflow::test::TestHttpServer;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;

namespace {

// Lines written to a string. The engine logs on the network thread, which is the test's
// own (io.run), so reading between runs needs no more locking than the sink's.
struct CapturedLog {
  std::ostringstream stream;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink =
      std::make_shared<spdlog::sinks::ostream_sink_mt>(stream);
  std::string text() {
    sink->flush();
    return stream.str();
  }
};

// Puts the default logger back however a test ends.
struct RestoreLogger {
  ~RestoreLogger() { set_logger(nullptr); }
};

}  // namespace

TEST_CASE("an application's logger receives bans with their evidence and connection ends",
          "[log]") {
  RestoreLogger restore;
  CapturedLog captured;
  auto mine = std::make_shared<spdlog::logger>("bitflow", captured.sink);
  mine->set_level(spdlog::level::debug);
  set_logger(mine);
  CHECK(logger() == mine);

  AlbumFixture f;
  asio::io_context io;
  TestSeeder liar(io, *f.torrent, f.content, SeederBehaviour{3, false, false});
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {liar.address()};
  auto handle = session.add(std::move(params));
  // Piece 3 fails its hash check; its only sender is banned and its connection closed.
  REQUIRE(run_until(
      io,
      [&] {
        return handle.status().peers_banned == 1 &&
               captured.text().find("disconnected: banned") != std::string::npos;
      },
      30s));
  stop_session(io, session);
  std::string text = captured.text();
  INFO(text);
  std::string context = "album [" + f.torrent->info_hash().hex().substr(0, 8) + "]";
  CHECK_THAT(text, Catch::Contains(context + ": checking -> downloading"));
  CHECK_THAT(text, Catch::Contains(context + ": piece 3 failed its hash check (sent by " +
                                   liar.address() + ")"));
  CHECK_THAT(text, Catch::Contains(context + ": banned " + liar.address() +
                                   ": sole sender of piece 3, which failed its hash check"));
  CHECK_THAT(text, Catch::Contains(context + ": connected to " + liar.address()));
  CHECK_THAT(text, Catch::Contains(context + ": " + liar.address() + " disconnected: banned"));
  CHECK_THAT(text, Catch::Contains("[bitflow] [info]"));
}

TEST_CASE("by default bitflow logs at warn: a tracker failure shows, routine lines do not",
          "[log]") {
  RestoreLogger restore;
  set_logger(nullptr);
  auto standard = logger();
  CHECK(standard->name() == "bitflow");
  CHECK(standard->level() == spdlog::level::warn);
  CHECK(spdlog::get("bitflow") == standard);  // reachable through spdlog's registry
  // Keep its level, catch its output instead of stderr.
  CapturedLog captured;
  auto old_sinks = standard->sinks();
  standard->sinks() = {captured.sink};
  struct PutBack {
    std::shared_ptr<spdlog::logger> logger;
    std::vector<spdlog::sink_ptr> sinks;
    ~PutBack() { logger->sinks() = sinks; }
  } put_back{standard, old_sinks};

  AlbumFixture f;
  asio::io_context io;
  TestHttpServer tracker(io);
  bencode::Value refusal;
  refusal["failure reason"] = "torrent not registered";
  tracker.on("/announce", HttpReply::ok(bencode::encode(refusal)));
  CreateOptions options;
  options.piece_length = 32768;
  options.trackers = {{tracker.url("/announce")}};
  auto info = TorrentInfo::parse(create_torrent(f.root / "src/album", options));
  Session session(io, loopback_settings());
  bool failed = false;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::tracker_error) failed = true;
  });
  AddTorrentParams params(info);
  params.save_path = f.root / "src";  // complete: checking, then seeding
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(io, [&] { return failed; }));
  stop_session(io, session);
  std::string text = captured.text();
  INFO(text);
  // The one tracker failed, so every tracker did: a warning, with the tracker's reason.
  CHECK_THAT(text, Catch::Contains("[warning] [" + info.info_hash().hex().substr(0, 8) +
                                   "] every tracker failed"));
  CHECK_THAT(text, Catch::Contains("torrent not registered"));
  // State changes and the tracker failure itself are info: not shown.
  CHECK_THAT(text, !Catch::Contains("[info]"));
  CHECK_THAT(text, !Catch::Contains("[debug]"));
  CHECK_THAT(text, !Catch::Contains("seeding"));
}
