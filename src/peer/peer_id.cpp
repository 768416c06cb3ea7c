// PeerId generation: the Azureus-style "-bfMmP0-" prefix (major, minor, patch version as
// one base-36 digit each) tells other clients who we are ("BF", upper case, is taken by
// BitFlu in the BEP 20 lists clients use to name peers); the rest is random so that two
// sessions never collide.
#include "bitflow/peer_id.hpp"

#include <array>
#include <random>

#include "bitflow/version.hpp"

namespace bitflow {

namespace {

constexpr char version_digit(int n) {
  return n < 10 ? static_cast<char>('0' + n) : static_cast<char>('A' + (n - 10));
}

static_assert(BITFLOW_VERSION_MAJOR < 36 && BITFLOW_VERSION_MINOR < 36 &&
                  BITFLOW_VERSION_PATCH < 36,
              "the peer id has one base-36 digit per version component");

constexpr std::array<char, 8> prefix_chars{'-',
                                           'b',
                                           'f',
                                           version_digit(BITFLOW_VERSION_MAJOR),
                                           version_digit(BITFLOW_VERSION_MINOR),
                                           version_digit(BITFLOW_VERSION_PATCH),
                                           '0',
                                           '-'};

}  // namespace

PeerId PeerId::generate() {
  static constexpr std::string_view prefix{prefix_chars.data(), prefix_chars.size()};
  static constexpr char alphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof alphabet - 2);
  PeerId id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] = static_cast<std::uint8_t>(i < prefix.size() ? prefix[i] : alphabet[pick(rng)]);
  return id;
}

}  // namespace bitflow
