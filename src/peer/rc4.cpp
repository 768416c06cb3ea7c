// RC4 through OpenSSL 3: EVP_CIPHER_fetch("RC4") in a library context that has the legacy
// and default providers loaded (once, thread-safely, on first use).
#include "peer/rc4.hpp"

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>
#include <system_error>

#include "bitflow/error.hpp"

namespace bitflow::peer {
namespace {

struct Rc4Library {
  OSSL_LIB_CTX* context = nullptr;
  EVP_CIPHER* cipher = nullptr;

  Rc4Library() {
    context = OSSL_LIB_CTX_new();
    if (!context) return;
    // The legacy provider has RC4; default stays alongside it for everything else.
    if (!OSSL_PROVIDER_load(context, "legacy") || !OSSL_PROVIDER_load(context, "default")) return;
    cipher = EVP_CIPHER_fetch(context, "RC4", nullptr);
  }
  // Never freed: ciphers may be in use by other threads until the process ends.
};

const Rc4Library& library() {
  static const Rc4Library instance;
  return instance;
}

[[noreturn]] void fail(const char* what) {
  throw Error(std::make_error_code(std::errc::not_supported), what);
}

EVP_CIPHER_CTX* context_of(void* p) {
  return static_cast<EVP_CIPHER_CTX*>(p);
}

}  // namespace

bool Rc4::available() noexcept {
  return library().cipher != nullptr;
}

Rc4::Rc4(std::string_view key, std::size_t discard) : context_(EVP_CIPHER_CTX_new()) {
  if (!context_) throw std::bad_alloc();
  auto* ctx = context_of(context_);
  const EVP_CIPHER* cipher = library().cipher;
  if (key.empty() || key.size() > 256) {
    EVP_CIPHER_CTX_free(ctx);
    throw std::invalid_argument("RC4 key of " + std::to_string(key.size()) + " bytes");
  }
  // RC4's default key length is 16 bytes: set ours before the key goes in.
  if (!cipher || EVP_EncryptInit_ex2(ctx, cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_key_length(ctx, static_cast<int>(key.size())) != 1 ||
      EVP_EncryptInit_ex2(ctx, nullptr, reinterpret_cast<const unsigned char*>(key.data()), nullptr,
                          nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    fail("RC4 is unavailable: OpenSSL's legacy provider could not be loaded");
  }
  std::array<char, 1024> zeros{};
  while (discard > 0) {
    std::size_t n = std::min(discard, zeros.size());
    apply(zeros.data(), n);
    discard -= n;
  }
}

Rc4::~Rc4() {
  EVP_CIPHER_CTX_free(context_of(context_));
}

void Rc4::apply(char* data, std::size_t size) {
  auto* bytes = reinterpret_cast<unsigned char*>(data);
  while (size > 0) {
    int chunk = static_cast<int>(std::min<std::size_t>(size, INT_MAX / 2));
    int out = 0;
    if (EVP_EncryptUpdate(context_of(context_), bytes, &out, bytes, chunk) != 1 || out != chunk)
      fail("RC4: OpenSSL refused to encrypt");
    bytes += chunk;
    size -= static_cast<std::size_t>(chunk);
  }
}

}  // namespace bitflow::peer
