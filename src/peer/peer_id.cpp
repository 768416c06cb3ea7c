// PeerId generation: the Azureus-style "-bf0100-" prefix tells other clients who we are
// ("BF", upper case, is taken by BitFlu in the BEP 20 lists clients use to name peers); the
// rest is random so that two sessions never collide.
#include "bitflow/peer_id.hpp"

#include <random>

namespace bitflow {

PeerId PeerId::generate() {
  static constexpr std::string_view prefix = "-bf0100-";
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
