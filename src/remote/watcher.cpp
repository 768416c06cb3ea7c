// watch() (bitflow/remote_watch.hpp): the thin shell around SnapshotDiffer — poll, diff,
// hand out the events, wait, again. The wall clock is read here and nowhere else.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "bitflow/remote_watch.hpp"

namespace bitflow::remote {

namespace asio = boost::asio;

namespace {

manager::TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

asio::awaitable<void> watch(RemoteClient& client, WatchOptions options,
                            std::function<void(const manager::Event&)> on_event,
                            std::function<void(const ErrorInfo&)> on_error) {
  SnapshotDiffer differ(options.owner.empty() ? client.describe() : options.owner,
                        options.progress_interval);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    std::optional<std::vector<RemoteTorrent>> snapshot;
    ErrorInfo failure;
    try {
      snapshot = co_await client.list();
    } catch (const Error& e) {  // the client is down or answered nonsense: try again later
      failure = {e.code(), e.what()};
    }
    if (snapshot) {
      for (const auto& event : differ.update(*snapshot, now_ms()))
        on_event(event);
      if (options.on_answer) options.on_answer();
    } else {
      on_error(failure);
    }
    timer.expires_after(options.interval);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace bitflow::remote
