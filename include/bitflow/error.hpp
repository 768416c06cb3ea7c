// bitflow/error.hpp — how bitflow reports failures.
//
// Every function that can fail on input comes in two forms:
//   * one that throws bitflow::Error, a std::system_error whose what() is a full human
//     sentence saying what went wrong and where ("bencode: unexpected 'x' at byte 1042");
//   * one that takes an ErrorInfo& and returns an empty std::optional (or false) on
//     failure, filling in the same code and message without throwing.
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
