// The Transmission RPC's JSON, both ways: requests for the methods bitflow calls and the
// torrents (or the refusal) in an answer. Pure: no I/O. Internal.
//
// Spec: transmission's rpc-spec.md. A request is {"method": M, "arguments": {...}}; an
// answer is {"result": "success" | <why not>, "arguments": {...}}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bitflow/remote_client.hpp"

namespace bitflow::remote::transmission {

/// The torrent fields list() and get() ask for.
[[nodiscard]] const std::vector<std::string>& torrent_fields();

/// torrent-get of every torrent (hash empty) or of one.
[[nodiscard]] std::string torrent_get(std::string_view hash);
/// torrent-stop, torrent-start, torrent-remove of one torrent.
[[nodiscard]] std::string torrent_stop(std::string_view hash);
[[nodiscard]] std::string torrent_start(std::string_view hash);
[[nodiscard]] std::string torrent_remove(std::string_view hash, bool delete_data);

/// Checks an answer's "result"; throws bitflow::Error: errc::malformed_response when the
/// body is not a JSON object with a string result, errc::rpc_failed with the result's text
/// when it is not "success". `who` starts every message ("transmission 127.0.0.1:9091").
void check_result(std::string_view body, std::string_view who);

/// The torrents of a torrent-get answer (after check_result's checks). Throws
/// bitflow::Error (errc::malformed_response) naming the torrent and field that is missing
/// or of the wrong type.
[[nodiscard]] std::vector<RemoteTorrent> parse_torrents(std::string_view body,
                                                        std::string_view who);

}  // namespace bitflow::remote::transmission
