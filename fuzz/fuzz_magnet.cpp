// libFuzzer target for Magnet::parse and Magnet::to_uri. The header promises that
// parse(to_uri()) gives the magnet back; a magnet that parses but does not survive the
// round trip traps (a libFuzzer crash), as does a to_uri() that is not a fixed point.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/magnet.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view uri(reinterpret_cast<const char*>(data), size);
  bitflow::ErrorInfo error;
  auto magnet = bitflow::Magnet::parse(uri, error);
  if (!magnet) {
    check(error && !error.message.empty());
    return 0;
  }
  check(!error && bitflow::is_magnet_uri(uri));
  check(magnet->info_hash || magnet->info_hash_v2);
  std::string formatted = magnet->to_uri();
  auto again = bitflow::Magnet::parse(formatted, error);
  check(again.has_value() && !error);
  check(*again == *magnet);
  check(again->to_uri() == formatted);
  return 0;
}
