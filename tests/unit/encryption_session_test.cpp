// Sessions trading a torrent over MSE/PE on loopback under each encryption policy, and a
// seeding session facing hostile encrypted handshakes on a raw socket: each connection
// reports how it is carried (peer_connected's detail), and bad handshakes are closed
// promptly without hurting the seed.
#include <catch2/catch.hpp>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
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

SessionSettings with(EncryptionSettings encryption) {
  auto settings = loopback_settings();
  settings.encryption = encryption;
  return settings;
}

// The peer_connected details ("rc4", "mse-plaintext", "plaintext") a session reported.
struct Carriers {
  std::vector<std::string> seen;
  std::function<void(const TorrentEvent&)> listener() {
    return [this](const TorrentEvent& e) {
      if (e.kind == TorrentEvent::Kind::peer_connected) seen.push_back(e.detail);
    };
  }
};

// A seeder and a leecher with the given policies; the leecher must finish, byte for
// byte. Returns the carriers each side reported.
std::pair<std::vector<std::string>, std::vector<std::string>> trade(EncryptionSettings seed_side,
                                                                    EncryptionSettings leech_side) {
  AlbumFixture f;
  asio::io_context io;
  Carriers seed_seen, leech_seen;
  Session seeder(io, with(seed_side));
  seeder.on_event(seed_seen.listener());
  AddTorrentParams seed_params(*f.torrent);
  seed_params.save_path = f.root / "src";
  seed_params.seed = {std::nullopt, std::nullopt};
  auto seed = seeder.add(std::move(seed_params));
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));

  Session leecher(io, with(leech_side));
  leecher.on_event(leech_seen.listener());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {address_of(seeder)};
  params.seed = {0.0, std::nullopt};
  auto leech = leecher.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 40s));
  for (const auto& file : {"a.bin", "b/c.bin", "d.bin"})
    CHECK(f.read(f.root / "out/album" / file) == f.read(f.root / "src/album" / file));
  stop_session(io, leecher);
  stop_session(io, seeder);
  return {seed_seen.seen, leech_seen.seen};
}

const EncryptionSettings required{OutgoingEncryption::require, IncomingEncryption::require, false};

}  // namespace

TEST_CASE("encryption: two sessions that require it trade over RC4", "[encryption]") {
  auto [seed_side, leech_side] = trade(required, required);
  REQUIRE(leech_side.size() == 1);
  CHECK(leech_side[0] == "rc4");
  REQUIRE(seed_side.size() == 1);
  CHECK(seed_side[0] == "rc4");
}

TEST_CASE("encryption: the defaults hide the handshake and select plaintext", "[encryption]") {
  auto [seed_side, leech_side] = trade({}, {});
  REQUIRE(leech_side.size() == 1);
  CHECK(leech_side[0] == "mse-plaintext");
  CHECK(seed_side == leech_side);
}

TEST_CASE("encryption: a responder that prefers RC4 selects it", "[encryption]") {
  EncryptionSettings prefers_rc4;
  prefers_rc4.prefer_rc4 = true;
  auto [seed_side, leech_side] = trade(prefers_rc4, {});
  REQUIRE(leech_side.size() == 1);
  CHECK(leech_side[0] == "rc4");
}

TEST_CASE("encryption: prefer-plaintext dials a plain handshake", "[encryption]") {
  EncryptionSettings plain_first;
  plain_first.outgoing = OutgoingEncryption::prefer_plaintext;
  auto [seed_side, leech_side] = trade({}, plain_first);
  REQUIRE(leech_side.size() == 1);
  CHECK(leech_side[0] == "plaintext");
}

TEST_CASE(
    "encryption: a plain handshake refused by a peer that requires encryption is retried "
    "encrypted",
    "[encryption]") {
  EncryptionSettings plain_first;
  plain_first.outgoing = OutgoingEncryption::prefer_plaintext;
  auto [seed_side, leech_side] = trade(required, plain_first);
  REQUIRE(leech_side.size() == 1);
  CHECK(leech_side[0] == "rc4");
}

namespace {

// Connects to `port`, sends `bytes` (then, if `half_close`, shuts down its sending side),
// and records how many bytes came back and whether the seeder closed the connection.
struct Hostile {
  bool closed = false;
  std::size_t received = 0;
};

asio::awaitable<void> hostile_peer(std::uint16_t port, std::string bytes, bool half_close,
                                   std::shared_ptr<Hostile> seen) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  // The seeder may close before it has read everything: a failed write is expected.
  co_await asio::async_write(socket, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
  if (half_close) socket.shutdown(asio::ip::tcp::socket::shutdown_send);
  std::array<char, 4096> buffer{};
  for (;;) {
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    seen->received += n;
    if (ec) break;
  }
  seen->closed = true;
}

std::string pseudo_random(std::size_t n, unsigned seed) {
  std::string out(n, '\0');
  for (auto& c : out) {
    seed = seed * 1103515245u + 12345u;
    c = static_cast<char>(seed >> 16);
  }
  return out;
}

}  // namespace

TEST_CASE("encryption: hostile handshakes are closed promptly and the seed keeps serving",
          "[encryption]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  AddTorrentParams seed_params(*f.torrent);
  seed_params.save_path = f.root / "src";
  seed_params.seed = {std::nullopt, std::nullopt};
  auto seed = seeder.add(std::move(seed_params));
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));
  std::uint16_t port = seeder.listen_port();

  // A key and then 4 KiB that never contain HASH('req1', S): the seeder answers with its
  // own key and pad (at most 96 + 512 bytes) and gives up at the spec's sync limit.
  auto garbage = std::make_shared<Hostile>();
  // A truncated key: 40 of its 96 bytes, then the peer stops sending.
  auto truncated = std::make_shared<Hostile>();
  // A valid-looking key followed by a pad far beyond 512 bytes (1 MiB).
  auto oversized = std::make_shared<Hostile>();
  auto t0 = std::chrono::steady_clock::now();
  asio::co_spawn(io, hostile_peer(port, pseudo_random(96 + 4096, 1), false, garbage),
                 asio::detached);
  asio::co_spawn(io, hostile_peer(port, pseudo_random(40, 2), true, truncated), asio::detached);
  asio::co_spawn(io, hostile_peer(port, pseudo_random(96 + (1 << 20), 3), false, oversized),
                 asio::detached);
  REQUIRE(run_until(
      io, [&] { return garbage->closed && truncated->closed && oversized->closed; }, 8s));
  // Well before the 10 s handshake deadline: each was refused on its own evidence.
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(garbage->received <= 96 + 512);
  CHECK(truncated->received == 0);
  CHECK(oversized->received <= 96 + 512);

  // And a real peer is served as before.
  Session leecher(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "out";
  params.peers = {address_of(seeder)};
  params.seed = {0.0, std::nullopt};
  auto leech = leecher.add(std::move(params));
  REQUIRE(run_until(
      io, [&] { return complete(leech.status().state); }, 30s));
  CHECK(f.read(f.root / "out/album/d.bin") == f.read(f.root / "src/album/d.bin"));
  stop_session(io, leecher);
  stop_session(io, seeder);
}
