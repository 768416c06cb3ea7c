// See encryption.hpp.
#include "session/encryption.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitflow/error.hpp"
#include "bitflow/wire.hpp"
#include "bitflow/with_timeout.hpp"
#include "peer/mse_handshake.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using asio::ip::tcp;

std::uint32_t mse_offer(OutgoingEncryption policy) noexcept {
  return policy == OutgoingEncryption::require ? peer::mse_rc4
                                               : peer::mse_rc4 | peer::mse_plaintext;
}

std::uint32_t mse_allowed(IncomingEncryption policy) noexcept {
  return policy == IncomingEncryption::require ? peer::mse_rc4
                                               : peer::mse_rc4 | peer::mse_plaintext;
}

namespace {

Error mse_error(std::string message) {
  return Error(peer::make_error_code(peer::errc::encryption_failed), std::move(message));
}

// Sends what the handshake has to say and feeds it what the peer sends until it is done.
// Reads are small (4 KiB): the state machine bounds what it keeps, and whatever follows
// the handshake in the last read is handed on as payload. Returns true (with_timeout
// needs a value).
asio::awaitable<bool> converse(tcp::socket& socket, peer::MseHandshake& handshake) {
  std::array<char, 4096> buffer{};
  for (;;) {
    std::string out = handshake.take_output();
    if (!out.empty()) co_await asio::async_write(socket, asio::buffer(out), asio::use_awaitable);
    if (handshake.state() == peer::MseHandshake::State::done) co_return true;
    if (handshake.state() == peer::MseHandshake::State::failed) throw mse_error(handshake.error());
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (ec)
      throw mse_error("MSE: the peer closed the connection while we waited for " +
                      handshake.waiting_for() + " (" + ec.message() + ")");
    handshake.feed(std::string_view(buffer.data(), n));
  }
}

asio::awaitable<MseOutcome> run(tcp::socket& socket, peer::MseHandshake handshake,
                                std::chrono::steady_clock::duration limit) {
  auto finished = co_await with_timeout(converse(socket, handshake), limit);
  if (!finished)
    throw Error(peer::make_error_code(peer::errc::timed_out),
                "MSE: timed out waiting for " + handshake.waiting_for());
  MseOutcome outcome;
  auto encryptor = handshake.take_encryptor();
  auto decryptor = handshake.take_decryptor();
  if (handshake.selected() == peer::mse_rc4)
    outcome.cipher = StreamCipher(std::move(encryptor), std::move(decryptor));
  outcome.info_hash = handshake.info_hash();
  outcome.received = handshake.take_payload();
  co_return outcome;
}

}  // namespace

asio::awaitable<MseOutcome> mse_initiate(tcp::socket& socket, const Sha1Hash& info_hash,
                                         std::uint32_t provide, std::string hello,
                                         std::chrono::steady_clock::duration limit) {
  co_return co_await run(
      socket,
      peer::MseHandshake::initiator(info_hash, provide, std::move(hello), peer::mse_random()),
      limit);
}

asio::awaitable<MseOutcome> mse_respond(tcp::socket& socket, std::string first,
                                        std::vector<Sha1Hash> info_hashes, std::uint32_t allowed,
                                        bool prefer_rc4,
                                        std::chrono::steady_clock::duration limit) {
  auto handshake = peer::MseHandshake::responder(std::move(info_hashes), allowed, prefer_rc4,
                                                 peer::mse_random());
  handshake.feed(first);
  co_return co_await run(socket, std::move(handshake), limit);
}

}  // namespace bitflow::session
