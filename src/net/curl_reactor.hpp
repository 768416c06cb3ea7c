// CurlReactor — every client-side HTTP(S) request of bitflow goes through one libcurl multi
// handle driven by an asio::io_context (curl_multi_socket_action, with Asio watching
// curl's sockets and its timer). No thread of its own, no busy loop, never blocks.
//
// Threading: construct, start, cancel and destroy on the io_context's thread (or before
// it runs); handlers run there too. Internal to bitflow.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/version.hpp"

namespace bitflow::net {

enum class errc {
  transfer_failed = 1,  ///< libcurl failed the transfer; the message has its reason
  timed_out,            ///< the request's deadline passed
  body_too_large,       ///< the body exceeded HttpRequest::max_body
  cancelled,            ///< cancel() or the awaiting coroutine's cancellation
  aborted,              ///< HttpRequest::on_start or on_data returned false
  too_slow,             ///< slower than HttpRequest::low_speed_limit for low_speed_time
  not_trusted,          ///< TLS certificate or SSH host key verification failed
  refused,              ///< login denied, or no such file / no access (FTP, SFTP)
};
const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// The URL as messages and logs may show it: without its query and fragment (peer ids,
/// passkeys, signatures) and without user:password.
[[nodiscard]] std::string redacted(std::string_view url);

struct HttpResponse;

struct HttpRequest {
  std::string url;
  std::string method = "GET";
  std::string body;  ///< sent for POST/PUT
  /// Sent instead of `body` when set: a large body (an S3 part) shared by every attempt
  /// of a request rather than copied into each.
  std::shared_ptr<const std::string> shared_body;
  std::vector<std::string> headers;  ///< "Name: value"
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  long max_redirects = 5;
  std::size_t max_body = 4u << 20;
  std::string protocols = "http,https";  ///< allowed for the URL and every redirect
  std::string user_agent = bitflow::user_agent;
  std::optional<std::string> proxy;  ///< libcurl proxy syntax ("socks5h://host:port", ...)
  bool verify_tls = true;
  /// Certificate authorities (PEM) to verify the server against instead of the system's:
  /// a private server's own CA or self-signed certificate.
  std::optional<std::string> ca_file;
  /// Ask for (and decode) compressed bodies. Off for downloads of byte ranges.
  bool decode_content = true;

  // ---- for downloads ----
  /// "FIRST-LAST" or "FIRST-" (bytes): an HTTP Range request, FTP's REST, an SFTP seek.
  std::optional<std::string> range;
  /// End the transfer (errc::too_slow) when it moves fewer than low_speed_limit bytes/s
  /// for low_speed_time; 0 turns it off. (A stalled server, not a slow one, is the
  /// usual case: headers, then silence.)
  long low_speed_limit = 0;
  std::chrono::seconds low_speed_time{0};
  /// Receive at most this many bytes/s (CURLOPT_MAX_RECV_SPEED_LARGE); 0: unlimited.
  std::int64_t max_recv_speed = 0;
  /// Keep the connection for later requests to the same server (off: close it after).
  bool reuse_connection = true;
  /// Take user and password from ~/.netrc (or $NETRC) when the URL has none.
  bool use_netrc = false;
  /// SFTP/SCP: the known_hosts file the server's key must be in, and a private key.
  std::optional<std::string> ssh_known_hosts;
  std::optional<std::string> ssh_private_key;
  /// Streaming. When on_data is set the body is not collected into HttpResponse::body
  /// (max_body does not apply): every chunk is handed over as it arrives. on_start sees
  /// the final response's status and headers once, before the first chunk (or at the end
  /// when there is no body). Either returning false ends the transfer with errc::aborted.
  /// Both run inside libcurl's callbacks, on the io_context's thread: they must not call
  /// the reactor (return false to stop instead) and should be quick.
  std::function<bool(const HttpResponse&)> on_start;
  std::function<bool(std::string_view)> on_data;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string effective_url;  ///< after redirects
  /// The final response's header fields in order, names as sent (FTP and SFTP have none,
  /// except the Content-Length and Last-Modified libcurl reports for them).
  std::vector<std::pair<std::string, std::string>> headers;
  /// The last value of header `name` (case-insensitive), or nullopt.
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
};

class CurlReactor {
 public:
  using TransferId = std::uint64_t;
  using Handler = std::function<void(ErrorInfo, HttpResponse)>;

  explicit CurlReactor(boost::asio::io_context& io);
  ~CurlReactor();  ///< cancels everything still running (handlers get errc::cancelled)
  CurlReactor(const CurlReactor&) = delete;
  CurlReactor& operator=(const CurlReactor&) = delete;

  /// Starts a transfer; `handler` runs exactly once on the io_context with the outcome.
  /// Any HTTP status is a success here: callers judge the status.
  TransferId start(HttpRequest request, Handler handler);
  /// Ends a running transfer early; its handler gets errc::cancelled. Unknown ids are ignored.
  void cancel(TransferId id);
  /// Transfers still running.
  [[nodiscard]] std::size_t active() const noexcept;

  /// Coroutine form: resolves to (error, response). Cancelling the awaiting operation
  /// (per-operation cancellation) cancels the transfer.
  template <typename Token = boost::asio::use_awaitable_t<>>
  auto async_fetch(HttpRequest request, Token token = {}) {
    return boost::asio::async_initiate<Token, void(ErrorInfo, HttpResponse)>(
        [this](auto handler, HttpRequest req) {
          this->initiate(std::move(handler), std::move(req));
        },
        token, std::move(request));
  }

 private:
  struct Impl;
  template <typename H>
  void initiate(H handler, HttpRequest request);
  void connect_cancellation(TransferId id, boost::asio::cancellation_slot slot);

  std::unique_ptr<Impl> impl_;
  boost::asio::io_context& io_;
};

template <typename H>
void CurlReactor::initiate(H handler, HttpRequest request) {
  auto slot = boost::asio::get_associated_cancellation_slot(handler);
  auto shared = std::make_shared<H>(std::move(handler));
  TransferId id = start(std::move(request), [shared, slot](ErrorInfo e, HttpResponse r) mutable {
    if (slot.is_connected()) slot.clear();  // done: the slot must no longer reach this reactor
    (*shared)(std::move(e), std::move(r));
  });
  if (slot.is_connected()) connect_cancellation(id, slot);
}

/// The reactor shared by everything on `io` (created on first use, destroyed with `io`):
/// one libcurl multi handle per io_context, so connections to the same hosts are reused.
CurlReactor& shared_reactor(boost::asio::io_context& io);

}  // namespace bitflow::net

template <>
struct std::is_error_code_enum<bitflow::net::errc> : std::true_type {};
