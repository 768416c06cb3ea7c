// libFuzzer target for the BEP 10 extension payloads (bitflow/extension.hpp) and the
// metadata assembler (bitflow/metadata_assembler.hpp).
//
// Input: one payload, given to all three decoders (extended handshake, ut_metadata,
// ut_pex). Whatever a decoder accepts must keep the codec's promises: it re-encodes to
// bytes that decode to an equal value (for ut_pex: equal up to the 50-per-list cap of the
// encoder), views point into the input, and every field lies inside the documented
// limits. What it refuses must carry an extension error code and a message. A decoded
// ut_metadata data message is also fed to a MetadataAssembler, which must accept it
// exactly when it is a plausible piece. Any broken promise traps.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/extension.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/metadata_assembler.hpp"

namespace {

using namespace bitflow;
using namespace bitflow::peer;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_refusal(const ErrorInfo& error) {
  check(error.code.category() == extension_category() && !error.message.empty());
}

void handshake(std::string_view input) {
  ErrorInfo error;
  auto h = decode_extension_handshake(input, error);
  if (!h) return check_refusal(error);
  check(h->m.size() <= max_extensions);
  check(!h->p || *h->p != 0);
  check(!h->reqq || *h->reqq != 0);
  check(!h->metadata_size || (*h->metadata_size >= 1 && *h->metadata_size <= max_metadata_size));
  check(!h->ipv4 || !h->ipv4->v6);
  check(!h->ipv6 || h->ipv6->v6);
  const std::string encoded = encode_extension_handshake(*h);
  auto again = decode_extension_handshake(encoded, error);
  check(again && *again == *h);
  check(encode_extension_handshake(*again) == encoded);
}

void metadata(std::string_view input) {
  ErrorInfo error;
  auto m = decode_metadata_message(input, error);
  if (!m) return check_refusal(error);
  const std::string encoded = encode_metadata_message(*m);
  auto again = decode_metadata_message(encoded, error);
  check(again && *again == *m);
  const auto* d = std::get_if<MetadataData>(&*m);
  if (!d) return;
  check(d->piece >= 0 && d->piece < max_metadata_pieces);
  check(d->total_size >= 1 && d->total_size <= max_metadata_size);
  check(static_cast<std::int64_t>(d->data.size()) ==
        metadata_piece_length(d->piece, d->total_size));
  check(d->data.data() + d->data.size() == input.data() + input.size());

  MetadataAssembler assembler(sha1(d->data), max_metadata_size);
  const MetadataResult result =
      assembler.on_data(MetadataPeer{1}, d->piece, d->total_size, d->data);
  const bool only_piece = d->piece == 0 && d->total_size <= metadata_piece_size;
  check(result == (only_piece ? MetadataResult::complete : MetadataResult::accepted));
  check(assembler.on_data(MetadataPeer{2}, d->piece, d->total_size, d->data) ==
        MetadataResult::duplicate);
  if (only_piece) check(assembler.take_metadata() == d->data);
}

void pex(std::string_view input) {
  ErrorInfo error;
  auto p = decode_pex(input, error);
  if (!p) return check_refusal(error);
  check(p->added.size() <= max_pex_peers_decoded && p->dropped.size() <= max_pex_peers_decoded);
  for (const PexPeer& peer : p->dropped)
    check(peer.flags == 0 && peer.port != 0);
  for (const PexPeer& peer : p->added)
    check(peer.port != 0);
  PexMessage capped = *p;
  if (capped.added.size() > max_pex_peers_sent) capped.added.resize(max_pex_peers_sent);
  if (capped.dropped.size() > max_pex_peers_sent) capped.dropped.resize(max_pex_peers_sent);
  auto again = decode_pex(encode_pex(*p), error);
  check(again && *again == capped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  handshake(input);
  metadata(input);
  pex(input);
  return 0;
}
