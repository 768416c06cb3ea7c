// TransmissionClient: each call is one POST; the daemon refuses a request without its
// current X-Transmission-Session-Id (CSRF protection) with 409 and the id in that header,
// so the first call — and the first after a daemon restart — is sent twice.
#include "remote/transmission_client.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <algorithm>

#include "remote/transmission_codec.hpp"
#include "util/concat.hpp"

namespace bitflow::remote {

namespace asio = boost::asio;

namespace {

std::string host_of(const std::string& url) {
  const std::size_t start = url.find("://") + 3;
  std::size_t end = url.find('/', start);
  if (end == std::string::npos) end = url.size();
  std::string host = url.substr(start, end - start);
  if (auto at = host.rfind('@'); at != std::string::npos) host.erase(0, at + 1);  // no password
  return host;
}

std::string status_hint(long status) {
  if (status == 401) return " (the RPC wants a user and password: put user:password@ in the URL)";
  if (status == 403) return " (this address is not in the daemon's rpc-whitelist)";
  if (status == 404) return " (no RPC at this path: it is usually /transmission/rpc)";
  return "";
}

}  // namespace

TransmissionClient::TransmissionClient(asio::io_context& io, std::string url, RemoteOptions options)
    : reactor_(net::shared_reactor(io)),
      url_(std::move(url)),
      who_(util::concat("transmission ", host_of(url_))),
      options_(options) {}

net::HttpRequest TransmissionClient::request(const std::string& body) const {
  net::HttpRequest r;
  r.url = url_;
  r.method = "POST";
  r.body = body;
  r.headers.push_back("Content-Type: application/json");
  if (!session_id_.empty()) r.headers.push_back("X-Transmission-Session-Id: " + session_id_);
  r.timeout = options_.timeout;
  r.connect_timeout = options_.timeout;
  r.max_redirects = 0;
  r.max_body = options_.max_response;
  return r;
}

asio::awaitable<std::string> TransmissionClient::call(std::string body) {
  for (int attempt = 0;; ++attempt) {
    auto [error, response] = co_await reactor_.async_fetch(request(body), asio::use_awaitable);
    if (error) {
      const errc code = error.code == net::errc::timed_out        ? errc::timed_out
                        : error.code == net::errc::body_too_large ? errc::response_too_large
                                                                  : errc::connection_failed;
      throw Error(code, fmt::format("{}: {}", who_, error.message));
    }
    if (response.status == 409 && attempt == 0) {
      if (auto id = response.header("X-Transmission-Session-Id"); id && !id->empty()) {
        session_id_ = *id;
        continue;
      }
      throw Error(errc::http_status,
                  fmt::format("{}: HTTP 409 without an X-Transmission-Session-Id", who_));
    }
    if (response.status < 200 || response.status > 299)
      throw Error(errc::http_status, fmt::format("{}: HTTP {}{}", who_, response.status,
                                                 status_hint(response.status)));
    co_return std::move(response.body);
  }
}

asio::awaitable<std::vector<RemoteTorrent>> TransmissionClient::list() {
  const std::string answer = co_await call(transmission::torrent_get(""));
  co_return transmission::parse_torrents(answer, who_);
}

asio::awaitable<std::optional<RemoteTorrent>> TransmissionClient::get(std::string hash) {
  const std::string answer = co_await call(transmission::torrent_get(hash));
  auto torrents = transmission::parse_torrents(answer, who_);
  for (auto& t : torrents) {
    // The daemon matches ids case-insensitively; the answer's hash is lower case.
    if (t.hash.size() == hash.size() &&
        std::equal(t.hash.begin(), t.hash.end(), hash.begin(),
                   [](char a, char b) { return (a | 0x20) == (b | 0x20); }))
      co_return std::move(t);
  }
  co_return std::nullopt;
}

asio::awaitable<void> TransmissionClient::pause(std::string hash) {
  transmission::check_result(co_await call(transmission::torrent_stop(hash)), who_);
}

asio::awaitable<void> TransmissionClient::resume(std::string hash) {
  transmission::check_result(co_await call(transmission::torrent_start(hash)), who_);
}

asio::awaitable<void> TransmissionClient::remove(std::string hash, bool delete_data) {
  transmission::check_result(co_await call(transmission::torrent_remove(hash, delete_data)), who_);
}

}  // namespace bitflow::remote
