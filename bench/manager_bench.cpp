// bench_manager: the download manager with a big queue — N downloads across U users (the
// issue's figure: 10 000 across 100), each a source of a registered fetcher that runs until
// the bench ends, in a real SQLite store on disk. Prints the time to add them all, the
// time of get_all() (everything, and one user's), of one scheduling pass, and the peak
// resident memory, then checks the scheduler's picks: with the free tier (1 at a time per
// user) exactly one download per user is running.
//
//   bench_manager [--downloads N] [--users U] [--db FILE]
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "bitflow/manager.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace m = bitflow::manager;

// A fetcher that starts and then just runs: the bench measures the manager, not transfers.
class IdleFetcher final : public bitflow::Fetcher {
 public:
  void start() override {
    st_.state = bitflow::FetchState::running;
    st_.bytes_total = 1 << 20;
  }
  void pause() override {}
  void resume() override {}
  void cancel() override { st_.state = bitflow::FetchState::cancelled; }
  bitflow::FetchStatus status() const override { return st_; }

 private:
  bitflow::FetchStatus st_;
};

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  int downloads = 10'000, users = 100;
  std::filesystem::path db;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--downloads")
      downloads = std::atoi(argv[i + 1]);
    else if (arg == "--users")
      users = std::atoi(argv[i + 1]);
    else if (arg == "--db")
      db = argv[i + 1];
  }
  if (downloads < 1 || users < 1) {
    std::fprintf(stderr, "usage: bench_manager [--downloads N] [--users U] [--db FILE]\n");
    return 2;
  }
  const auto scratch = std::filesystem::temp_directory_path() /
                       ("bitflow-manager-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  if (db.empty()) db = scratch / "bench.db";

  const long rss_before = peak_rss_kib();
  int code = 0;
  {
    boost::asio::io_context io;
    m::ManagerOptions options;
    options.work_dir = scratch / "work";
    options.disk_reserve = 0;
    m::Manager manager(io, options, m::open_sqlite_store(db), nullptr);
    bitflow::FetcherFactory idle;
    idle.name = "idle";
    idle.matches = [](std::string_view s) { return s.rfind("idle://", 0) == 0; };
    idle.create = [](boost::asio::io_context&, const std::string&, const bitflow::FetchOptions&) {
      return std::make_unique<IdleFetcher>();
    };
    manager.fetchers().add(std::move(idle));
    manager.start();

    auto t = Clock::now();
    for (int i = 0; i < downloads; ++i) {
      m::AddOptions add;
      add.owner = "user" + std::to_string(i % users);
      manager.add("idle://file" + std::to_string(i), add);
    }
    const double add_ms = ms_since(t);
    t = Clock::now();
    io.poll();  // the scheduling pass that add() asked for, and the starts it makes
    const double schedule_ms = ms_since(t);

    t = Clock::now();
    const auto all = manager.get_all();
    const double get_all_ms = ms_since(t);
    t = Clock::now();
    const auto one = manager.get_all(m::Filter::all, std::string("user7"));
    const double get_one_user_ms = ms_since(t);
    t = Clock::now();
    const auto active = manager.get_all(m::Filter::active);
    const double get_active_ms = ms_since(t);

    std::map<std::string, int> running;
    for (const auto& r : active)
      ++running[r.owner];
    bool fair = static_cast<int>(running.size()) == std::min(users, downloads);
    for (const auto& [owner, n] : running)
      fair = fair && n == 1;

    std::printf("downloads %d across %d users (SQLite %s)\n", downloads, users, db.c_str());
    std::printf("add all: %.0f ms (%.1f µs each)\n", add_ms, add_ms * 1000.0 / downloads);
    std::printf("first scheduling pass and starts: %.1f ms\n", schedule_ms);
    std::printf("get_all(): %.1f ms for %zu records\n", get_all_ms, all.size());
    std::printf("get_all(one user): %.1f ms for %zu records\n", get_one_user_ms, one.size());
    std::printf("get_all(active): %.1f ms for %zu records\n", get_active_ms, active.size());
    std::printf("one download running per user: %s\n", fair ? "yes" : "NO");
    if (!fair || static_cast<int>(all.size()) != downloads) code = 1;
  }
  std::printf("peak RSS: %.1f MiB (%.1f MiB before the manager)\n",
              static_cast<double>(peak_rss_kib()) / 1024.0,
              static_cast<double>(rss_before) / 1024.0);
  std::error_code ignored;
  std::filesystem::remove_all(scratch, ignored);
  return code;
}
