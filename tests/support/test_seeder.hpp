// TestSeeder — a minimal BitTorrent seeder on 127.0.0.1 for engine tests, written on the
// wire codec: it accepts connections, answers the handshake, announces every piece,
// unchokes on interest and serves requests from an in-memory copy of the content.
// It can be told to lie (corrupt one piece or the metadata it serves), to answer for another
// torrent, to stop answering requests, or never to answer at all, so the engine's defences
// can be tested without other clients. It counts what it was sent and served, so a test of
// something that must not happen can show that the connection it is about took place.
//
// Threading: runs on the io_context it is given; no threads of its own.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bitflow/metainfo.hpp"

namespace bitflow::test {

struct SeederBehaviour {
  std::optional<std::int32_t> corrupt_piece;  ///< serve this piece with flipped bytes
  bool wrong_info_hash = false;               ///< answer the handshake for another torrent
  bool ignore_requests = false;               ///< unchoke but never send data
  bool serve_metadata = false;    ///< speak BEP 10 and answer ut_metadata requests (BEP 9)
  bool corrupt_metadata = false;  ///< ...with the info dictionary's first byte flipped
  bool never_answer = false;      ///< read the handshake, then say nothing (stay connected)
  /// leave this piece out of the bitfield (and refuse requests for it) until
  /// announce_withheld()
  std::optional<std::int32_t> withhold_piece = std::nullopt;
};

class TestSeeder {
 public:
  /// `content` is the torrent's whole byte stream (files concatenated).
  TestSeeder(boost::asio::io_context& io, const TorrentInfo& torrent, std::string content,
             SeederBehaviour behaviour = {});
  ~TestSeeder();
  TestSeeder(const TestSeeder&) = delete;
  TestSeeder& operator=(const TestSeeder&) = delete;

  /// "127.0.0.1:<port>"
  [[nodiscard]] std::string address() const;
  /// Payload bytes served so far.
  [[nodiscard]] std::int64_t bytes_served() const;
  /// ut_metadata pieces sent so far.
  [[nodiscard]] int metadata_pieces_served() const;
  /// Handshakes received so far that name this torrent's info-hash (one per connection).
  [[nodiscard]] int handshakes_received() const;
  /// Stops withholding SeederBehaviour::withhold_piece: a HAVE for it goes to every peer
  /// connected now, and later ones see it in the bitfield.
  void announce_withheld();

  struct State;  // shared with the serving coroutines, which may outlive the object

 private:
  std::shared_ptr<State> state_;
};

}  // namespace bitflow::test
