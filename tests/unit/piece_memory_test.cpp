// Large pieces through the engine: hashed as their blocks arrive, held in memory within
// SessionSettings::piece_memory_bytes, and a corrupt one still caught and blamed.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "../support/test_seeder.hpp"
#include "bitflow/create.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
using bitflow::test::SeederBehaviour;
using bitflow::test::stop_session;
using bitflow::test::TestSeeder;
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// One 6 MiB file in 1 MiB pieces (64 blocks each: several incremental hash steps).
struct BigPieces {
  fs::path root = fs::temp_directory_path() / ("bitflow-bigpieces-" + std::to_string(::getpid()) +
                                               "-" + std::to_string(std::random_device{}()));
  std::string content;
  std::optional<TorrentInfo> torrent;

  BigPieces() {
    fs::create_directories(root / "src");
    std::mt19937 rng(7);
    content.resize(6 * 1024 * 1024 + 12345);  // a short last piece too
    for (auto& c : content)
      c = static_cast<char>(rng());
    std::ofstream(root / "src/big.bin", std::ios::binary) << content;
    CreateOptions options;
    options.piece_length = 1 << 20;
    torrent = TorrentInfo::parse(create_torrent(root / "src/big.bin", options));
  }
  ~BigPieces() { fs::remove_all(root); }
  [[nodiscard]] std::string downloaded() const {
    std::ifstream in(root / "out/big.bin", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

struct Result {
  TorrentStatus status;
  std::int32_t most_in_flight = 0;
};

Result download(asio::io_context& io, const BigPieces& f, std::vector<std::string> peers) {
  SessionSettings settings = loopback_settings();
  settings.piece_memory_bytes = 1;  // the floor: two pieces at a time
  Session session(io, settings);
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = std::move(peers);
  params.seed = {0.0, std::nullopt};
  auto handle = session.add(std::move(params));
  Result r;
  bool done = run_until(
      io,
      [&] {
        auto s = handle.status();
        r.most_in_flight = std::max(r.most_in_flight, s.pieces_in_flight);
        return s.state == TorrentState::finished || s.state == TorrentState::error;
      },
      60s);
  r.status = handle.status();
  stop_session(io, session);
  INFO("state " << to_string(r.status.state) << ", error '" << r.status.error << "'");
  REQUIRE(done);
  return r;
}

}  // namespace

TEST_CASE("large pieces download byte for byte with at most two in memory", "[session]") {
  BigPieces f;
  asio::io_context io;
  TestSeeder seeder(io, *f.torrent, f.content);
  auto r = download(io, f, {seeder.address()});
  REQUIRE(r.status.state == TorrentState::finished);
  CHECK(r.status.hash_failures == 0);
  CHECK(r.most_in_flight >= 1);  // the status really reports pieces in flight
  CHECK(r.most_in_flight <= 2);
  CHECK(f.downloaded() == f.content);
}

TEST_CASE("a corrupt large piece fails its incremental hash and its sole sender is banned",
          "[session]") {
  BigPieces f;
  asio::io_context io;
  TestSeeder liar(io, *f.torrent, f.content, SeederBehaviour{2, false, false});
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {liar.address()};
  auto handle = session.add(std::move(params));
  bool banned = run_until(
      io,
      [&] {
        auto s = handle.status();
        return s.hash_failures >= 1 && s.peers_banned >= 1;
      },
      60s);
  auto status = handle.status();
  stop_session(io, session);
  INFO("hash failures " << status.hash_failures << ", banned " << status.peers_banned);
  CHECK(banned);
  CHECK(status.hash_failures == 1);  // piece 2 only; the liar is gone after it
  CHECK(status.pieces_have < status.num_pieces);
}
