// libFuzzer target for the MSE/PE handshake (src/peer/mse_handshake.hpp). The first byte
// picks a mode, the second the size of the chunks the bytes arrive in:
//   0  a responder fed the input as the initiator's bytes;
//   1  an initiator fed the input as the responder's bytes;
//   2  an honest initiator and responder talking, the input XORed onto the initiator's
//      bytes on their way (so the fuzzer reaches the steps after the key exchange).
// Whatever arrives, the handshake stays bounded (what it sends, the rounds it takes), a
// failure names itself, and a done handshake selected exactly one method that was
// allowed; an uncorrupted pair agrees on the torrent, the method and the payload.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "peer/mse_handshake.hpp"

namespace {

using bitflow::Sha1Hash;
using bitflow::peer::mse_plaintext;
using bitflow::peer::mse_rc4;
using bitflow::peer::MseHandshake;
using bitflow::peer::MseRandom;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

Sha1Hash torrent_hash() {
  Sha1Hash hash;
  std::fill(hash.bytes.begin(), hash.bytes.end(), std::uint8_t{0x5a});
  return hash;
}

MseRandom fixed_random(std::uint8_t seed) {
  MseRandom random;
  for (std::size_t i = 0; i < random.private_key.size(); ++i)
    random.private_key[i] = static_cast<std::uint8_t>(seed + 7 * i + 1);
  random.pad.assign(seed % 17, 'p');
  random.second_pad.assign(seed % 5, 'q');
  return random;
}

// Everything one side may send in a whole handshake: a key, two pads, the fixed fields
// and an initial payload of at most 65535 bytes.
constexpr std::size_t max_output = 96 + 512 + 40 + 8 + 4 + 2 + 512 + 2 + 65535;

void check_outcome(const MseHandshake& handshake, std::uint32_t allowed) {
  if (handshake.state() == MseHandshake::State::failed)
    check(handshake.error().rfind("MSE", 0) == 0);
  if (handshake.state() == MseHandshake::State::done) {
    const auto selected = handshake.selected();
    check(selected == mse_rc4 || selected == mse_plaintext);
    check((selected & allowed) != 0);
  }
}

void feed_raw(MseHandshake handshake, std::uint32_t allowed, std::string_view input,
              std::size_t chunk) {
  std::size_t sent = handshake.take_output().size();
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    handshake.feed(input.substr(at, chunk));
    sent += handshake.take_output().size();
    check(sent <= max_output);
  }
  check_outcome(handshake, allowed);
}

void honest_pair(std::string_view mask, std::size_t chunk, std::uint8_t seed) {
  const auto hash = torrent_hash();
  const std::string hello(68, 'h');
  const std::uint32_t offer = (seed & 1) ? mse_rc4 : (mse_rc4 | mse_plaintext);
  auto initiator = MseHandshake::initiator(hash, offer, hello, fixed_random(seed));
  auto responder = MseHandshake::responder({hash}, mse_rc4 | mse_plaintext, (seed & 2) != 0,
                                           fixed_random(static_cast<std::uint8_t>(seed + 99)));
  std::size_t position = 0;
  bool corrupted = false;
  // Each round moves everything pending both ways; a handshake needs three.
  for (int round = 0; round < 8; ++round) {
    std::string to_responder = initiator.take_output();
    for (char& byte : to_responder) {
      if (position < mask.size()) {
        corrupted |= mask[position] != 0;
        byte = static_cast<char>(byte ^ mask[position]);
      }
      ++position;
    }
    for (std::size_t at = 0; at < to_responder.size(); at += chunk)
      responder.feed(std::string_view(to_responder).substr(at, chunk));
    const std::string to_initiator = responder.take_output();
    for (std::size_t at = 0; at < to_initiator.size(); at += chunk)
      initiator.feed(std::string_view(to_initiator).substr(at, chunk));
    if (to_responder.empty() && to_initiator.empty()) break;
  }
  check_outcome(initiator, offer);
  check_outcome(responder, mse_rc4 | mse_plaintext);
  if (!corrupted) {
    check(initiator.state() == MseHandshake::State::done);
    check(responder.state() == MseHandshake::State::done);
    check(responder.info_hash() == hash);
    check(responder.selected() == initiator.selected());
    check(responder.take_payload() == hello);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0] % 3;
  const std::size_t chunk = std::size_t{data[1]} + 1;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::uint32_t both = mse_rc4 | mse_plaintext;
  if (mode == 0) {
    feed_raw(MseHandshake::responder({torrent_hash()}, both, (data[1] & 1) != 0, fixed_random(3)),
             both, input, chunk);
  } else if (mode == 1) {
    feed_raw(MseHandshake::initiator(torrent_hash(), both, std::string(68, 'h'), fixed_random(5)),
             both, input, chunk);
  } else {
    honest_pair(input, chunk, data[1]);
  }
  return 0;
}
