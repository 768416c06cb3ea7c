// manager_events — queues downloads in a bitflow::manager::Manager and prints every event:
//
//   manager_events --db FILE --work DIR [--to DEST] [--owner USER] [--peer HOST:PORT]...
//                  [--parallel N] [--connections N] [--parallel-parts N]
//                  [--webhook URL --webhook-secret S [--webhook-events a,b] [--webhook-retry-ms N]]
//                  [--watch CLIENT_URL]... [SOURCE...]
//
// SOURCE: anything bitflow fetches (a .torrent, a magnet link, an http/ftp/sftp URL,
// s3://bucket/key). DEST: a folder or s3://bucket/prefix/ (S3 settings from the AWS_*
// variables). Every event is one line on stdout:
//
//   <event> <id> <state> <progress>% <name>[ — error]
//
// With --webhook, the owner's events are also POSTed there, signed with the secret (once
// registered, the webhook stays in the database; a run with the same URL does not add it
// again). --webhook-retry-ms sets the first wait after a failed delivery (default 10 s).
// Each delivery's outcome is a line too:
//
//   delivered|delivery-failed|delivery-dead <event> <delivery id> <attempts>[ <error>]
//
// --watch adds a torrent client for the manager to watch (transmission+http://HOST:PORT/
// transmission/rpc or rtorrent+scgi://HOST:PORT, polled every second): its torrents' events
// print the same way, as the --owner's (their type is the client's, their id
// "<kind>-<8 hex>-<info-hash>"), and go to the --webhook too. With --watch the program
// runs until SIGINT or SIGTERM and exits 0.
//
// Otherwise it exits once no download is queued or running and no delivery is owed: 0 when every
// download completed, 1 otherwise. Killed and run again with the same --db (and no
// SOURCE), it continues what was queued or running and sends what was owed: the state
// and the outbox are in the database, the data in --work.
#include <bitflow/manager.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "manager_events: %s\nusage: manager_events --db FILE --work DIR [--to DEST] "
               "[--owner USER] [--peer HOST:PORT]... [--parallel N] [--connections N] "
               "[--parallel-parts N] "
               "[--webhook URL --webhook-secret S [--webhook-events a,b] [--webhook-retry-ms N]] "
               "[--watch CLIENT_URL]... [SOURCE...]\n",
               why);
  std::exit(2);
}

void print_delivery(const char* what, const bitflow::manager::Delivery& d,
                    const std::string& error = {}) {
  std::printf("%s %s %s %d%s%s\n", what, d.event.c_str(), d.delivery_id.c_str(), d.attempts,
              error.empty() ? "" : " ", error.c_str());
  std::fflush(stdout);
}

std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  namespace m = bitflow::manager;
  std::string db, work, destination, owner = "default", webhook, secret, events;
  std::vector<std::string> sources, peers, watches;
  int parallel = 0, connections = 0, parallel_parts = 0, webhook_retry_ms = 0;
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
    else if (arg == "--webhook")
      webhook = value();
    else if (arg == "--webhook-secret")
      secret = value();
    else if (arg == "--webhook-events")
      events = value();
    else if (arg == "--webhook-retry-ms")
      webhook_retry_ms = std::atoi(value().c_str());
    else if (arg == "--watch")
      watches.push_back(value());
    else if (arg.rfind("--", 0) == 0)
      usage(("unknown option " + arg).c_str());
    else
      sources.push_back(arg);
  }
  if (db.empty() || work.empty()) usage("--db and --work are needed");
  if (webhook.empty() != secret.empty()) usage("--webhook and --webhook-secret go together");

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
    if (webhook_retry_ms > 0) {
      options.webhooks.retry.first_delay = std::chrono::milliseconds(webhook_retry_ms);
      options.webhooks.retry.max_delay = std::chrono::milliseconds(webhook_retry_ms) * 8;
      options.webhooks.poll_interval = std::chrono::milliseconds(webhook_retry_ms);
    }
    for (const std::string& url : watches) {
      m::WatchedClient client;
      client.url = url;
      client.owner = owner;
      options.remote_clients.push_back(client);
    }
    const bool watching = !watches.empty();
    m::Manager* running = nullptr;
    // Done when nothing is queued, running, paused or due for a retry, and every delivery
    // is made or given up; never while watching a client.
    auto finished = [&] {
      if (watching || !running || running->deliveries_owed(std::nullopt) > 0) return false;
      for (const m::DownloadRecord& r : running->get_all())
        if (!m::is_final(r.state) || (r.state == m::DownloadState::failed && r.retry_at != 0))
          return false;
      return true;
    };
    options.webhooks.on_delivered = [&](const m::Delivery& d) {
      print_delivery("delivered", d);
      if (finished()) io.stop();
    };
    options.webhooks.on_delivery_failed = [&](const m::Delivery& d, const std::string& why) {
      print_delivery("delivery-failed", d, why);
    };
    options.webhooks.on_delivery_dead = [&](const m::Delivery& d) {
      print_delivery("delivery-dead", d);
      if (finished()) io.stop();
    };
    m::Manager manager(io, options, m::open_sqlite_store(db), &session);
    running = &manager;
    if (!webhook.empty()) {
      bool known = false;
      for (const m::Webhook& w : manager.webhooks(owner))
        known = known || w.url == webhook;
      if (!known) manager.add_webhook(owner, webhook, secret, split_commas(events));
    }

    bool all_completed = true;
    manager.subscribe([&](const m::Event& e) {
      const m::DownloadRecord& d = e.download;
      std::printf("%s %s %s %d%% %s%s%s\n", m::to_string(e.kind), d.id.c_str(),
                  m::to_string(d.state), d.progress(), d.name.c_str(), d.error.empty() ? "" : " — ",
                  d.error.c_str());
      std::fflush(stdout);
      if (e.kind == m::EventKind::failed && d.retry_at == 0) all_completed = false;
      if (m::is_final(d.state) && finished()) io.stop();
    });
    manager.start();
    m::AddOptions add;
    add.owner = owner;
    add.destination = destination;
    for (const std::string& source : sources)
      manager.add(source, add);
    if (!watching && finished()) {
      std::fprintf(stderr, "manager_events: nothing to do\n");
      return 0;
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
      if (!ec) io.stop();
    });
    io.run();
    return watching || all_completed ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "manager_events: %s\n", e.what());
    return 1;
  }
}
