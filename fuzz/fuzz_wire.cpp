// libFuzzer target for the peer wire codec (bitflow/wire.hpp, bitflow/message_reader.hpp).
//
// Input: two mode bytes, then the byte stream a "peer" sends.
//   byte 0, bits: 0 = a geometry is known (4 pieces of 32 KiB, the last 1000 bytes) or not,
//                 1 = the stream starts with a handshake, 2 = fast extension negotiated,
//                 3 = extension protocol negotiated, 4..5 = block limit (16 KiB, 512 bytes,
//                 128 KiB, 1 byte);
//   byte 1: how the stream is cut into chunks for the reader (0: one chunk; else sizes
//           from a small generator, 1..byte1).
// The stream is decoded twice: in one piece with parse_handshake()/parse_message() (the
// reference), and through a MessageReader fed chunk by chunk. Both must yield the same
// messages at the same offsets and end the same way (need more, or the same error at the
// same offset). Every message must keep the codec's promises: it re-encodes to exactly the
// bytes it came from, Piece data is a view into the input, indices and blocks lie inside
// the geometry and the limits, a bitfield has the right size and no spare bits. The reader
// must never hold more than one frame plus one chunk. Any broken promise traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/geometry.hpp"
#include "bitflow/message_reader.hpp"
#include "bitflow/wire.hpp"

namespace {

using namespace bitflow;
using namespace bitflow::peer;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

const Geometry& small_geometry() {
  static const Geometry g(32 * 1024, {3 * 32 * 1024 + 1000});
  return g;
}

struct Seen {
  std::size_t offset = 0;
  std::string encoded;  // the message re-encoded
};

struct Outcome {
  std::vector<Seen> messages;
  std::error_code error;  // empty: the stream ended needing more bytes
  std::size_t end = 0;    // offset of the error, or of the unfinished message
};

void check_block(PieceIndex piece, std::uint64_t begin, std::uint64_t length,
                 const DecodeOptions& options, const Geometry* g) {
  check(piece.value >= 0);
  check(length >= 1 && length <= options.max_block_length);
  if (g) {
    check(piece.value < g->num_pieces());
    check(begin + length <= static_cast<std::uint64_t>(g->piece_size(piece)));
  }
}

void check_index(PieceIndex piece, const Geometry* g) {
  check(piece.value >= 0);
  if (g) check(piece.value < g->num_pieces());
}

// The promises every decoded message keeps; `frame` holds the bytes it was decoded from,
// and when `in_place`, it was decoded from `frame` itself (so its views must point there).
void check_message(const Message& m, std::string_view frame, bool in_place,
                   const DecodeOptions& options, const Geometry* g) {
  check(encode(m) == frame);
  check(encoded_size(m) == frame.size());
  if (const auto* p = std::get_if<Piece>(&m)) {
    check_block(p->piece, p->begin, p->data.size(), options, g);
    check(!in_place || p->data.data() == frame.data() + piece_header_size);
  } else if (const auto* r = std::get_if<Request>(&m)) {
    check_block(r->piece, r->begin, r->length, options, g);
  } else if (const auto* c = std::get_if<Cancel>(&m)) {
    check_block(c->piece, c->begin, c->length, options, g);
  } else if (const auto* j = std::get_if<Reject>(&m)) {
    check(options.fast_extension);
    check_block(j->piece, j->begin, j->length, options, g);
  } else if (const auto* h = std::get_if<Have>(&m)) {
    check_index(h->piece, g);
  } else if (const auto* s = std::get_if<Suggest>(&m)) {
    check(options.fast_extension);
    check_index(s->piece, g);
  } else if (const auto* a = std::get_if<AllowedFast>(&m)) {
    check(options.fast_extension);
    check_index(a->piece, g);
  } else if (const auto* b = std::get_if<Bitfield>(&m)) {
    check(!in_place || b->bytes.data() == frame.data() + 5);
    if (g) {
      ErrorInfo error;
      check(validate_bitfield(b->bytes, g->num_pieces(), error));
    } else {
      check(b->bytes.size() <= options.max_bitfield_length);
    }
  } else if (const auto* e = std::get_if<Extended>(&m)) {
    check(options.extension_protocol);
    check(e->payload.size() <= options.max_extended_length);
    check(!in_place || e->payload.data() == frame.data() + 6);
  } else if (std::holds_alternative<HaveAll>(m) || std::holds_alternative<HaveNone>(m)) {
    check(options.fast_extension);
  }
}

void check_error(const ErrorInfo& error) {
  check(error.code.category() == category() && !error.message.empty());
}

// The reference: the whole stream parsed in place.
Outcome parse_whole(std::string_view stream, bool handshake, const DecodeOptions& options,
                    const Geometry* g) {
  Outcome out;
  std::size_t at = 0;
  ErrorInfo error;
  if (handshake) {
    auto result = parse_handshake(stream, error);
    if (!result.value) {
      if (error)
        check_error(error);
      else
        check(result.needed == handshake_size && stream.size() < handshake_size);
      out.error = error.code;
      return out;
    }
    check(result.used == handshake_size);
    std::string encoded;
    encode_handshake(*result.value, encoded);
    check(encoded == stream.substr(0, handshake_size));
    at = handshake_size;
  }
  for (;;) {
    const std::string_view rest = stream.substr(at);
    auto result = parse_message(rest, options, g, error);
    if (!result.value) {
      if (error)
        check_error(error);
      else
        check(result.needed > rest.size());
      out.error = error.code;
      out.end = at;
      return out;
    }
    check(result.used >= 4 && result.used <= rest.size());
    check_message(*result.value, rest.substr(0, result.used), true, options, g);
    out.messages.push_back({at, encode(*result.value)});
    at += result.used;
  }
}

// The same stream through a MessageReader, `chunks` at a time.
Outcome read_chunked(std::string_view stream, bool handshake, const DecodeOptions& options,
                     const Geometry* g, std::uint8_t cut) {
  Outcome out;
  MessageReader reader(
      options, g, handshake ? MessageReader::Start::handshake : MessageReader::Start::messages);
  std::uint32_t state = cut;
  std::size_t at = 0;
  std::size_t largest_chunk = 0;
  const std::size_t largest_frame =
      4 + std::max<std::size_t>({13, 9 + std::size_t{options.max_block_length},
                                 2 + std::size_t{options.max_extended_length},
                                 1 + std::size_t{options.max_bitfield_length}, handshake_size});
  ErrorInfo error;
  while (at < stream.size()) {
    std::size_t n = stream.size() - at;
    if (cut != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<std::size_t>(n, 1 + (state >> 16) % cut);
    }
    largest_chunk = std::max(largest_chunk, n);
    // Alternate the two ways in: feed() and prepare()/commit().
    if ((state & 1) != 0) {
      reader.feed(stream.substr(at, n));
    } else {
      auto space = reader.prepare(n + 7);
      std::copy_n(stream.data() + at, n, space.data());
      reader.commit(n);
    }
    at += n;
    for (;;) {
      if (reader.in_handshake()) {
        const std::uint64_t before = reader.consumed();
        auto h = reader.next_handshake(error);
        if (!h) break;
        check(before == 0 && reader.consumed() == handshake_size);
        continue;
      }
      const std::uint64_t before = reader.consumed();
      auto m = reader.next(error);
      if (!m) break;
      const auto offset = static_cast<std::size_t>(before);
      const auto used = static_cast<std::size_t>(reader.consumed() - before);
      check_message(*m, stream.substr(offset, used), false, options, g);
      out.messages.push_back({offset, encode(*m)});
    }
    check(reader.capacity() <= largest_frame + largest_chunk + 7);
    if (error) break;
    check(reader.bytes_wanted() > 0);
  }
  if (error) {
    check_error(error);
    check(reader.failed() && reader.bytes_wanted() == 0);
    ErrorInfo again;
    check(!(reader.in_handshake() ? reader.next_handshake(again).has_value()
                                  : reader.next(again).has_value()));
    check(again.code == error.code);
  }
  out.error = error.code;
  out.end = reader.in_handshake() ? 0 : static_cast<std::size_t>(reader.consumed());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::uint8_t cut = data[1];
  const std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  const Geometry* g = (mode & 1) != 0 ? &small_geometry() : nullptr;
  const bool handshake = (mode & 2) != 0;
  DecodeOptions options;
  options.fast_extension = (mode & 4) != 0;
  options.extension_protocol = (mode & 8) != 0;
  static constexpr std::uint32_t block_limits[] = {default_block_length, 512,
                                                   max_block_length_limit, 1};
  options.max_block_length = block_limits[(mode >> 4) & 3];
  // Small limits, so that the fuzzer reaches them.
  options.max_extended_length = 4096;
  options.max_bitfield_length = 64;

  const Outcome whole = parse_whole(stream, handshake, options, g);
  const Outcome chunked = read_chunked(stream, handshake, options, g, cut);
  check(whole.messages.size() == chunked.messages.size());
  for (std::size_t i = 0; i < whole.messages.size(); ++i)
    check(whole.messages[i].offset == chunked.messages[i].offset &&
          whole.messages[i].encoded == chunked.messages[i].encoded);
  check(whole.error == chunked.error);
  check(whole.end == chunked.end);
  return 0;
}
