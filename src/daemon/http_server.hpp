// bitflowd's HTTP/1.1 server: Boost.Beast on the manager's io_context, one coroutine per
// connection that reads a request (header and body each under a deadline, the body under
// a size cap), hands it to the Api, and writes the answer; keep-alive until the client
// closes or idles past the header deadline. GET /events becomes a Server-Sent Events
// stream fed by the manager's events. A cap on open connections answers 503 beyond it.
//
// Threading: everything runs on the io_context's (single) thread, as the manager does.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "bitflow/manager.hpp"
#include "daemon/api.hpp"

namespace bitflow::daemon {

struct ServerConfig {
  std::string address = "127.0.0.1";
  unsigned short port = 8080;          ///< 0: any free port (see HttpServer::port())
  std::size_t max_body = 1u << 20;     ///< bytes; larger bodies are answered 413
  std::size_t max_header = 16u << 10;  ///< bytes of request line and headers (431)
  /// A request's headers must arrive within this after the connection opened or the last
  /// answer was sent (slowloris, idle keep-alive).
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 512;
  /// A comment on quiet event streams this often.
  std::chrono::milliseconds keepalive_interval{15'000};
  std::size_t event_window = 4096;  ///< events kept for Last-Event-ID replays
  /// Events queued for one slow stream before it is closed (it reconnects and replays).
  std::size_t max_stream_backlog = 2048;
  /// How long POST /inspect (and an add with "files") waits for the source.
  std::chrono::milliseconds inspect_timeout{60'000};
};

class HttpServer {
 public:
  /// Subscribes to the manager's events at once (so that the replay window fills from the
  /// start). The Api and the manager must outlive the server.
  HttpServer(boost::asio::io_context& io, Api& api, manager::Manager& manager, ServerConfig config);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts accepting. Throws boost::system::system_error when the
  /// address cannot be bound.
  void start();
  /// The port listened on (after start()).
  [[nodiscard]] unsigned short port() const;
  /// Stops accepting and ends the event streams; requests being answered finish.
  void stop();

  /// The server's state, shared with its connections' coroutines (internal).
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow::daemon
