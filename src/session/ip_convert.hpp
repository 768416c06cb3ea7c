// Conversions between Asio's IP addresses and the wire's raw IpAddress (bitflow/extension.hpp),
// and the "host:port" / "[v6]:port" text the engine keys peers by. Internal to bitflow.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string>

#include "bitflow/extension.hpp"

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

inline std::string peer_address_text(const peer::IpAddress& ip, std::uint16_t port) {
  if (ip.v6) {
    boost::asio::ip::address_v6::bytes_type b{};
    std::copy(ip.bytes.begin(), ip.bytes.end(), b.begin());
    return "[" + boost::asio::ip::address_v6(b).to_string() + "]:" + std::to_string(port);
  }
  boost::asio::ip::address_v4::bytes_type b{};
  std::copy(ip.bytes.begin(), ip.bytes.begin() + 4, b.begin());
  return boost::asio::ip::address_v4(b).to_string() + ":" + std::to_string(port);
}

}  // namespace bitflow::session
