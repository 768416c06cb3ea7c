// bitflow/hash.hpp — fixed-size digests (SHA-1 for BitTorrent v1, SHA-256 for v2) and
// the one-shot helpers that compute them with OpenSSL. Safe to call from any thread.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
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

/// SHA-1 computed piecewise: update() with consecutive parts of the data, then finish().
/// The engine hashes a piece's blocks this way as they arrive in order, so a completed
/// piece only needs the last step and its bytes are hashed while still in the CPU cache.
/// Movable, not copyable; one object is used by one thread at a time.
class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(Sha1Hasher&& other) noexcept;
  Sha1Hasher& operator=(Sha1Hasher&& other) noexcept;
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;

  /// Appends `data` to what is hashed.
  void update(std::string_view data);
  /// The digest of everything given to update() since construction or the last finish();
  /// the hasher starts over afterwards.
  [[nodiscard]] Sha1Hash finish();

 private:
  void* context_;  // an OpenSSL EVP_MD_CTX (null only after a move)
};
/// SHA-256 of `data` (OpenSSL EVP).
[[nodiscard]] Sha256Hash sha256(std::string_view data);

extern template struct Digest<20>;
extern template struct Digest<32>;

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
