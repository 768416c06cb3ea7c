// UdpTrackerPool: sockets, timers and coroutines around udp::UdpTrackerClient.
//
// Per endpoint: one socket, one receive loop, one timer armed for the client's next
// deadline, and a waiter (a steady_timer used as a wake-up signal) per request. After
// every step the endpoint "pumps": sends what the client queued, hands out completions,
// re-arms the timer. Datagrams from any address but the tracker's are dropped.
#include "tracker/udp_tracker_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "tracker/udp_client.hpp"

namespace bitflow::tracker {

namespace asio = boost::asio;
using Udp = asio::ip::udp;  // (tracker::udp is the sans-I/O core)
using Clock = std::chrono::steady_clock;

std::optional<UdpUrl> parse_udp_url(std::string_view url) {
  if (!url.starts_with("udp://")) return std::nullopt;
  std::string_view rest = url.substr(6);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  UdpUrl out;
  std::size_t colon;
  if (rest.starts_with('[')) {  // [v6 address]:port
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return std::nullopt;
    out.host = std::string(rest.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = rest.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    out.host = std::string(rest.substr(0, colon));
  }
  out.port = std::string(rest.substr(colon + 1));
  if (out.host.empty() || out.port.empty() || out.port.size() > 5 ||
      out.port.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return out;
}

namespace {
// Transaction ids must be unpredictable to off-path attackers spoofing replies.
std::uint32_t random_transaction_id() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::uint32_t>(rng());
}
}  // namespace

struct UdpTrackerPool::Endpoint : std::enable_shared_from_this<Endpoint> {
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& ex) : signal(ex, Clock::time_point::max()) {}
    asio::steady_timer signal;  // cancelled to wake the awaiting coroutine
    std::optional<udp::Completion> result;
  };

  Endpoint(asio::io_context& io, std::string url_text, Udp::endpoint to,
           UdpTrackerPool::Options options)
      : url(std::move(url_text)),
        target(to),
        socket(io, to.protocol()),
        timer(io),
        client(udp::UdpTrackerClient::Config{options.base_timeout, options.max_retransmits,
                                             to.address().is_v6()},
               random_transaction_id) {
    socket.non_blocking(true);
  }

  void start() {
    asio::co_spawn(socket.get_executor(), receive_loop(shared_from_this()), asio::detached);
  }

  void close() {
    closed = true;
    boost::system::error_code ignored;
    socket.close(ignored);
    timer.cancel();
    for (auto& [id, waiter] : waiters)
      waiter->signal.cancel();
  }

  static asio::awaitable<void> receive_loop(std::shared_ptr<Endpoint> self) {
    std::vector<char> buffer(65536);  // the largest UDP payload
    while (!self->closed) {
      Udp::endpoint from;
      auto [ec, n] = co_await self->socket.async_receive_from(asio::buffer(buffer), from,
                                                              asio::as_tuple(asio::use_awaitable));
      if (self->closed || ec == asio::error::operation_aborted) co_return;
      if (ec) continue;  // e.g. ICMP port unreachable: retransmission will tell
      if (from != self->target) continue;
      self->client.on_datagram(std::string_view(buffer.data(), n), Clock::now());
      self->pump();
    }
  }

  // Sends queued packets, wakes finished requests, re-arms the retransmission timer.
  void pump() {
    for (const std::string& datagram : client.take_datagrams()) {
      boost::system::error_code ec;  // a lost datagram is recovered by retransmission
      socket.send_to(asio::buffer(datagram), target, 0, ec);
    }
    for (auto& completion : client.take_completions()) {
      auto it = waiters.find(completion.id.value);
      if (it == waiters.end()) continue;
      it->second->result = std::move(completion);
      it->second->signal.cancel();
    }
    arm_timer();
  }

  void arm_timer() {
    auto deadline = client.next_deadline();
    if (!deadline || (armed_for && *armed_for == *deadline)) return;
    armed_for = deadline;
    timer.expires_at(*deadline);
    timer.async_wait([self = shared_from_this()](std::error_code ec) {
      if (ec || self->closed) return;
      self->armed_for.reset();
      self->client.on_timer(Clock::now());
      self->pump();
    });
  }

  // Waits for request `id` to complete; cancelling the awaiting operation cancels it.
  asio::awaitable<udp::Completion> wait_for(udp::RequestId id) {
    auto self = shared_from_this();
    auto waiter = std::make_shared<Waiter>(socket.get_executor());
    waiters.emplace(id.value, waiter);
    pump();
    while (!waiter->result && !closed) {
      // Woken by cancel() when the result is in, or by the caller's cancellation.
      (void)co_await waiter->signal.async_wait(asio::as_tuple(asio::use_awaitable));
      auto state = co_await asio::this_coro::cancellation_state;
      if (!waiter->result && state.cancelled() != asio::cancellation_type::none) {
        client.cancel(id);
        waiters.erase(id.value);
        pump();
        throw Error(make_error_code(errc::cancelled), url + ": cancelled");
      }
    }
    waiters.erase(id.value);
    if (!waiter->result) throw Error(make_error_code(errc::cancelled), url + ": cancelled");
    co_return std::move(*waiter->result);
  }

  std::string url;
  Udp::endpoint target;
  Udp::socket socket;
  asio::steady_timer timer;
  std::optional<Clock::time_point> armed_for;
  udp::UdpTrackerClient client;
  std::map<std::uint64_t, std::shared_ptr<Waiter>> waiters;
  bool closed = false;
};

UdpTrackerPool::UdpTrackerPool(asio::io_context& io, Options options)
    : io_(io), options_(options) {}

UdpTrackerPool::~UdpTrackerPool() {
  for (auto& [key, endpoint] : endpoints_)
    endpoint->close();
}

asio::awaitable<std::shared_ptr<UdpTrackerPool::Endpoint>> UdpTrackerPool::endpoint_for(
    const std::string& url) {
  auto parts = parse_udp_url(url);
  if (!parts)
    throw Error(make_error_code(errc::unsupported_url), url + ": not a udp://host:port URL");
  std::string key = parts->host + ":" + parts->port;
  if (auto it = endpoints_.find(key); it != endpoints_.end()) co_return it->second;
  Udp::resolver resolver(io_);
  auto [ec, results] = co_await resolver.async_resolve(parts->host, parts->port,
                                                       asio::as_tuple(asio::use_awaitable));
  if (ec || results.empty())
    throw Error(make_error_code(errc::network_error),
                url + ": cannot resolve '" + parts->host + "': " + ec.message());
  // Another coroutine may have finished resolving the same tracker meanwhile.
  if (auto it = endpoints_.find(key); it != endpoints_.end()) co_return it->second;
  auto endpoint = std::make_shared<Endpoint>(io_, url, results.begin()->endpoint(), options_);
  endpoint->start();
  endpoints_.emplace(key, endpoint);
  co_return endpoint;
}

namespace {
[[noreturn]] void raise_failure(const ErrorInfo& error, const std::string& url) {
  throw Error(error.code, url + ": " + error.message);
}
}  // namespace

asio::awaitable<AnnounceResponse> UdpTrackerPool::announce(const std::string& url,
                                                           const AnnounceRequest& request) {
  auto endpoint = co_await endpoint_for(url);
  auto id = endpoint->client.announce(request, Clock::now());
  auto completion = co_await endpoint->wait_for(id);
  if (auto* error = std::get_if<ErrorInfo>(&completion.result)) raise_failure(*error, url);
  co_return std::get<AnnounceResponse>(std::move(completion.result));
}

asio::awaitable<std::vector<ScrapeEntry>> UdpTrackerPool::scrape(const std::string& url,
                                                                 std::vector<Sha1Hash> hashes) {
  auto endpoint = co_await endpoint_for(url);
  auto id = endpoint->client.scrape(std::move(hashes), Clock::now());
  auto completion = co_await endpoint->wait_for(id);
  if (auto* error = std::get_if<ErrorInfo>(&completion.result)) raise_failure(*error, url);
  co_return std::get<std::vector<ScrapeEntry>>(std::move(completion.result));
}

}  // namespace bitflow::tracker
