// bitflow/s3.hpp — a signed S3 client (AWS S3 and S3-compatible stores: MinIO, Ceph, R2,
// moto) on your io_context: objects, multipart uploads and presigned URLs.
//
// Every request is signed with SigV4 (the body's real SHA-256 in x-amz-content-sha256),
// goes through bitflow's one libcurl multi handle of the io_context, and is retried like
// the AWS SDKs' standard mode (see RetrySettings). A RequestTimeTooSkewed answer corrects
// the client's clock offset from the server's Date header and retries once.
//
// Threading: a Client belongs to one io_context, run by one thread; create, use and
// destroy it there, after its operations have ended (they use it until they complete).
// Operations are coroutines: co_await them from a coroutine on that io_context; several
// may run at once (parts in parallel). Bodies are in memory: the caller's bytes are
// copied into the request. Failures are thrown as bitflow::Error with s3::errc codes and
// a message carrying S3's code and text ("S3 NoSuchBucket: The specified bucket does not
// exist (HTTP 404) in HeadObject s3://b/k after 1 attempt"). Cancelling the awaiting
// operation (per-operation cancellation) abandons the request and its retries.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/s3_types.hpp"

namespace bitflow::s3 {

struct ClientSettings {
  Credentials credentials;
  std::string region = "us-east-1";
  /// nullopt: AWS itself (https://s3.<region>.amazonaws.com).
  std::optional<Endpoint> endpoint;
  AddressingStyle addressing = AddressingStyle::automatic;
  RetrySettings retry;
  /// One attempt's deadline (a 5 GiB part at a slow link needs more: raise it).
  std::chrono::milliseconds request_timeout{300'000};
  std::chrono::milliseconds connect_timeout{10'000};
  /// The largest body kept in memory: GetObject data, list pages.
  std::size_t max_response_body = 64u << 20;
  bool verify_tls = true;
  std::optional<std::string> ca_file;  ///< PEM CAs instead of the system's
};

/// The settings the AWS CLI would use, from the process environment and the shared files
/// (AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_S3, ~/.aws/credentials,
/// ~/.aws/config, ...; AWS_MAX_ATTEMPTS sets retry.max_attempts). Fails with
/// errc::missing_credentials or errc::invalid_config.
[[nodiscard]] ClientSettings settings_from_environment();
[[nodiscard]] std::optional<ClientSettings> settings_from_environment(ErrorInfo& error);

struct ObjectInfo {
  std::uint64_t size = 0;  ///< the whole object's size
  std::string etag;        ///< quotes included, as S3 sent it
  std::string last_modified;
  std::string content_type;
};

/// Bytes first … last, both included; no last: to the end.
struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;
};

struct GetObjectResult {
  std::string data;  ///< the requested bytes
  ObjectInfo info;   ///< info.size is the whole object's, also for a range
};

enum class PresignMethod { get, put };

class Client {
 public:
  Client(boost::asio::io_context& io, ClientSettings settings);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  [[nodiscard]] const ClientSettings& settings() const noexcept;
  /// Server clock minus local clock, as learnt from a RequestTimeTooSkewed answer (0 until
  /// then); added to the local time for every signature.
  [[nodiscard]] std::chrono::seconds clock_offset() const noexcept;

  /// Uploads `body` as the object; returns its ETag.
  boost::asio::awaitable<std::string> put_object(std::string bucket, std::string key,
                                                 std::string body, std::string content_type = {});
  /// errc::no_such_key when there is no such object (a HEAD answer has no body, so a
  /// missing bucket is reported the same way).
  boost::asio::awaitable<ObjectInfo> head_object(std::string bucket, std::string key);
  boost::asio::awaitable<GetObjectResult> get_object(std::string bucket, std::string key,
                                                     std::optional<ByteRange> range = {});
  /// Succeeds also when there was no such object (S3 answers 204 either way).
  boost::asio::awaitable<void> delete_object(std::string bucket, std::string key);

  /// Starts a multipart upload; returns its upload id.
  boost::asio::awaitable<std::string> create_multipart_upload(std::string bucket, std::string key,
                                                              std::string content_type = {});
  /// Uploads part `part_number` (1 … 10000; all but the last ≥ 5 MiB) with its Content-MD5,
  /// so S3 refuses bytes damaged on the way; returns the part as Complete needs it.
  boost::asio::awaitable<UploadedPart> upload_part(std::string bucket, std::string key,
                                                   std::string upload_id, int part_number,
                                                   std::string body);
  /// Joins the parts (any order). An <Error> body in a 200 answer is an error (retried
  /// when transient).
  boost::asio::awaitable<CompleteMultipartUploadResult> complete_multipart_upload(
      std::string bucket, std::string key, std::string upload_id, std::vector<UploadedPart> parts);
  boost::asio::awaitable<void> abort_multipart_upload(std::string bucket, std::string key,
                                                      std::string upload_id);
  /// One page of the upload's parts, starting after `part_number_marker`.
  boost::asio::awaitable<ListPartsResult> list_parts(std::string bucket, std::string key,
                                                     std::string upload_id,
                                                     std::optional<int> part_number_marker = {});
  /// One page of the bucket's unfinished uploads whose keys start with `prefix`, starting
  /// after (key_marker, upload_id_marker).
  boost::asio::awaitable<ListMultipartUploadsResult> list_multipart_uploads(
      std::string bucket, std::string prefix = {}, std::string key_marker = {},
      std::string upload_id_marker = {});

  /// A presigned URL for GET or PUT of the object, valid for `expires` (1 s … 7 days,
  /// else errc::invalid_expiry) from now. No request is made.
  [[nodiscard]] std::string presign(PresignMethod method, std::string_view bucket,
                                    std::string_view key, std::chrono::seconds expires) const;
  [[nodiscard]] std::optional<std::string> presign(PresignMethod method, std::string_view bucket,
                                                   std::string_view key,
                                                   std::chrono::seconds expires,
                                                   ErrorInfo& error) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitflow::s3
