// bitflowd's REST API as a function from a Request to what to answer: a Response, a
// Deferred (the answer needs the manager to inspect a source first) or an EventStream
// (GET /events: the socket loop streams the user's events). It checks the Host header
// (DNS rebinding), the bearer token (every route but /healthz), the user's ownership of
// every download named (another user's id is 404, as an unknown one), and every body.
//
// Threading: the manager's — call it on the io_context's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bitflow/fetcher_registry.hpp"
#include "bitflow/manager.hpp"
#include "daemon/file_range.hpp"
#include "daemon/http_message.hpp"
#include "daemon/router.hpp"
#include "daemon/user_store.hpp"

namespace bitflow::daemon {

struct ApiConfig {
  /// Host names (without port) accepted in the Host header besides 127.0.0.1, localhost
  /// and [::1].
  std::vector<std::string> host_names;
  /// Every user's downloads land in files_dir/<user>/ (and below, with "destination").
  std::filesystem::path files_dir = "files";
  /// Uploaded .torrent files are kept here (the manager reads them again after a restart).
  std::filesystem::path upload_dir = "uploads";
  /// How long the presigned URL lasts that a file delivered to S3 is redirected to.
  std::chrono::seconds s3_link_expiry{3600};
  /// The time in Unix seconds (file links expire by it); tests replace it.
  std::function<std::int64_t()> now = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  };
};

/// The answer waits for the manager to inspect `source`; `finish` makes it from what the
/// inspection found.
struct Deferred {
  std::string source;
  std::function<Response(const Inspection&)> finish;
};

/// GET /events of `owner`, resuming after `last_event_id` (empty: only new events).
struct EventStream {
  std::string owner;
  std::string last_event_id;
};

/// GET /downloads/{id}/files/{index}: the socket loop sends `range` of the file at `path`
/// (200 for the whole file, 206 for a part), with Accept-Ranges and this Content-Type.
struct FileBody {
  std::filesystem::path path;
  std::uint64_t size = 0;  ///< the whole file's, as the Api saw it
  ByteRange range;
  std::string content_type;
};

using Outcome = std::variant<Response, Deferred, EventStream, FileBody>;

/// What the socket loop counts, for GET /metrics.
struct ServerStats {
  std::int64_t connections = 0;           ///< open right now
  std::int64_t event_streams = 0;         ///< GET /events open right now
  std::int64_t requests = 0;              ///< answered since the start
  std::int64_t rejected_connections = 0;  ///< refused at the connection cap
  /// Webhook deliveries owed (not yet delivered nor given up on): filled in for /metrics.
  std::int64_t webhook_backlog = 0;
};

class Api {
 public:
  /// The manager and the users must outlive the Api.
  Api(manager::Manager& manager, UserStore& users, ApiConfig config);

  [[nodiscard]] Outcome handle(const Request& request);
  [[nodiscard]] ServerStats& stats() noexcept { return *stats_; }
  /// The same counters, shared: the server's connection coroutines count into them and
  /// may outlive the Api when the io_context is destroyed last.
  [[nodiscard]] std::shared_ptr<ServerStats> shared_stats() const { return stats_; }

 private:
  Outcome dispatch(const Request& request, const Route& route, const User& user);
  Outcome add(const Request& request, const User& user);
  Response add_upload(const Request& request, const User& user, const std::string& boundary);
  Response add_now(const User& user, const std::string& url, const std::string& destination,
                   std::vector<int> priorities);
  Response remove(const Request& request, const User& user);
  Response metrics();
  Response settings(const User& user);
  /// Where a download of `user` goes: their location (settings), then `destination` below.
  std::string destination_for(const User& user, const std::string& destination);
  Outcome file(const Route& route, const User& user, const Request& request);
  Response file_link(const Route& route, const User& user, const Request& request);
  /// GET of a file with ?expires=&signature= instead of a token.
  Outcome signed_file(const Route& route, const Request& request);
  /// The user's download `id`, or nullopt when it is unknown or someone else's.
  std::optional<manager::DownloadRecord> owned(const std::string& id, const User& user);

  manager::Manager& manager_;
  UserStore& users_;
  ApiConfig config_;
  std::shared_ptr<ServerStats> stats_ = std::make_shared<ServerStats>();
};

/// The token of an "Authorization: Bearer TOKEN" header; nullopt for any other form.
[[nodiscard]] std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

/// Whether a Host header names this server: 127.0.0.1, localhost, [::1] or one of
/// `names`, with or without a port, compared without case.
[[nodiscard]] bool host_allowed(std::string_view host,
                                const std::vector<std::string>& names) noexcept;

/// Whether a source is one a user may give over the network: a magnet link or a URL with a
/// scheme (http, https, ftp, ftps, sftp, s3) — never a path on the server's disk.
[[nodiscard]] bool remote_source(std::string_view source) noexcept;

/// POST /inspect's answer: {type, name, size, files: [{index, path, size}], content_type}.
[[nodiscard]] Response inspection_response(const Inspection& inspection);

/// File priorities for a torrent whose files are `inspection`'s, fetching only `wanted`;
/// or the error response for an index it does not have.
[[nodiscard]] std::variant<std::vector<int>, Response> priorities_for(
    const Inspection& inspection, const std::vector<std::size_t>& wanted);

/// GET /metrics' text (Prometheus exposition format 0.0.4) for these downloads.
[[nodiscard]] std::string format_metrics(const std::vector<manager::DownloadRecord>& downloads,
                                         const ServerStats& stats);

}  // namespace bitflow::daemon
