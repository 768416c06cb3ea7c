// bitflow/url_fetcher.hpp — one file from an http://, https://, ftp://, ftps:// or sftp://
// URL into a local folder: over several connections at once, resumable, verified.
//
// How it goes:
//   1. A probe (HEAD for HTTP, libcurl's no-body request for FTP/SFTP) learns the size,
//      whether byte ranges work (Accept-Ranges: bytes; always for FTP/SFTP), the
//      validators (ETag, Last-Modified) and the name (Content-Disposition).
//   2. The name: UrlFetchOptions::file_name, else Content-Disposition's (filename*
//      preferred), else the URL's last path segment, percent-decoded; always made a single
//      safe file name (never a path, never "..", no control characters). An existing file
//      of that name is not overwritten: "name (1).ext" and so on, unless `overwrite`.
//   3. The bytes go to "<name>.part" with a control file "<name>.part.bitflow" beside it
//      (the URL, the size, the validators and the byte ranges already written). When both
//      exist from an earlier run for the same URL and the server still has the same
//      version (same size and ETag, or Last-Modified), only the missing ranges are
//      fetched; otherwise the download starts over (two versions are never spliced).
//   4. Segmented: up to `connections` ranged requests at once, each at least
//      `min_segment` bytes; a connection that runs out of work takes the back half of the
//      largest remaining segment. Every 206 must carry the Content-Range asked for (and
//      If-Range guards each request against a file that changed meanwhile); otherwise that
//      connection's bytes are dropped. A server without ranges, or without a length, gets
//      one plain stream.
//   5. Failures (connection errors, timeouts, stalls below `low_speed_limit`, 408, 429,
//      5xx) are retried per connection with exponential backoff and jitter, honouring
//      Retry-After, up to `max_tries` in a row; any other 4xx is final and its status is
//      in the error, and so are a certificate or host key that does not verify, a denied
//      login and a missing file (FTP, SFTP). A body shorter or longer than announced is an error.
//   6. When every byte is in: the size is checked, then the checksum if one was given,
//      and only then is "<name>.part" renamed to its final name and the control file
//      removed. A mismatch leaves nothing under the final name.
//
// Authentication: user:password in the URL, or ~/.netrc ($NETRC) for the host; or a
// request_signer that adds headers to every request (S3's SigV4: bitflow/s3_source.hpp).
// Threading: like every Fetcher, use it on its io_context's thread. The bytes are written
// with pwrite as they arrive (page cache), on that thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/fetcher.hpp"

namespace bitflow {

namespace fetch {
enum class errc {
  bad_url = 1,        ///< not a URL bitflow can fetch (scheme, syntax)
  server_refused,     ///< a final HTTP status (4xx other than 408/429), in the message
  gave_up,            ///< retryable failures until max_tries ran out; the last one is named
  changed_on_server,  ///< the file changed while it was being fetched (validators differ)
  bad_response,       ///< a wrong Content-Range, a body shorter or longer than announced
  checksum_mismatch,  ///< the data is complete but its digest is not the expected one
  disk_error,         ///< the .part file, the control file or the rename failed
  not_trusted,        ///< the TLS certificate or SSH host key did not verify (not retried)
};
const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;
}  // namespace fetch

/// An expected digest: "sha256=HEX", "sha1=HEX" or "md5=HEX".
struct Checksum {
  enum class Algorithm { md5, sha1, sha256 };
  Algorithm algorithm = Algorithm::sha256;
  std::string hex;  ///< lowercase

  /// Parses "ALGO=HEX" (algorithm case-insensitive, hex of the right length).
  [[nodiscard]] static std::optional<Checksum> parse(std::string_view text, ErrorInfo& error);
  /// Throws bitflow::Error (std::errc::invalid_argument) instead.
  [[nodiscard]] static Checksum parse(std::string_view text);
  [[nodiscard]] const char* algorithm_name() const noexcept;
};

struct UrlFetchOptions {
  /// Signs one request: given its method ("HEAD", "GET") and URL, returns the header lines
  /// to add ("Authorization: …", "X-Amz-Date: …"). Called afresh for every request the
  /// fetcher makes (the probe, each ranged GET, every retry of either), on the
  /// io_context's thread, just before the request is sent; it must not throw. Range and
  /// If-Range are added by the fetcher and are not part of what it signs. A signed request
  /// follows no redirect (the signature is for this URL): a 3xx is a final answer.
  using RequestSigner =
      std::function<std::vector<std::string>(std::string_view method, std::string_view url)>;

  std::string url;
  /// How messages and logs name the download ("s3://bucket/key"); empty: the URL, without
  /// its query and user:password.
  std::string source_name;
  RequestSigner request_signer;
  std::filesystem::path output_dir = ".";
  /// The file's name in output_dir; empty: from the server or the URL (see above). Made
  /// safe like any other name.
  std::string file_name;
  bool overwrite = false;
  int connections = 4;  ///< at most this many at once (1 for FTP/SFTP servers that limit logins)
  std::int64_t min_segment = 1 << 20;  ///< no connection gets less than this (bytes)
  std::optional<Checksum> checksum;    ///< verified before the rename
  int max_tries = 5;                   ///< failures in a row per connection before giving up
  std::chrono::seconds connect_timeout{15};
  /// A connection that moves fewer than low_speed_limit bytes/s for low_speed_time is
  /// ended and retried (headers, then silence, is the usual case).
  long low_speed_limit = 1;
  std::chrono::seconds low_speed_time{30};
  /// At most this many bytes/s over the whole download; 0: unlimited. Split evenly over
  /// `connections`, each held to its share by libcurl.
  std::int64_t max_download_rate = 0;
  bool verify_tls = true;
  /// HTTPS/FTPS: trust these certificate authorities (PEM) instead of the system's.
  std::optional<std::filesystem::path> ca_file;
  /// Ranged requests against an SFTP server need its host key: a known_hosts file.
  std::optional<std::filesystem::path> ssh_known_hosts;
  /// For sftp:// with key authentication.
  std::optional<std::filesystem::path> ssh_private_key;

  /// Streaming (a Sink fed while the download runs). Called on the io thread (from a posted
  /// handler, so it may start transfers of its own) after bytes
  /// [offset, offset + length) are in the .part file, from a response whose Content-Range
  /// was the one asked for; also, once the server confirmed the same version, for the
  /// ranges an earlier run left. Ranges come in any order. Segmented downloads only: a
  /// single plain stream (no ranges, no length) reports nothing until it is complete.
  std::function<void(std::int64_t offset, std::int64_t length)> on_written;
  /// What on_written reported is void: the download starts over in a new .part file (the
  /// file changed on the server, or the server turned out to ignore ranges).
  std::function<void()> on_discarded;
  /// Back-pressure for a consumer slower than the download (a sink with a bounded
  /// backlog). Asked before each write of a segmented download, from inside the transfer:
  /// it may read status() and its own state, and must not call into the fetcher
  /// otherwise, nor block. When it returns true the fetcher pauses (state paused, as
  /// pause() does, reported to on_progress) without writing that data; resume() goes on
  /// from the bytes written.
  std::function<bool()> hold_writes;
};

/// The fetcher. status().bytes_total is 0 until the probe has answered; peers is the
/// number of connections running. cancel() and pause() keep the .part and control files,
/// so a later fetcher with the same options resumes.
class UrlFetcher final : public Fetcher {
 public:
  UrlFetcher(boost::asio::io_context& io, UrlFetchOptions options);
  ~UrlFetcher() override;

  void start() override;
  void pause() override;
  void resume() override;
  void cancel() override;
  [[nodiscard]] FetchStatus status() const override;
  /// Where the file is (or will be, once completed); empty until the name is known.
  [[nodiscard]] std::filesystem::path file_path() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow

template <>
struct std::is_error_code_enum<bitflow::fetch::errc> : std::true_type {};
