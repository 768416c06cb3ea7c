// libFuzzer target for the DHT's KRPC codec (src/dht/krpc.hpp): any datagram either
// decodes or is refused with a message; what decodes encodes to bytes that decode to the
// same message (a trap otherwise), and re-encoding that is a fixed point.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dht/krpc.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view packet(reinterpret_cast<const char*>(data), size);
  bitflow::ErrorInfo error;
  auto message = bitflow::dht::decode(packet, error);
  if (!message) {
    check(error && !error.message.empty());
    return 0;
  }
  const auto bytes = bitflow::dht::encode(*message);
  bitflow::ErrorInfo again_error;
  auto again = bitflow::dht::decode(bytes, again_error);
  check(again.has_value());
  check(*again == *message);
  check(bitflow::dht::encode(*again) == bytes);
  return 0;
}
