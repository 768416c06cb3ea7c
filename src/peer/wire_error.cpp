// The peer wire error category and message names.
#include <array>
#include <variant>

#include "bitflow/wire.hpp"
#include "peer/wire_internal.hpp"
#include "util/error_category.hpp"

namespace bitflow::peer {
namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::invalid_handshake:
      return "not a BitTorrent handshake";
    case errc::message_too_large:
      return "peer message too large";
    case errc::invalid_length:
      return "peer message with an invalid length";
    case errc::unknown_message:
      return "unknown peer message";
    case errc::not_negotiated:
      return "peer message of an extension that was not negotiated";
    case errc::invalid_piece_index:
      return "invalid piece index";
    case errc::invalid_block:
      return "invalid block";
    case errc::invalid_bitfield:
      return "invalid bitfield";
    case errc::timed_out:
      return "peer timed out";
    case errc::connection_closed:
      return "connection closed";
    case errc::wrong_torrent:
      return "peer is for another torrent";
    case errc::encryption_failed:
      return "encrypted (MSE/PE) handshake failed";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("peer", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

std::string_view message_name(std::uint8_t id) noexcept {
  switch (static_cast<MessageId>(id)) {
    case MessageId::choke:
      return "choke";
    case MessageId::unchoke:
      return "unchoke";
    case MessageId::interested:
      return "interested";
    case MessageId::not_interested:
      return "not interested";
    case MessageId::have:
      return "have";
    case MessageId::bitfield:
      return "bitfield";
    case MessageId::request:
      return "request";
    case MessageId::piece:
      return "piece";
    case MessageId::cancel:
      return "cancel";
    case MessageId::port:
      return "port";
    case MessageId::suggest:
      return "suggest";
    case MessageId::have_all:
      return "have all";
    case MessageId::have_none:
      return "have none";
    case MessageId::reject:
      return "reject";
    case MessageId::allowed_fast:
      return "allowed fast";
    case MessageId::extended:
      return "extended";
  }
  return "unknown";
}

std::string_view message_name(const Message& message) noexcept {
  // In the order of the Message alternatives.
  static constexpr std::array<std::string_view, 17> names = {
      "keep-alive", "choke",     "unchoke", "interested",   "not interested", "have",
      "bitfield",   "request",   "piece",   "cancel",       "port",           "suggest",
      "have all",   "have none", "reject",  "allowed fast", "extended"};
  static_assert(std::variant_size_v<Message> == names.size());
  return names[message.index()];
}

namespace detail {

void set_error(ErrorInfo& error, errc code, std::string what) {
  error.code = make_error_code(code);
  error.message = "peer wire: " + std::move(what);
}

}  // namespace detail
}  // namespace bitflow::peer
