// libFuzzer target for the HTTP tracker codec (bitflow/tracker.hpp).
//
// The input is one tracker reply body, given to parse_announce_response and
// parse_scrape_response. A reply that parses must keep the header's promises (at most
// max_peers_per_response peers, none with port 0 or an empty host, no negative interval or
// count, no error reported); one that does not must say why. The same bytes, read as a
// tracker URL, go through scrape_url_for and build_announce_url, which must only ever
// substitute 'scrape' for 'announce' and append to the URL. Any broken promise traps.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"
#include "bitflow/tracker.hpp"

namespace {

using namespace bitflow;
using namespace bitflow::tracker;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_announce(std::string_view body) {
  ErrorInfo error;
  auto reply = parse_announce_response(body, error);
  if (!reply) {
    check(error && !error.message.empty());
    return;
  }
  check(!error);
  check(reply->peers.size() <= max_peers_per_response);
  for (const PeerEntry& peer : reply->peers)
    check(peer.port != 0 && !peer.host.empty());
  check(reply->interval >= std::chrono::seconds(0));
  check(!reply->min_interval || *reply->min_interval >= std::chrono::seconds(0));
  check(!reply->seeders || *reply->seeders >= 0);
  check(!reply->leechers || *reply->leechers >= 0);
}

void check_scrape(std::string_view body) {
  ErrorInfo error;
  auto entries = parse_scrape_response(body, error);
  if (!entries) {
    check(error && !error.message.empty());
    return;
  }
  check(!error);
  check(entries->size() <= max_peers_per_response);
  for (const ScrapeEntry& e : *entries)
    check(e.seeders >= 0 && e.completed >= 0 && e.leechers >= 0);
}

void check_urls(std::string_view url) {
  if (auto scrape = scrape_url_for(url)) {
    check(scrape->size() + 2 == url.size());  // "announce" -> "scrape"
    check(scrape->find("scrape") != std::string::npos);
  }
  AnnounceRequest request;
  request.event = Event::started;
  std::string announce = build_announce_url(url, request);
  check(announce.starts_with(url) && announce.size() > url.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  check_announce(body);
  check_scrape(body);
  if (size <= 4096) check_urls(body);
  return 0;
}
