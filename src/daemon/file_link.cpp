#include "daemon/file_link.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

namespace bitflow::daemon {

std::string sign_file_link(std::string_view key, std::string_view owner, std::string_view id,
                           std::size_t index, std::int64_t expires) {
  const std::string message =
      fmt::format("bitflowd file link\n{}\n{}\n{}\n{}", owner, id, index, expires);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
            &length))
    throw std::runtime_error("bitflowd: HMAC-SHA256 failed");
  std::string hex;
  for (unsigned int i = 0; i < length; ++i)
    hex += fmt::format("{:02x}", mac[i]);
  return hex;
}

bool check_file_link(std::string_view key, std::string_view owner, std::string_view id,
                     std::size_t index, std::int64_t expires, std::string_view signature,
                     std::int64_t now) {
  if (expires < now) return false;
  const std::string expected = sign_file_link(key, owner, id, index, expires);
  return signature.size() == expected.size() &&
         CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) == 0;
}

}  // namespace bitflow::daemon
