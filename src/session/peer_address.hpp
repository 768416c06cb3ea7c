// Peer addresses: the "host:port" / "[v6]:port" text the engine keys peers by, made from
// tracker entries, Asio addresses and the wire's raw IpAddress (bitflow/extension.hpp), and
// split again for the resolver. Internal to bitflow.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <utility>

#include "bitflow/extension.hpp"
#include "bitflow/tracker.hpp"

namespace bitflow::session {

inline peer::IpAddress to_ip_address(const boost::asio::ip::address& address) {
  peer::IpAddress out;
  if (address.is_v4()) {
    auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
  } else {
    auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.bytes.begin());
    out.v6 = true;
  }
  return out;
}

/// "host:port", with brackets around an IPv6 host.
inline std::string peer_address_text(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

inline std::string peer_address_text(const PeerEntry& p) {
  return peer_address_text(p.host, p.port);
}

inline std::string peer_address_text(const boost::asio::ip::address& address, std::uint16_t port) {
  return peer_address_text(address.to_string(), port);
}

/// "host:port" or "[v6]:port" → host and port; nullopt when malformed.
inline std::optional<std::pair<std::string, std::string>> split_peer_address(
    const std::string& address) {
  std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return std::nullopt;
  std::string host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, address.substr(colon + 1));
}

inline std::string peer_address_text(const peer::IpAddress& ip, std::uint16_t port) {
  if (ip.v6) {
    boost::asio::ip::address_v6::bytes_type b{};
    std::copy(ip.bytes.begin(), ip.bytes.end(), b.begin());
    std::string out = "[";
    out += boost::asio::ip::address_v6(b).to_string();
    out += "]:";
    out += std::to_string(port);
    return out;
  }
  boost::asio::ip::address_v4::bytes_type b{};
  std::copy(ip.bytes.begin(), ip.bytes.begin() + 4, b.begin());
  return boost::asio::ip::address_v4(b).to_string() + ":" + std::to_string(port);
}

}  // namespace bitflow::session
