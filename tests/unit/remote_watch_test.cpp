// watch(): the polling shell around SnapshotDiffer, with a RemoteClient the test scripts —
// events from successive polls, a failed poll reported and survived without "removed"
// events, and an exception from the listener ending the watch.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/run_until.hpp"
#include "bitflow/remote_watch.hpp"

using namespace bitflow;
using namespace bitflow::remote;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

RemoteTorrent torrent(RemoteState state, std::int64_t done) {
  RemoteTorrent t;
  t.hash = "0123456789abcdef0123456789abcdef01234567";
  t.name = "a.bin";
  t.state = state;
  t.bytes_done = done;
  t.bytes_total = 100;
  return t;
}

// Answers list() from a script: a snapshot, or nullopt for a poll that fails; the last
// entry repeats.
class ScriptedClient final : public RemoteClient {
 public:
  explicit ScriptedClient(std::vector<std::optional<std::vector<RemoteTorrent>>> script)
      : script_(std::move(script)) {}
  int polls = 0;

  asio::awaitable<std::vector<RemoteTorrent>> list() override {
    const auto& step = script_[std::min(static_cast<std::size_t>(polls), script_.size() - 1)];
    ++polls;
    if (!step) throw Error(errc::connection_failed, "scripted: Connection refused");
    co_return *step;
  }
  asio::awaitable<std::optional<RemoteTorrent>> get(std::string) override {
    co_return std::nullopt;
  }
  asio::awaitable<void> pause(std::string) override { co_return; }
  asio::awaitable<void> resume(std::string) override { co_return; }
  asio::awaitable<void> remove(std::string, bool) override { co_return; }
  [[nodiscard]] std::string describe() const override { return "scripted"; }

 private:
  std::vector<std::optional<std::vector<RemoteTorrent>>> script_;
};

WatchOptions fast() {
  WatchOptions o;
  o.interval = 5ms;
  o.progress_interval = 0ms;
  return o;
}

}  // namespace

TEST_CASE("watch reports each poll's events and survives a failed poll", "[remote]") {
  ScriptedClient client({std::vector{torrent(RemoteState::downloading, 10)}, std::nullopt,
                         std::vector{torrent(RemoteState::downloading, 50)},
                         std::vector{torrent(RemoteState::seeding, 100)}});
  asio::io_context io;
  std::vector<std::string> seen;
  std::vector<ErrorInfo> errors;
  bool ended = false;
  asio::co_spawn(io,
                 watch(
                     client, fast(),
                     [&](const manager::Event& e) {
                       seen.emplace_back(to_string(e.kind));
                       CHECK(e.download.owner == "scripted");
                     },
                     [&](const ErrorInfo& e) { errors.push_back(e); }),
                 [&](std::exception_ptr) { ended = true; });
  REQUIRE(test::run_until(io, [&] { return client.polls >= 6; }));
  CHECK(seen == std::vector<std::string>{"added", "started", "progress", "finished"});
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == errc::connection_failed);
  CHECK(errors[0].message == "scripted: Connection refused");
  CHECK_FALSE(ended);  // it goes on until stopped
}

TEST_CASE("an exception from the listener ends the watch with it", "[remote]") {
  ScriptedClient client({std::vector{torrent(RemoteState::queued, 0)}});
  asio::io_context io;
  std::exception_ptr outcome;
  bool ended = false;
  asio::co_spawn(
      io,
      watch(
          client, fast(), [](const manager::Event&) { throw std::runtime_error("listener broke"); },
          [](const ErrorInfo&) {}),
      [&](std::exception_ptr e) {
        outcome = e;
        ended = true;
      });
  REQUIRE(test::run_until(io, [&] { return ended; }));
  REQUIRE(outcome);
  CHECK_THROWS_WITH(std::rethrow_exception(outcome), "listener broke");
  CHECK(client.polls == 1);
}

TEST_CASE("watch calls on_answer after each answered poll's events, not after a failed one",
          "[remote]") {
  ScriptedClient client({std::vector{torrent(RemoteState::downloading, 10)}, std::nullopt,
                         std::vector{torrent(RemoteState::downloading, 10)}});
  asio::io_context io;
  std::vector<std::string> calls;
  WatchOptions options = fast();
  options.on_answer = [&] { calls.emplace_back("answer"); };
  asio::co_spawn(
      io,
      watch(
          client, options, [&](const manager::Event& e) { calls.emplace_back(to_string(e.kind)); },
          [&](const ErrorInfo&) { calls.emplace_back("error"); }),
      [](std::exception_ptr) {});
  REQUIRE(test::run_until(io, [&] { return client.polls >= 4; }));
  REQUIRE(calls.size() >= 5);
  CHECK(std::vector<std::string>(calls.begin(), calls.begin() + 5) ==
        std::vector<std::string>{"added", "started", "answer", "error", "answer"});
}
