// `bitflow announce`: announce to (and optionally scrape) every tracker of a torrent or
// magnet link and print what each one says — the tracker debugging tool.
//
// Every tracker is asked at once; each request has its own deadline (--timeout). Exit
// status 0 when at least one tracker answered, 1 when none did.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "args.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/tracker_client.hpp"
#include "bitflow/with_timeout.hpp"
#include "commands.hpp"

namespace cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using bitflow::tracker::AnnounceRequest;
using bitflow::tracker::AnnounceResponse;
using bitflow::tracker::ScrapeEntry;

struct Source {
  bitflow::Sha1Hash info_hash;
  std::int64_t total_size = 0;
  std::vector<std::string> trackers;
};

Source read_source(const std::string& text) {
  Source s;
  if (bitflow::is_magnet_uri(text)) {
    auto magnet = bitflow::Magnet::parse(text);
    if (!magnet.info_hash)
      throw UsageError("this magnet link has only a v2 info-hash; trackers need a v1 one");
    s.info_hash = *magnet.info_hash;
    s.total_size = magnet.exact_length.value_or(0);
    s.trackers = magnet.trackers;
    return s;
  }
  auto torrent = bitflow::TorrentInfo::load(text);
  s.info_hash = torrent.info_hash();
  s.total_size = torrent.total_size();
  for (const auto& tier : torrent.trackers())
    s.trackers.insert(s.trackers.end(), tier.begin(), tier.end());
  return s;
}

bitflow::PeerId parse_peer_id(const std::string& text) {
  bitflow::PeerId id;
  std::optional<bitflow::Sha1Hash> bytes;  // any 20 bytes; a digest type parses the hex
  if (text.size() == 40) bytes = bitflow::Sha1Hash::from_hex(text);
  if (!bytes && text.size() == 20) bytes = bitflow::Sha1Hash::from_bytes(text);
  if (!bytes) throw UsageError("--peer-id wants 40 hex digits or 20 characters");
  id.bytes = bytes->bytes;
  return id;
}

bitflow::tracker::Event parse_event(const std::string& text) {
  using bitflow::tracker::Event;
  if (text == "started") return Event::started;
  if (text == "completed") return Event::completed;
  if (text == "stopped") return Event::stopped;
  if (text == "none") return Event::none;
  throw UsageError("--event must be started, completed, stopped or none");
}

std::int64_t parse_count(const std::optional<std::string>& text, std::int64_t fallback,
                         const char* option) {
  if (!text) return fallback;
  char* end = nullptr;
  long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || v < 0)
    throw UsageError(std::string("--") + option + " wants a number >= 0");
  return v;
}

// What one tracker said.
struct Outcome {
  std::string url;
  std::optional<AnnounceResponse> announce;
  std::optional<ScrapeEntry> scrape;
  std::string error;
  std::string scrape_error;
};

// Runs `op` with a deadline; when the time runs out, `op` is cancelled.
template <typename T>
asio::awaitable<T> with_deadline(asio::awaitable<T> op, std::chrono::milliseconds limit,
                                 const std::string& url) {
  auto result = co_await bitflow::with_timeout(std::move(op), limit);
  if (!result)
    throw bitflow::Error(bitflow::tracker::errc::timed_out,
                         url + ": no answer within " + std::to_string(limit.count() / 1000) + " s");
  co_return std::move(*result);
}

asio::awaitable<void> ask(bitflow::tracker::TrackerClient& client, Outcome& out,
                          AnnounceRequest request, bool scrape, std::chrono::milliseconds limit) {
  try {
    out.announce = co_await with_deadline(client.announce(out.url, request), limit, out.url);
  } catch (const bitflow::Error& e) {
    out.error = e.what();
  }
  if (!scrape) co_return;
  try {
    std::vector<bitflow::Sha1Hash> hashes{request.info_hash};  // (g++ 12: no braces in co_await)
    auto entries = co_await with_deadline(client.scrape(out.url, hashes), limit, out.url);
    for (const auto& e : entries)
      if (e.info_hash == request.info_hash) out.scrape = e;
    if (!out.scrape) out.scrape_error = out.url + ": scrape reply does not list this torrent";
  } catch (const bitflow::Error& e) {
    out.scrape_error = e.what();
  }
}

json::value optional_number(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

json::value to_json(const bitflow::Sha1Hash& hash, const std::vector<Outcome>& outcomes) {
  json::array trackers;
  for (const auto& o : outcomes) {
    json::object t;
    t["url"] = o.url;
    t["ok"] = o.announce.has_value();
    t["error"] = o.error.empty() ? json::value(nullptr) : json::value(o.error);
    const AnnounceResponse* a = o.announce ? &*o.announce : nullptr;
    t["interval"] = a ? json::value(a->interval.count()) : json::value(nullptr);
    t["min_interval"] = a && a->min_interval ? json::value(a->min_interval->count()) : nullptr;
    t["seeders"] = a ? optional_number(a->seeders) : json::value(nullptr);
    t["leechers"] = a ? optional_number(a->leechers) : json::value(nullptr);
    t["warning"] = a && a->warning ? json::value(*a->warning) : nullptr;
    t["tracker_id"] = a && a->tracker_id ? json::value(*a->tracker_id) : nullptr;
    json::array peers;
    if (a)
      for (const auto& p : a->peers)
        peers.push_back(json::object{{"host", p.host}, {"port", p.port}});
    t["peers"] = std::move(peers);
    t["scrape"] = o.scrape ? json::value(json::object{{"seeders", o.scrape->seeders},
                                                      {"completed", o.scrape->completed},
                                                      {"leechers", o.scrape->leechers}})
                           : json::value(nullptr);
    if (!o.scrape_error.empty()) t["scrape_error"] = o.scrape_error;
    trackers.push_back(std::move(t));
  }
  return json::object{{"info_hash", hash.hex()}, {"trackers", std::move(trackers)}};
}

void print_text(const std::vector<Outcome>& outcomes) {
  for (const auto& o : outcomes) {
    std::printf("tracker: %s\n", o.url.c_str());
    if (const auto& a = o.announce) {
      std::printf("  interval: %lld s", static_cast<long long>(a->interval.count()));
      if (a->min_interval)
        std::printf(" (min %lld s)", static_cast<long long>(a->min_interval->count()));
      std::printf("\n");
      if (a->seeders || a->leechers)
        std::printf("  seeders: %lld  leechers: %lld\n",
                    static_cast<long long>(a->seeders.value_or(0)),
                    static_cast<long long>(a->leechers.value_or(0)));
      if (a->warning) std::printf("  warning: %s\n", a->warning->c_str());
      std::printf("  peers: %zu\n", a->peers.size());
      for (const auto& p : a->peers) {
        bool v6 = p.host.find(':') != std::string::npos;
        std::printf("    %s%s%s:%u\n", v6 ? "[" : "", p.host.c_str(), v6 ? "]" : "", p.port);
      }
    }
    if (const auto& s = o.scrape)
      std::printf("  scrape: %lld seeders, %lld leechers, %lld completed\n",
                  static_cast<long long>(s->seeders), static_cast<long long>(s->leechers),
                  static_cast<long long>(s->completed));
  }
}

}  // namespace

int run_announce(const std::vector<std::string>& argv) {
  Args args(argv, {"scrape", "json"},
            {"tracker", "port", "event", "peer-id", "numwant", "left", "uploaded", "downloaded",
             "timeout"},
            {{'t', "tracker"}});
  if (args.positional().size() != 1)
    throw UsageError(
        "usage: bitflow announce <file.torrent | magnet-uri> [--tracker URL]... "
        "[--scrape] [--json] [--port N] [--event E] [--peer-id ID] [--numwant N] "
        "[--left N] [--uploaded N] [--downloaded N] [--timeout SECONDS]");
  Source source = read_source(args.positional()[0]);
  if (auto trackers = args.values("tracker"); !trackers.empty()) source.trackers = trackers;
  if (source.trackers.empty()) throw UsageError("no trackers: give one with --tracker URL");

  AnnounceRequest request;
  request.info_hash = source.info_hash;
  request.peer_id =
      args.value("peer-id") ? parse_peer_id(*args.value("peer-id")) : bitflow::PeerId::generate();
  auto port = parse_count(args.value("port"), 6881, "port");
  if (port < 1 || port > 65535) throw UsageError("--port wants 1 to 65535");
  request.port = static_cast<std::uint16_t>(port);
  request.event = parse_event(args.value("event").value_or("started"));
  request.num_want = static_cast<std::int32_t>(
      std::min<std::int64_t>(parse_count(args.value("numwant"), 50, "numwant"), 1000));
  request.left = parse_count(args.value("left"), source.total_size, "left");
  request.uploaded = parse_count(args.value("uploaded"), 0, "uploaded");
  request.downloaded = parse_count(args.value("downloaded"), 0, "downloaded");
  request.key = request.peer_id.bytes[19] * 0x01000193u ^ request.peer_id.bytes[18];
  std::chrono::milliseconds limit{parse_count(args.value("timeout"), 30, "timeout") * 1000};

  bitflow::tracker::ClientOptions options;
  options.http_timeout = limit;
  // Tests shorten the BEP 15 retransmission schedule through the environment.
  if (const char* base = std::getenv("BITFLOW_UDP_TIMEOUT_BASE_MS"))
    options.udp_base_timeout = std::chrono::milliseconds(std::max(1L, std::atol(base)));

  asio::io_context io;
  bitflow::tracker::TrackerClient client(io, options);
  std::vector<Outcome> outcomes(source.trackers.size());
  std::size_t pending = outcomes.size();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].url = source.trackers[i];
    // The client keeps sockets open for later announces; stop once every tracker is done.
    asio::co_spawn(io, ask(client, outcomes[i], request, args.flag("scrape"), limit),
                   [&](std::exception_ptr) {
                     if (--pending == 0) io.stop();
                   });
  }
  io.run();

  if (args.flag("json"))
    std::cout << json::serialize(to_json(source.info_hash, outcomes)) << '\n';
  else
    print_text(outcomes);
  bool any = false;
  for (const auto& o : outcomes) {
    if (!o.error.empty()) std::fprintf(stderr, "bitflow: %s\n", o.error.c_str());
    if (!o.scrape_error.empty()) std::fprintf(stderr, "bitflow: %s\n", o.scrape_error.c_str());
    any = any || o.announce.has_value();
  }
  return any ? 0 : 1;
}

}  // namespace cli
