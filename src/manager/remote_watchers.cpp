// RemoteWatchers (manager/remote_watchers.hpp): one remote::watch() per configured client.
// Its events are rewritten (type, id, owner) and go to the manager's sink; the records of
// the last answered poll are kept per client, replaced event by event (a removed torrent
// leaves). Stopping needs no cancellation machinery: watch() calls back after every poll
// (on_answer or on_error), and a callback that throws ends it, so a stopped watcher ends at
// its next poll and its coroutine releases the client.
#include "manager/remote_watchers.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <cstdint>
#include <exception>
#include <map>

#include "bitflow/error.hpp"
#include "bitflow/log.hpp"
#include "bitflow/remote_client.hpp"
#include "bitflow/remote_watch.hpp"

namespace bitflow::manager::detail {

namespace asio = boost::asio;

struct RemoteWatchers::Watched {
  WatchedClient config;
  std::string kind;
  std::unique_ptr<remote::RemoteClient> client;
  std::map<std::string, DownloadRecord> records;  // by id: the last answered poll
  Sink sink;
  bool failing = false;
  bool stopped = false;
};

namespace {

// Thrown from a callback of a stopped watcher: ends its watch().
struct Stopped {};

std::uint32_t fnv1a(std::string_view text) {
  std::uint32_t h = 2166136261u;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

asio::awaitable<void> watch_one(std::shared_ptr<RemoteWatchers::Watched> w,
                                remote::WatchOptions options) {
  RemoteWatchers::Watched* self = w.get();  // the frame keeps it alive
  options.on_answer = [self] {
    if (self->stopped) throw Stopped{};
    if (self->failing) logger()->info("remote client {} answers again", self->client->describe());
    self->failing = false;
  };
  auto on_event = [self](const Event& event) {
    if (self->stopped) throw Stopped{};
    Event e = event;
    e.download.id = remote_id(self->config.url, event.download.id);  // the differ's: the hash
    e.download.type = self->kind;
    if (e.kind == EventKind::removed)
      self->records.erase(e.download.id);
    else
      self->records[e.download.id] = e.download;
    try {
      self->sink(e);
    } catch (const std::exception& x) {
      logger()->warn("remote client {}: an event was not delivered: {}", self->client->describe(),
                     x.what());
    }
  };
  auto on_error = [self, interval = options.interval](const ErrorInfo& error) {
    if (self->stopped) throw Stopped{};
    if (self->failing) return;  // once per outage
    self->failing = true;
    logger()->warn("remote client {}: {} (polling again every {} ms)", self->client->describe(),
                   error.message, interval.count());
  };
  co_await remote::watch(*w->client, std::move(options), std::move(on_event), std::move(on_error));
}

}  // namespace

std::string remote_kind(std::string_view url) {
  const auto plus = url.find('+');
  return std::string(url.substr(0, plus == std::string_view::npos ? 0 : plus));
}

std::string remote_id(std::string_view url, std::string_view hash) {
  return fmt::format("{}-{:08x}-{}", remote_kind(url), fnv1a(url), hash);
}

RemoteWatchers::RemoteWatchers(asio::io_context& io, const std::vector<WatchedClient>& clients,
                               std::chrono::milliseconds progress_interval)
    : io_(io), progress_interval_(progress_interval) {
  for (const WatchedClient& c : clients) {
    if (c.owner.empty() || c.owner.size() > 128)
      throw Error(std::make_error_code(std::errc::invalid_argument),
                  "the remote client '" + c.url + "' needs an owner (1 to 128 characters)");
    auto w = std::make_shared<Watched>();
    w->client = remote::make_remote_client(io, c.url);  // throws bad_url
    w->config = c;
    w->kind = remote_kind(c.url);
    watched_.push_back(std::move(w));
  }
}

RemoteWatchers::~RemoteWatchers() {
  stop();
}

void RemoteWatchers::start(Sink sink) {
  if (started_) return;
  started_ = true;
  for (const auto& w : watched_) {
    w->sink = sink;
    remote::WatchOptions options;
    options.interval = w->config.interval;
    options.progress_interval = progress_interval_;
    options.owner = w->config.owner;
    asio::co_spawn(io_, watch_one(w, std::move(options)),
                   [describe = w->client->describe()](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const Stopped&) {
                     } catch (const std::exception& x) {
                       logger()->warn("remote client {}: the watch ended: {}", describe, x.what());
                     }
                   });
  }
}

void RemoteWatchers::stop() {
  for (const auto& w : watched_) {
    w->stopped = true;
    w->sink = nullptr;
  }
}

std::vector<DownloadRecord> RemoteWatchers::downloads(
    const std::optional<std::string>& owner) const {
  std::vector<DownloadRecord> out;
  for (const auto& w : watched_)
    if (!owner || w->config.owner == *owner)
      for (const auto& [id, record] : w->records)
        out.push_back(record);
  return out;
}

}  // namespace bitflow::manager::detail
