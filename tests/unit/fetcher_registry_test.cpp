// FetcherRegistry: the pure source rules (kinds, hosts), registration, create() for every
// kind (a torrent behind a URL downloads end to end from a TestSeeder), and inspect()
// against the scripted HTTP server: names, sizes, refusals, torrents found behind URLs.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_http_server.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/fetcher_registry.hpp"
#include "fetchers/source_kind.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::HttpReply;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::stop_session;
using bitflow::test::TestHttpServer;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;

namespace {

const std::string magnet_uri =
    "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Some%20Album&xl=12345";

// A fetcher that only records what is done to it: what a program would register.
class RecordingFetcher final : public Fetcher {
 public:
  explicit RecordingFetcher(std::string source) : source_(std::move(source)) {}
  void start() override { st_.state = FetchState::running; }
  void pause() override { st_.state = FetchState::paused; }
  void resume() override { st_.state = FetchState::running; }
  void cancel() override { st_.state = FetchState::cancelled; }
  [[nodiscard]] FetchStatus status() const override { return st_; }
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  FetchStatus st_;
};

FetcherFactory video_factory() {
  FetcherFactory f;
  f.name = "video";
  f.matches = [](std::string_view s) { return FetcherRegistry::host_matches(s, "youtube.com"); };
  f.create = [](asio::io_context&, const std::string& source, const FetchOptions&) {
    return std::make_unique<RecordingFetcher>(source);
  };
  return f;
}

Inspection inspect(asio::io_context& io, FetcherRegistry& registry, const std::string& source,
                   const FetchOptions& options = {}) {
  std::optional<Inspection> result;
  registry.inspect(
      source, [&](Inspection in) { result = std::move(in); }, options);
  CHECK_FALSE(result.has_value());  // never answered from inside the call
  REQUIRE(run_until(io, [&] { return result.has_value(); }));
  return std::move(*result);
}

}  // namespace

TEST_CASE("source kinds: magnets, URLs, URLs of torrents, local torrents", "[registry]") {
  using fetch::classify_source;
  auto kind = [](std::string_view s, bool file = false) { return classify_source(s, file).kind; };
  auto type = [](std::string_view s) { return classify_source(s, false).type; };
  CHECK(kind(magnet_uri) == SourceKind::magnet);
  CHECK(type(magnet_uri) == "magnet");
  CHECK(type("http://example.org/file.iso") == "http");
  CHECK(type("HTTPS://example.org/file.iso") == "https");
  CHECK(type("ftp://user:pw@example.org/pub/x.tar.gz") == "ftp");
  CHECK(type("ftps://example.org/x") == "ftps");
  CHECK(type("sftp://me@example.org/~/x") == "sftp");
  CHECK(kind("http://example.org/linux.torrent") == SourceKind::torrent_url);
  CHECK(kind("https://example.org/get/LINUX.TORRENT?passkey=1#x") == SourceKind::torrent_url);
  CHECK(type("https://example.org/a.torrent") == "torrent");
  // The query does not make a torrent; the path does.
  CHECK(kind("http://example.org/download?name=a.torrent") == SourceKind::url);
  CHECK(kind("http://example.org/.torrent/file.bin") == SourceKind::url);
  CHECK(kind("some/folder/album.torrent") == SourceKind::torrent_file);
  CHECK(kind("downloaded-metadata", true) == SourceKind::torrent_file);
  CHECK(kind("no-such-file") == SourceKind::unknown);
  CHECK(kind("gopher://example.org/1") == SourceKind::unknown);
  CHECK(kind("http://") == SourceKind::unknown);
  CHECK(kind("http:///path") == SourceKind::unknown);
  CHECK(kind("1http://x/y") == SourceKind::unknown);
  CHECK(kind("") == SourceKind::unknown);
  CHECK(type("no-such-file").empty());
}

TEST_CASE("URL hosts and domains", "[registry]") {
  using fetch::url_host;
  CHECK(url_host("https://WWW.YouTube.com/watch?v=1") == "www.youtube.com");
  CHECK(url_host("http://user:p%40ss@host.example:8080/x") == "host.example");
  CHECK(url_host("http://a@b@host/x") == "host");
  CHECK(url_host("http://[::1]:8080/x") == "::1");
  CHECK(url_host("http://[::1") == "");
  CHECK(url_host("ftp://host") == "host");
  CHECK(url_host("no scheme").empty());
  CHECK(FetcherRegistry::host_matches("https://youtube.com/x", "youtube.com"));
  CHECK(FetcherRegistry::host_matches("https://m.YOUTUBE.com/x", "youtube.com"));
  CHECK_FALSE(FetcherRegistry::host_matches("https://notyoutube.com/x", "youtube.com"));
  CHECK_FALSE(FetcherRegistry::host_matches("https://youtube.com.evil.example/", "youtube.com"));
  CHECK_FALSE(FetcherRegistry::host_matches("https://evil.example/youtube.com", "youtube.com"));
  CHECK_FALSE(FetcherRegistry::host_matches("https://youtube.com/", ""));
}

TEST_CASE("registered fetchers are asked first and checked when added", "[registry]") {
  asio::io_context io;
  FetcherRegistry registry(io);
  CHECK(registry.detect("https://www.youtube.com/watch?v=x").type == "https");
  registry.add(video_factory());
  auto detected = registry.detect("https://www.youtube.com/watch?v=x");
  CHECK(detected.kind == SourceKind::registered);
  CHECK(detected.type == "video");
  CHECK(registry.detect("https://example.org/watch").type == "https");

  auto fetcher = registry.create("https://www.youtube.com/watch?v=x");
  auto* recorded = dynamic_cast<RecordingFetcher*>(fetcher.get());
  REQUIRE(recorded != nullptr);
  CHECK(recorded->source() == "https://www.youtube.com/watch?v=x");

  auto refused = [&](FetcherFactory f, const char* words) {
    CHECK_THROWS_WITH(registry.add(std::move(f)), Catch::Contains(words));
  };
  refused(video_factory(), "exists already");
  auto builtin = video_factory();
  builtin.name = "magnet";
  refused(builtin, "built-in");
  auto bad = video_factory();
  bad.name = "my video";
  refused(bad, "letters, digits");
  bad.name = "";
  refused(bad, "letters, digits");
  auto incomplete = video_factory();
  incomplete.name = "other";
  incomplete.create = nullptr;
  refused(incomplete, "needs both");
}

TEST_CASE("create() says why a source cannot be fetched", "[registry]") {
  AlbumFixture f;
  asio::io_context io;
  FetcherRegistry without_session(io);
  auto code_of = [](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return e.code();
    }
    return std::error_code{};
  };
  CHECK(code_of([&] { (void)without_session.create("gopher://x/y"); }) == fetch::errc::bad_url);
  CHECK(code_of([&] { (void)without_session.create(magnet_uri); }) ==
        std::errc::operation_not_supported);
  // A URL needs no session.
  auto url_fetcher = without_session.create("http://127.0.0.1:1/file.bin");
  CHECK(dynamic_cast<UrlFetcher*>(url_fetcher.get()) != nullptr);

  Session session(io, loopback_settings());
  FetcherRegistry registry(io, &session);
  FetchOptions with_files;
  with_files.file_priorities = {1, 0};
  CHECK(code_of([&] { (void)registry.create(magnet_uri, with_files); }) ==
        std::errc::invalid_argument);
  CHECK_THROWS_WITH(registry.create((f.root / "missing.torrent").string()),
                    Catch::Contains("missing.torrent"));
  auto magnet = registry.create(magnet_uri);
  CHECK(dynamic_cast<TorrentFetcher*>(magnet.get()) != nullptr);
}

TEST_CASE("inspect() of a URL: name, size and type from the server", "[registry]") {
  asio::io_context io;
  TestHttpServer server(io);
  server.on(
      "/files/report.pdf",
      HttpReply{HttpReply::Kind::respond, 200, {"Content-Type: application/pdf"}, "%PDF-1.7"});
  server.on("/get", HttpReply{HttpReply::Kind::respond,
                              200,
                              {"Content-Disposition: attachment; filename=\"../../etc/passwd\""},
                              "root:x:0:0"});
  server.on("/gone", HttpReply::status_only(410, "gone"));
  FetcherRegistry registry(io);

  auto pdf = inspect(io, registry, server.url("/files/report.pdf"));
  CHECK_FALSE(pdf.error);
  CHECK(pdf.source.type == "http");
  CHECK(pdf.name == "report.pdf");
  CHECK(pdf.size == 8);
  CHECK(pdf.content_type == "application/pdf");
  REQUIRE(pdf.files.size() == 1);
  CHECK(pdf.files[0].path == "report.pdf");
  CHECK_FALSE(pdf.torrent);

  auto hostile = inspect(io, registry, server.url("/get"));
  CHECK(hostile.name == "passwd");  // a name, never a path

  auto gone = inspect(io, registry, server.url("/gone"));
  CHECK(gone.error.code == fetch::errc::server_refused);
  CHECK_THAT(gone.error.message, Catch::Contains("HTTP 410"));
}

TEST_CASE("inspect() finds torrents: local, at a .torrent URL, and behind a plain URL",
          "[registry]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/album.torrent", HttpReply::ok(f.torrent->bytes()));
  server.on("/download.php", HttpReply{HttpReply::Kind::respond,
                                       200,
                                       {"Content-Type: application/x-bittorrent"},
                                       f.torrent->bytes()});
  server.on("/bad.torrent", HttpReply::ok("<html>not a torrent</html>"));
  const auto local = f.root / "album.torrent";
  std::ofstream(local, std::ios::binary) << f.torrent->bytes();
  FetcherRegistry registry(io);

  for (const std::string& source :
       {local.string(), server.url("/album.torrent"), server.url("/download.php?id=7")}) {
    INFO(source);
    auto in = inspect(io, registry, source);
    CHECK_FALSE(in.error);
    CHECK(in.source.type == "torrent");
    CHECK(in.name == "album");
    CHECK(in.size == static_cast<std::int64_t>(f.content.size()));
    REQUIRE(in.files.size() == 4);
    CHECK(in.files[3].path == "album/d.bin");
    CHECK(in.files[3].index == 3);
    REQUIRE(in.torrent);
    CHECK(in.torrent->info_hash() == f.torrent->info_hash());
  }

  auto bad = inspect(io, registry, server.url("/bad.torrent"));
  CHECK_THAT(bad.error.message, Catch::Contains("is not a usable .torrent"));

  FetchOptions small;
  small.max_torrent_size = 100;
  auto large = inspect(io, registry, server.url("/album.torrent"), small);
  CHECK_THAT(large.error.message, Catch::Contains("too large for a .torrent"));

  auto magnet = inspect(io, registry, magnet_uri);
  CHECK(magnet.source.kind == SourceKind::magnet);
  CHECK(magnet.name == "Some Album");
  CHECK(magnet.size == 12345);
  CHECK(magnet.files.empty());
  CHECK(magnet.magnet.has_value());

  auto unknown = inspect(io, registry, "gopher://x/y");
  CHECK(unknown.error.code == fetch::errc::bad_url);
}

TEST_CASE("a torrent at a URL downloads through the registry", "[registry]") {
  AlbumFixture f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  TestHttpServer server(io);
  server.on("/album.torrent", HttpReply::ok(f.torrent->bytes()));
  Session session(io, loopback_settings());
  FetcherRegistry registry(io, &session);
  FetchOptions options;
  options.output_dir = f.root / "out";
  options.peers = {seeder.address()};
  options.seed = {0.0, std::nullopt};

  SECTION("create(source)") {
    auto fetcher = registry.create(server.url("/album.torrent"), options);
    std::vector<FetchState> states;
    fetcher->on_progress([&](const FetchStatus& s) {
      if (states.empty() || states.back() != s.state) states.push_back(s.state);
    });
    fetcher->start();
    REQUIRE(run_until(io, [&] { return fetcher->status().state == FetchState::completed; }));
    CHECK(f.read(f.root / "out/album/d.bin") == f.content.substr(71'000));
    CHECK(fetcher->status().bytes_total == static_cast<std::int64_t>(f.content.size()));
    CHECK(states.front() == FetchState::running);
    CHECK(states.back() == FetchState::completed);
  }
  SECTION("paused before the .torrent arrives: the torrent starts paused") {
    auto fetcher = registry.create(server.url("/album.torrent"), options);
    fetcher->start();
    fetcher->pause();
    CHECK(fetcher->status().state == FetchState::paused);
    REQUIRE(run_until(io, [&] { return session.torrents().size() == 1; }));
    CHECK(fetcher->status().state == FetchState::paused);
    fetcher->resume();
    REQUIRE(run_until(io, [&] { return fetcher->status().state == FetchState::completed; }));
  }
  SECTION("create(source, inspection) uses the torrent inspect() read") {
    auto in = inspect(io, registry, server.url("/album.torrent"));
    const auto requests = server.request_lines().size();
    auto fetcher = registry.create(server.url("/album.torrent"), in, options);
    fetcher->start();
    REQUIRE(run_until(io, [&] { return fetcher->status().state == FetchState::completed; }));
    CHECK(server.request_lines().size() == requests);  // not fetched again
  }
  stop_session(io, session);
}

TEST_CASE("a torrent URL that fails or is cancelled ends the fetcher", "[registry]") {
  AlbumFixture f;
  asio::io_context io;
  TestHttpServer server(io);
  server.on("/missing.torrent", HttpReply::status_only(404));
  server.on("/slow.torrent", HttpReply::never_answer());
  Session session(io, loopback_settings());
  FetcherRegistry registry(io, &session);
  FetchOptions options;
  options.output_dir = f.root / "out";

  auto missing = registry.create(server.url("/missing.torrent"), options);
  missing->start();
  REQUIRE(run_until(io, [&] { return missing->status().state == FetchState::failed; }));
  CHECK_THAT(missing->status().error, Catch::Contains("HTTP 404"));
  CHECK(missing->status().error_code == fetch::errc::server_refused);

  auto slow = registry.create(server.url("/slow.torrent"), options);
  std::vector<FetchState> states;
  slow->on_progress([&](const FetchStatus& s) { states.push_back(s.state); });
  slow->start();
  REQUIRE(run_until(io, [&] { return server.open_connections() >= 1; }));
  slow->cancel();
  CHECK(slow->status().state == FetchState::cancelled);
  CHECK(states.back() == FetchState::cancelled);
  CHECK(session.torrents().empty());
  stop_session(io, session);
}
