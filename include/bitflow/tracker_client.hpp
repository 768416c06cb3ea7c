// bitflow/tracker_client.hpp — announcing to and scraping trackers over the network:
// http(s):// trackers through libcurl (one multi handle on your io_context), udp://
// trackers through Asio (BEP 15, with retransmission and connection-id reuse).
//
// Threading: a TrackerClient belongs to one io_context, which must be run by exactly one
// thread; create, use and destroy the client on that thread. Every call is a coroutine:
// co_await it from a coroutine on the same io_context. Failures are thrown as
// bitflow::Error with tracker::errc codes; cancelling the awaiting operation (per-
// operation cancellation, e.g. `co_await (announce(...) || timer)`) abandons the request.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitflow/tracker.hpp"
#include "bitflow/version.hpp"

namespace bitflow::tracker {

struct ClientOptions {
  /// Whole-request deadline for HTTP trackers.
  std::chrono::milliseconds http_timeout{30'000};
  /// BEP 15: the n-th try waits base·2^n (15 s by the spec; smaller in tests).
  std::chrono::milliseconds udp_base_timeout{15'000};
  /// BEP 15: tries after the first before giving up (8 by the spec).
  int udp_max_retransmits = 8;
  /// HTTP redirects followed.
  long max_redirects = 5;
  /// A libcurl proxy for HTTP trackers ("http://host:port", "socks5h://host:port").
  std::optional<std::string> proxy;
  std::string user_agent = bitflow::user_agent;
};

class TrackerClient {
 public:
  explicit TrackerClient(boost::asio::io_context& io, ClientOptions options = {});
  ~TrackerClient();
  TrackerClient(const TrackerClient&) = delete;
  TrackerClient& operator=(const TrackerClient&) = delete;

  /// The executor of the io_context the client lives on.
  [[nodiscard]] boost::asio::any_io_executor get_executor() const noexcept;

  /// Announces to `url` (http://, https:// or udp://host:port).
  boost::asio::awaitable<AnnounceResponse> announce(std::string url, AnnounceRequest request);
  /// Scrapes `url` for the given torrents (HTTP through the BEP 48 URL convention,
  /// errc::no_scrape_url when it does not apply; UDP natively, at most 74 per call).
  boost::asio::awaitable<std::vector<ScrapeEntry>> scrape(std::string url,
                                                          std::vector<Sha1Hash> info_hashes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitflow::tracker
