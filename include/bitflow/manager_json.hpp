// bitflow/manager_json.hpp — the manager's downloads and events as JSON: the one shape
// that bitflowd's REST API, its live events and the manager's webhooks all send, so that a
// program reading one of them can read the others.
#pragma once
#include <boost/json/object.hpp>
#include <string>

#include "bitflow/manager_types.hpp"

namespace bitflow::manager {

/// Milliseconds since the Unix epoch as an RFC 3339 UTC time with milliseconds
/// ("2026-12-04T02:11:07.042Z").
[[nodiscard]] std::string format_utc(TimeMs at);

/// A download as a JSON object:
///
///   id, owner, name, type, source, destination, state        strings
///   progress                                                 0–100
///   bytes_done, bytes_uploaded, download_rate, upload_rate   integers (bytes, bytes/s)
///   bytes_total, eta                                         integers, null while unknown
///   waiting_reason                                           string, null when not waiting
///   error                                                    {message, code}, or null
///   attempts                                                 integer
///   created_at, started_at, finished_at, retry_at            RFC 3339 strings, or null
///   files      [{index, path, size, bytes_done, progress, selected}]
///
/// Keys are always present, so that clients can tell "unknown" (null) from "missing".
[[nodiscard]] boost::json::object to_json(const DownloadRecord& record);

/// An event as a JSON object: {event, timestamp, download, changed} where event is the
/// kind's name ("finished"), timestamp its time as RFC 3339, download the download after
/// the event (as above), and changed the fields an "updated" event changed (empty for
/// the other kinds).
[[nodiscard]] boost::json::object to_json(const Event& event);

}  // namespace bitflow::manager
