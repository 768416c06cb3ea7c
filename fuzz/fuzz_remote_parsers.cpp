// libFuzzer target for what the remote clients read from transmission-daemon and rTorrent:
// transmission's torrent-get answers, SCGI (CGI) answers, XML-RPC methodResponses and
// rTorrent's d.multicall2 rows. The first byte picks the parser. Invariants that trap: a
// failure is a bitflow::Error of the "remote" category, never another exception; a parsed
// torrent has a 40-digit lowercase hex hash, 0 <= bytes done, and bytes done <= size when
// the size is known (else -1); an SCGI body is the end of the answer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"
#include "remote/rtorrent_codec.hpp"
#include "remote/scgi.hpp"
#include "remote/transmission_codec.hpp"
#include "remote/xmlrpc.hpp"

namespace {

using namespace bitflow;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_torrents(const std::vector<remote::RemoteTorrent>& torrents) {
  for (const auto& t : torrents) {
    check(t.hash.size() == 40);
    for (char c : t.hash)
      check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    check(t.bytes_done >= 0);
    check(t.bytes_total == -1 || t.bytes_total > 0);
    check(t.bytes_total == -1 || t.bytes_done <= t.bytes_total);
  }
}

template <typename F>
void expect_remote_errors(F f) {
  try {
    f();
  } catch (const Error& e) {
    check(&e.code().category() == &remote::category());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      expect_remote_errors(
          [&] { check_torrents(remote::transmission::parse_torrents(input, "t")); });
      break;
    case 1:
      expect_remote_errors([&] {
        const std::string_view body = remote::scgi::decode_response(input, "r");
        check(input.ends_with(body));
      });
      break;
    default:
      expect_remote_errors([&] {
        const auto value = remote::xmlrpc::decode_response(input, "r");
        check_torrents(remote::rtorrent::parse_list(value, "r"));
      });
      break;
  }
  return 0;
}
