// manager_events — queues downloads in a bitflow::manager::Manager and prints every event:
//
//   manager_events --db FILE --work DIR [--to DEST] [--owner USER] [--peer HOST:PORT]...
//                  [--parallel N] [--connections N] [--parallel-parts N] [SOURCE...]
//
// SOURCE: anything bitflow fetches (a .torrent, a magnet link, an http/ftp/sftp URL,
// s3://bucket/key). DEST: a folder or s3://bucket/prefix/ (S3 settings from the AWS_*
// variables). Every event is one line on stdout:
//
//   <event> <id> <state> <progress>% <name>[ — error]
//
// Exits once no download is queued or running: 0 when every one completed, 1 otherwise.
// Killed and run again with the same --db (and no SOURCE), it continues what was queued
// or running: the state is in the database, the data in --work.
#include <bitflow/manager.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "manager_events: %s\nusage: manager_events --db FILE --work DIR [--to DEST] "
               "[--owner USER] [--peer HOST:PORT]... [--parallel N] [--connections N] "
               "[--parallel-parts N] [SOURCE...]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  namespace m = bitflow::manager;
  std::string db, work, destination, owner = "default";
  std::vector<std::string> sources, peers;
  int parallel = 0, connections = 0, parallel_parts = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--db")
      db = value();
    else if (arg == "--work")
      work = value();
    else if (arg == "--to")
      destination = value();
    else if (arg == "--owner")
      owner = value();
    else if (arg == "--peer")
      peers.push_back(value());
    else if (arg == "--connections")
      connections = std::atoi(value().c_str());
    else if (arg == "--parallel")
      parallel = std::atoi(value().c_str());
    else if (arg == "--parallel-parts")  // S3 parts in flight at once
      parallel_parts = std::atoi(value().c_str());
    else if (arg.rfind("--", 0) == 0)
      usage(("unknown option " + arg).c_str());
    else
      sources.push_back(arg);
  }
  if (db.empty() || work.empty()) usage("--db and --work are needed");

  try {
    boost::asio::io_context io;
    bitflow::SessionSettings session_settings;
    session_settings.listen_address = "127.0.0.1";
    session_settings.listen_port = 0;
    bitflow::Session session(io, session_settings);

    m::ManagerOptions options;
    options.work_dir = work;
    options.disk_reserve = 0;
    options.fetch.peers = peers;
    options.fetch.use_trackers = peers.empty();
    if (connections > 0) options.fetch.url.connections = connections;
    if (parallel_parts > 0) options.s3_parallel_parts = parallel_parts;
    if (parallel > 0) options.tiers = {{"free", parallel, 0, 0, 0, 0}};
    m::Manager manager(io, options, m::open_sqlite_store(db), &session);

    bool all_completed = true;
    manager.subscribe([&](const m::Event& e) {
      const m::DownloadRecord& d = e.download;
      std::printf("%s %s %s %d%% %s%s%s\n", m::to_string(e.kind), d.id.c_str(),
                  m::to_string(d.state), d.progress(), d.name.c_str(), d.error.empty() ? "" : " — ",
                  d.error.c_str());
      std::fflush(stdout);
      if (e.kind == m::EventKind::failed && d.retry_at == 0) all_completed = false;
      // Done when nothing is queued, running or due for a retry.
      if (m::is_final(d.state) && manager.get_all(m::Filter::active).empty() &&
          manager.get_all(m::Filter::queued).empty()) {
        bool retrying = false;
        for (const m::DownloadRecord& r : manager.get_all())
          retrying = retrying || (r.state == m::DownloadState::failed && r.retry_at != 0) ||
                     r.state == m::DownloadState::paused;
        if (!retrying) io.stop();
      }
    });
    manager.start();
    m::AddOptions add;
    add.owner = owner;
    add.destination = destination;
    for (const std::string& source : sources)
      manager.add(source, add);
    if (manager.get_all(m::Filter::active).empty() && manager.get_all(m::Filter::queued).empty()) {
      std::fprintf(stderr, "manager_events: nothing to do\n");
      return 0;
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (!ec) io.stop();
    });
    io.run();
    return all_completed ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "manager_events: %s\n", e.what());
    return 1;
  }
}
