// TrackerClient: routes each announce or scrape to the HTTP shell (libcurl through the
// CurlReactor) or the UDP shell (UdpTrackerPool), and turns every failure into a
// bitflow::Error with a tracker::errc code and a message that names the tracker.
//
// Threading: everything runs on the one io_context thread that owns the client.
#include "bitflow/tracker_client.hpp"

#include <boost/asio/use_awaitable.hpp>

#include "net/curl_reactor.hpp"
#include "tracker/udp_tracker_pool.hpp"

namespace bitflow::tracker {

namespace asio = boost::asio;

namespace {

[[noreturn]] void raise(errc code, const std::string& url, const std::string& what) {
  throw Error(make_error_code(code), url + ": " + what);
}

[[noreturn]] void raise(const ErrorInfo& error, const std::string& url) {
  throw Error(error.code, url + ": " + error.message);
}

// A transfer-level failure as a tracker error.
[[noreturn]] void raise_transfer_error(const ErrorInfo& error) {
  errc code = errc::network_error;
  if (error.code == net::errc::timed_out) code = errc::timed_out;
  if (error.code == net::errc::body_too_large) code = errc::response_too_large;
  if (error.code == net::errc::cancelled) code = errc::cancelled;
  throw Error(make_error_code(code), error.message);
}

bool is_http(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

}  // namespace

struct TrackerClient::Impl {
  Impl(asio::io_context& io, ClientOptions opts)
      : executor(io.get_executor()),
        options(std::move(opts)),
        curl(io),
        udp(io, UdpTrackerPool::Options{options.udp_base_timeout, options.udp_max_retransmits}) {}

  // GETs `url` and returns the body of a 200 reply; a non-200 reply whose body carries a
  // tracker "failure reason" is reported as that failure.
  asio::awaitable<std::string> http_get(const std::string& tracker, std::string url) {
    net::HttpRequest request;
    request.url = std::move(url);
    request.timeout = options.http_timeout;
    request.connect_timeout = std::min(options.http_timeout, std::chrono::milliseconds(10'000));
    request.max_redirects = options.max_redirects;
    request.max_body = max_response_bytes;
    request.proxy = options.proxy;
    request.user_agent = options.user_agent;
    auto [error, response] = co_await curl.async_fetch(std::move(request), asio::use_awaitable);
    if (error) raise_transfer_error(error);
    if (response.status != 200) {
      ErrorInfo parsed;
      if (!parse_announce_response(response.body, parsed) && parsed.code == errc::tracker_failure)
        raise(parsed, tracker);
      raise(errc::http_status, tracker, "HTTP status " + std::to_string(response.status));
    }
    co_return std::move(response.body);
  }

  asio::any_io_executor executor;
  ClientOptions options;
  net::CurlReactor curl;
  UdpTrackerPool udp;
};

TrackerClient::TrackerClient(asio::io_context& io, ClientOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(options))) {}

TrackerClient::~TrackerClient() = default;

asio::any_io_executor TrackerClient::get_executor() const noexcept {
  return impl_->executor;
}

asio::awaitable<AnnounceResponse> TrackerClient::announce(std::string url,
                                                          AnnounceRequest request) {
  if (url.starts_with("udp://")) co_return co_await impl_->udp.announce(url, request);
  if (!is_http(url)) raise(errc::unsupported_url, url, "not an http, https or udp tracker");
  std::string body = co_await impl_->http_get(url, build_announce_url(url, request));
  ErrorInfo error;
  auto response = parse_announce_response(body, error);
  if (!response) raise(error, url);
  co_return std::move(*response);
}

asio::awaitable<std::vector<ScrapeEntry>> TrackerClient::scrape(std::string url,
                                                                std::vector<Sha1Hash> hashes) {
  if (url.starts_with("udp://")) co_return co_await impl_->udp.scrape(url, std::move(hashes));
  if (!is_http(url)) raise(errc::unsupported_url, url, "not an http, https or udp tracker");
  auto scrape_url = scrape_url_for(url);
  if (!scrape_url)
    raise(errc::no_scrape_url, url, "the announce URL does not end in 'announce' (BEP 48)");
  std::string body = co_await impl_->http_get(url, build_scrape_url(*scrape_url, hashes));
  ErrorInfo error;
  auto entries = parse_scrape_response(body, error);
  if (!entries) raise(error, url);
  co_return std::move(*entries);
}

}  // namespace bitflow::tracker
