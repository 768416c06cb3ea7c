// bitflow/error.hpp — how bitflow reports failures.
//
// The rule, followed by every public header:
//   * A synchronous call that can fail on input or on the outside world (parsing bencode,
//     torrents, magnet links, tracker replies, wire and extension messages, resume data;
//     creating torrents; storage reads, writes and checks; Session::add) comes in two
//     forms:
//       - one that throws bitflow::Error, a std::system_error whose what() is a full human
//         sentence saying what went wrong and where ("bencode: unexpected 'x' at byte 1042");
//       - one that takes an ErrorInfo& and returns an empty std::optional, false or an
//         invalid handle on failure, filling in the same code and message without throwing.
//   * A coroutine (a boost::asio::awaitable: TrackerClient::announce, Session::remove,
//     TorrentHandle::stop, ...) reports failure by throwing bitflow::Error from its
//     co_await, which is Asio's convention; co_spawn's completion handler receives it as
//     an exception_ptr.
//   * Sans-I/O codecs that consume a stream (MessageReader, the UDP tracker client) return
//     "need more" / an error result instead of throwing, as their headers say.
//   * Misuse — breaking a precondition a header documents (a wrong number of file
//     priorities, a piece index out of range, a call in the wrong state) — throws
//     std::logic_error or one of its standard subclasses (std::invalid_argument,
//     std::out_of_range, std::length_error). Bad input never does: only bitflow::Error
//     crosses the API for input that came from a file, a peer, a tracker or a user.
//   * Running out of memory is std::bad_alloc, as everywhere in C++.
// Codes are enums with one std::error_category per area (bencode, metainfo, magnet, ...),
// so callers can branch on them with `info.code == bitflow::bencode::errc::...`.
#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace bitflow {

/// The exception thrown by the throwing overloads. what() is the complete message;
/// code() tells which failure it was.
class Error : public std::system_error {
 public:
  Error(std::error_code code, std::string message);
  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

/// The failure report of the non-throwing overloads: the code to branch on and the same
/// message the throwing overload would carry. Empty (false) when nothing failed.
struct ErrorInfo {
  std::error_code code;
  std::string message;

  explicit operator bool() const noexcept { return static_cast<bool>(code); }
  void clear() noexcept {
    code.clear();
    message.clear();
  }
  /// Throws this failure as bitflow::Error.
  [[noreturn]] void raise() const;
};

}  // namespace bitflow
