// HMAC-SHA256 through OpenSSL's one-shot HMAC(); the library links OpenSSL::Crypto
// privately, so no OpenSSL type leaves this file.
#include "manager/webhook_signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace bitflow::manager::detail {

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // OpenSSL wants a non-null key pointer even for an empty key.
  static const unsigned char empty = 0;
  const void* key_bytes = key.empty() ? static_cast<const void*>(&empty) : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &length) == nullptr)
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(digits[mac[i] >> 4]);
    hex.push_back(digits[mac[i] & 0x0f]);
  }
  return hex;
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  std::string out("sha256=");
  out += hmac_sha256_hex(secret, body);
  return out;
}

}  // namespace bitflow::manager::detail
