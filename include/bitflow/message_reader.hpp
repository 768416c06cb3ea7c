// bitflow/message_reader.hpp — the peer wire decoder for a byte stream: bytes go in as
// they arrive, split anywhere, and whole validated messages come out.
//
// It is public (not in src/peer) because it is the contract every transport builds on:
// bitflow's own TCP connection, and anyone who carries the peer protocol over something
// else (uTP, WebRTC, a test playing a peer). It holds no I/O types.
//
// Use: construct one per connection; after the socket read, either feed() the bytes or,
// to save a copy, read straight into prepare(n) and commit() what arrived. Then take
// next_handshake() once and next() until it returns nothing:
//
//   peer::MessageReader reader(options, &geometry);
//   auto space = reader.prepare(64 * 1024);
//   std::size_t n = co_await socket.async_read_some(asio::buffer(space), ...);
//   reader.commit(n);
//   while (auto message = reader.next()) handle(*message);   // throws on bad input
//
// Memory: the reader buffers at most one unfinished message plus what the caller wrote
// beyond it; a message's length is checked from its first 5 bytes (4 if absurd), so a
// hostile length never grows the buffer.
//
// Lifetime of views: the string_views inside messages returned by next() (Bitfield::bytes,
// Piece::data, Extended::payload) point into the reader's buffer. next() never moves that
// buffer, so every view from a batch of next() calls stays valid until the next call to
// feed(), prepare(), or the reader's destruction.
//
// Threading: none; one reader belongs to one connection's strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/wire.hpp"

namespace bitflow::peer {

class MessageReader {
 public:
  /// What the stream starts with: a handshake (a fresh connection) or messages (the
  /// handshake was read elsewhere).
  enum class Start { handshake, messages };

  /// `geometry` may be null while the torrent's metadata is unknown; it must outlive the
  /// reader or be replaced through set_geometry() first. Throws std::invalid_argument when
  /// options.max_block_length is 0 or above max_block_length_limit.
  explicit MessageReader(DecodeOptions options = {}, const Geometry* geometry = nullptr,
                         Start start = Start::handshake);

  /// Checks later messages against `geometry` (for example once a magnet's metadata has
  /// arrived). Messages already returned are not re-checked.
  void set_geometry(const Geometry* geometry) noexcept { geometry_ = geometry; }
  /// Replaces the options, typically to record what the two handshakes negotiated. Same
  /// validation as the constructor.
  void set_options(const DecodeOptions& options);
  [[nodiscard]] const DecodeOptions& options() const noexcept { return options_; }

  // ---- input ----

  /// Appends `bytes` to the stream. Invalidates earlier messages' views.
  void feed(std::string_view bytes);
  /// `n` writable bytes at the end of the stream for a transport to read into; then call
  /// commit() with how many it wrote. Invalidates earlier messages' views.
  [[nodiscard]] std::span<char> prepare(std::size_t n);
  /// Adds the first `n` bytes of the last prepare() to the stream; `n` must not exceed
  /// that prepare()'s size (std::invalid_argument otherwise).
  void commit(std::size_t n);

  // ---- output ----

  /// The peer's handshake once all 68 bytes are in; nullopt while more are needed, or
  /// nullopt with `error` set when the bytes are not a BitTorrent handshake. Only in the
  /// handshake phase (std::logic_error otherwise); afterwards the reader reads messages.
  [[nodiscard]] std::optional<Handshake> next_handshake(ErrorInfo& error);
  /// Throws bitflow::Error (peer::errc codes) instead of filling an ErrorInfo.
  [[nodiscard]] std::optional<Handshake> next_handshake();

  /// The next whole message, nullopt while more bytes are needed, or nullopt with `error`
  /// set when the stream is invalid. Only after the handshake (std::logic_error before).
  /// Errors are final: every later call reports the same error again.
  [[nodiscard]] std::optional<Message> next(ErrorInfo& error);
  /// Throws bitflow::Error (peer::errc codes) instead of filling an ErrorInfo.
  [[nodiscard]] std::optional<Message> next();

  // ---- state ----

  /// Bytes received but not yet returned as part of a message.
  [[nodiscard]] std::size_t buffered() const noexcept { return end_ - begin_; }
  /// Bytes the reader has allocated for its buffer.
  [[nodiscard]] std::size_t capacity() const noexcept { return buffer_.size(); }
  /// At least this many more bytes are needed before the next message can be complete;
  /// 0 when a whole message (or an error) is already buffered. A transport can read
  /// exactly this much to receive a piece message in one go.
  [[nodiscard]] std::size_t bytes_wanted() const;
  /// Bytes consumed by returned messages since the start of the stream.
  [[nodiscard]] std::uint64_t consumed() const noexcept { return consumed_; }
  [[nodiscard]] bool in_handshake() const noexcept { return in_handshake_; }
  [[nodiscard]] bool failed() const noexcept { return static_cast<bool>(error_); }

 private:
  [[nodiscard]] std::string_view pending() const noexcept {
    return {buffer_.data() + begin_, end_ - begin_};
  }
  template <typename T>
  std::optional<T> finish(ParseResult<T> result, ErrorInfo& error);
  void compact();

  DecodeOptions options_;
  const Geometry* geometry_ = nullptr;
  bool in_handshake_ = true;
  std::vector<char> buffer_;  // [begin_, end_) is unconsumed input; size() is capacity
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t prepared_ = 0;  // size of the last prepare(), until commit()
  std::uint64_t consumed_ = 0;
  ErrorInfo error_;
};

}  // namespace bitflow::peer
