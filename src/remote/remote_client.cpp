// make_remote_client: the URL's scheme picks the protocol.
#include <fmt/format.h>

#include <charconv>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"
#include "net/curl_reactor.hpp"
#include "remote/rtorrent_client.hpp"
#include "remote/transmission_client.hpp"

namespace bitflow::remote {

namespace {

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw Error(errc::bad_url, fmt::format("remote client URL '{}': {}", net::redacted(url), why));
}

// "HOST:PORT" or "[V6]:PORT" of an rtorrent+scgi URL, with nothing after but an optional "/".
std::unique_ptr<RemoteClient> rtorrent_from(std::string_view url, std::string_view rest,
                                            RemoteOptions options) {
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos)
    bad_url(url, "rtorrent+scgi:// takes HOST:PORT and nothing else");
  const std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) bad_url(url, "no HOST:PORT");
  std::string_view host = rest.substr(0, colon);
  const std::string_view port = rest.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') bad_url(url, "an unclosed [IPv6 address]");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    bad_url(url, "an IPv6 address needs brackets: [ADDR]:PORT");
  }
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || number == 0 ||
      number > 65535)
    bad_url(url, "the port is not a number from 1 to 65535");
  return std::make_unique<RtorrentClient>(std::string(host), std::string(port), options);
}

}  // namespace

std::unique_ptr<RemoteClient> make_remote_client(boost::asio::io_context& io, std::string_view url,
                                                 RemoteOptions options) {
  constexpr std::string_view transmission = "transmission+";
  constexpr std::string_view rtorrent = "rtorrent+scgi://";
  if (url.starts_with(transmission)) {
    const std::string_view http = url.substr(transmission.size());
    if (!http.starts_with("http://") && !http.starts_with("https://"))
      bad_url(url, "transmission+ wants http:// or https:// after it");
    if (http.find("://") + 3 == http.size()) bad_url(url, "no host");
    return std::make_unique<TransmissionClient>(io, std::string(http), options);
  }
  if (url.starts_with(rtorrent)) return rtorrent_from(url, url.substr(rtorrent.size()), options);
  bad_url(url,
          "expected transmission+http://HOST:PORT/transmission/rpc or rtorrent+scgi://HOST:PORT");
}

}  // namespace bitflow::remote
