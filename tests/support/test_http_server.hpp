// TestHttpServer — a scripted HTTP/1.1 server on 127.0.0.1 for tests of the HTTP clients.
//
// Handlers are registered per path and say what to do with a request: answer (status,
// headers, body), answer after a delay, redirect, stream an endless body, close the
// connection without answering, or never answer. The server records every request line it
// receives (and its body) so tests can check query strings and forms, and can show every
// request head to a check of the test's (signatures, headers). It can also serve files
// with byte ranges (on_file), as web seeds and segmented downloads need.
//
// Threading: runs on the io_context it is given (the one shared with the code under test),
// no threads of its own. Every connection is served by its own coroutine; destroying the
// server closes the listener and every connection, so those coroutines end the next time
// the io_context runs (or when it is destroyed). They never touch the server object itself.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitflow::test {

/// What the server does with one request.
struct HttpReply {
  enum class Kind {
    respond,         ///< status, headers, body (with Content-Length), keep-alive
    stream_forever,  ///< 200 and an endless body, written until the client goes away
    close,           ///< close the connection without a byte of answer
    hang,            ///< never answer; keep the connection open until the client leaves
  };
  Kind kind = Kind::respond;
  int status = 200;
  std::vector<std::string> headers;  ///< "Name: value" lines besides Content-Length
  std::string body;
  std::chrono::milliseconds delay{0};  ///< wait this long before doing any of the above

  static HttpReply ok(std::string text) { return {Kind::respond, 200, {}, std::move(text)}; }
  static HttpReply status_only(int code, std::string text = {}) {
    return {Kind::respond, code, {}, std::move(text)};
  }
  static HttpReply redirect(const std::string& location, int code = 302) {
    return {Kind::respond, code, {"Location: " + location}, {}};
  }
  static HttpReply stream_forever() { return {Kind::stream_forever, 200, {}, {}}; }
  static HttpReply close_without_answer() { return {Kind::close, 200, {}, {}}; }
  static HttpReply never_answer() { return {Kind::hang, 200, {}, {}}; }
  HttpReply after(std::chrono::milliseconds wait) && {
    delay = wait;
    return std::move(*this);
  }
};

/// The value of header field `name` (case-insensitive) in a request head ("GET … HTTP/1.1"
/// then "Name: value" lines); empty when absent.
[[nodiscard]] std::string request_header(std::string_view head, std::string_view name);

class TestHttpServer {
 public:
  /// Sees the request target ("/path?query"); unknown paths get a 404.
  using Handler = std::function<HttpReply(std::string_view target)>;
  /// Sees a whole request head (request line and header fields) before anything else;
  /// a reply it returns is the answer, nullopt lets the request through.
  using HeadCheck = std::function<std::optional<HttpReply>(std::string_view head)>;

  /// Listens on 127.0.0.1 with a port chosen by the system.
  explicit TestHttpServer(boost::asio::io_context& io);
  /// Closes the listener and every connection.
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  /// "http://127.0.0.1:<port>" followed by `target`.
  [[nodiscard]] std::string url(std::string_view target) const;

  /// Answers requests for `path` (the target without its query).
  void on(std::string path, Handler handler);
  void on(std::string path, HttpReply reply);
  /// Serves `content` at `path` like a file server: a GET with "Range: bytes=FIRST-LAST"
  /// (or "FIRST-") gets a 206 with its Content-Range, one past the end a 416, any other a
  /// 200 with the whole body; all say "Accept-Ranges: bytes". The request's head is parsed
  /// only for that one header.
  void on_file(std::string path, std::string content);
  /// The next `count` requests for `path` get `reply` instead of what is registered.
  void fail_next(std::string path, int count, HttpReply reply);
  /// Every request's head goes to `check` first (replaces an earlier one).
  void check_heads(HeadCheck check);

  /// Request lines received so far, oldest first ("GET /announce?... HTTP/1.1").
  [[nodiscard]] const std::vector<std::string>& request_lines() const;
  /// Their bodies (by Content-Length; empty for a GET), in the same order.
  [[nodiscard]] const std::vector<std::string>& request_bodies() const;
  /// Connections the server still has open.
  [[nodiscard]] std::size_t open_connections() const;
  /// stream_forever answers that have got body bytes out so far (also those since ended).
  [[nodiscard]] std::size_t streams_flowing() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bitflow::test
