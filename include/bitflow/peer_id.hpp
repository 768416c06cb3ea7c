// bitflow/peer_id.hpp — the 20-byte id a BitTorrent client presents to trackers and peers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace bitflow {

/// A peer id (20 arbitrary bytes).
struct PeerId {
  std::array<std::uint8_t, 20> bytes{};

  /// "-bf" + the major, minor and patch version (one base-36 digit each) + "0-" (version
  /// 0.1.0 gives "-bf0100-"), then 12 random printable characters (Azureus style), so
  /// other clients can tell what we are.
  static PeerId generate();
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  friend bool operator==(const PeerId&, const PeerId&) = default;
};

}  // namespace bitflow
