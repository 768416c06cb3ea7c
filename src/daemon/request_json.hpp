// The JSON bodies bitflowd accepts, parsed and checked strictly: a body that is not JSON,
// nests deeper than a request needs, carries a field the endpoint does not know or a value
// of the wrong type is refused with a message naming the field and what was expected, so
// that a typo ("destnation") never silently does something else.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitflow::daemon {

/// POST /downloads: {"url": "...", "files": [0, 2], "destination": "sub/folder"}
struct AddRequest {
  std::string url;
  /// Torrents: the indices of the files to fetch; absent: every file.
  std::optional<std::vector<std::size_t>> files;
  /// A folder relative to the user's files folder; "" for the folder itself.
  std::string destination;
};

/// POST /downloads/delete: {"ids": ["..."], "delete_data": false}
struct DeleteRequest {
  std::vector<std::string> ids;
  bool delete_data = false;
};

/// POST /inspect: {"url": "..."}
struct InspectRequest {
  std::string url;
};

/// A parsed body, or why it was refused (a sentence for the 400 response).
template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;
};

[[nodiscard]] Parsed<AddRequest> parse_add_request(std::string_view body);
[[nodiscard]] Parsed<DeleteRequest> parse_delete_request(std::string_view body);
[[nodiscard]] Parsed<InspectRequest> parse_inspect_request(std::string_view body);

/// PUT /settings: {"download_location": "music" | "s3://bucket/prefix/" | "" | null}
struct SettingsRequest {
  std::string download_location;  ///< "" (or null): the user's files folder
};
[[nodiscard]] Parsed<SettingsRequest> parse_settings_request(std::string_view body);

/// Whether `location` may be a user's download location: "", a folder valid_relative_folder()
/// accepts, or s3://BUCKET/ with an optional prefix (a bucket name of 3 to 63 of
/// [a-z0-9.-], a prefix without "..", "." or empty parts).
[[nodiscard]] bool valid_download_location(std::string_view location) noexcept;

/// POST /webhooks: {"url": "https://…", "secret": "…", "events": ["finished", "failed"]}
/// ("events" optional: every event but progress). The manager checks the URL, the secret
/// and the event names (Manager::add_webhook).
struct WebhookRequest {
  std::string url;
  std::string secret;
  std::vector<std::string> events;
};
[[nodiscard]] Parsed<WebhookRequest> parse_webhook_request(std::string_view body);

/// POST /downloads/{id}/files/{index}/link: {"minutes": N} (1 … 10080), or no body (60).
struct LinkRequest {
  int minutes = 60;
};
[[nodiscard]] Parsed<LinkRequest> parse_link_request(std::string_view body);

/// A form field's "files" value: a JSON array of file indices ("[0, 2]").
[[nodiscard]] Parsed<std::vector<std::size_t>> parse_file_indices(std::string_view text);

/// Whether `folder` may be a destination below a user's files folder: relative, '/'
/// separated, no "." or ".." or empty parts, no backslash or control characters, at most
/// 255 bytes. "" (the folder itself) is fine.
[[nodiscard]] bool valid_relative_folder(std::string_view folder) noexcept;

}  // namespace bitflow::daemon
