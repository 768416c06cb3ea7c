// One-shot SHA-1/SHA-256 through OpenSSL's EVP interface, and the Digest helpers.
#include "bitflow/hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>

#include "bitflow/error.hpp"
#include "util/hex.hpp"

namespace bitflow {

template <std::size_t N>
std::string Digest<N>::hex() const {
  return util::to_hex(view());
}

template <std::size_t N>
bool Digest<N>::is_zero() const noexcept {
  for (auto b : bytes)
    if (b != 0) return false;
  return true;
}

template <std::size_t N>
std::optional<Digest<N>> Digest<N>::from_hex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  auto raw = util::from_hex(hex);
  if (!raw) return std::nullopt;
  return from_bytes(*raw);
}

template <std::size_t N>
std::optional<Digest<N>> Digest<N>::from_bytes(std::string_view raw) {
  if (raw.size() != N) return std::nullopt;
  Digest d;
  for (std::size_t i = 0; i < N; ++i)
    d.bytes[i] = static_cast<std::uint8_t>(raw[i]);
  return d;
}

template struct Digest<20>;
template struct Digest<32>;

namespace {
template <typename D>
D evp_digest(const EVP_MD* md, std::string_view data) {
  D out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.bytes.data(), &len, md, nullptr) != 1 ||
      len != D::size())
    throw Error(std::make_error_code(std::errc::not_enough_memory), "OpenSSL: digest failed");
  return out;
}
}  // namespace

Sha1Hash sha1(std::string_view data) {
  return evp_digest<Sha1Hash>(EVP_sha1(), data);
}
Sha256Hash sha256(std::string_view data) {
  return evp_digest<Sha256Hash>(EVP_sha256(), data);
}

}  // namespace bitflow
