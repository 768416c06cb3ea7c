// MseHandshake: see mse_handshake.hpp for the protocol and its limits. Invariants: `in_`
// holds only bytes not consumed yet, never more than the step's limit plus one feed;
// once a step needs the ciphers they exist (their key stream has passed exactly the bytes
// consumed so far in that direction). Diffie-Hellman is OpenSSL BIGNUM arithmetic.
#include "peer/mse_handshake.hpp"

#include <openssl/bn.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "bitflow/error.hpp"

namespace bitflow::peer {
namespace {

constexpr std::array<std::uint8_t, mse_key_size> prime_bytes{
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x3A, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05, 0x63};

constexpr std::size_t vc_size = 8;
constexpr std::size_t max_ia = 65535;

// RAII for the BIGNUM arithmetic.
struct Bn {
  BIGNUM* p = BN_new();
  Bn() {
    if (!p) throw std::bad_alloc();
  }
  explicit Bn(std::string_view bytes) : Bn() {
    if (!BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size()), p))
      throw std::bad_alloc();
  }
  ~Bn() { BN_clear_free(p); }
  Bn(const Bn&) = delete;
  Bn& operator=(const Bn&) = delete;
};

std::string_view view(const auto& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// base^exponent mod P, as 96 big-endian bytes.
std::string mod_exp(const BIGNUM* base, const std::array<std::uint8_t, 20>& exponent) {
  Bn prime(view(prime_bytes)), x(view(exponent)), result;
  BN_CTX* ctx = BN_CTX_new();
  if (!ctx) throw std::bad_alloc();
  int ok = BN_mod_exp(result.p, base, x.p, prime.p, ctx);
  BN_CTX_free(ctx);
  std::string out(mse_key_size, '\0');
  if (ok != 1 || BN_bn2binpad(result.p, reinterpret_cast<unsigned char*>(out.data()),
                              static_cast<int>(out.size())) != static_cast<int>(out.size()))
    throw Error(std::make_error_code(std::errc::not_enough_memory), "MSE: DH arithmetic failed");
  return out;
}

std::uint32_t read_u32(std::string_view b) {
  auto u = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[i]));
  };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}

std::size_t read_u16(std::string_view b) {
  auto u = [&](std::size_t i) {
    return static_cast<std::size_t>(static_cast<unsigned char>(b[i]));
  };
  return u(0) << 8 | u(1);
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void put_u16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
  out.push_back(static_cast<char>(v & 0xFF));
}

std::string hex32(std::uint32_t v) {
  static const char digits[] = "0123456789abcdef";
  std::string s = "0x";
  bool started = false;
  for (int shift = 28; shift >= 0; shift -= 4) {
    auto d = (v >> shift) & 0xF;
    if (d || started || shift == 0) {
      s.push_back(digits[d]);
      started = true;
    }
  }
  return s;
}

void check_pad(const std::string& pad) {
  if (pad.size() > mse_max_pad)
    throw std::invalid_argument("MSE: a pad of " + std::to_string(pad.size()) + " bytes");
}

}  // namespace

MseRandom mse_random(std::size_t max_second_pad) {
  MseRandom r;
  std::array<unsigned char, 4> lengths{};
  if (RAND_bytes(r.private_key.data(), static_cast<int>(r.private_key.size())) != 1 ||
      RAND_bytes(lengths.data(), static_cast<int>(lengths.size())) != 1)
    throw Error(std::make_error_code(std::errc::resource_unavailable_try_again),
                "MSE: no randomness from OpenSSL");
  auto length = [](unsigned char hi, unsigned char lo, std::size_t max) {
    return (static_cast<std::size_t>(hi) << 8 | lo) % (max + 1);
  };
  r.pad.resize(length(lengths[0], lengths[1], mse_max_pad));
  r.second_pad.resize(length(lengths[2], lengths[3], std::min(max_second_pad, mse_max_pad)));
  for (std::string* pad : {&r.pad, &r.second_pad})
    if (!pad->empty() && RAND_bytes(reinterpret_cast<unsigned char*>(pad->data()),
                                    static_cast<int>(pad->size())) != 1)
      throw Error(std::make_error_code(std::errc::resource_unavailable_try_again),
                  "MSE: no randomness from OpenSSL");
  return r;
}

std::string mse_public_key(const std::array<std::uint8_t, 20>& private_key) {
  Bn two;
  if (BN_set_word(two.p, 2) != 1) throw std::bad_alloc();
  return mod_exp(two.p, private_key);
}

std::string mse_shared_secret(const std::array<std::uint8_t, 20>& private_key,
                              std::string_view their_public) {
  if (their_public.size() != mse_key_size) return {};
  Bn y(their_public), limit(view(prime_bytes));
  if (BN_sub_word(limit.p, 1) != 1) throw std::bad_alloc();  // P - 1
  if (BN_is_zero(y.p) || BN_is_one(y.p) || BN_cmp(y.p, limit.p) >= 0) return {};
  return mod_exp(y.p, private_key);
}

Sha1Hash mse_hash(std::string_view tag, std::string_view a, std::string_view b) {
  Sha1Hasher hasher;
  hasher.update(tag);
  hasher.update(a);
  hasher.update(b);
  return hasher.finish();
}

MseHandshake MseHandshake::initiator(const Sha1Hash& info_hash, std::uint32_t provide,
                                     std::string initial_payload, MseRandom random) {
  if ((provide & (mse_rc4 | mse_plaintext)) == 0 || (provide & ~(mse_rc4 | mse_plaintext)))
    throw std::invalid_argument("MSE: crypto_provide must offer RC4 and/or plaintext");
  if (initial_payload.size() > max_ia) throw std::invalid_argument("MSE: IA over 65535 bytes");
  check_pad(random.pad);
  check_pad(random.second_pad);
  MseHandshake h;
  h.initiator_ = true;
  h.info_hash_ = info_hash;
  h.offered_ = provide;
  h.initial_payload_ = std::move(initial_payload);
  h.random_ = std::move(random);
  h.out_ = mse_public_key(h.random_.private_key);
  h.out_ += h.random_.pad;
  return h;
}

MseHandshake MseHandshake::responder(std::vector<Sha1Hash> info_hashes, std::uint32_t allowed,
                                     bool prefer_rc4, MseRandom random) {
  if ((allowed & (mse_rc4 | mse_plaintext)) == 0)
    throw std::invalid_argument("MSE: a responder must allow RC4 or plaintext");
  check_pad(random.pad);
  check_pad(random.second_pad);
  MseHandshake h;
  h.candidates_ = std::move(info_hashes);
  h.offered_ = allowed & (mse_rc4 | mse_plaintext);
  h.prefer_rc4_ = prefer_rc4;
  h.random_ = std::move(random);
  return h;
}

MseHandshake::State MseHandshake::feed(std::string_view bytes) {
  if (state_ == State::failed) return state_;
  if (state_ == State::done) {
    std::string more(bytes);
    if (decrypt_) decrypt_->apply(more.data(), more.size());
    payload_ += more;
    return state_;
  }
  in_.append(bytes);
  while (state_ == State::running && step()) {
  }
  return state_;
}

std::string MseHandshake::take_output() {
  return std::exchange(out_, {});
}

std::string MseHandshake::take_payload() {
  return std::exchange(payload_, {});
}

bool MseHandshake::fail(std::string message) {
  state_ = State::failed;
  error_ = "MSE: " + std::move(message);
  in_.clear();
  return false;
}

std::string MseHandshake::decrypt_next(std::size_t n) {
  std::string bytes = in_.substr(0, n);
  in_.erase(0, n);
  decrypt_->apply(bytes.data(), bytes.size());
  return bytes;
}

void MseHandshake::keys(std::string_view send_tag, std::string_view receive_tag) {
  auto key = [&](std::string_view tag) {
    return std::string(mse_hash(tag, secret_, info_hash_.view()).view());
  };
  encrypt_ = std::make_unique<Rc4>(key(send_tag));
  decrypt_ = std::make_unique<Rc4>(key(receive_tag));
}

// Finds `marker` within the first `limit` bytes after the peer's key (the pad before it
// is dropped). False while it may still come; fails once it cannot.
bool MseHandshake::sync(std::string_view marker, std::size_t limit, const char* what) {
  auto at = std::string_view(in_).find(marker);
  if (at != std::string_view::npos && scanned_ + at + marker.size() <= limit) {
    in_.erase(0, at);
    scanned_ += at;
    return true;
  }
  // Keep only what may still be the start of the marker.
  std::size_t keep = std::min(in_.size(), marker.size() - 1);
  std::size_t drop = in_.size() - keep;
  scanned_ += drop;
  in_.erase(0, drop);
  if (scanned_ + marker.size() > limit)
    return fail(std::string("no ") + what + " within " + std::to_string(limit) +
                " bytes after the peer's key (garbage, or not an encrypted BitTorrent peer)");
  return false;
}

void MseHandshake::got_their_key() {
  std::string theirs = in_.substr(0, mse_key_size);
  in_.erase(0, mse_key_size);
  secret_ = mse_shared_secret(random_.private_key, theirs);
  if (secret_.empty()) {
    fail("the peer's Diffie-Hellman key is not a usable key");
    return;
  }
  if (initiator_) {
    // Step 3: all of it can go now.
    keys("keyA", "keyB");
    out_ += mse_hash("req1", secret_).view();
    auto req2 = mse_hash("req2", info_hash_.view());
    auto req3 = mse_hash("req3", secret_);
    for (std::size_t i = 0; i < req2.bytes.size(); ++i)
      out_.push_back(static_cast<char>(req2.bytes[i] ^ req3.bytes[i]));
    std::string plain(vc_size, '\0');
    put_u32(plain, offered_);
    put_u16(plain, random_.second_pad.size());
    plain += random_.second_pad;
    put_u16(plain, initial_payload_.size());
    plain += initial_payload_;
    encrypt_->apply(plain.data(), plain.size());
    out_ += plain;
    // ENCRYPT(VC) is the first 8 bytes of keyB's stream (past the 1024 discarded).
    marker_.assign(vc_size, '\0');
    Rc4 probe(std::string(mse_hash("keyB", secret_, info_hash_.view()).view()));
    probe.apply(marker_.data(), marker_.size());
    step_ = Step::sync_vc;
  } else {
    out_ = mse_public_key(random_.private_key);  // step 2
    out_ += random_.pad;
    marker_ = mse_hash("req1", secret_).view();
    step_ = Step::sync_req1;
  }
  scanned_ = 0;
}

bool MseHandshake::find_torrent() {
  auto req3 = mse_hash("req3", secret_);
  Sha1Hash wanted;
  for (std::size_t i = 0; i < wanted.bytes.size(); ++i)
    wanted.bytes[i] = static_cast<std::uint8_t>(static_cast<unsigned char>(in_[i]) ^ req3.bytes[i]);
  in_.erase(0, wanted.bytes.size());
  for (const auto& candidate : candidates_)
    if (mse_hash("req2", candidate.view()) == wanted) {
      info_hash_ = candidate;
      keys("keyB", "keyA");
      return true;
    }
  return fail("the peer asks for a torrent we do not have");
}

bool MseHandshake::read_provide() {
  std::string plain = decrypt_next(vc_size + 4 + 2);
  if (plain.find_first_not_of('\0', 0) < vc_size)
    return fail("the verification constant is wrong (keys differ: not our torrent or garbage)");
  std::uint32_t provide = read_u32(std::string_view(plain).substr(vc_size, 4));
  std::uint32_t common = provide & offered_;
  if (common == 0)
    return fail("the peer offers crypto " + hex32(provide) + ", we accept " + hex32(offered_));
  if (common == (mse_rc4 | mse_plaintext))
    selected_ = prefer_rc4_ ? mse_rc4 : mse_plaintext;
  else
    selected_ = common;
  pending_pad_ = read_u16(std::string_view(plain).substr(vc_size + 4));
  if (pending_pad_ > mse_max_pad)
    return fail("PadC of " + std::to_string(pending_pad_) + " bytes (at most 512)");
  step_ = Step::pad_c;
  return true;
}

// Responder, step 4: VC, crypto_select, len(PadD), PadD.
void MseHandshake::answer() {
  std::string plain(vc_size, '\0');
  put_u32(plain, selected_);
  put_u16(plain, random_.second_pad.size());
  plain += random_.second_pad;
  encrypt_->apply(plain.data(), plain.size());
  out_ += plain;
}

// The handshake is over: what is left in `in_` is payload (RC4 or plain as selected).
void MseHandshake::finish() {
  step_ = Step::finished;
  state_ = State::done;
  if (selected_ != mse_rc4) {
    encrypt_.reset();
    decrypt_.reset();
  } else {
    decrypt_->apply(in_.data(), in_.size());
  }
  payload_ += in_;
  in_.clear();
  in_.shrink_to_fit();
  secret_.clear();
  random_ = {};
}

bool MseHandshake::step() {
  switch (step_) {
    case Step::their_key:
      if (in_.size() < mse_key_size) return false;
      got_their_key();
      return state_ == State::running;
    case Step::sync_vc:
      if (!sync(marker_, mse_max_pad + vc_size, "encrypted verification constant")) return false;
      (void)decrypt_next(vc_size);
      step_ = Step::select;
      return true;
    case Step::select: {
      if (in_.size() < 4 + 2) return false;
      std::string plain = decrypt_next(4 + 2);
      selected_ = read_u32(plain);
      if ((selected_ != mse_rc4 && selected_ != mse_plaintext) || !(selected_ & offered_))
        return fail("the peer selected crypto " + hex32(selected_) + ", we offered " +
                    hex32(offered_));
      pending_pad_ = read_u16(std::string_view(plain).substr(4));
      if (pending_pad_ > mse_max_pad)
        return fail("PadD of " + std::to_string(pending_pad_) + " bytes (at most 512)");
      step_ = Step::pad_d;
      return true;
    }
    case Step::pad_d:
      if (in_.size() < pending_pad_) return false;
      (void)decrypt_next(pending_pad_);
      finish();
      return false;
    case Step::sync_req1:
      if (!sync(marker_, mse_max_pad + 20, "HASH('req1', S)")) return false;
      in_.erase(0, 20);
      step_ = Step::req2;
      return true;
    case Step::req2:
      if (in_.size() < 20) return false;
      if (!find_torrent()) return false;
      step_ = Step::provide;
      return true;
    case Step::provide:
      if (in_.size() < vc_size + 4 + 2) return false;
      return read_provide();
    case Step::pad_c:
      if (in_.size() < pending_pad_) return false;
      (void)decrypt_next(pending_pad_);
      step_ = Step::ia_length;
      return true;
    case Step::ia_length:
      if (in_.size() < 2) return false;
      pending_pad_ = read_u16(decrypt_next(2));
      step_ = Step::ia;
      return true;
    case Step::ia:
      if (in_.size() < pending_pad_) return false;
      payload_ = decrypt_next(pending_pad_);  // IA is always RC4, whatever is selected
      answer();
      finish();
      return false;
    case Step::finished:
      return false;
  }
  return false;
}

std::string MseHandshake::waiting_for() const {
  auto have = [&](std::size_t need) {
    return " (" + std::to_string(in_.size()) + " of " + std::to_string(need) + " bytes)";
  };
  switch (step_) {
    case Step::their_key:
      return "the peer's Diffie-Hellman key" + have(mse_key_size);
    case Step::sync_vc:
      return "the encrypted verification constant after PadB (" + std::to_string(scanned_) +
             " bytes of padding so far)";
    case Step::select:
      return "crypto_select" + have(6);
    case Step::pad_d:
      return "PadD" + have(pending_pad_);
    case Step::sync_req1:
      return "HASH('req1', S) after PadA (" + std::to_string(scanned_) +
             " bytes of padding so far)";
    case Step::req2:
      return "HASH('req2', SKEY)" + have(20);
    case Step::provide:
      return "crypto_provide" + have(vc_size + 6);
    case Step::pad_c:
      return "PadC" + have(pending_pad_);
    case Step::ia_length:
      return "len(IA)" + have(2);
    case Step::ia:
      return "the initial payload" + have(pending_pad_);
    case Step::finished:
      return "nothing";
  }
  return "nothing";
}

}  // namespace bitflow::peer
