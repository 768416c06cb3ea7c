// MseHandshake — the Message Stream Encryption / Protocol Encryption handshake (the
// Vuze/Azureus MSE specification that libtorrent, aria2, qBittorrent and transmission
// speak), as a pure state machine: bytes from the peer go in, bytes to send and the
// outcome come out. No sockets, no clock, no randomness of its own (MseRandom is drawn
// by the caller), so both roles can talk to each other in memory.
//
//   1 A→B  Ya, PadA
//   2 B→A  Yb, PadB
//   3 A→B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//          ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
//   4 B→A  ENCRYPT(VC, crypto_select, len(PadD), PadD), ENCRYPT2(payload)
//   5 A→B  ENCRYPT2(payload)
//
// Y = G^X mod P (768-bit prime, G = 2, X 160 random bits), S the shared secret (96
// bytes), SKEY the torrent's info-hash, HASH SHA-1, VC eight zero bytes, ENCRYPT RC4 keyed
// with HASH('keyA', S, SKEY) from A to B and HASH('keyB', S, SKEY) from B to A, its first
// 1024 bytes discarded. ENCRYPT2 is that same RC4 stream if crypto_select is RC4 (0x02),
// nothing if it is plaintext (0x01).
//
// Limits, enforced as the bytes arrive (so a hostile peer cannot make us buffer more):
// Pad{A,B,C,D} at most 512 bytes; the responder finds HASH('req1', S) within 96 + 512 +
// 20 bytes, the initiator ENCRYPT(VC) within 96 + 512 + 8; IA at most 65535 bytes (its
// length has two bytes). A public key of 0, 1 or P-1 and above is refused, and so is a
// crypto_select that we did not offer, or more than one bit of it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/hash.hpp"
#include "peer/rc4.hpp"

namespace bitflow::peer {

/// crypto_provide / crypto_select bits.
inline constexpr std::uint32_t mse_plaintext = 0x01;
inline constexpr std::uint32_t mse_rc4 = 0x02;

inline constexpr std::size_t mse_key_size = 96;  ///< Ya, Yb and S, big-endian
inline constexpr std::size_t mse_max_pad = 512;  ///< PadA, PadB, PadC, PadD

/// The random parts of one handshake: the DH private key and our two paddings (PadA and
/// PadC for an initiator, PadB and PadD for a responder), each at most mse_max_pad bytes.
struct MseRandom {
  std::array<std::uint8_t, 20> private_key{};
  std::string pad;         ///< PadA / PadB
  std::string second_pad;  ///< PadC / PadD
};

/// Fresh randomness from OpenSSL's RAND_bytes: a private key, a first pad of 0 to 512
/// random bytes and a second of 0 to `max_second_pad` (at most 512).
[[nodiscard]] MseRandom mse_random(std::size_t max_second_pad = mse_max_pad);

/// Our public key G^X mod P for a private key X (96 bytes, big-endian, zero-padded).
[[nodiscard]] std::string mse_public_key(const std::array<std::uint8_t, 20>& private_key);
/// The shared secret their_public^X mod P (96 bytes), or "" if `their_public` is not 96
/// bytes or not a usable key (0, 1, P-1 and above).
[[nodiscard]] std::string mse_shared_secret(const std::array<std::uint8_t, 20>& private_key,
                                            std::string_view their_public);
/// HASH(tag, a, b) = SHA-1 of the concatenation.
[[nodiscard]] Sha1Hash mse_hash(std::string_view tag, std::string_view a, std::string_view b = {});

class MseHandshake {
 public:
  enum class State { running, done, failed };

  /// We dial: offer `provide` (mse_rc4 and/or mse_plaintext) for the torrent `info_hash`
  /// and carry `initial_payload` (our BitTorrent handshake, at most 65535 bytes) as IA.
  /// Our step 1 is in take_output() at once.
  [[nodiscard]] static MseHandshake initiator(const Sha1Hash& info_hash, std::uint32_t provide,
                                              std::string initial_payload, MseRandom random);
  /// The peer dialled us: accept the crypto methods in `allowed` for any of the
  /// torrents `info_hashes`. When the peer offers both RC4 and plaintext and we allow
  /// both, `prefer_rc4` picks.
  [[nodiscard]] static MseHandshake responder(std::vector<Sha1Hash> info_hashes,
                                              std::uint32_t allowed, bool prefer_rc4,
                                              MseRandom random);

  /// Hands over bytes received from the peer (any split). Once done, further bytes are
  /// payload (see take_payload()); once failed, they are ignored.
  State feed(std::string_view bytes);
  /// Bytes to send to the peer, in order (taking them empties the queue).
  [[nodiscard]] std::string take_output();

  [[nodiscard]] State state() const noexcept { return state_; }
  /// Why it failed ("" otherwise), naming the step: "MSE: ...".
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// What the handshake waits for, for a message when the peer goes silent or closes.
  [[nodiscard]] std::string waiting_for() const;

  /// Done: the method chosen (mse_rc4 or mse_plaintext) and the torrent (a responder
  /// learns it from HASH('req2', SKEY)).
  [[nodiscard]] std::uint32_t selected() const noexcept { return selected_; }
  [[nodiscard]] const Sha1Hash& info_hash() const noexcept { return info_hash_; }
  /// Done: the peer's bytes that followed the handshake, decrypted (a responder's start
  /// with the initiator's IA). Taking them empties the buffer.
  [[nodiscard]] std::string take_payload();
  /// Done with RC4: the ciphers for our further bytes and for theirs, positioned just
  /// after the handshake. Null when plaintext was selected (or taken already).
  [[nodiscard]] std::unique_ptr<Rc4> take_encryptor() { return std::move(encrypt_); }
  [[nodiscard]] std::unique_ptr<Rc4> take_decryptor() { return std::move(decrypt_); }

 private:
  enum class Step {
    their_key,  // both: the peer's 96-byte public key
    sync_vc,    // initiator: PadB, up to ENCRYPT(VC)
    select,     // initiator: crypto_select, len(PadD)
    pad_d,      // initiator: PadD
    sync_req1,  // responder: PadA, up to HASH('req1', S)
    req2,       // responder: HASH('req2', SKEY) xor HASH('req3', S)
    provide,    // responder: VC, crypto_provide, len(PadC)
    pad_c,      // responder: PadC
    ia_length,  // responder: len(IA)
    ia,         // responder: IA
    finished,
  };

  MseHandshake() = default;
  bool step();  // one step on buffered bytes; false: needs more (or failed)
  bool fail(std::string message);
  void got_their_key();
  bool sync(std::string_view marker, std::size_t limit, const char* what);
  bool find_torrent();
  bool read_provide();
  void answer();
  void finish();
  std::string decrypt_next(std::size_t n);  // consumes n buffered bytes, decrypted
  void keys(std::string_view send_tag, std::string_view receive_tag);

  bool initiator_ = false;
  State state_ = State::running;
  Step step_ = Step::their_key;
  std::string error_;
  MseRandom random_;
  std::vector<Sha1Hash> candidates_;
  std::uint32_t offered_ = 0;  // initiator: crypto_provide; responder: the allowed set
  bool prefer_rc4_ = false;
  std::uint32_t selected_ = 0;
  Sha1Hash info_hash_;
  std::string initial_payload_;
  std::string secret_;           // S
  std::string marker_;           // what sync looks for: ENCRYPT(VC) or HASH('req1', S)
  std::string in_;               // received, not consumed yet
  std::size_t scanned_ = 0;      // sync: bytes of padding passed so far
  std::size_t pending_pad_ = 0;  // PadC/PadD still to skip, or IA's length
  std::string out_;
  std::string payload_;
  std::unique_ptr<Rc4> encrypt_, decrypt_;
};

}  // namespace bitflow::peer
