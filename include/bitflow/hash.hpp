// bitflow/hash.hpp — fixed-size digests (SHA-1 for BitTorrent v1, SHA-256 for v2) and
// the one-shot helpers that compute them with OpenSSL. Safe to call from any thread.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace bitflow {

/// A digest of N bytes: comparable, hashable, printable as lowercase hex.
template <std::size_t N>
struct Digest {
  std::array<std::uint8_t, N> bytes{};

  static constexpr std::size_t size() noexcept { return N; }
  /// The digest as 2·N lowercase hex characters.
  [[nodiscard]] std::string hex() const;
  /// The raw bytes as a string_view (not NUL-terminated).
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), N};
  }
  [[nodiscard]] bool is_zero() const noexcept;
  /// Parses 2·N hex digits (either case); nullopt on anything else.
  [[nodiscard]] static std::optional<Digest> from_hex(std::string_view hex);
  /// Takes exactly N raw bytes; nullopt if the length differs.
  [[nodiscard]] static std::optional<Digest> from_bytes(std::string_view raw);

  friend auto operator<=>(const Digest&, const Digest&) = default;
};

using Sha1Hash = Digest<20>;
using Sha256Hash = Digest<32>;

/// SHA-1 of `data` (OpenSSL EVP).
[[nodiscard]] Sha1Hash sha1(std::string_view data);

/// A digest computed piecewise: update() with consecutive parts of the data, then
/// finish(). The engine hashes a piece's blocks this way (SHA-1) as they arrive in order,
/// so a completed piece only needs the last step and its bytes are hashed while still in
/// the CPU cache; deliveries hash whole files this way (SHA-256) without holding them.
/// Movable, not copyable; one object is used by one thread at a time.
template <std::size_t N>
class DigestHasher {
 public:
  DigestHasher();
  ~DigestHasher();
  DigestHasher(DigestHasher&& other) noexcept;
  DigestHasher& operator=(DigestHasher&& other) noexcept;
  DigestHasher(const DigestHasher&) = delete;
  DigestHasher& operator=(const DigestHasher&) = delete;

  /// Appends `data` to what is hashed.
  void update(std::string_view data);
  /// The digest of everything given to update() since construction or the last finish();
  /// the hasher starts over afterwards.
  [[nodiscard]] Digest<N> finish();

 private:
  void* context_;  // an OpenSSL EVP_MD_CTX (null only after a move)
};

using Sha1Hasher = DigestHasher<20>;
using Sha256Hasher = DigestHasher<32>;

/// SHA-256 of `data` (OpenSSL EVP).
[[nodiscard]] Sha256Hash sha256(std::string_view data);

/// SHA-256 of a whole file, read in 1 MiB blocks. Throws bitflow::Error (the errno, and
/// the path in the message) when it cannot be read.
[[nodiscard]] Sha256Hash sha256_of_file(const std::filesystem::path& path);

extern template struct Digest<20>;
extern template struct Digest<32>;
extern template class DigestHasher<20>;
extern template class DigestHasher<32>;

}  // namespace bitflow

template <std::size_t N>
struct std::hash<bitflow::Digest<N>> {
  std::size_t operator()(const bitflow::Digest<N>& d) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(std::size_t) && i < N; ++i)
      h = (h << 8) | d.bytes[i];
    return h;  // the bytes are already uniformly distributed
  }
};
