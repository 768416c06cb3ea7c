// bitflowd's socket loop: Beast on the io_context, thin on purpose. Everything a request
// means is decided by Api::handle (daemon/api.cpp); this file only reads requests under
// deadlines and caps, writes answers, waits for inspections, and streams events.
//
// Invariants: one coroutine per connection, all on the io_context's thread, so the event
// subscribers and counters need no locks; every read and write has a deadline (Beast's
// tcp_stream expiry); every queue is bounded (an event stream that falls
// max_stream_backlog behind is closed, its client replays with Last-Event-ID).
#include "daemon/http_server.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <list>

#include "bitflow/manager_json.hpp"
#include "daemon/event_window.hpp"

namespace bitflow::daemon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

std::string str(beast::string_view s) {
  return std::string(s.data(), s.size());
}

std::uint64_t boot_id() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// One open GET /events stream: what is queued for it, and the timer its coroutine sleeps
// on (cancelled to wake it).
struct Subscriber {
  explicit Subscriber(asio::any_io_executor ex) : wake(std::move(ex)) {}
  std::string owner;
  std::deque<std::string> pending;
  asio::steady_timer wake;
  bool closed = false;
};

// Counts a connection while it is open.
struct OpenCount {
  explicit OpenCount(std::int64_t& n) : n_(n) { ++n_; }
  ~OpenCount() { --n_; }
  OpenCount(const OpenCount&) = delete;
  OpenCount& operator=(const OpenCount&) = delete;
  std::int64_t& n_;
};

http::response<http::string_body> to_beast(const Response& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res;
  res.version(version);
  res.result(r.status);
  res.set(http::field::server, "bitflowd");
  res.set(http::field::content_type, r.content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers)
    res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  return res;
}

Request from_beast(const http::request<http::string_body>& req) {
  Request r;
  r.method = str(req.method_string());
  r.target = str(req.target());
  r.host = str(req[http::field::host]);
  r.authorization = str(req[http::field::authorization]);
  r.last_event_id = str(req["Last-Event-ID"]);
  r.range = str(req[http::field::range]);
  r.content_type = str(req[http::field::content_type]);
  r.body = req.body();
  return r;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, Api& a, manager::Manager& m, ServerConfig c)
      : io(context),
        api(a),
        manager(m),
        config(std::move(c)),
        stats(a.shared_stats()),
        acceptor(context),
        window(boot_id(), config.event_window) {}

  void on_event(const manager::Event& event) {
    const WindowEvent& e = window.push(event.download.owner, manager::to_string(event.kind),
                                       boost::json::serialize(manager::to_json(event)));
    const std::string message = format_sse(window.id_of(e), e.kind, e.data);
    for (const auto& sub : subscribers) {
      if (sub->owner != e.owner || sub->closed) continue;
      if (sub->pending.size() >= config.max_stream_backlog)
        sub->closed = true;
      else
        sub->pending.push_back(message);
      sub->wake.cancel();
    }
  }

  asio::io_context& io;
  Api& api;
  manager::Manager& manager;
  ServerConfig config;
  // Shared with the Api: connection coroutines destroyed with the io_context, after the
  // Api, still count down into it.
  std::shared_ptr<ServerStats> stats;
  tcp::acceptor acceptor;
  EventWindow window;
  std::list<std::shared_ptr<Subscriber>> subscribers;
  int listener = -1;
  bool stopping = false;
  std::int64_t refusing = 0;  ///< 503 answers still being read by their clients
};

namespace {

using ImplPtr = std::shared_ptr<HttpServer::Impl>;

// Answers and closes, reading (and dropping) what the client still sends for a moment, so
// that the close does not reset the connection before the client has read the answer.
asio::awaitable<void> answer_and_close(beast::tcp_stream& stream, Response response,
                                       unsigned version, std::chrono::milliseconds timeout) {
  auto res = to_beast(response, version, false);
  stream.expires_after(timeout);
  auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
  if (ec) co_return;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(2));
  char sink[16384];
  std::size_t drained = 0;
  while (drained < (8u << 20)) {
    auto [rec, got] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (rec) break;
    drained += got;
  }
}

// Waits for the manager's inspection of `source`, then answers with `finish`'s response.
asio::awaitable<Response> run_deferred(ImplPtr impl, Deferred deferred) {
  auto result = std::make_shared<std::optional<Inspection>>();
  auto timer = std::make_shared<asio::steady_timer>(impl->io);
  timer->expires_after(impl->config.inspect_timeout);
  impl->manager.inspect(deferred.source, [result, timer](Inspection inspection) {
    *result = std::move(inspection);
    timer->cancel();
  });
  if (!*result) co_await timer->async_wait(use_tuple);
  if (!*result)
    co_return error_response(504, "inspect_timeout",
                             fmt::format("the source did not answer in time: {}", deferred.source));
  co_return deferred.finish(**result);
}

// GET /events: the stream's header, what the client missed, then live events and
// keep-alive comments until the client goes, the stream falls too far behind, or the
// server stops.
asio::awaitable<void> serve_events(ImplPtr impl, beast::tcp_stream& stream, EventStream request,
                                   unsigned version) {
  auto sub = std::make_shared<Subscriber>(stream.get_executor());
  sub->owner = request.owner;
  // A first connection starts with new events; a reconnect gets what it missed first.
  if (!request.last_event_id.empty()) {
    const EventWindow::Replay replay = impl->window.replay(request.owner, request.last_event_id);
    if (replay.gap) sub->pending.push_back(format_sse("", "resync", "{}"));
    for (const WindowEvent* e : replay.events)
      sub->pending.push_back(format_sse(impl->window.id_of(*e), e->kind, e->data));
  }
  impl->subscribers.push_back(sub);
  OpenCount open(impl->stats->event_streams);

  http::response<http::empty_body> head;
  head.version(version);
  head.result(http::status::ok);
  head.set(http::field::server, "bitflowd");
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-store");
  head.keep_alive(false);  // the body ends when the connection does
  http::response_serializer<http::empty_body> serializer(head);
  stream.expires_after(impl->config.write_timeout);
  auto [hec, hn] = co_await http::async_write_header(stream, serializer, use_tuple);
  bool ok = !hec;
  // A first comment makes the stream visible to clients at once, before any event.
  std::string out = sse_keepalive();
  while (ok && !sub->closed && !impl->stopping) {
    while (!sub->pending.empty()) {
      out += sub->pending.front();
      sub->pending.pop_front();
    }
    if (!out.empty()) {
      stream.expires_after(impl->config.write_timeout);
      auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(out), use_tuple);
      if (wec) break;
      out.clear();
      // Events that came during the write are not announced by the timer (nobody was
      // waiting on it): look at the queue again before sleeping.
      continue;
    }
    sub->wake.expires_after(impl->config.keepalive_interval);
    auto [tec] = co_await sub->wake.async_wait(use_tuple);
    if (!tec && sub->pending.empty()) out = sse_keepalive();
  }
  impl->subscribers.remove(sub);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// GET /downloads/{id}/files/{index}: the header, then the bytes read in 256 KiB blocks.
// Returns whether the connection can go on (false when the file vanished mid-way or the
// client went).
asio::awaitable<bool> serve_file(beast::tcp_stream& stream, FileBody file, unsigned version,
                                 bool keep_alive, std::chrono::milliseconds timeout) {
  const int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    auto res = to_beast(error_response(404, "not_found", "the file is no longer there"), version,
                        keep_alive);
    stream.expires_after(timeout);
    auto [ec, n] = co_await http::async_write(stream, res, use_tuple);
    co_return !ec && keep_alive;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const bool partial = file.range.kind == ByteRange::Kind::partial;
  const std::uint64_t first = partial ? file.range.first : 0;
  const std::uint64_t length = partial ? file.range.last - file.range.first + 1 : file.size;
  http::response<http::empty_body> head;
  head.version(version);
  head.result(partial ? http::status::partial_content : http::status::ok);
  head.set(http::field::server, "bitflowd");
  head.set(http::field::content_type, file.content_type);
  head.set(http::field::accept_ranges, "bytes");
  head.set(http::field::cache_control, "no-store");
  head.set("X-Content-Type-Options", "nosniff");
  head.set("Content-Security-Policy", "sandbox");
  if (partial)
    head.set(http::field::content_range,
             fmt::format("bytes {}-{}/{}", file.range.first, file.range.last, file.size));
  head.set(http::field::content_length, std::to_string(length));
  head.keep_alive(keep_alive);
  http::response_serializer<http::empty_body> serializer(head);
  stream.expires_after(timeout);
  auto [hec, hn] = co_await http::async_write_header(stream, serializer, use_tuple);
  if (hec) co_return false;
  std::vector<char> block(256u << 10);
  std::uint64_t sent = 0;
  while (sent < length) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), length - sent));
    const ssize_t got = ::pread(fd, block.data(), want, static_cast<off_t>(first + sent));
    if (got <= 0) co_return false;  // shorter than announced: the client sees it cut
    stream.expires_after(timeout);
    auto [wec, wn] = co_await asio::async_write(
        stream, asio::buffer(block.data(), static_cast<std::size_t>(got)), use_tuple);
    if (wec) co_return false;
    sent += static_cast<std::uint64_t>(got);
  }
  co_return keep_alive;
}

Response too_large(std::size_t max_body) {
  return error_response(413, "payload_too_large",
                        fmt::format("the body is larger than {} bytes", max_body));
}

// Reads one request into `parser`: its header within the header deadline, then (after a
// 100 Continue when the client asks for one) its body within the body deadline. Answers
// 413 and 431 itself. Returns false when the connection is done.
asio::awaitable<bool> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                   http::request_parser<http::string_body>& parser,
                                   const ServerConfig& config) {
  parser.header_limit(static_cast<std::uint32_t>(config.max_header));
  parser.body_limit(config.max_body);
  stream.expires_after(config.header_timeout);
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
  if (ec == http::error::body_limit) {  // the Content-Length says so already
    co_await answer_and_close(stream, too_large(config.max_body), 11, config.write_timeout);
    co_return false;
  }
  if (ec == http::error::header_limit) {
    co_await answer_and_close(
        stream, error_response(431, "headers_too_large", "the request's headers are too large"), 11,
        config.write_timeout);
    co_return false;
  }
  if (ec) co_return false;  // closed, timed out (slow or idle client), or not HTTP
  const unsigned version = parser.get().version();
  if (parser.get()[http::field::expect] == "100-continue") {
    http::response<http::empty_body> go_on{http::status::continue_, version};
    stream.expires_after(config.write_timeout);
    auto [cec, cn] = co_await http::async_write(stream, go_on, use_tuple);
    if (cec) co_return false;
  }
  stream.expires_after(config.body_timeout);
  auto [bec, bn] = co_await http::async_read(stream, buffer, parser, use_tuple);
  if (bec == http::error::body_limit) {  // chunked, or longer than announced
    co_await answer_and_close(stream, too_large(config.max_body), version, config.write_timeout);
    co_return false;
  }
  co_return !bec;
}

asio::awaitable<void> serve_connection(tcp::socket socket, ImplPtr impl) {
  OpenCount open(impl->stats->connections);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  const ServerConfig& config = impl->config;
  try {
    while (!impl->stopping) {
      http::request_parser<http::string_body> parser;
      if (!co_await read_request(stream, buffer, parser, config)) co_return;
      const http::request<http::string_body>& req = parser.get();
      const unsigned version = req.version();
      const bool keep_alive = req.keep_alive() && !impl->stopping;
      Outcome outcome = impl->api.handle(from_beast(req));
      if (auto* events = std::get_if<EventStream>(&outcome)) {
        co_await serve_events(impl, stream, std::move(*events), version);
        co_return;
      }
      if (auto* file = std::get_if<FileBody>(&outcome)) {
        if (!co_await serve_file(stream, std::move(*file), version, keep_alive,
                                 config.write_timeout))
          break;
        continue;
      }
      Response response;
      if (auto* deferred = std::get_if<Deferred>(&outcome))
        response = co_await run_deferred(impl, std::move(*deferred));
      else
        response = std::move(std::get<Response>(outcome));
      auto res = to_beast(response, version, keep_alive && !impl->stopping);
      stream.expires_after(config.write_timeout);
      auto [wec, wn] = co_await http::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  } catch (const std::exception& e) {
    spdlog::warn("bitflowd: connection dropped: {}", e.what());
  }
}

// Beyond the connection cap: a short 503, then close once the client has read it (closing
// with its request unread would reset the connection and lose the answer). At most
// kMaxRefusing of these linger, for a second each; past that the socket is just closed.
constexpr std::int64_t kMaxRefusing = 64;

asio::awaitable<void> refuse(tcp::socket socket, ImplPtr impl) {
  OpenCount open(impl->refusing);
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: 76\r\n\r\n"
      "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"try again in a moment\"}}\n";
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(1));
  auto [ec, n] =
      co_await asio::async_write(stream, asio::buffer(kBusy.data(), kBusy.size()), use_tuple);
  if (ec) co_return;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  char sink[4096];
  for (;;) {
    auto [rec, got] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
    if (rec) break;
  }
}

asio::awaitable<void> accept_loop(ImplPtr impl) {
  while (!impl->stopping) {
    auto [ec, socket] = co_await impl->acceptor.async_accept(use_tuple);
    if (impl->stopping || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of file descriptors and the like: wait a little instead of spinning.
      spdlog::warn("bitflowd: accept: {}", ec.message());
      asio::steady_timer pause(impl->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    ServerStats& stats = *impl->stats;
    if (stats.connections >= static_cast<std::int64_t>(impl->config.max_connections)) {
      ++stats.rejected_connections;
      if (impl->refusing < kMaxRefusing)
        asio::co_spawn(impl->io, refuse(std::move(socket), impl), asio::detached);
      continue;
    }
    asio::co_spawn(impl->io, serve_connection(std::move(socket), impl), asio::detached);
  }
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Api& api, manager::Manager& manager,
                       ServerConfig config)
    : impl_(std::make_shared<Impl>(io, api, manager, std::move(config))) {
  std::weak_ptr<Impl> weak = impl_;
  impl_->listener = manager.subscribe([weak](const manager::Event& e) {
    if (auto impl = weak.lock()) impl->on_event(e);
  });
}

HttpServer::~HttpServer() {
  impl_->manager.unsubscribe(impl_->listener);
  stop();
}

void HttpServer::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(impl_->config.address), impl_->config.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->io, accept_loop(impl_), asio::detached);
}

unsigned short HttpServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void HttpServer::stop() {
  impl_->stopping = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (const auto& sub : impl_->subscribers) {
    sub->closed = true;
    sub->wake.cancel();
  }
}

}  // namespace bitflow::daemon
