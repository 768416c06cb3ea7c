#include "test_seeder.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <list>

#include "bitflow/extension.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/wire.hpp"

namespace bitflow::test {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One connection: everything sent to it goes through its outbox, drained by one writer at
// a time, so that the serving loop and announce_withheld() never interleave writes.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::string outbox;
  bool writing = false;
};

asio::awaitable<void> drain(std::shared_ptr<Connection> c) {
  c->writing = true;
  while (!c->outbox.empty() && c->socket.is_open()) {
    std::string batch = std::move(c->outbox);
    c->outbox.clear();
    auto [ec, n] = co_await asio::async_write(c->socket, asio::buffer(batch),
                                              asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec) break;  // the connection is gone; the serving loop notices on its next read
  }
  c->writing = false;
}

void send(const std::shared_ptr<Connection>& c, std::string_view bytes) {
  c->outbox.append(bytes);
  if (!c->writing) asio::co_spawn(c->socket.get_executor(), drain(c), asio::detached);
}

}  // namespace

struct TestSeeder::State {
  State(asio::io_context& io, const TorrentInfo& t, std::string data, SeederBehaviour b)
      : torrent(t), content(std::move(data)), behaviour(b), acceptor(io) {}

  TorrentInfo torrent;
  std::string content;
  SeederBehaviour behaviour;
  tcp::acceptor acceptor;
  std::list<std::shared_ptr<Connection>> connections;
  bool withholding = behaviour.withhold_piece.has_value();
  std::int64_t served = 0;
  int metadata_served = 0;
  int handshakes = 0;
  bool closed = false;
};

namespace {

constexpr std::uint8_t seeder_ut_metadata = 3;  // the id we ask peers to use

// A BEP 9 answer to `payload`, if it is a request (the metadata flipped when lying).
std::optional<std::string> metadata_answer(TestSeeder::State& s, std::string_view payload) {
  auto message = peer::decode_metadata_message(payload);
  auto* request = std::get_if<peer::MetadataRequest>(&message);
  if (!request) return std::nullopt;
  std::string info(s.torrent.info_bytes());
  if (s.behaviour.corrupt_metadata) info[0] = static_cast<char>(~info[0]);
  auto total = static_cast<std::int64_t>(info.size());
  auto length = peer::metadata_piece_length(request->piece, total);
  if (length <= 0) return peer::encode_metadata_message(peer::MetadataReject{request->piece});
  ++s.metadata_served;
  std::string_view piece(info);
  piece = piece.substr(static_cast<std::size_t>(request->piece) * 16384,
                       static_cast<std::size_t>(length));
  return peer::encode_metadata_message(peer::MetadataData{request->piece, total, piece});
}

asio::awaitable<void> serve(std::shared_ptr<TestSeeder::State> s, std::shared_ptr<Connection> c) {
  tcp::socket* socket = &c->socket;
  const Geometry& g = s->torrent.geometry();
  peer::MessageReader reader(peer::DecodeOptions{}, &g);
  auto read_more = [&]() -> asio::awaitable<void> {
    auto space = reader.prepare(16384);
    std::size_t n = co_await socket->async_read_some(asio::buffer(space.data(), space.size()),
                                                     asio::use_awaitable);
    reader.commit(n);
  };
  std::optional<peer::Handshake> theirs;
  while (!(theirs = reader.next_handshake()))
    co_await read_more();
  if (theirs->info_hash == s->torrent.info_hash()) ++s->handshakes;
  if (s->behaviour.never_answer) {
    std::array<char, 512> sink{};
    for (;;)  // until the peer closes the connection or the seeder is destroyed
      co_await socket->async_read_some(asio::buffer(sink), asio::use_awaitable);
  }

  peer::Handshake ours;
  ours.info_hash = s->behaviour.wrong_info_hash ? sha1("another torrent") : s->torrent.info_hash();
  ours.peer_id = PeerId::generate();
  bool extensions = s->behaviour.serve_metadata && theirs->supports_extensions();
  ours.set_supports_extensions(s->behaviour.serve_metadata);
  peer::DecodeOptions options;
  options.extension_protocol = extensions;
  reader.set_options(options);
  std::uint8_t their_ut_metadata = 0;
  std::string out;
  peer::encode_handshake(ours, out);
  std::string bits(static_cast<std::size_t>((g.num_pieces() + 7) / 8), '\0');
  for (std::int32_t p = 0; p < g.num_pieces(); ++p)
    if (!(s->withholding && p == s->behaviour.withhold_piece))
      bits[static_cast<std::size_t>(p / 8)] |= static_cast<char>(0x80 >> (p % 8));
  peer::encode(peer::Bitfield{bits}, out);
  if (extensions) {
    peer::ExtensionHandshake ext;
    ext.m.emplace(peer::ut_metadata_name, seeder_ut_metadata);
    ext.metadata_size = static_cast<std::int64_t>(s->torrent.info_bytes().size());
    peer::encode(peer::Extended{0, peer::encode_extension_handshake(ext)}, out);
  }
  send(c, out);

  for (;;) {
    co_await read_more();
    out.clear();
    while (auto m = reader.next()) {
      if (std::holds_alternative<peer::Interested>(*m)) {
        peer::encode(peer::Unchoke{}, out);
      } else if (auto* r = std::get_if<peer::Request>(&*m);
                 r && !s->behaviour.ignore_requests &&
                 !(s->withholding && r->piece.value == s->behaviour.withhold_piece)) {
        auto offset = static_cast<std::size_t>(g.piece_offset(r->piece)) + r->begin;
        std::string block = s->content.substr(offset, r->length);
        if (s->behaviour.corrupt_piece == r->piece.value)
          for (auto& byte : block)
            byte = static_cast<char>(~byte);
        peer::encode(peer::Piece{r->piece, r->begin, block}, out);
        s->served += r->length;
      } else if (auto* e = std::get_if<peer::Extended>(&*m)) {
        if (e->id == 0) {
          their_ut_metadata =
              peer::decode_extension_handshake(e->payload).id_of(peer::ut_metadata_name);
        } else if (e->id == seeder_ut_metadata && their_ut_metadata != 0) {
          if (auto answer = metadata_answer(*s, e->payload))
            peer::encode(peer::Extended{their_ut_metadata, *answer}, out);
        }
      }
    }
    if (!out.empty()) send(c, out);
  }
}

asio::awaitable<void> accept_loop(std::shared_ptr<TestSeeder::State> s) {
  while (!s->closed) {
    auto [ec, socket] = co_await s->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    auto c = std::make_shared<Connection>(std::move(socket));
    s->connections.push_back(c);
    // Whatever ends the conversation (a broken handshake, such as an MSE key from a peer
    // that tries encryption first, or the peer leaving), the seeder hangs up, as a real
    // plain-BitTorrent peer does.
    asio::co_spawn(s->acceptor.get_executor(), serve(s, c), [c](std::exception_ptr) {
      boost::system::error_code ignored;
      c->socket.close(ignored);
    });
  }
}

}  // namespace

TestSeeder::TestSeeder(asio::io_context& io, const TorrentInfo& torrent, std::string content,
                       SeederBehaviour behaviour)
    : state_(std::make_shared<State>(io, torrent, std::move(content), behaviour)) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  asio::co_spawn(io, accept_loop(state_), asio::detached);
}

TestSeeder::~TestSeeder() {
  state_->closed = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto& c : state_->connections)
    c->socket.close(ignored);
}

void TestSeeder::announce_withheld() {
  if (!state_->withholding) return;
  state_->withholding = false;
  std::string have;
  peer::encode(peer::Have{PieceIndex(*state_->behaviour.withhold_piece)}, have);
  for (auto& c : state_->connections)
    if (c->socket.is_open()) send(c, have);
}

std::string TestSeeder::address() const {
  return "127.0.0.1:" + std::to_string(state_->acceptor.local_endpoint().port());
}

std::int64_t TestSeeder::bytes_served() const {
  return state_->served;
}

int TestSeeder::metadata_pieces_served() const {
  return state_->metadata_served;
}

int TestSeeder::handshakes_received() const {
  return state_->handshakes;
}

}  // namespace bitflow::test
