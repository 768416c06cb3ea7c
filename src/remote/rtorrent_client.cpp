// RtorrentClient: connect, send the SCGI request, read until the server closes (at most
// max_response bytes), all within one deadline; then the pure decoders take over.
#include "remote/rtorrent_client.hpp"

#include <fmt/format.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "bitflow/error.hpp"
#include "bitflow/with_timeout.hpp"
#include "remote/rtorrent_codec.hpp"
#include "remote/scgi.hpp"
#include "util/concat.hpp"

namespace bitflow::remote {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// The whole exchange of one call (a named coroutine with by-value parameters: g++ 12
// mishandles coroutine lambdas that capture owning objects).
asio::awaitable<std::string> exchange(std::string host, std::string port, std::string request,
                                      std::size_t max_response, std::string who) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rerr, endpoints] = co_await resolver.async_resolve(host, port, tuple_awaitable);
  if (rerr) throw Error(errc::connection_failed, fmt::format("{}: {}", who, rerr.message()));
  tcp::socket socket(executor);
  auto [cerr, ep] = co_await asio::async_connect(socket, endpoints, tuple_awaitable);
  if (cerr) throw Error(errc::connection_failed, fmt::format("{}: {}", who, cerr.message()));
  auto [werr, written] = co_await asio::async_write(socket, asio::buffer(request), tuple_awaitable);
  if (werr)
    throw Error(errc::connection_failed, fmt::format("{}: sending: {}", who, werr.message()));
  std::string response;
  std::array<char, 16384> buffer;
  for (;;) {
    auto [err, n] = co_await socket.async_read_some(asio::buffer(buffer), tuple_awaitable);
    response.append(buffer.data(), n);
    if (response.size() > max_response)
      throw Error(errc::response_too_large,
                  fmt::format("{}: the answer exceeds {} bytes", who, max_response));
    if (err == asio::error::eof) break;
    if (err)
      throw Error(errc::connection_failed, fmt::format("{}: reading: {}", who, err.message()));
  }
  co_return response;
}

}  // namespace

RtorrentClient::RtorrentClient(std::string host, std::string port, RemoteOptions options)
    : host_(std::move(host)),
      port_(std::move(port)),
      who_(fmt::format("rtorrent {}:{}",
                       host_.find(':') != std::string::npos ? util::concat("[", host_, "]") : host_,
                       port_)),
      options_(options) {}

asio::awaitable<xmlrpc::Value> RtorrentClient::call(std::string body) {
  auto response = co_await with_timeout(
      exchange(host_, port_, scgi::encode_request(body), options_.max_response, who_),
      options_.timeout);
  if (!response)
    throw Error(errc::timed_out,
                fmt::format("{}: no complete answer within {} ms", who_, options_.timeout.count()));
  co_return xmlrpc::decode_response(scgi::decode_response(*response, who_), who_);
}

asio::awaitable<std::vector<RemoteTorrent>> RtorrentClient::list() {
  const xmlrpc::Value answer = co_await call(rtorrent::list_call());
  co_return rtorrent::parse_list(answer, who_);
}

asio::awaitable<std::optional<RemoteTorrent>> RtorrentClient::get(std::string hash) {
  for (char& c : hash)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto torrents = co_await list();
  for (auto& t : torrents)
    if (t.hash == hash) co_return std::move(t);
  co_return std::nullopt;
}

asio::awaitable<void> RtorrentClient::pause(std::string hash) {
  (void)co_await call(rtorrent::torrent_call("d.stop", hash));
}

asio::awaitable<void> RtorrentClient::resume(std::string hash) {
  (void)co_await call(rtorrent::torrent_call("d.start", hash));
}

asio::awaitable<void> RtorrentClient::remove(std::string hash, bool delete_data) {
  if (delete_data)
    throw Error(errc::unsupported,
                fmt::format("{}: rTorrent cannot delete a torrent's data over XML-RPC; remove "
                            "the torrent without deleting, then its files on that host",
                            who_));
  (void)co_await call(rtorrent::torrent_call("d.erase", hash));
}

}  // namespace bitflow::remote
