// The socket side of MSE/PE: runs the pure peer::MseHandshake over a connected socket
// within a deadline, and carries the RC4 ciphers it agreed on for the rest of the
// connection (StreamCipher). Internal to the session.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bitflow/hash.hpp"
#include "bitflow/session.hpp"
#include "peer/rc4.hpp"

namespace bitflow::session {

/// The ciphers of one connection after an MSE handshake that selected RC4; empty (every
/// call a no-op) for plain text. Each direction has its own key stream, so bytes must go
/// through encrypt() and decrypt() exactly once and in stream order.
class StreamCipher {
 public:
  StreamCipher() = default;
  StreamCipher(std::unique_ptr<peer::Rc4> encryptor, std::unique_ptr<peer::Rc4> decryptor)
      : encryptor_(std::move(encryptor)), decryptor_(std::move(decryptor)) {}

  [[nodiscard]] bool active() const noexcept { return encryptor_ != nullptr; }
  void encrypt(char* data, std::size_t size) {
    if (encryptor_) encryptor_->apply(data, size);
  }
  void decrypt(char* data, std::size_t size) {
    if (decryptor_) decryptor_->apply(data, size);
  }

 private:
  std::unique_ptr<peer::Rc4> encryptor_;
  std::unique_ptr<peer::Rc4> decryptor_;
};

struct MseOutcome {
  StreamCipher cipher;   ///< inactive when plaintext was selected
  Sha1Hash info_hash;    ///< the torrent (a responder learns it from the handshake)
  std::string received;  ///< the peer's bytes after the MSE handshake, decrypted
};

/// crypto_provide for our outgoing MSE handshakes under `policy`: RC4 only when
/// encryption is required, RC4 and plaintext otherwise.
[[nodiscard]] std::uint32_t mse_offer(OutgoingEncryption policy) noexcept;
/// The methods an incoming MSE handshake may select under `policy`.
[[nodiscard]] std::uint32_t mse_allowed(IncomingEncryption policy) noexcept;

/// We dialled: the MSE handshake for `info_hash`, offering `provide`, carrying `hello`
/// (our BitTorrent handshake) as its initial payload. Throws bitflow::Error
/// (peer::errc::encryption_failed, or timed_out after `limit`) or a socket error.
boost::asio::awaitable<MseOutcome> mse_initiate(boost::asio::ip::tcp::socket& socket,
                                                const Sha1Hash& info_hash, std::uint32_t provide,
                                                std::string hello,
                                                std::chrono::steady_clock::duration limit);

/// The peer dialled us and its first bytes (`first`, already read) are not a BitTorrent
/// handshake: the MSE handshake for any of `info_hashes`, selecting from `allowed`.
/// Throws as mse_initiate().
boost::asio::awaitable<MseOutcome> mse_respond(boost::asio::ip::tcp::socket& socket,
                                               std::string first, std::vector<Sha1Hash> info_hashes,
                                               std::uint32_t allowed, bool prefer_rc4,
                                               std::chrono::steady_clock::duration limit);

}  // namespace bitflow::session
