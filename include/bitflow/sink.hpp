// bitflow/sink.hpp — where a download's files end up: a local folder (LocalDirSink) or
// an S3 bucket (S3Sink), fed while the download runs.
//
// A download writes its files locally as it always does (the torrent's save path, the
// URL fetcher's .part file). The sink is told which byte ranges of which file are
// verified there — a torrent's hash-checked pieces, an HTTP download's written and
// range-checked segments — in any order, and does what it can with them at once: the S3
// sink uploads every part whose bytes are all verified while the rest still downloads
// (streaming), reading them back from the local file, so its memory is the parts in
// flight, never the file. When the download is complete, finish() delivers what is left
// and confirms every file; only then is the download delivered.
//
// Order of calls: open(), then any number of ready() and moved(), then one of finish()
// (delivered), suspend() (stopped, to be continued by a later sink with the same files:
// Ctrl-C) or abort() (undone: nothing left behind at the destination but files already
// delivered whole). Await one of the three before destroying the sink.
//
// Threading: a sink belongs to one io_context, run by one thread; call it there.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace bitflow {

namespace s3 {
class Client;
}

/// One file a sink receives.
struct SinkFile {
  /// Its name at the destination, relative and '/'-separated ("album/cd1/01.flac");
  /// checked again by the sink (no "..", no absolute path).
  std::string path;
  std::uint64_t size = 0;
  /// Where its verified bytes can be read meanwhile (and where the whole file is once
  /// complete, unless moved() says otherwise).
  std::filesystem::path local;
};

/// A file as the destination confirmed it.
struct DeliveredFile {
  std::string path;      ///< SinkFile::path
  std::string location;  ///< "/dest/album/01.flac" or "s3://bucket/prefix/album/01.flac"
  std::uint64_t size = 0;
  std::string etag;  ///< S3's ETag (quotes included); empty for a local folder
};

/// What a sink reports while it works (for progress lines and status).
struct SinkStatus {
  std::uint64_t bytes_delivered = 0;  ///< bytes the destination has confirmed so far
  std::uint64_t bytes_total = 0;      ///< of every file given to open()
  std::uint64_t bytes_resumed = 0;    ///< of those, found delivered by an earlier run
  int in_flight = 0;                  ///< transfers to the destination running now
  std::error_code error;              ///< set once the sink failed: it stops working
  std::string error_message;          ///< one sentence saying why
};

class Sink {
 public:
  virtual ~Sink() = default;

  /// Starts the delivery of `files` (resuming what an earlier run of the same delivery
  /// left, where the sink can). Returns at once; the set-up runs in the background and a
  /// failure of it shows in status() and in finish().
  virtual void open(std::vector<SinkFile> files) = 0;
  /// Bytes [offset, offset + length) of files[file] are verified and readable at its
  /// local path. Ranges may overlap and come in any order. Never blocks.
  virtual void ready(std::size_t file, std::uint64_t offset, std::uint64_t length) = 0;
  /// The file's bytes are now read from `local` (a .part file renamed to its final name).
  /// A file the sink has already opened is read on through its open descriptor.
  virtual void moved(std::size_t file, std::filesystem::path local) = 0;
  /// Every file is complete at its local path: delivers the rest, confirms each file (an
  /// S3 object's size is checked with HeadObject) and returns them in open()'s order.
  /// Throws bitflow::Error when delivery failed; the sink has then already aborted what it
  /// started (see abort()). A suspend() while finish() waits makes it throw
  /// std::errc::operation_canceled, with what was delivered kept for a later run.
  virtual boost::asio::awaitable<std::vector<DeliveredFile>> finish() = 0;
  /// Stops after the transfers running now, keeping what a later run needs to continue.
  virtual boost::asio::awaitable<void> suspend() = 0;
  /// Stops and undoes what is unfinished: multipart uploads are aborted, temporary files
  /// removed, saved state deleted. Files already delivered whole stay. Does not throw.
  virtual boost::asio::awaitable<void> abort() = 0;
  [[nodiscard]] virtual SinkStatus status() const = 0;
};

/// A local folder. Files are moved there from their local paths when finish() runs —
/// renamed when both are on one file system, else copied to a hidden temporary name,
/// fsynced and renamed — so they appear under their final names only when complete. An
/// existing file of the same name is an error unless `overwrite`.
struct LocalDirSinkOptions {
  std::filesystem::path folder;
  bool overwrite = false;
};

class LocalDirSink final : public Sink {
 public:
  explicit LocalDirSink(LocalDirSinkOptions options);
  ~LocalDirSink() override;

  void open(std::vector<SinkFile> files) override;
  void ready(std::size_t file, std::uint64_t offset, std::uint64_t length) override;
  void moved(std::size_t file, std::filesystem::path local) override;
  boost::asio::awaitable<std::vector<DeliveredFile>> finish() override;
  boost::asio::awaitable<void> suspend() override;
  boost::asio::awaitable<void> abort() override;
  [[nodiscard]] SinkStatus status() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The smallest part S3 accepts (all but the last) and the most parts one upload may have.
inline constexpr std::uint64_t s3_min_part_size = 5u << 20;
inline constexpr int s3_max_parts = 10'000;

struct S3SinkOptions {
  std::string bucket;
  /// Put before every file's path: "" or "backups/" (a missing trailing '/' is added).
  std::string prefix;
  /// At least s3_min_part_size; grown per file (to whole MiB) so that no file needs more
  /// than s3_max_parts parts. Files no larger than one part go up in one PutObject.
  std::uint64_t part_size = 8u << 20;
  /// Parts (and single-request files) uploading at once, over all files.
  int parallel_parts = 8;
  /// Where the multipart upload ids are kept between runs (written atomically after each
  /// change); empty: nothing is kept, and suspend() aborts like abort().
  std::filesystem::path state_file;
  /// What the delivered data is, e.g. the torrent's info-hash or the URL and its ETag:
  /// saved uploads of another source are aborted rather than continued.
  std::string source_identity;
  std::string content_type;  ///< sent with every object; empty: none
  /// Frees each part's bytes in the local file once S3 has confirmed it (a hole punched
  /// with fallocate), so that a download streaming into S3 keeps on disk only what is not
  /// uploaded yet. The local file is then no copy of the data: use it only when nothing
  /// else reads it (not for a torrent, which verifies and serves its pieces from it).
  bool release_uploaded = false;
};

/// An S3 bucket, one object per file under the prefix. Files larger than a part are
/// multipart uploads whose parts go up as soon as their bytes are ready (each with its
/// Content-MD5); after a kill, a sink with the same options and files lists the parts S3
/// already has (ListParts) and sends only the others. Any failure (after the client's own
/// retries) or abort() aborts the unfinished multipart uploads: none is left behind.
///
/// The client (of the same io_context) must outlive the sink. Parts are read from the local files
/// with pread on the io_context's thread (a part at a time per transfer, from the page cache as a
/// rule).
class S3Sink final : public Sink {
 public:
  S3Sink(boost::asio::io_context& io, s3::Client& client, S3SinkOptions options);
  ~S3Sink() override;

  void open(std::vector<SinkFile> files) override;
  void ready(std::size_t file, std::uint64_t offset, std::uint64_t length) override;
  void moved(std::size_t file, std::filesystem::path local) override;
  boost::asio::awaitable<std::vector<DeliveredFile>> finish() override;
  boost::asio::awaitable<void> suspend() override;
  boost::asio::awaitable<void> abort() override;
  [[nodiscard]] SinkStatus status() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace bitflow
