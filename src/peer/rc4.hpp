// Rc4 — the RC4 stream cipher of MSE/PE, from OpenSSL 3's legacy provider (never written
// by hand here). The providers are loaded once into a library context of bitflow's own,
// so the application's default OpenSSL context is left as it was.
//
// Threading: one object is used by one thread at a time. Internal to bitflow.
#pragma once

#include <cstddef>
#include <string_view>

namespace bitflow::peer {

class Rc4 {
 public:
  /// A cipher keyed with `key` (any length from 1 to 256 bytes) that has already thrown
  /// away the first `discard` bytes of its key stream (MSE: 1024). Throws bitflow::Error
  /// if OpenSSL has no RC4 (the legacy provider is missing).
  explicit Rc4(std::string_view key, std::size_t discard = 1024);
  ~Rc4();
  Rc4(const Rc4&) = delete;
  Rc4& operator=(const Rc4&) = delete;

  /// XORs the next `size` bytes of the key stream into `data`, in place: encrypting and
  /// decrypting are the same operation.
  void apply(char* data, std::size_t size);

  /// Whether this process's OpenSSL can give us RC4 (loads the providers on first use).
  [[nodiscard]] static bool available() noexcept;

 private:
  void* context_;  // an OpenSSL EVP_CIPHER_CTX
};

}  // namespace bitflow::peer
