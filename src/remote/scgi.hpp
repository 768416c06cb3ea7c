// SCGI framing (python.ca/scgi/protocol.txt), as rTorrent's network.scgi.open_port speaks
// it: the request is a netstring of NUL-separated header pairs (CONTENT_LENGTH first,
// then SCGI=1) followed by the body; the answer is a CGI response (header lines such as
// "Status: 200 OK" and "Content-Length: N", an empty line, the body), after which the
// server closes the connection. Pure: no I/O. Internal.
#pragma once

#include <string>
#include <string_view>

namespace bitflow::remote::scgi {

/// The bytes to send for a POST of `body` to `uri`.
[[nodiscard]] std::string encode_request(std::string_view body, std::string_view uri = "/RPC2");

/// The body of a complete CGI response (everything the server sent before closing).
/// Throws bitflow::Error (remote::errc::malformed_response) when the header block does
/// not end, a Status is not 2xx, or a Content-Length is not a number or disagrees with the
/// body that came (a truncated answer). `who` starts the message.
[[nodiscard]] std::string_view decode_response(std::string_view response, std::string_view who);

}  // namespace bitflow::remote::scgi
