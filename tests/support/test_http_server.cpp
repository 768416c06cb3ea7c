// TestHttpServer: one accept loop and one coroutine per connection, all holding the shared
// State (never the server), so destroying the server only has to close the sockets and
// cancel the timers: every coroutine then fails its next operation and ends.
#include "test_http_server.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <map>

namespace bitflow::test {

namespace asio = boost::asio;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}
  tcp::socket socket;
  asio::steady_timer timer;
};

std::string_view reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 206:
      return "Partial Content";
    case 404:
      return "Not Found";
    case 416:
      return "Range Not Satisfiable";
    default:
      return "Status";
  }
}

std::string head_of(const HttpReply& reply, std::uint64_t content_length) {
  std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " ";
  head.append(reason(reply.status)).append("\r\n");
  for (const std::string& line : reply.headers)
    head.append(line).append("\r\n");
  return head + "Content-Length: " + std::to_string(content_length) + "\r\n\r\n";
}

// "GET /a?b HTTP/1.1" -> "/a?b"
std::string target_of(std::string_view request_line) {
  std::size_t first = request_line.find(' ');
  std::size_t second = request_line.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return "/";
  return std::string(request_line.substr(first + 1, second - first - 1));
}

// `streams_flowing` counts the stream_forever answers that have written a body chunk.
// A HEAD request gets the same head and no body (RFC 9110 §9.3.2).
asio::awaitable<void> answer(Connection& c, const HttpReply& reply, std::size_t& streams_flowing,
                             bool head_only) {
  switch (reply.kind) {
    case HttpReply::Kind::respond: {
      std::string head = head_of(reply, reply.body.size());
      std::array<asio::const_buffer, 2> buffers{
          asio::buffer(head), asio::buffer(reply.body.data(), head_only ? 0 : reply.body.size())};
      co_await asio::async_write(c.socket, buffers, use_awaitable);
      co_return;
    }
    case HttpReply::Kind::stream_forever: {
      std::string head = head_of(reply, std::uint64_t{1} << 50);
      co_await asio::async_write(c.socket, asio::buffer(head), use_awaitable);
      if (head_only) co_return;
      const std::string chunk(64 * 1024, 'x');
      co_await asio::async_write(c.socket, asio::buffer(chunk), use_awaitable);
      ++streams_flowing;
      for (;;)  // until a write fails: the client went away or the server closed the socket
        co_await asio::async_write(c.socket, asio::buffer(chunk), use_awaitable);
    }
    case HttpReply::Kind::close:
      c.socket.close();
      co_return;
    case HttpReply::Kind::hang: {
      std::array<char, 512> sink{};
      for (;;)  // until the client closes (eof) or the server closes the socket
        co_await c.socket.async_read_some(asio::buffer(sink), use_awaitable);
    }
  }
}

// A file's answer to a request with this Range header value (one range, bytes only).
HttpReply file_reply(const std::string& content, std::string_view range) {
  constexpr std::string_view unit = "bytes=";
  const std::string accept = "Accept-Ranges: bytes";
  const HttpReply whole{HttpReply::Kind::respond, 200, {accept}, content};
  if (!range.starts_with(unit) || range.find(',') != std::string_view::npos) return whole;
  range.remove_prefix(unit.size());
  std::size_t dash = range.find('-');
  if (dash == std::string_view::npos || dash == 0) return whole;
  const std::size_t first = std::stoull(std::string(range.substr(0, dash)));
  std::size_t last = content.empty() ? 0 : content.size() - 1;
  if (dash + 1 < range.size())
    last = std::min<std::size_t>(last, std::stoull(std::string(range.substr(dash + 1))));
  const std::string total = std::to_string(content.size());
  if (first >= content.size() || last < first)
    return {HttpReply::Kind::respond, 416, {accept, "Content-Range: bytes */" + total}, {}};
  return {HttpReply::Kind::respond,
          206,
          {accept, "Content-Range: bytes " + std::to_string(first) + "-" + std::to_string(last) +
                       "/" + total},
          content.substr(first, last - first + 1)};
}

}  // namespace

std::string request_header(std::string_view head, std::string_view name) {
  for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    std::size_t end = head.find("\r\n", at + 2);
    std::string_view line = head.substr(at + 2, end == std::string_view::npos ? end : end - at - 2);
    at = end;
    std::size_t colon = line.find(':');
    if (colon != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < colon; ++i)
      same = same && std::tolower(static_cast<unsigned char>(line[i])) ==
                         std::tolower(static_cast<unsigned char>(name[i]));
    if (!same) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    return std::string(value);
  }
  return {};
}

struct TestHttpServer::State {
  explicit State(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)) {}

  tcp::acceptor acceptor;
  std::map<std::string, Handler, std::less<>> handlers;
  std::map<std::string, std::string, std::less<>> files;
  std::map<std::string, std::pair<int, HttpReply>, std::less<>> failures;
  std::vector<std::string> request_lines;
  HeadCheck head_check;
  std::vector<std::string> request_bodies;
  std::vector<std::weak_ptr<Connection>> connections;
  std::size_t streams_flowing = 0;
  bool stopped = false;

  HttpReply dispatch(std::string_view target, std::string_view head) {
    if (head_check)
      if (auto reply = head_check(head)) return std::move(*reply);
    auto failure = failures.find(target.substr(0, target.find('?')));
    if (failure != failures.end() && failure->second.first > 0) {
      --failure->second.first;
      return failure->second.second;
    }
    auto file = files.find(target.substr(0, target.find('?')));
    if (file != files.end()) return file_reply(file->second, request_header(head, "Range"));
    auto it = handlers.find(target.substr(0, target.find('?')));
    return it == handlers.end() ? HttpReply::status_only(404, "not found") : it->second(target);
  }

  // Coroutines take the state as a parameter (copied into the frame), never `this`.
  static asio::awaitable<void> accept_loop(std::shared_ptr<State> self) {
    while (!self->stopped) {
      auto c = std::make_shared<Connection>(co_await self->acceptor.async_accept(use_awaitable));
      std::erase_if(self->connections, [](const auto& weak) { return weak.expired(); });
      self->connections.push_back(c);
      asio::co_spawn(self->acceptor.get_executor(), serve(self, std::move(c)), asio::detached);
    }
  }

  // Serves requests on one connection (keep-alive) until it fails or closes.
  static asio::awaitable<void> serve(std::shared_ptr<State> self, std::shared_ptr<Connection> c) {
    std::string buffer;
    while (!self->stopped) {
      std::size_t n = co_await asio::async_read_until(
          c->socket, asio::dynamic_buffer(buffer, 64 * 1024), "\r\n\r\n", use_awaitable);
      std::string head = buffer.substr(0, n);
      std::string line = buffer.substr(0, buffer.find("\r\n"));
      buffer.erase(0, n);
      // A body (POST, PUT) is read whole and kept, so that the next request starts after it.
      const std::string length = request_header(head, "Content-Length");
      const std::size_t body_size = length.empty() ? 0 : std::stoull(length);
      if (buffer.size() < body_size)
        co_await asio::async_read(c->socket, asio::dynamic_buffer(buffer, 64 * 1024 + body_size),
                                  asio::transfer_exactly(body_size - buffer.size()), use_awaitable);
      self->request_bodies.push_back(buffer.substr(0, body_size));
      buffer.erase(0, body_size);
      self->request_lines.push_back(line);
      HttpReply reply = self->dispatch(target_of(line), head);
      if (reply.delay.count() > 0) {
        c->timer.expires_after(reply.delay);
        co_await c->timer.async_wait(use_awaitable);
      }
      if (self->stopped) co_return;
      const bool head_only = line.starts_with("HEAD ");
      co_await answer(*c, reply, self->streams_flowing, head_only);
      if (reply.kind != HttpReply::Kind::respond && !head_only) co_return;
    }
  }
};

TestHttpServer::TestHttpServer(asio::io_context& io) : state_(std::make_shared<State>(io)) {
  asio::co_spawn(io, State::accept_loop(state_), asio::detached);
}

TestHttpServer::~TestHttpServer() {
  state_->stopped = true;
  boost::system::error_code ignored;
  state_->acceptor.close(ignored);
  for (const auto& weak : state_->connections) {
    if (auto c = weak.lock()) {
      c->socket.close(ignored);
      c->timer.cancel();
    }
  }
}

std::uint16_t TestHttpServer::port() const {
  return state_->acceptor.local_endpoint().port();
}

std::string TestHttpServer::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port()) + std::string(target);
}

void TestHttpServer::on(std::string path, Handler handler) {
  state_->handlers[std::move(path)] = std::move(handler);
}

void TestHttpServer::on(std::string path, HttpReply reply) {
  on(std::move(path), [reply = std::move(reply)](std::string_view) { return reply; });
}

void TestHttpServer::on_file(std::string path, std::string content) {
  state_->files[std::move(path)] = std::move(content);
}

void TestHttpServer::fail_next(std::string path, int count, HttpReply reply) {
  state_->failures[std::move(path)] = {count, std::move(reply)};
}

void TestHttpServer::check_heads(HeadCheck check) {
  state_->head_check = std::move(check);
}

const std::vector<std::string>& TestHttpServer::request_lines() const {
  return state_->request_lines;
}

const std::vector<std::string>& TestHttpServer::request_bodies() const {
  return state_->request_bodies;
}

std::size_t TestHttpServer::streams_flowing() const {
  return state_->streams_flowing;
}

std::size_t TestHttpServer::open_connections() const {
  std::size_t open = 0;
  for (const auto& weak : state_->connections)
    if (auto c = weak.lock(); c && c->socket.is_open()) ++open;
  return open;
}

}  // namespace bitflow::test
