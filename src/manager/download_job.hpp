// One download of the manager, from start to delivery: its fetcher fetches into the
// download's own folder; once the fetcher completed, the files found there go to the
// destination through a Sink (moved into a local folder, or uploaded to S3), and the job
// reports completed only when the sink confirmed them. The manager owns the states; the
// job only reports what happened.
//
// Threading: the io_context's thread, like the fetchers and sinks it drives.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/fetcher.hpp"
#include "bitflow/fetcher_registry.hpp"
#include "bitflow/manager_types.hpp"
#include "bitflow/s3.hpp"
#include "bitflow/sink.hpp"

namespace bitflow::manager {

struct JobSettings {
  std::filesystem::path folder;  ///< the download's own folder (the fetcher's output_dir)
  FetchOptions fetch;            ///< output_dir is replaced by `folder`
  /// "" (the files stay in `folder`), a local folder, or s3://bucket/prefix/.
  std::string destination;
  s3::Client* s3 = nullptr;  ///< for an s3:// destination; outlives the job
  std::uint64_t part_size = 8u << 20;
  int parallel_parts = 8;
  /// Names what is uploaded, for the S3 upload state kept in `folder` between runs.
  std::string identity;
};

struct JobReport {
  enum class Kind { progress, uploading, completed, failed };
  Kind kind = Kind::progress;
  FetchStatus fetch;                 ///< progress: the fetcher's status
  std::uint64_t bytes_uploaded = 0;  ///< uploading: what the sink has confirmed
  std::vector<DownloadFile> files;   ///< uploading, completed: the files delivered
  ErrorInfo error;                   ///< failed
};

/// The folder's content files, '/'-separated paths relative to it, sorted: everything but
/// the fetchers' and sinks' own files (names starting with ".bitflow", and .part files).
[[nodiscard]] std::vector<DownloadFile> content_files(const std::filesystem::path& folder);

/// "s3://bucket/some/prefix" → {"bucket", "some/prefix/"} (the prefix "" or ending in '/').
[[nodiscard]] std::pair<std::string, std::string> split_s3(const std::string& url);

/// Where a download's files end up: the path of `file` in the destination, as shown to
/// users ("s3://bucket/prefix/a/b.bin", "/data/done/a/b.bin"); `folder` when there is no
/// destination.
[[nodiscard]] std::string delivered_location(const std::string& destination,
                                             const std::filesystem::path& folder,
                                             const std::string& file);

class DownloadJob : public std::enable_shared_from_this<DownloadJob> {
 public:
  using Callback = std::function<void(const JobReport&)>;

  DownloadJob(boost::asio::io_context& io, FetcherRegistry& registry, std::string source,
              JobSettings settings, Callback callback);
  ~DownloadJob();
  DownloadJob(const DownloadJob&) = delete;
  DownloadJob& operator=(const DownloadJob&) = delete;

  /// Makes the fetcher and starts it — or, when an earlier job for the same folder fetched
  /// everything already, delivers what the folder holds. A source that cannot be fetched
  /// reports failed (posted, never from inside this call).
  void start();
  /// Stops for now, keeping what a later job for the same download continues from: the
  /// fetcher's data and resume files, the S3 upload state. No reports after this.
  boost::asio::awaitable<void> stop();
  /// Stops for good: as stop(), but an unfinished S3 upload is aborted.
  boost::asio::awaitable<void> cancel();

 private:
  void on_fetch(const FetchStatus& status);
  void mark_fetched();
  static boost::asio::awaitable<void> deliver(std::shared_ptr<DownloadJob> self);
  static boost::asio::awaitable<void> report_uploads(std::shared_ptr<DownloadJob> self,
                                                     std::shared_ptr<bool> running);
  void report(JobReport r);

  boost::asio::io_context& io_;
  FetcherRegistry& registry_;
  std::string source_;
  JobSettings settings_;
  Callback callback_;
  std::unique_ptr<Fetcher> fetcher_;
  std::unique_ptr<Sink> sink_;
  bool over_ = false;  // stopped, cancelled, completed or failed: no more reports
  bool delivering_ = false;
};

}  // namespace bitflow::manager
