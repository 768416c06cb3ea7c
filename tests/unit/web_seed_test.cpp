// Web seeds (BEP 19) through the engine, against the in-process HTTP server: a torrent
// whose only source is a web seed downloads byte-identical; a web seed that serves bad
// data is dropped; web seeds can be turned off.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/create.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::stop_session;
using bitflow::test::TestHttpServer;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// The album's files at /ws/album/..., the layout a url-list entry "/ws/" names.
void serve_album(TestHttpServer& server, const AlbumFixture& f, const std::string& prefix,
                 bool corrupt = false) {
  for (const auto& file : f.torrent->files()) {
    std::string data = f.read(f.root / "src" / file.path);
    if (corrupt)
      for (auto& c : data)
        c = static_cast<char>(~c);
    server.on_file(prefix + file.path, data);
  }
}

TorrentInfo with_web_seeds(const fs::path& source, std::vector<std::string> urls) {
  CreateOptions options;
  options.piece_length = 32768;
  options.web_seeds = std::move(urls);
  return TorrentInfo::parse(create_torrent(source, options));
}

bool done(const TorrentStatus& s) {
  return s.state == TorrentState::finished || s.state == TorrentState::seeding ||
         s.state == TorrentState::error;
}

// A download (AddTorrentParams or AddMagnetParams) into `out` that stops when complete.
template <typename Params>
Params leech(Params params, const fs::path& out) {
  params.save_path = out;
  params.seed = {0.0, std::nullopt};
  return params;
}

// Runs `io` until the torrent is finished, seeding or failed (20 s at most).
bool run_to_end(asio::io_context& io, const TorrentHandle& handle) {
  return run_until(
      io, [&] { return done(handle.status()); }, std::chrono::seconds(20));
}

// Every file of the album under out/ is the one under src/.
void check_same_files(const AlbumFixture& f) {
  for (const auto& file : f.torrent->files())
    CHECK(f.read(f.root / "out" / file.path) == f.read(f.root / "src" / file.path));
}

std::string gets(const TestHttpServer& server) {
  std::string all;
  for (const auto& line : server.request_lines())
    all += line + "\n";
  return all;
}

}  // namespace

TEST_CASE("a multi-file torrent whose only source is a web seed downloads byte-identical",
          "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  Session session(io, loopback_settings());
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  auto handle = session.add(leech(std::move(params), f.root / "out"));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << " '" << s.error << "'; requests:\n" << gets(server));
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  CHECK(s.pieces_have == s.num_pieces);
  CHECK(s.downloaded == f.torrent->total_size());
  CHECK(s.hash_failures == 0);
  CHECK(s.web_seeds == 0);  // it stops with the download
  check_same_files(f);
  CHECK(fs::exists(f.root / "out/album/b/empty"));
  // Every request was a ranged GET of one of the files: nothing else was asked.
  for (const auto& line : server.request_lines())
    CHECK(line.starts_with("GET /ws/album/"));
  stop_session(io, session);
}

TEST_CASE("a single-file torrent downloads from a web seed given in AddTorrentParams",
          "[web_seed]") {
  fs::path root = fs::temp_directory_path() / ("bitflow-webseed-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "src");
  std::string content(300'001, '\0');
  std::mt19937 rng(3);
  for (auto& c : content)
    c = static_cast<char>(rng());
  std::ofstream(root / "src/one file.bin", std::ios::binary) << content;
  asio::io_context io;
  TestHttpServer server(io);
  server.on_file("/files/one%20file.bin", content);
  Session session(io, loopback_settings());
  // No url-list in the torrent: the caller names the web seed (a folder: the name is added).
  AddTorrentParams params(with_web_seeds(root / "src/one file.bin", {}));
  params.web_seeds = {server.url("/files/")};
  auto handle = session.add(leech(std::move(params), root / "out"));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << " '" << s.error << "'; requests:\n" << gets(server));
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  std::ifstream in(root / "out/one file.bin", std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == content);
  stop_session(io, session);
  fs::remove_all(root);
}

TEST_CASE(
    "a web seed that serves a corrupt piece is dropped and the download does not "
    "complete from it",
    "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  // One byte wrong in d.bin: the piece holding it fails its hash check.
  std::string d = f.read(f.root / "src/album/d.bin");
  d[100'000] = static_cast<char>(d[100'000] ^ 0x40);
  server.on_file("/ws/album/d.bin", d);
  Session session(io, loopback_settings());
  std::vector<std::string> dropped;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::peer_banned) dropped.push_back(e.peer);
  });
  const std::string url = server.url("/ws/");
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {url}));
  params.save_path = f.root / "out";
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return !dropped.empty(); }, 20s));
  CHECK(dropped == std::vector<std::string>{url});
  // Dropped for good: it asks for nothing more, and nothing else can finish the piece.
  REQUIRE(run_until(
      io, [&] { return handle.status().web_seeds == 0; }, 5s));
  const auto requests = server.request_lines().size();
  test::run_for(io, 1500ms);  // a window in which a retry would show
  auto s = handle.status();
  CHECK(server.request_lines().size() == requests);
  CHECK(s.state == TorrentState::downloading);
  CHECK(s.hash_failures >= 1);
  CHECK(s.pieces_have < s.num_pieces);
  stop_session(io, session);
}

TEST_CASE("a download completes from a good web seed when another serves bad data", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/good/");
  serve_album(server, f, "/bad/", true);  // every byte wrong: whatever it serves fails
  Session session(io, loopback_settings());
  std::vector<std::string> dropped;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::peer_banned) dropped.push_back(e.peer);
  });
  AddTorrentParams params(
      with_web_seeds(f.root / "src/album", {server.url("/bad/"), server.url("/good/")}));
  auto handle = session.add(leech(std::move(params), f.root / "out"));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << " '" << s.error << "'; requests:\n" << gets(server));
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  CHECK(s.hash_failures >= 1);
  CHECK(dropped == std::vector<std::string>{server.url("/bad/")});
  check_same_files(f);
  stop_session(io, session);
}

TEST_CASE("web seeds can be turned off for a torrent and for the session", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  SessionSettings settings = loopback_settings();
  settings.use_web_seeds = GENERATE(true, false);
  Session session(io, settings);
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  params.save_path = f.root / "out";
  params.use_web_seeds = !settings.use_web_seeds;  // one of the two is off
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return handle.status().state == TorrentState::downloading; }, 5s));
  test::run_for(io, 1s);  // a window in which a web seed would have asked
  CHECK(server.request_lines().empty());
  CHECK(handle.status().web_seeds == 0);
  CHECK(handle.status().pieces_have == 0);
  stop_session(io, session);
}

TEST_CASE("a paused torrent's web seed stops, and resumes with the torrent", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  // Slow answers, so the pause lands in the middle of the download.
  Session session(io, loopback_settings());
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  params.save_path = f.root / "out";
  params.seed = {0.0, std::nullopt};
  params.download_rate_limit = 64 * 1024;  // about four seconds for the whole album
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return handle.status().pieces_have >= 1; }, 10s));
  CHECK(handle.status().web_seeds == 1);
  CHECK(handle.status().pieces_have < handle.status().num_pieces);
  handle.pause();
  REQUIRE(run_until(
      io, [&] { return handle.status().web_seeds == 0; }, 5s));
  const auto requests = server.request_lines().size();
  test::run_for(io, 1s);
  CHECK(server.request_lines().size() == requests);
  handle.resume();
  bool finished = run_to_end(io, handle);
  REQUIRE(finished);
  CHECK(handle.status().state == TorrentState::finished);
  check_same_files(f);
  stop_session(io, session);
}

TEST_CASE("a web seed retries a 503 and then serves the piece", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  for (const auto& file : f.torrent->files())  // the first request of each file fails
    server.fail_next("/ws/" + file.path, 1, test::HttpReply::status_only(503));
  Session session(io, loopback_settings());
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  auto handle = session.add(leech(std::move(params), f.root / "out"));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << "; requests:\n" << gets(server));
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  check_same_files(f);
  stop_session(io, session);
}

TEST_CASE("a web seed that answers with the wrong Content-Range is dropped after its retries",
          "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  // Always the file's first bytes, whatever was asked for.
  test::HttpReply wrong{test::HttpReply::Kind::respond,
                        206,
                        {"Content-Range: bytes 0-9/70000"},
                        std::string(10, 'x')};
  for (const auto& file : f.torrent->files())
    server.fail_next("/ws/" + file.path, 1000, wrong);
  Session session(io, loopback_settings());
  std::vector<std::string> dropped;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::peer_banned) dropped.push_back(e.peer);
  });
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  params.save_path = f.root / "out";
  auto handle = session.add(std::move(params));
  // Four tries with 1 s, 2 s and 4 s between them.
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(run_until(
      io, [&] { return !dropped.empty(); }, 15s));
  CHECK(std::chrono::steady_clock::now() - start >= 7s);
  CHECK(server.request_lines().size() == 4);
  CHECK(handle.status().pieces_have == 0);
  CHECK(handle.status().hash_failures == 0);  // nothing wrong was handed over
  REQUIRE(run_until(
      io, [&] { return handle.status().web_seeds == 0; }, 5s));
  stop_session(io, session);
}

TEST_CASE("a web seed whose files are not there (404) is dropped at once", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);  // serves nothing
  Session session(io, loopback_settings());
  std::vector<std::string> dropped;
  session.on_event([&](const TorrentEvent& e) {
    if (e.kind == TorrentEvent::Kind::peer_banned) dropped.push_back(e.peer);
  });
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/nothing/")}));
  params.save_path = f.root / "out";
  auto handle = session.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return !dropped.empty(); }, 5s));
  CHECK(server.request_lines().size() == 1);
  CHECK(handle.status().state == TorrentState::downloading);
  stop_session(io, session);
}

TEST_CASE("a web seed and a peer download one torrent together", "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  test::TestSeeder seeder(io, *f.torrent, f.content);
  Session session(io, loopback_settings());
  AddTorrentParams params(with_web_seeds(f.root / "src/album", {server.url("/ws/")}));
  params.save_path = f.root / "out";
  params.peers = {seeder.address()};
  params.seed = {0.0, std::nullopt};
  auto handle = session.add(std::move(params));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << " '" << s.error << "'");
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  CHECK(s.hash_failures == 0);
  check_same_files(f);
  stop_session(io, session);
}

TEST_CASE("a magnet link's ws= web seed downloads the data once a peer gave the metadata",
          "[web_seed]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  serve_album(server, f, "/ws/");
  // The peer answers for the metadata only: every data request goes unanswered.
  test::SeederBehaviour mute;
  mute.serve_metadata = true;
  mute.ignore_requests = true;
  test::TestSeeder seeder(io, *f.torrent, f.content, mute);
  Session session(io, loopback_settings());
  Magnet m;
  m.info_hash = f.torrent->info_hash();
  m.display_name = f.torrent->name();
  m.peers = {seeder.address()};
  m.web_seeds = {server.url("/ws/")};
  AddMagnetParams params(m);
  auto handle = session.add(leech(std::move(params), f.root / "out"));
  bool finished = run_to_end(io, handle);
  auto s = handle.status();
  INFO("state " << to_string(s.state) << " '" << s.error << "'; requests:\n" << gets(server));
  REQUIRE(finished);
  CHECK(s.state == TorrentState::finished);
  check_same_files(f);
  stop_session(io, session);
}
