// Uses an installed bitflow the way an application would: decodes bencode, parses a
// magnet link, asks a tracker that is not there (libcurl), makes a torrent of a small
// folder (OpenSSL SHA-1), then runs two Sessions on 127.0.0.1 — one seeding, one
// downloading from it — and compares the downloaded bytes. Exits 0 only if every step
// comes out exactly as expected.
#include <bitflow/bencode.hpp>
#include <bitflow/create.hpp>
#include <bitflow/magnet.hpp>
#include <bitflow/metainfo.hpp>
#include <bitflow/session.hpp>
#include <bitflow/tracker_client.hpp>
#include <bitflow/version.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <unistd.h>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

int failures = 0;

void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: wrong result: %s\n", what);
    ++failures;
  }
}

// Runs the io_context in short slices until done() or the limit; never hangs.
template <typename Done>
bool run_until(asio::io_context& io, Done done, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(10ms);
  }
  return done();
}

void check_bencode() {
  const std::string input = "d4:listli1ei-2ee4:name5:hello4:sizei42ee";
  auto doc = bitflow::bencode::decode(input);
  auto root = doc.root();
  expect(root.is_dict() && root.size() == 3, "root is a dictionary of 3 keys");
  expect(root.find_string("name") == std::string_view("hello"), "name is \"hello\"");
  expect(root.find_int("size") == 42, "size is 42");
  bitflow::ErrorInfo error;
  expect(!bitflow::bencode::decode("i03e", error) && error, "\"i03e\" is rejected");
}

void check_magnet() {
  auto magnet = bitflow::Magnet::parse(
      "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Hello+World&xl=1234");
  expect(magnet.info_hash && magnet.info_hash->hex() == "c12fe1c06bba254a9dc9f519b335aa7c1367a88a",
         "the magnet's info-hash");
  expect(magnet.display_name == "Hello World", "the magnet's display name");
}

// An HTTP announce to a port nobody listens on: libcurl reports the refused connection
// as a bitflow::Error, the user agent is the installed version's.
void check_tracker(asio::io_context& io) {
  expect(std::string_view(bitflow::user_agent) == std::string("bitflow/") + BITFLOW_VERSION_STRING,
         "the user agent follows the version");
  bitflow::tracker::TrackerClient client(io);
  std::optional<std::string> outcome;
  bitflow::tracker::AnnounceRequest request;
  request.port = 6881;
  asio::co_spawn(io, client.announce("http://127.0.0.1:1/announce", request),
                 [&](std::exception_ptr e, bitflow::tracker::AnnounceResponse) {
                   try {
                     if (e) std::rethrow_exception(e);
                     outcome = "answered";
                   } catch (const bitflow::Error& error) {
                     outcome = error.what();
                   } catch (const std::exception& other) {
                     outcome = std::string("unexpected exception: ") + other.what();
                   }
                 });
  expect(run_until(
             io, [&] { return outcome.has_value(); }, 30s),
         "the announce finishes");
  expect(outcome && outcome->find("127.0.0.1") != std::string::npos,
         "a refused announce is a bitflow::Error naming the tracker");
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One session seeds a folder, another downloads it over loopback.
void check_download(asio::io_context& io, const fs::path& root) {
  fs::create_directories(root / "src/folder");
  std::mt19937 rng(7);
  std::string bytes(300000, '\0');
  for (auto& c : bytes)
    c = static_cast<char>(rng());
  std::ofstream(root / "src/folder/data.bin", std::ios::binary) << bytes;
  std::ofstream(root / "src/folder/note.txt") << "made by the bitflow consumer test\n";

  bitflow::CreateOptions options;
  options.piece_length = 32768;
  auto torrent = bitflow::TorrentInfo::parse(bitflow::create_torrent(root / "src/folder", options));

  // Each session its own settings: a default SessionSettings carries a fresh peer id, and
  // two sessions with one id would take each other for themselves.
  auto loopback = [] {
    bitflow::SessionSettings settings;
    settings.listen_address = "127.0.0.1";
    settings.listen_port = 0;
    return settings;
  };
  bitflow::Session seeder(io, loopback());
  bitflow::Session leecher(io, loopback());

  bitflow::AddTorrentParams seed(torrent);
  seed.save_path = root / "src";
  seed.use_trackers = false;
  seed.seed = {std::nullopt, std::nullopt};
  auto seeding = seeder.add(seed);
  expect(run_until(
             io, [&] { return seeding.status().state == bitflow::TorrentState::seeding; }, 30s),
         "the seeder verifies its data");

  bitflow::AddTorrentParams leech(torrent);
  leech.save_path = root / "out";
  leech.use_trackers = false;
  leech.seed = {0.0, std::nullopt};
  leech.peers = {"127.0.0.1:" + std::to_string(seeder.listen_port())};
  auto download = leecher.add(leech);
  expect(run_until(
             io,
             [&] {
               auto state = download.status().state;
               return state == bitflow::TorrentState::finished ||
                      state == bitflow::TorrentState::error;
             },
             60s),
         "the download finishes");
  expect(download.status().state == bitflow::TorrentState::finished, "the download succeeded");
  expect(read_file(root / "out/folder/data.bin") == bytes, "the downloaded bytes are the same");

  bool stopped = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await leecher.stop_all();
        co_await seeder.stop_all();
      },
      [&](std::exception_ptr) { stopped = true; });
  expect(run_until(
             io, [&] { return stopped; }, 30s),
         "both sessions stop");
}

}  // namespace

int main() {
  const fs::path root =
      fs::temp_directory_path() / ("bitflow-consumer-" + std::to_string(::getpid()));
  int status = 0;
  try {
    asio::io_context io;
    check_bencode();
    check_magnet();
    check_tracker(io);
    check_download(io, root);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer: unexpected exception: %s\n", e.what());
    status = 1;
  }
  std::error_code ignored;
  fs::remove_all(root, ignored);
  if (status == 0 && failures == 0)
    std::printf("consumer: bitflow %s works from its installed package\n", bitflow::version_string);
  return status == 0 && failures == 0 ? 0 : 1;
}
