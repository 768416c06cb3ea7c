// RemoteClient for rTorrent: XML-RPC over SCGI, one TCP connection per call (the SCGI
// server closes it after answering). Internal: make_remote_client() builds it.
#pragma once

#include <string>

#include "bitflow/remote_client.hpp"
#include "remote/xmlrpc.hpp"

namespace bitflow::remote {

class RtorrentClient final : public RemoteClient {
 public:
  RtorrentClient(std::string host, std::string port, RemoteOptions options);

  /// One d.multicall2 over the "main" view.
  boost::asio::awaitable<std::vector<RemoteTorrent>> list() override;
  /// rTorrent has no call for one torrent's fields at once: the list, filtered.
  boost::asio::awaitable<std::optional<RemoteTorrent>> get(std::string hash) override;
  /// d.stop / d.start (what rTorrent's own ^S and ^D do).
  boost::asio::awaitable<void> pause(std::string hash) override;
  boost::asio::awaitable<void> resume(std::string hash) override;
  /// d.erase; delete_data is refused (errc::unsupported) before anything is sent: rTorrent
  /// only deletes data through a command it would run on its host.
  boost::asio::awaitable<void> remove(std::string hash, bool delete_data) override;
  [[nodiscard]] std::string describe() const override { return who_; }

 private:
  /// Sends one methodCall body and returns the methodResponse's value.
  boost::asio::awaitable<xmlrpc::Value> call(std::string body);

  std::string host_;
  std::string port_;
  std::string who_;
  RemoteOptions options_;
};

}  // namespace bitflow::remote
