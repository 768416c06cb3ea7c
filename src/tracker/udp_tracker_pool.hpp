// UdpTrackerPool — the Asio shell around the sans-I/O UdpTrackerClient: one UDP socket,
// one receive loop and one retransmission timer per tracker endpoint, shared by every
// announce and scrape to that endpoint (so the BEP 15 connection id is reused).
//
// Threading: the io_context's one thread. Endpoints live in shared_ptrs held by their
// own loops, so destroying the pool closes sockets and lets pending loops wind down
// without touching freed memory. Internal to bitflow.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bitflow/tracker.hpp"

namespace bitflow::tracker {

/// host and port of a "udp://host:port[/anything]" URL; nullopt when malformed.
struct UdpUrl {
  std::string host;
  std::string port;
};
[[nodiscard]] std::optional<UdpUrl> parse_udp_url(std::string_view url);

class UdpTrackerPool {
 public:
  struct Options {
    std::chrono::milliseconds base_timeout{15'000};
    int max_retransmits = 8;
  };

  UdpTrackerPool(boost::asio::io_context& io, Options options);
  ~UdpTrackerPool();

  /// Throw bitflow::Error (tracker::errc) on failure, like TrackerClient.
  boost::asio::awaitable<AnnounceResponse> announce(const std::string& url,
                                                    const AnnounceRequest& request);
  boost::asio::awaitable<std::vector<ScrapeEntry>> scrape(const std::string& url,
                                                          std::vector<Sha1Hash> info_hashes);

 private:
  struct Endpoint;
  boost::asio::awaitable<std::shared_ptr<Endpoint>> endpoint_for(const std::string& url);

  boost::asio::io_context& io_;
  Options options_;
  std::map<std::string, std::shared_ptr<Endpoint>> endpoints_;  // by "host:port"
};

}  // namespace bitflow::tracker
