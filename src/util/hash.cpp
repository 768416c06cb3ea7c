// One-shot SHA-1/SHA-256 through OpenSSL's EVP interface, and the Digest helpers.
#include "bitflow/hash.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <utility>

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

namespace {
[[noreturn]] void digest_failed() {
  throw Error(std::make_error_code(std::errc::not_enough_memory), "OpenSSL: digest failed");
}
EVP_MD_CTX* as_context(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}
}  // namespace

Sha1Hasher::Sha1Hasher() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(as_context(context_), EVP_sha1(), nullptr) != 1) {
    EVP_MD_CTX_free(as_context(context_));
    digest_failed();
  }
}

Sha1Hasher::~Sha1Hasher() {
  EVP_MD_CTX_free(as_context(context_));
}

Sha1Hasher::Sha1Hasher(Sha1Hasher&& other) noexcept : context_(other.context_) {
  other.context_ = nullptr;
}

Sha1Hasher& Sha1Hasher::operator=(Sha1Hasher&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}

void Sha1Hasher::update(std::string_view data) {
  if (context_ == nullptr) throw std::logic_error("Sha1Hasher: used after a move");
  if (EVP_DigestUpdate(as_context(context_), data.data(), data.size()) != 1) digest_failed();
}

Sha1Hash Sha1Hasher::finish() {
  if (context_ == nullptr) throw std::logic_error("Sha1Hasher: used after a move");
  Sha1Hash out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(as_context(context_), out.bytes.data(), &len) != 1 ||
      len != Sha1Hash::size() || EVP_DigestInit_ex(as_context(context_), EVP_sha1(), nullptr) != 1)
    digest_failed();
  return out;
}

}  // namespace bitflow
