// bitflowd — the download service: the manager, its SQLite store and a torrent session on
// one io_context, served over HTTP (daemon/http_server.hpp); and the commands that manage
// its users and tiers in the same database. See docs/API.md.
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "bitflow/manager.hpp"
#include "bitflow/session.hpp"
#include "daemon/api.hpp"
#include "daemon/daemon_args.hpp"
#include "daemon/http_server.hpp"
#include "daemon/token.hpp"
#include "daemon/user_store.hpp"

namespace {

namespace asio = boost::asio;
namespace d = bitflow::daemon;
namespace m = bitflow::manager;

std::filesystem::path database(const d::DaemonArgs& args) {
  std::filesystem::create_directories(args.data_dir);
  return std::filesystem::path(args.data_dir) / "bitflow.db";
}

bool tier_known(const std::vector<m::Tier>& tiers, const std::string& name) {
  for (const m::Tier& t : tiers)
    if (t.name == name) return true;
  return false;
}

int user_add(const d::DaemonArgs& args) {
  d::UserStore users(database(args));
  const auto tiers = d::merge_tiers(m::default_tiers(), users.tiers());
  if (!args.tier.empty() && !tier_known(tiers, args.tier)) {
    std::fprintf(stderr, "bitflowd: no tier '%s' (bitflowd tier set %s … creates it)\n",
                 args.tier.c_str(), args.tier.c_str());
    return 1;
  }
  const std::string token = d::make_token();
  d::User user;
  user.name = args.name;
  user.tier = args.tier;
  users.add_user(user, d::hash_token(token));
  std::printf("%s\n", token.c_str());
  std::fprintf(stderr, "bitflowd: user '%s' added; the token above is shown only this once\n",
               args.name.c_str());
  return 0;
}

int user_list(const d::DaemonArgs& args) {
  d::UserStore users(database(args));
  for (const d::User& u : users.users())
    std::printf("%s\t%s\n", u.name.c_str(), u.tier.empty() ? "(default)" : u.tier.c_str());
  return 0;
}

int tier_set(const d::DaemonArgs& args) {
  d::UserStore users(database(args));
  m::Tier tier;
  tier.name = args.name;
  // Options left out keep the tier's current values (a known tier's, or the defaults).
  for (const m::Tier& t : d::merge_tiers(m::default_tiers(), users.tiers()))
    if (t.name == args.name) tier = t;
  if (args.parallel) tier.parallel_downloads = *args.parallel;
  if (args.max_size) tier.max_download_size = *args.max_size;
  users.set_tier(tier);
  std::printf("%s\tparallel %d\tmax-size %lld\n", tier.name.c_str(), tier.parallel_downloads,
              static_cast<long long>(tier.max_download_size));
  std::fprintf(stderr, "bitflowd: a running bitflowd applies it at its next start\n");
  return 0;
}

asio::awaitable<void> stop_everything(m::Manager& manager, asio::io_context& io) {
  co_await manager.shutdown();
  io.stop();
}

int serve(const d::DaemonArgs& args) {
  const std::filesystem::path db = database(args);
  const std::filesystem::path root(args.data_dir);
  std::filesystem::create_directories(root / "files");
  std::filesystem::create_directories(root / "work");
  d::UserStore users(db);

  asio::io_context io;
  bitflow::SessionSettings session_settings;
  session_settings.listen_address = args.peer_listen_address;
  session_settings.listen_port = args.peer_listen_port;
  bitflow::Session session(io, session_settings);

  m::ManagerOptions options;
  options.work_dir = root / "work";
  options.disk_reserve = args.disk_reserve;
  options.tiers = d::merge_tiers(m::default_tiers(), users.tiers());
  options.fetch.peers = args.peers;
  options.fetch.use_trackers = args.use_trackers;
  m::Manager manager(io, options, m::open_sqlite_store(db), &session);
  for (const d::User& u : users.users()) {
    if (u.tier.empty()) continue;
    if (tier_known(options.tiers, u.tier))
      manager.set_user_tier(u.name, u.tier);
    else
      spdlog::warn("bitflowd: user '{}' has tier '{}', which is not configured", u.name, u.tier);
  }

  d::ApiConfig api_config;
  api_config.host_names = args.hosts;
  api_config.files_dir = root / "files";
  api_config.upload_dir = root / "uploads";
  d::Api api(manager, users, api_config);
  d::ServerConfig server_config;
  server_config.address = args.listen_address;
  server_config.port = args.listen_port;
  server_config.max_body = static_cast<std::size_t>(args.max_body);
  server_config.header_timeout = std::chrono::seconds(args.header_timeout_seconds);
  server_config.max_connections = static_cast<std::size_t>(args.max_connections);
  d::HttpServer server(io, api, manager, server_config);
  manager.start();
  server.start();
  std::printf("bitflowd: listening on http://%s:%u\n", args.listen_address.c_str(),
              static_cast<unsigned>(server.port()));
  std::fflush(stdout);

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (ec) return;
    std::fprintf(stderr, "bitflowd: stopping\n");
    server.stop();
    asio::co_spawn(io, stop_everything(manager, io), asio::detached);
  });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const d::DaemonArgs args =
        d::parse_daemon_args(std::vector<std::string>(argv + 1, argv + argc));
    switch (args.command) {
      case d::Command::help:
        std::fputs(d::daemon_usage(), stdout);
        return 0;
      case d::Command::user_add:
        return user_add(args);
      case d::Command::user_list:
        return user_list(args);
      case d::Command::tier_set:
        return tier_set(args);
      case d::Command::serve:
        return serve(args);
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "bitflowd: %s\n%s", e.what(), d::daemon_usage());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitflowd: %s\n", e.what());
    return 1;
  }
  return 0;
}
