// bitflow/sqs.hpp — tells an Amazon SQS queue (or an SQS-compatible one: moto, ElasticMQ)
// that a file was delivered to S3, with one SendMessage request per notice.
//
// A notice is sent as the JSON object {"bucket","key","size","sha256","source",
// "download_id"} (see delivery_notice_json). Requests use SQS's query protocol (a form
// POSTed to the queue URL), are signed with SigV4 for the service "sqs" (the body's real
// SHA-256 signed), go through bitflow's one libcurl multi handle of the io_context, and
// are retried like the S3 client's (the AWS SDKs' standard mode, ClientSettings::retry).
// The MD5 that SQS reports for the message it stored is checked against ours.
//
// Threading: a notifier belongs to one io_context, run by one thread; create, use and
// destroy it there, after its sends have ended. Sends are coroutines: co_await them from a
// coroutine on that io_context; several may run at once. Failures are thrown as
// bitflow::Error with s3::errc codes and a message carrying SQS's code and text ("SQS
// AWS.SimpleQueueService.NonExistentQueue: The specified queue does not exist for this
// wsdl version. (HTTP 400) in SendMessage https://sqs.us-east-1.amazonaws.com/1/q after
// 1 attempt"). Cancelling the awaiting operation abandons the request and its retries;
// a message may then have been stored or not.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "bitflow/s3.hpp"

namespace bitflow::s3 {

/// A file delivered to S3, as the queue's readers learn of it.
struct DeliveryNotice {
  std::string bucket;
  std::string key;
  std::uint64_t size = 0;
  std::string sha256_hex;   ///< of the file's bytes, lowercase hex
  std::string source;       ///< where it was downloaded from (a URL, a magnet link)
  std::string download_id;  ///< the caller's id of the transfer
};

/// The notice as one line of JSON, keys in the order above (sha256_hex as "sha256").
/// Strings are escaped as RFC 8259 requires; bytes that are not UTF-8 become U+FFFD, so
/// the body is always valid JSON and a valid SQS message.
[[nodiscard]] std::string delivery_notice_json(const DeliveryNotice& notice);

class SqsNotifier {
 public:
  /// `queue_url`: "https://sqs.<region>.amazonaws.com/<account>/<queue>" (the region is
  /// taken from it) or an SQS-compatible server's ("http://127.0.0.1:9324/000000000000/q";
  /// settings.region is signed then). settings.endpoint and addressing are not used.
  /// Throws bitflow::Error (errc::invalid_config) when the URL is not such a URL.
  SqsNotifier(boost::asio::io_context& io, ClientSettings settings, std::string queue_url);
  ~SqsNotifier();
  SqsNotifier(const SqsNotifier&) = delete;
  SqsNotifier& operator=(const SqsNotifier&) = delete;

  [[nodiscard]] const std::string& queue_url() const noexcept;
  /// The region requests are signed for.
  [[nodiscard]] const std::string& region() const noexcept;

  /// Sends `body` as one message; returns the MessageId SQS gave it. A stored message
  /// whose MD5 differs from ours fails with errc::checksum_mismatch (not retried: the
  /// damaged copy is already in the queue).
  boost::asio::awaitable<std::string> send(std::string body);
  /// send(delivery_notice_json(notice)); `notice` is read before this returns.
  boost::asio::awaitable<std::string> notify_delivered(const DeliveryNotice& notice);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bitflow::s3
