// MessageReader: the peer wire decoder over a byte stream.
//
// Job: own the receive buffer of one connection, and cut it into validated messages with
// parse_handshake()/parse_message(). Invariants: [begin_, end_) is the unconsumed stream;
// next() only advances begin_, so views into the buffer survive until feed()/prepare()
// compact or grow it; a failed reader stays failed. Threading: none (one connection's
// strand).
#include "bitflow/message_reader.hpp"

#include <cstring>
#include <stdexcept>

#include "peer/wire_internal.hpp"

namespace bitflow::peer {
namespace {

void check_options(const DecodeOptions& options) {
  if (options.max_block_length == 0 || options.max_block_length > max_block_length_limit)
    throw std::invalid_argument("peer::MessageReader: max_block_length " +
                                std::to_string(options.max_block_length) + " outside 1.." +
                                std::to_string(max_block_length_limit));
}

}  // namespace

MessageReader::MessageReader(DecodeOptions options, const Geometry* geometry, Start start)
    : options_(options), geometry_(geometry), in_handshake_(start == Start::handshake) {
  check_options(options_);
}

void MessageReader::set_options(const DecodeOptions& options) {
  check_options(options);
  options_ = options;
}

void MessageReader::compact() {
  if (begin_ == 0) return;
  if (begin_ != end_) std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
}

std::span<char> MessageReader::prepare(std::size_t n) {
  compact();
  if (buffer_.size() - end_ < n) buffer_.resize(end_ + n);
  prepared_ = n;
  return {buffer_.data() + end_, n};
}

void MessageReader::commit(std::size_t n) {
  if (n > prepared_)
    throw std::invalid_argument("peer::MessageReader: commit(" + std::to_string(n) +
                                ") after prepare(" + std::to_string(prepared_) + ")");
  end_ += n;
  prepared_ = 0;
}

void MessageReader::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

template <typename T>
std::optional<T> MessageReader::finish(ParseResult<T> result, ErrorInfo& error) {
  if (error) {
    error.message += " (at byte " + std::to_string(consumed_) + " of the stream)";
    error_ = error;
    return std::nullopt;
  }
  if (!result.value) return std::nullopt;
  begin_ += result.used;
  consumed_ += result.used;
  return std::move(result.value);
}

std::optional<Handshake> MessageReader::next_handshake(ErrorInfo& error) {
  if (!in_handshake_)
    throw std::logic_error("peer::MessageReader: next_handshake() after the handshake");
  if (error_) {
    error = error_;
    return std::nullopt;
  }
  error.clear();
  auto handshake = finish(parse_handshake(pending(), error), error);
  if (handshake) in_handshake_ = false;
  return handshake;
}

std::optional<Handshake> MessageReader::next_handshake() {
  ErrorInfo error;
  auto handshake = next_handshake(error);
  if (error) error.raise();
  return handshake;
}

std::optional<Message> MessageReader::next(ErrorInfo& error) {
  if (in_handshake_) throw std::logic_error("peer::MessageReader: next() before the handshake");
  if (error_) {
    error = error_;
    return std::nullopt;
  }
  error.clear();
  return finish(parse_message(pending(), options_, geometry_, error), error);
}

std::optional<Message> MessageReader::next() {
  ErrorInfo error;
  auto message = next(error);
  if (error) error.raise();
  return message;
}

std::size_t MessageReader::bytes_wanted() const {
  if (error_) return 0;
  ErrorInfo error;  // a framing error shows up in next(); here it means "nothing to read"
  const std::size_t total = in_handshake_
                                ? detail::handshake_frame_size(pending(), error)
                                : detail::frame_size(pending(), options_, geometry_, error);
  return total > buffered() ? total - buffered() : 0;
}

}  // namespace bitflow::peer
