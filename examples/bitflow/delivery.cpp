#include "delivery.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "bitflow/hash.hpp"

#include "bitflow/text.hpp"
#include "status_line.hpp"

namespace cli {

namespace asio = boost::asio;

namespace {

// "s3://bucket/some/prefix" → bucket "bucket", prefix "some/prefix/".
std::pair<std::string, std::string> split_s3(const std::string& url) {
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (bucket.empty()) throw UsageError("--to: '" + url + "' names no bucket (s3://BUCKET/PREFIX/)");
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return {bucket, prefix};
}

// Runs where it is co_spawned. A coroutine function rather than a lambda: g++ 12 frees a
// coroutine lambda's captured path twice.
asio::awaitable<bitflow::Sha256Hash> hash_file(std::filesystem::path path) {
  co_return bitflow::sha256_of_file(path);
}

}  // namespace

const std::set<std::string>& Delivery::option_names() {
  static const std::set<std::string> names = {"to", "part-size", "parallel-parts", "notify-sqs"};
  return names;
}

std::unique_ptr<Delivery> Delivery::from_args(boost::asio::io_context& io, const Args& args) {
  auto to = args.value("to");
  const bool no_local_copy = args.flag("no-local-copy");
  if (no_local_copy && (!to || to->rfind("s3://", 0) != 0))
    throw UsageError("--no-local-copy goes with --to s3://BUCKET/PREFIX/");
  if (no_local_copy && args.value("notify-sqs"))
    throw UsageError(
        "--notify-sqs reads each file's SHA-256 from the local copy, which --no-local-copy "
        "frees as it uploads: use one or the other");
  if (!to) {
    if (args.value("part-size") || args.value("parallel-parts") || args.value("notify-sqs"))
      throw UsageError(
          "--part-size, --parallel-parts and --notify-sqs go with --to s3://BUCKET/PREFIX/");
    return nullptr;
  }
  if (to->empty()) throw UsageError("--to: give a folder or s3://BUCKET/PREFIX/");
  auto delivery = std::make_unique<Delivery>(io, *to);
  if (to->rfind("s3://", 0) != 0) {
    if (args.value("part-size") || args.value("parallel-parts") || args.value("notify-sqs"))
      throw UsageError(
          "--part-size, --parallel-parts and --notify-sqs are for an s3:// destination");
    delivery->local_ = bitflow::LocalDirSinkOptions{*to, false};
    return delivery;
  }
  auto [bucket, prefix] = split_s3(*to);
  bitflow::S3SinkOptions options;
  options.bucket = bucket;
  options.prefix = prefix;
  if (auto size = args.value("part-size")) {
    const std::int64_t part = parse_size(*size);
    if (part < static_cast<std::int64_t>(bitflow::s3_min_part_size) ||
        part > (std::int64_t{5} << 30))
      throw UsageError("--part-size: S3 parts are 5 MiB to 5 GiB, not " + *size);
    options.part_size = static_cast<std::uint64_t>(part);
  }
  if (auto n = args.value("parallel-parts")) {
    char* end = nullptr;
    const long v = std::strtol(n->c_str(), &end, 10);
    if (n->empty() || *end != '\0' || v < 1 || v > 64)
      throw UsageError("--parallel-parts: '" + *n + "' is not a number from 1 to 64");
    options.parallel_parts = static_cast<int>(v);
  }
  options.release_uploaded = no_local_copy;
  delivery->no_local_copy_ = no_local_copy;
  delivery->s3_ = std::move(options);
  const bitflow::s3::ClientSettings settings = bitflow::s3::settings_from_environment();
  delivery->s3_client_ = std::make_unique<bitflow::s3::Client>(io, settings);
  if (auto queue = args.value("notify-sqs")) {
    if (queue->empty()) throw UsageError("--notify-sqs: give the queue's URL");
    delivery->notifier_ = std::make_unique<bitflow::s3::SqsNotifier>(io, settings, *queue);
  }
  if (!args.positional().empty()) delivery->source_ = args.positional()[0];
  return delivery;
}

Delivery::Delivery(boost::asio::io_context& io, std::string destination)
    : io_(io), destination_(std::move(destination)) {}

Delivery::~Delivery() = default;

void Delivery::open(std::vector<bitflow::SinkFile> files, std::filesystem::path state_file,
                    std::string identity) {
  identity_ = identity;
  if (s3_) {
    bitflow::S3SinkOptions options = *s3_;
    options.state_file = std::move(state_file);
    options.source_identity = std::move(identity);
    sink_ = std::make_unique<bitflow::S3Sink>(io_, *s3_client_, std::move(options));
  } else {
    sink_ = std::make_unique<bitflow::LocalDirSink>(*local_);
  }
  files_ = files;
  sink_->open(std::move(files));
}

void Delivery::moved(std::size_t file, const std::filesystem::path& local) {
  files_.at(file).local = local;
  sink_->moved(file, local);
}

void Delivery::open_torrent(const bitflow::TorrentHandle& torrent,
                            const std::filesystem::path& save_path,
                            const std::vector<int>& file_priorities) {
  const bitflow::TorrentInfo& info = torrent.info();
  std::vector<bitflow::SinkFile> files;
  sink_file_of_.assign(info.files().size(), -1);
  for (std::size_t i = 0; i < info.files().size(); ++i) {
    const bitflow::FileEntry& f = info.files()[i];
    if (f.pad || f.symlink) continue;
    if (!file_priorities.empty() && file_priorities[i] == 0) continue;
    sink_file_of_[i] = static_cast<int>(files.size());
    files.push_back({f.path, static_cast<std::uint64_t>(f.size), save_path / f.path});
  }
  open(std::move(files), save_path / ".bitflow" / (info.info_hash().hex() + ".s3-upload"),
       "btih:" + info.info_hash().hex());
  const auto have = torrent.have_pieces();
  for (std::size_t p = 0; p < have.size(); ++p)
    if (have[p]) on_piece(torrent, static_cast<std::int32_t>(p));
}

void Delivery::on_piece(const bitflow::TorrentHandle& torrent, std::int32_t piece) {
  if (!sink_) return;
  const bitflow::Geometry& g = torrent.info().geometry();
  for (const bitflow::FileSlice& slice : g.map_piece(bitflow::PieceIndex(piece))) {
    const int file = sink_file_of_[static_cast<std::size_t>(slice.file.value)];
    if (file < 0) continue;
    sink_->ready(static_cast<std::size_t>(file), static_cast<std::uint64_t>(slice.offset),
                 static_cast<std::uint64_t>(slice.length));
  }
}

boost::asio::awaitable<int> Delivery::finish(bool quiet, std::string& message) {
  try {
    auto delivered = co_await sink_->finish();
    if (!quiet)
      for (const bitflow::DeliveredFile& f : delivered)
        status_line::print_above("delivered " + f.location + " (" +
                                 bitflow::format_size(static_cast<std::int64_t>(f.size)) + ")\n");
    if (!notifier_) co_return 0;
    try {
      co_await notify(delivered, quiet);
      co_return 0;
    } catch (const std::exception& e) {
      message = std::string("delivered, but the SQS notice failed: ") + e.what();
    }
  } catch (const std::exception& e) {
    message = e.what();
  }
  co_return 1;
}

asio::awaitable<void> Delivery::notify(const std::vector<bitflow::DeliveredFile>& delivered,
                                       bool quiet) {
  // Hashing a large file takes seconds: it runs on a thread of its own, so the io thread
  // (and a Ctrl-C) stays responsive.
  asio::thread_pool hasher(1);
  for (std::size_t i = 0; i < delivered.size(); ++i) {
    const bitflow::DeliveredFile& f = delivered[i];
    const bitflow::Sha256Hash digest =
        co_await asio::co_spawn(hasher, hash_file(files_.at(i).local), asio::use_awaitable);
    bitflow::s3::DeliveryNotice notice;
    notice.bucket = s3_->bucket;
    // The location is "s3://BUCKET/KEY".
    notice.key = f.location.substr(std::string("s3://").size() + notice.bucket.size() + 1);
    notice.size = f.size;
    notice.sha256_hex = digest.hex();
    notice.source = source_;
    notice.download_id = identity_;
    const std::string id = co_await notifier_->notify_delivered(notice);
    if (!quiet)
      status_line::print_above("notified " + notifier_->queue_url() + " (message " + id + ")\n");
  }
}

std::uint64_t Delivery::backlog_limit(std::uint64_t file_size, int connections) const {
  if (!s3_) return 0;
  // The sink grows its parts to whole MiB so that no file needs more than s3_max_parts.
  const std::uint64_t mib = std::uint64_t{1} << 20;
  const std::uint64_t grown = (file_size / bitflow::s3_max_parts + mib) / mib * mib;
  const std::uint64_t part = std::max(s3_->part_size, grown);
  return part * static_cast<std::uint64_t>(s3_->parallel_parts + connections + 1);
}

std::string Delivery::progress_text() const {
  if (!sink_ || !remote()) return {};
  const auto s = sink_->status();
  return "  to S3 " + bitflow::format_size(static_cast<std::int64_t>(s.bytes_delivered));
}

}  // namespace cli
