// One-shot SHA-1/SHA-256 through OpenSSL's EVP interface, and the Digest helpers.
#include "bitflow/hash.hpp"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <vector>

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
// The EVP algorithm of an N-byte digest.
const EVP_MD* algorithm_of(std::size_t n) {
  return n == Sha1Hash::size() ? EVP_sha1() : EVP_sha256();
}
}  // namespace

template <std::size_t N>
DigestHasher<N>::DigestHasher() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr ||
      EVP_DigestInit_ex(as_context(context_), algorithm_of(N), nullptr) != 1) {
    EVP_MD_CTX_free(as_context(context_));
    digest_failed();
  }
}

template <std::size_t N>
DigestHasher<N>::~DigestHasher() {
  EVP_MD_CTX_free(as_context(context_));
}

template <std::size_t N>
DigestHasher<N>::DigestHasher(DigestHasher&& other) noexcept : context_(other.context_) {
  other.context_ = nullptr;
}

template <std::size_t N>
DigestHasher<N>& DigestHasher<N>::operator=(DigestHasher&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}

template <std::size_t N>
void DigestHasher<N>::update(std::string_view data) {
  if (context_ == nullptr) throw std::logic_error("DigestHasher: used after a move");
  if (EVP_DigestUpdate(as_context(context_), data.data(), data.size()) != 1) digest_failed();
}

template <std::size_t N>
Digest<N> DigestHasher<N>::finish() {
  if (context_ == nullptr) throw std::logic_error("DigestHasher: used after a move");
  Digest<N> out;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(as_context(context_), out.bytes.data(), &len) != 1 || len != N ||
      EVP_DigestInit_ex(as_context(context_), algorithm_of(N), nullptr) != 1)
    digest_failed();
  return out;
}

template class DigestHasher<20>;
template class DigestHasher<32>;

Sha256Hash sha256_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(std::error_code(errno, std::generic_category()),
                "cannot open " + path.string() + ": " + std::strerror(errno));
  Sha256Hasher hasher;
  std::vector<char> block(std::size_t{1} << 20);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = in.gcount();
    if (got > 0) hasher.update({block.data(), static_cast<std::size_t>(got)});
  }
  if (in.bad())
    throw Error(std::make_error_code(std::errc::io_error), "cannot read " + path.string());
  return hasher.finish();
}

}  // namespace bitflow
