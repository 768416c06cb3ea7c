// DownloadJob: a fetcher into the download's folder, then a sink to the destination.
#include "manager/download_job.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "bitflow/log.hpp"
#include "storage/fs_util.hpp"

namespace bitflow::manager {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

// Written into the download's folder once its fetcher completed. A job started again for
// the same download (after a restart, a pause or a failed upload) then delivers what the
// folder holds instead of fetching again: a URL fetcher would take the finished file for
// someone else's and download the whole thing anew under another name.
constexpr const char* fetched_marker = ".bitflow-fetched";

bool is_own_file(const std::string& name) {
  const auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return name.rfind(".bitflow", 0) == 0 || ends_with(".part") || ends_with(".part.bitflow");
}

// Built field by field: g++ 12 warns (maybe-uninitialized) on the aggregate initialisers.
JobReport progress_report(const FetchStatus& status) {
  JobReport r;
  r.fetch = status;
  return r;
}
JobReport failed_report(const ErrorInfo& error) {
  JobReport r;
  r.kind = JobReport::Kind::failed;
  r.error = error;
  return r;
}
JobReport uploading_report(std::uint64_t uploaded, std::vector<DownloadFile> files) {
  JobReport r;
  r.kind = JobReport::Kind::uploading;
  r.bytes_uploaded = uploaded;
  r.files = std::move(files);
  return r;
}
JobReport completed_report(std::vector<DownloadFile> files) {
  JobReport r;
  r.kind = JobReport::Kind::completed;
  r.files = std::move(files);
  return r;
}

bool is_s3(const std::string& destination) {
  return destination.rfind("s3://", 0) == 0;
}

}  // namespace

std::vector<DownloadFile> content_files(const fs::path& folder) {
  std::vector<DownloadFile> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(folder, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (is_own_file(name)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const auto size = static_cast<std::int64_t>(it->file_size(ec));
    files.push_back({it->path().lexically_relative(folder).generic_string(), size, size, true});
  }
  std::sort(files.begin(), files.end(),
            [](const DownloadFile& a, const DownloadFile& b) { return a.path < b.path; });
  return files;
}

std::pair<std::string, std::string> split_s3(const std::string& url) {
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return {rest.substr(0, slash), prefix};
}

std::string delivered_location(const std::string& destination, const fs::path& folder,
                               const std::string& file) {
  if (destination.empty()) return (folder / file).string();
  if (is_s3(destination)) {
    auto [bucket, prefix] = split_s3(destination);
    return "s3://" + bucket + "/" + prefix + file;
  }
  return (fs::path(destination) / file).string();
}

DownloadJob::DownloadJob(asio::io_context& io, FetcherRegistry& registry, std::string source,
                         JobSettings settings, Callback callback)
    : io_(io),
      registry_(registry),
      source_(std::move(source)),
      settings_(std::move(settings)),
      callback_(std::move(callback)) {}

DownloadJob::~DownloadJob() = default;

void DownloadJob::report(JobReport r) {
  if (over_) return;
  if (r.kind == JobReport::Kind::completed || r.kind == JobReport::Kind::failed) over_ = true;
  auto callback = callback_;  // the callback may destroy this job
  callback(r);
}

void DownloadJob::start() {
  std::error_code ec;
  if (fs::exists(settings_.folder / fetched_marker, ec)) {
    delivering_ = true;
    asio::post(io_, [self = shared_from_this()] {
      if (!self->over_) asio::co_spawn(self->io_, deliver(self), asio::detached);
    });
    return;
  }
  FetchOptions options = settings_.fetch;
  options.output_dir = settings_.folder;
  try {
    fs::create_directories(settings_.folder);
    fetcher_ = registry_.create(source_, options);
  } catch (const std::exception& e) {
    ErrorInfo error;
    if (const auto* be = dynamic_cast<const Error*>(&e)) error.code = be->code();
    if (!error.code) error.code = std::make_error_code(std::errc::invalid_argument);
    error.message = e.what();
    asio::post(io_, [weak = weak_from_this(), error] {
      if (auto self = weak.lock()) self->report(failed_report(error));
    });
    return;
  }
  fetcher_->on_progress([this](const FetchStatus& s) { on_fetch(s); });
  fetcher_->start();
}

void DownloadJob::on_fetch(const FetchStatus& status) {
  if (over_) return;
  switch (status.state) {
    case FetchState::running:
      report(progress_report(status));
      break;
    case FetchState::completed:
      if (delivering_) break;
      delivering_ = true;
      mark_fetched();
      report(progress_report(status));
      // Not from inside the fetcher's callback: delivery destroys the fetcher first.
      asio::co_spawn(io_, deliver(shared_from_this()), asio::detached);
      break;
    case FetchState::failed: {
      ErrorInfo error{status.error_code, status.error};
      if (!error.code) error.code = std::make_error_code(std::errc::io_error);
      if (error.message.empty()) error.message = "the download failed";
      report(failed_report(error));
      break;
    }
    default:
      break;  // paused or cancelled: only by this job, which reports nothing for them
  }
}

void DownloadJob::mark_fetched() {
  // Best effort: without the marker a later job fetches again, which costs time, not data.
  ErrorInfo error;
  if (!storage::detail::write_atomically(settings_.folder, fetched_marker, "", error))
    logger()->warn("manager: {}: cannot mark the fetch as complete: {}", settings_.folder.string(),
                   error.message);
}

asio::awaitable<void> DownloadJob::report_uploads(std::shared_ptr<DownloadJob> self,
                                                  std::shared_ptr<bool> running) {
  asio::steady_timer timer(self->io_);
  while (*running && !self->over_) {
    timer.expires_after(std::chrono::milliseconds(500));
    co_await timer.async_wait(asio::use_awaitable);
    if (*running && self->sink_)
      self->report(uploading_report(self->sink_->status().bytes_delivered, {}));
  }
}

asio::awaitable<void> DownloadJob::deliver(std::shared_ptr<DownloadJob> self) {
  // A torrent leaves the session here (its data stays): its files are about to move.
  if (self->fetcher_) {
    self->fetcher_->cancel();
    self->fetcher_.reset();
  }
  std::vector<DownloadFile> files = content_files(self->settings_.folder);
  const std::string& destination = self->settings_.destination;
  if (destination.empty()) {
    self->report(completed_report(std::move(files)));
    co_return;
  }
  std::vector<SinkFile> sink_files;
  for (const DownloadFile& f : files)
    sink_files.push_back(
        {f.path, static_cast<std::uint64_t>(f.size), self->settings_.folder / f.path});
  if (is_s3(destination)) {
    auto [bucket, prefix] = split_s3(destination);
    S3SinkOptions options;
    options.bucket = bucket;
    options.prefix = prefix;
    options.part_size = self->settings_.part_size;
    options.parallel_parts = self->settings_.parallel_parts;
    options.state_file = self->settings_.folder / ".bitflow-upload";
    options.source_identity = self->settings_.identity;
    self->sink_ = std::make_unique<S3Sink>(self->io_, *self->settings_.s3, std::move(options));
  } else {
    self->sink_ = std::make_unique<LocalDirSink>(LocalDirSinkOptions{destination, false});
  }
  self->sink_->open(sink_files);
  for (std::size_t i = 0; i < sink_files.size(); ++i)
    self->sink_->ready(i, 0, sink_files[i].size);
  if (is_s3(destination)) self->report(uploading_report(0, files));

  // Upload progress, twice a second, while finish() runs.
  auto finishing = std::make_shared<bool>(true);
  asio::co_spawn(self->io_, report_uploads(self, finishing), asio::detached);
  ErrorInfo error;
  try {
    co_await self->sink_->finish();
  } catch (const Error& e) {
    error = {e.code(), e.what()};
  } catch (const std::exception& e) {
    error = {std::make_error_code(std::errc::io_error), e.what()};
  }
  *finishing = false;
  if (self->over_) co_return;  // stopped or cancelled meanwhile
  if (error) {
    self->report(failed_report(error));
    co_return;
  }
  self->report(completed_report(std::move(files)));
}

asio::awaitable<void> DownloadJob::stop() {
  auto self = shared_from_this();
  over_ = true;
  if (fetcher_) {
    fetcher_->cancel();  // keeps the data and the resume files
    fetcher_.reset();
  }
  if (sink_) co_await sink_->suspend();
}

asio::awaitable<void> DownloadJob::cancel() {
  auto self = shared_from_this();
  over_ = true;
  if (fetcher_) {
    fetcher_->cancel();
    fetcher_.reset();
  }
  if (sink_) co_await sink_->abort();
}

}  // namespace bitflow::manager
