// bitflow/remote_client.hpp — torrent clients that run elsewhere (transmission-daemon,
// rTorrent), seen through one small interface: list what they hold, look at one torrent,
// pause, resume or remove it. bitflow/remote_watch.hpp turns what they report into the
// download manager's events.
//
// Threading: a client lives on the io_context it was made with; call it (and destroy it)
// from that context's thread only. Its coroutines may run one at a time or several at
// once. Failures are thrown from the co_await as bitflow::Error with a code of
// bitflow::remote::errc (category "remote") and a message that names the client and what
// failed ("transmission 127.0.0.1:9091: HTTP 401 (check the RPC user and password)").
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace bitflow::remote {

enum class errc {
  bad_url = 1,         ///< not a transmission+http(s):// or rtorrent+scgi:// URL
  connection_failed,   ///< the client cannot be reached
  timed_out,           ///< no complete answer within RemoteOptions::timeout
  http_status,         ///< transmission answered with an HTTP error status
  malformed_response,  ///< the answer is not what the protocol says (bad JSON/XML, types)
  response_too_large,  ///< the answer exceeds RemoteOptions::max_response
  rpc_failed,          ///< the client refused the call (transmission's result, an XML-RPC fault)
  unsupported,         ///< the client has no way to do this (rTorrent: delete the data)
};
[[nodiscard]] const std::error_category& category() noexcept;
[[nodiscard]] std::error_code make_error_code(errc e) noexcept;

/// Where a torrent is, in the terms both clients share.
enum class RemoteState {
  paused,       ///< stopped by the user (transmission "stopped", rTorrent d.state 0 or inactive)
  queued,       ///< waiting for a download slot
  checking,     ///< verifying data (or waiting to)
  downloading,  ///< active and incomplete
  seeding,      ///< active and complete (or queued to seed)
  error,        ///< stopped by a local error the client reports (transmission error 3)
};
[[nodiscard]] const char* to_string(RemoteState state) noexcept;

/// One torrent as a client reports it.
struct RemoteTorrent {
  std::string hash;  ///< the v1 info-hash, 40 lowercase hex digits
  std::string name;
  RemoteState state = RemoteState::paused;
  std::int64_t bytes_done = 0;     ///< verified bytes of the wanted files
  std::int64_t bytes_total = -1;   ///< the wanted files' size; -1 while unknown (no metadata)
  std::int64_t download_rate = 0;  ///< bytes per second
  std::int64_t upload_rate = 0;
  /// What the client says is wrong (a tracker's complaint, a disk error); empty if nothing.
  std::string error;

  friend bool operator==(const RemoteTorrent&, const RemoteTorrent&) = default;
};

struct RemoteOptions {
  /// Every call's deadline, connecting included.
  std::chrono::milliseconds timeout{10'000};
  /// The largest answer accepted; a client with thousands of torrents needs a few MiB.
  std::size_t max_response = 32u << 20;
};

class RemoteClient {
 public:
  virtual ~RemoteClient() = default;

  /// Every torrent the client holds, in the client's order.
  virtual boost::asio::awaitable<std::vector<RemoteTorrent>> list() = 0;
  /// The torrent with this info-hash (hex, either case), or nullopt when the client does
  /// not hold it.
  virtual boost::asio::awaitable<std::optional<RemoteTorrent>> get(std::string hash) = 0;
  /// Stop (pause) and start (resume) a torrent. A hash the client does not hold is
  /// ignored by transmission and refused (errc::rpc_failed) by rTorrent.
  virtual boost::asio::awaitable<void> pause(std::string hash) = 0;
  virtual boost::asio::awaitable<void> resume(std::string hash) = 0;
  /// Removes the torrent from the client; with delete_data also its downloaded files
  /// (transmission only: rTorrent fails with errc::unsupported and removes nothing).
  virtual boost::asio::awaitable<void> remove(std::string hash, bool delete_data) = 0;

  /// "transmission 127.0.0.1:9091", "rtorrent 127.0.0.1:5000": for messages and logs.
  [[nodiscard]] virtual std::string describe() const = 0;
};

/// A client for `url`:
///   transmission+http://HOST:PORT/transmission/rpc (or transmission+https://…): the
///     Transmission RPC, JSON over HTTP with its X-Transmission-Session-Id handshake;
///     user:password@ in the URL is sent as HTTP Basic authentication;
///   rtorrent+scgi://HOST:PORT: rTorrent's XML-RPC over SCGI (network.scgi.open_port).
/// Throws bitflow::Error (errc::bad_url) for anything else. Nothing is sent until the
/// first call.
[[nodiscard]] std::unique_ptr<RemoteClient> make_remote_client(boost::asio::io_context& io,
                                                               std::string_view url,
                                                               RemoteOptions options = {});

}  // namespace bitflow::remote

template <>
struct std::is_error_code_enum<bitflow::remote::errc> : std::true_type {};
