// A seeding session and a peer that asks for far more blocks than the seeder holds
// (rTorrent keeps hundreds of requests outstanding): every request must be accounted for.
// With the fast extension each one is answered by its block or a reject; without it the
// peer is choked (which voids its requests, BEP 3) and unchoked again, after which it is
// served as before. The peer here is written on the wire codec, on a raw socket.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <string>

#include "../support/album_fixture.hpp"
#include "../support/run_until.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/session.hpp"
#include "bitflow/wire.hpp"

using namespace bitflow;
using namespace std::chrono_literals;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::run_until;
namespace asio = boost::asio;

namespace {

constexpr int flood = 4000;  // requests sent at once: about twice what a seeder holds

// What the flooding peer saw, in order.
struct Seen {
  bool handshake = false;
  int pieces = 0, rejects = 0, chokes = 0, unchokes = 0;
  int pieces_while_choked = 0;  // after a choke, before the next unchoke
  bool choked = true;
  bool served_after_unchoke = false;  // the one request sent after the second unchoke
  std::string error;
};

asio::awaitable<void> flood_peer(const TorrentInfo& torrent, std::uint16_t port, bool fast,
                                 std::shared_ptr<Seen> seen) {
  asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
  peer::Handshake ours;
  ours.info_hash = torrent.info_hash();
  ours.peer_id.bytes.fill(std::uint8_t{0x66});
  ours.set_supports_fast(fast);
  std::string out;
  peer::encode_handshake(ours, out);
  peer::encode(peer::Interested{}, out);
  co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);

  peer::DecodeOptions options;
  options.fast_extension = fast;
  options.extension_protocol = false;
  peer::MessageReader reader(options, &torrent.geometry());
  const peer::Request block{PieceIndex{0}, 0, peer::default_block_length};
  while (!seen->served_after_unchoke) {
    auto space = reader.prepare(64 * 1024);
    std::size_t n = co_await socket.async_read_some(asio::buffer(space.data(), space.size()),
                                                    asio::use_awaitable);
    reader.commit(n);
    if (!seen->handshake) {
      if (!reader.next_handshake()) continue;
      seen->handshake = true;
    }
    while (auto message = reader.next()) {
      out.clear();
      if (std::holds_alternative<peer::Unchoke>(*message)) {
        seen->choked = false;
        // The first unchoke: the flood. The one after the choke: a single request.
        int count = ++seen->unchokes == 1 ? flood : 1;
        for (int i = 0; i < count; ++i)
          peer::encode(block, out);
      } else if (std::holds_alternative<peer::Choke>(*message)) {
        seen->choked = true;
        ++seen->chokes;
      } else if (std::holds_alternative<peer::Piece>(*message)) {
        ++seen->pieces;
        if (seen->choked) ++seen->pieces_while_choked;
        if (seen->unchokes >= 2) seen->served_after_unchoke = true;
      } else if (std::holds_alternative<peer::Reject>(*message)) {
        ++seen->rejects;
      }
      if (!out.empty()) co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
      if (fast && seen->pieces + seen->rejects == flood) co_return;
    }
  }
}

void start_flood(asio::io_context& io, const TorrentInfo& torrent, std::uint16_t port, bool fast,
                 const std::shared_ptr<Seen>& seen) {
  asio::co_spawn(io, flood_peer(torrent, port, fast, seen), [seen](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      seen->error = x.what();
    }
  });
}

TorrentHandle add_seed(Session& session, AlbumFixture& f) {
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "src";
  params.seed = {std::nullopt, std::nullopt};
  return session.add(std::move(params));
}

}  // namespace

TEST_CASE("a peer without the fast extension that asks too much is choked, then served again",
          "[seeding][requests]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  auto seed = add_seed(seeder, f);
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));

  auto seen = std::make_shared<Seen>();
  start_flood(io, *f.torrent, seeder.listen_port(), false, seen);
  REQUIRE(run_until(
      io, [&] { return seen->served_after_unchoke || !seen->error.empty(); }, 20s));
  INFO("error: " << seen->error);
  CHECK(seen->error.empty());
  CHECK(seen->chokes == 1);
  CHECK(seen->unchokes == 2);
  CHECK(seen->pieces_while_choked == 0);
  // Whatever of the flood was served came before the choke; the request after the
  // unchoke was served.
  CHECK(seen->pieces >= 1);
  CHECK(seen->pieces <= flood);
  CHECK(seen->rejects == 0);
}

TEST_CASE("a peer with the fast extension gets a block or a reject for every request",
          "[seeding][requests]") {
  AlbumFixture f;
  asio::io_context io;
  Session seeder(io, loopback_settings());
  auto seed = add_seed(seeder, f);
  REQUIRE(run_until(io, [&] { return seed.status().state == TorrentState::seeding; }));

  auto seen = std::make_shared<Seen>();
  start_flood(io, *f.torrent, seeder.listen_port(), true, seen);
  REQUIRE(run_until(
      io, [&] { return seen->pieces + seen->rejects == flood || !seen->error.empty(); }, 20s));
  INFO("error: " << seen->error);
  CHECK(seen->error.empty());
  CHECK(seen->chokes == 0);
  CHECK(seen->rejects > 0);  // the seeder holds fewer than the flood
  CHECK(seen->pieces > 0);
}
