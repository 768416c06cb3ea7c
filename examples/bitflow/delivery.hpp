// `--to DEST` of `bitflow download`: the Sink that the download's files go to (a local
// folder, or s3://bucket/prefix/), made from the command line, and the glue that feeds
// it a torrent's verified pieces or a URL download's written segments while they come in.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "args.hpp"
#include "bitflow/s3.hpp"
#include "bitflow/session.hpp"
#include "bitflow/sink.hpp"
#include "bitflow/sqs.hpp"

namespace cli {

class Delivery {
 public:
  /// The options this adds to `download`: --to, --part-size, --parallel-parts,
  /// --notify-sqs (and the flag --no-local-copy, which URL downloads take).
  static const std::set<std::string>& option_names();
  /// Null when the command line has no --to. Throws UsageError for a bad destination or
  /// size, bitflow::Error when S3 settings are missing.
  static std::unique_ptr<Delivery> from_args(boost::asio::io_context& io, const Args& args);

  Delivery(boost::asio::io_context& io, std::string destination);
  ~Delivery();

  /// "s3://bucket/prefix/" or the folder, for messages.
  [[nodiscard]] const std::string& destination() const noexcept { return destination_; }
  [[nodiscard]] bool remote() const noexcept { return s3_client_ != nullptr; }
  [[nodiscard]] bool opened() const noexcept { return sink_ != nullptr; }
  /// --no-local-copy: uploaded parts are freed in the local file (S3SinkOptions::
  /// release_uploaded), and the download is held back while too much waits for upload.
  [[nodiscard]] bool no_local_copy() const noexcept { return no_local_copy_; }
  /// --no-local-copy: the most bytes a download of `file_size` bytes over `connections`
  /// may keep written but not yet uploaded — the parts in flight, a part per connection
  /// still being filled, and one more.
  [[nodiscard]] std::uint64_t backlog_limit(std::uint64_t file_size, int connections) const;

  /// Starts delivering `files`; `state_file` keeps a remote upload's progress between runs
  /// and `identity` names the source (another source's saved uploads are not continued).
  void open(std::vector<bitflow::SinkFile> files, std::filesystem::path state_file,
            std::string identity);
  [[nodiscard]] bitflow::Sink& sink() { return *sink_; }
  /// Sink::moved, remembered for the SHA-256 of the --notify-sqs notice.
  void moved(std::size_t file, const std::filesystem::path& local);

  /// A torrent's files (pad and symlink files, and those of priority 0 when
  /// `file_priorities` is not empty, left out) opened as the sink's files, with the pieces
  /// it already has reported; then on_piece() for each new one.
  void open_torrent(const bitflow::TorrentHandle& torrent, const std::filesystem::path& save_path,
                    const std::vector<int>& file_priorities);
  void on_piece(const bitflow::TorrentHandle& torrent, std::int32_t piece);

  /// finish() with a line per delivered file, then with --notify-sqs one message per file
  /// (its SHA-256 read back from the local copy); on failure the message. Returns 0 or 1.
  boost::asio::awaitable<int> finish(bool quiet, std::string& message);
  /// " → S3 12.0 MiB" for the progress line; empty before open().
  [[nodiscard]] std::string progress_text() const;

 private:
  boost::asio::awaitable<void> notify(const std::vector<bitflow::DeliveredFile>& delivered,
                                      bool quiet);

  boost::asio::io_context& io_;
  std::string destination_;
  std::optional<bitflow::LocalDirSinkOptions> local_;
  std::optional<bitflow::S3SinkOptions> s3_;
  std::unique_ptr<bitflow::s3::Client> s3_client_;
  std::unique_ptr<bitflow::Sink> sink_;
  std::vector<bitflow::SinkFile> files_;  // as opened, with moved() applied
  std::string source_;                    // the command's source, for the notices
  std::string identity_;                  // the notices' download id
  std::unique_ptr<bitflow::s3::SqsNotifier> notifier_;
  bool no_local_copy_ = false;
  std::vector<int> sink_file_of_;  // torrent file index -> sink file index, or -1
};

}  // namespace cli
