// bench_picker: how fast PiecePicker::pick() is on a huge torrent with many peers.
//
// Simulates a whole download of --pieces pieces of 256 KiB (16 blocks each) from --peers
// peers: a tenth of them seeds (HAVE ALL), the others with a random share of 20-100 % of
// the pieces (so availability varies from piece to piece). Each peer keeps a pipeline of
// --queue outstanding requests: every round, each peer delivers up to --deliver of its
// oldest blocks (received, written; pieces verified when complete; endgame losers
// ignored) and pick() refills its pipeline in batches of --batch. pick() calls are timed
// on their own; the other events are timed together. Runs rarest-first (random first for
// the first 4 pieces), then sequential mode.
//
//   bench_picker [--pieces N] [--peers N] [--queue N] [--batch N] [--deliver N] [--seed N]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/piece_picker.hpp"

namespace {

using bitflow::Geometry;
using bitflow::piece::BlockRequest;
using bitflow::piece::PeerKey;
using bitflow::piece::PiecePicker;
using Clock = std::chrono::steady_clock;

struct Options {
  std::int32_t pieces = 100'000;
  int peers = 100;
  std::size_t queue = 64;
  std::size_t batch = 16;
  std::size_t deliver = 16;
  unsigned seed = 1;
};

Options parse_args(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view name = argv[i];
    long value = std::strtol(argv[i + 1], nullptr, 10);
    if (value <= 0) throw std::invalid_argument("bad value for " + std::string(name));
    if (name == "--pieces")
      opt.pieces = static_cast<std::int32_t>(value);
    else if (name == "--peers")
      opt.peers = static_cast<int>(value);
    else if (name == "--queue")
      opt.queue = static_cast<std::size_t>(value);
    else if (name == "--batch")
      opt.batch = static_cast<std::size_t>(value);
    else if (name == "--deliver")
      opt.deliver = static_cast<std::size_t>(value);
    else if (name == "--seed")
      opt.seed = static_cast<unsigned>(value);
    else
      throw std::invalid_argument("unknown option " + std::string(name));
  }
  return opt;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

struct SimPeer {
  PeerKey key;
  std::deque<bitflow::Block> queue;
};

struct Stats {
  std::size_t picks = 0;
  std::size_t blocks = 0;
  std::size_t empty_picks = 0;
  std::size_t duplicates = 0;  // endgame requests of blocks already requested elsewhere
  std::size_t wasted = 0;      // endgame losers that arrived before the download ended
  std::size_t max_partials = 0;
  Clock::duration pick_time{};
  Clock::duration event_time{};
  Clock::duration join_time{};
};

std::string make_bitfield(std::int32_t pieces, double share, std::mt19937& rng) {
  std::string bits(static_cast<std::size_t>((pieces + 7) / 8), '\0');
  std::bernoulli_distribution has(share);
  for (std::int32_t p = 0; p < pieces; ++p)
    if (has(rng)) {
      auto& byte = bits[static_cast<std::size_t>(p / 8)];
      byte = static_cast<char>(static_cast<unsigned char>(byte) | (0x80U >> (p % 8)));
    }
  return bits;
}

Stats run(const Options& opt, bool sequential) {
  constexpr std::int64_t piece_length = 256 * 1024;
  PiecePicker picker(Geometry(piece_length, {std::int64_t{opt.pieces} * piece_length - 1000}));
  picker.set_sequential(sequential);
  std::mt19937 rng(opt.seed);
  std::mt19937 world(opt.seed + 1000);
  Stats stats;

  std::vector<SimPeer> peers;
  std::uniform_real_distribution<double> share(0.2, 1.0);
  std::vector<std::string> bitfields;
  for (int i = 0; i < opt.peers; ++i)
    bitfields.push_back(i % 10 == 0 ? std::string()
                                    : make_bitfield(opt.pieces, share(world), world));
  auto t0 = Clock::now();
  for (int i = 0; i < opt.peers; ++i) {
    PeerKey key = picker.add_peer();
    if (bitfields[static_cast<std::size_t>(i)].empty())
      picker.peer_have_all(key);
    else if (!picker.peer_bitfield(key, bitfields[static_cast<std::size_t>(i)]))
      throw std::logic_error("bitfield refused");
    peers.push_back({key, {}});
  }
  stats.join_time = Clock::now() - t0;

  while (!picker.is_finished()) {
    std::size_t progress = 0;
    for (SimPeer& peer : peers) {
      auto e0 = Clock::now();
      for (std::size_t d = 0; d < opt.deliver && !peer.queue.empty(); ++d) {
        bitflow::Block block = peer.queue.front();
        peer.queue.pop_front();
        auto got = picker.mark_block_received(block, peer.key);
        if (!got.wanted) {
          ++stats.wasted;
          continue;
        }
        ++progress;
        if (!picker.mark_block_written(block)) throw std::logic_error("block not received");
        if (picker.is_piece_written(block.piece)) picker.piece_verified(block.piece);
      }
      auto p0 = Clock::now();
      stats.event_time += p0 - e0;
      while (peer.queue.size() < opt.queue) {
        std::size_t want = std::min(opt.batch, opt.queue - peer.queue.size());
        std::vector<BlockRequest> picked = picker.pick(peer.key, want, rng);
        ++stats.picks;
        if (picked.empty()) {
          ++stats.empty_picks;
          break;
        }
        stats.blocks += picked.size();
        progress += picked.size();
        for (const BlockRequest& r : picked) {
          peer.queue.push_back(r.block);
          if (picker.num_requests(r.block) > 1) ++stats.duplicates;
        }
      }
      stats.pick_time += Clock::now() - p0;
      stats.max_partials = std::max(stats.max_partials, picker.num_partial_pieces());
    }
    if (progress == 0) throw std::logic_error("the simulated download stalled");
  }
  return stats;
}

void report(const char* mode, const Options& opt, const Stats& s) {
  double pick_s = seconds(s.pick_time);
  std::printf(
      "%s: %.0f picks/s, %.2f M blocks/s picked (%zu picks, %zu blocks, %zu empty, "
      "%.3f s in pick, %.2f us/pick)\n",
      mode, static_cast<double>(s.picks) / pick_s, static_cast<double>(s.blocks) / pick_s / 1e6,
      s.picks, s.blocks, s.empty_picks, pick_s, pick_s * 1e6 / static_cast<double>(s.picks));
  std::printf(
      "%s: other events %.3f s (received/written/verified), %zu endgame duplicate requests, "
      "%zu losing copies dropped, up to %zu partial pieces, %d peers joined in %.3f s\n",
      mode, seconds(s.event_time), s.duplicates, s.wasted, s.max_partials, opt.peers,
      seconds(s.join_time));
}

}  // namespace

int main(int argc, char** argv) try {
  Options opt = parse_args(argc, argv);
  std::printf(
      "torrent: %d pieces of 256 KiB (16 blocks), %d peers (1 in 10 a seed), "
      "pipeline %zu blocks, batch %zu, %zu delivered per peer per round\n",
      opt.pieces, opt.peers, opt.queue, opt.batch, opt.deliver);
  report("rarest-first", opt, run(opt, false));
  report("sequential", opt, run(opt, true));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_picker: %s\n", e.what());
  return 1;
}
