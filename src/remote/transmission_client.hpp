// RemoteClient for transmission-daemon: its RPC (JSON POSTed to /transmission/rpc) through
// the CurlReactor of the io_context. Internal: make_remote_client() builds it.
#pragma once

#include <string>

#include "bitflow/remote_client.hpp"
#include "net/curl_reactor.hpp"

namespace bitflow::remote {

class TransmissionClient final : public RemoteClient {
 public:
  /// `url`: the RPC's http(s) URL, user:password@ included when it needs them.
  TransmissionClient(boost::asio::io_context& io, std::string url, RemoteOptions options);

  boost::asio::awaitable<std::vector<RemoteTorrent>> list() override;
  boost::asio::awaitable<std::optional<RemoteTorrent>> get(std::string hash) override;
  boost::asio::awaitable<void> pause(std::string hash) override;
  boost::asio::awaitable<void> resume(std::string hash) override;
  boost::asio::awaitable<void> remove(std::string hash, bool delete_data) override;
  [[nodiscard]] std::string describe() const override { return who_; }

 private:
  /// POSTs `body` and returns the answer's body; does the session-id handshake (a 409
  /// names the id to send, once per daemon start) and turns failures into remote::errc.
  boost::asio::awaitable<std::string> call(std::string body);
  [[nodiscard]] net::HttpRequest request(const std::string& body) const;

  net::CurlReactor& reactor_;
  std::string url_;
  std::string who_;
  RemoteOptions options_;
  std::string session_id_;  // the X-Transmission-Session-Id last handed out by the daemon
};

}  // namespace bitflow::remote
