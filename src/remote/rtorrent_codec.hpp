// rTorrent's XML-RPC calls as bitflow makes them, and its answers as RemoteTorrents. Pure:
// no I/O. Internal.
//
// list() is one d.multicall2("", "main", "d.hash=", "d.name=", …): an array with one row
// (an array of the asked fields, in order) per torrent of the "main" view.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bitflow/remote_client.hpp"
#include "remote/xmlrpc.hpp"

namespace bitflow::remote::rtorrent {

/// The methodCall body of list().
[[nodiscard]] std::string list_call();

/// A call on one torrent: d.stop, d.start, d.erase with the hash (upper case, as rTorrent
/// stores it).
[[nodiscard]] std::string torrent_call(std::string_view method, std::string_view hash);

/// The torrents of list()'s answer. Throws bitflow::Error (errc::malformed_response)
/// naming the row and the field that is missing or of the wrong type.
[[nodiscard]] std::vector<RemoteTorrent> parse_list(const xmlrpc::Value& answer,
                                                    std::string_view who);

}  // namespace bitflow::remote::rtorrent
