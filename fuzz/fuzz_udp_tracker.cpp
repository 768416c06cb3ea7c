// libFuzzer target for the BEP 15 UDP tracker core (src/tracker/udp_*).
//
// The first input byte picks the mode, the rest is one datagram from the "tracker":
//   * decode_reply() reads it in both peer formats and for several scrape sizes; a reply
//     that decodes must keep the promises of udp_codec.hpp (transaction id from bytes
//     4..8, at most max_peers_per_response peers, none with port 0, exactly as many scrape
//     entries as asked for) and one that does not must say why;
//   * a UdpTrackerClient with an announce and a scrape in flight (before or after the
//     connect reply, per the mode) receives it, its transaction id optionally patched to
//     one the client awaits so the decoding paths are reached; then the clock runs until
//     every request has completed. Every request must complete exactly once, within the
//     retry budget, and the client must end empty.
// Any broken promise traps (a libFuzzer crash).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/tracker.hpp"
#include "tracker/udp_client.hpp"
#include "tracker/udp_codec.hpp"

namespace {

using namespace bitflow;
using namespace bitflow::tracker;
using namespace bitflow::tracker::udp;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

std::uint32_t read32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i)
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  return v;
}

void put32(std::string& bytes, std::size_t at, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<char>(static_cast<std::uint8_t>(v >> (24 - 8 * i)));
}

void check_decode(std::string_view datagram, bool ipv6, std::size_t scraped) {
  ErrorInfo error;
  auto reply = decode_reply(datagram, ipv6, scraped, error);
  if (!reply) {
    check(error.code == errc::invalid_response && !error.message.empty());
    return;
  }
  check(!error);
  check(datagram.size() >= reply_header_size && datagram.size() <= max_datagram_size);
  check(transaction_id_of(*reply) == read32(datagram, 4));
  if (const auto* announce = std::get_if<AnnounceReply>(&*reply)) {
    const auto& peers = announce->response.peers;
    check(peers.size() <= max_peers_per_response);
    for (const PeerEntry& peer : peers)
      check(peer.port != 0 && !peer.host.empty());
  } else if (const auto* scrape = std::get_if<ScrapeReply>(&*reply)) {
    check(scrape->entries.size() == scraped);
    for (const auto& e : scrape->entries)
      check(e.seeders >= 0 && e.completed >= 0 && e.leechers >= 0);
  } else if (const auto* refused = std::get_if<ErrorReply>(&*reply)) {
    check(refused->message.size() <= datagram.size() - reply_header_size);
  }
}

// An announce and a 3-torrent scrape in flight; the tracker answers the connect when
// `connected`. Then `datagram` arrives (with the transaction id of request `target`
// patched in, if any), and time runs out.
void check_client(std::string datagram, bool ipv6, bool connected, int target) {
  using namespace std::chrono_literals;
  UdpTrackerClient::Config config;
  config.base_timeout = 1s;
  config.max_retransmits = 3;
  config.ipv6 = ipv6;
  std::uint32_t next = 0x1000;
  UdpTrackerClient client(config, [&next] { return next++; });
  const auto t0 = UdpTrackerClient::TimePoint{} + 1h;

  AnnounceRequest request;
  request.port = 6881;
  std::set<std::uint64_t> pending{client.announce(request, t0).value,
                                  client.scrape({Sha1Hash{}, Sha1Hash{}, Sha1Hash{}}, t0).value};
  auto packets = client.take_datagrams();
  check(packets.size() == 1 && packets[0].size() == connect_request_size);
  std::uint32_t connect_txid = read32(packets[0], 12);
  std::uint32_t txids[2] = {connect_txid, connect_txid};
  if (connected) {
    std::string reply(16, '\0');
    put32(reply, 4, connect_txid);
    client.on_datagram(reply, t0);
    packets = client.take_datagrams();
    check(packets.size() == 2 && packets[0].size() == announce_request_size &&
          packets[1].size() == scrape_request_header_size + 3 * 20);
    txids[0] = read32(packets[0], 12);
    txids[1] = read32(packets[1], 12);
    check(txids[0] != txids[1]);
  }
  if (target >= 0 && datagram.size() >= reply_header_size) put32(datagram, 4, txids[target]);
  client.on_datagram(datagram, t0 + 1s);

  // Run the clock; the retry budget is 4 tries of at most 8 s each, and a connect reply
  // can restart the schedule only once here, so 100 steps are plenty.
  auto now = t0 + 1s;
  for (int step = 0; step < 100 && client.next_deadline(); ++step) {
    now = std::max(now, *client.next_deadline());
    client.on_timer(now);
    check(!client.next_deadline() || *client.next_deadline() > now);
    for (const std::string& packet : client.take_datagrams())
      check(packet.size() == connect_request_size || packet.size() == announce_request_size ||
            packet.size() == scrape_request_header_size + 3 * 20);
  }
  for (const Completion& done : client.take_completions()) {
    check(pending.erase(done.id.value) == 1);
    if (const auto* error = std::get_if<ErrorInfo>(&done.result))
      check(error->code && !error->message.empty());
    else if (const auto* entries = std::get_if<std::vector<ScrapeEntry>>(&done.result))
      check(entries->size() == 3);
  }
  check(pending.empty() && client.in_flight() == 0 && !client.next_deadline());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view datagram(reinterpret_cast<const char*>(data + 1), size - 1);

  for (bool ipv6 : {false, true})
    for (std::size_t scraped : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{74}})
      check_decode(datagram, ipv6, scraped);

  // mode bits: 0 = IPv6, 1 = connected, 2..3 = whose transaction id to patch in
  // (0: none, 1: the announce's, 2: the scrape's, 3: none).
  const int patch = (mode >> 2) & 3;
  check_client(std::string(datagram), (mode & 1) != 0, (mode & 2) != 0,
               patch == 1   ? 0
               : patch == 2 ? 1
                            : -1);
  return 0;
}
