// remote_client_check — one call of bitflow's RemoteClient (the public
// bitflow/remote_client.hpp) against a real torrent client, for remote_watch.sh:
//
//   remote_client_check URL list
//   remote_client_check URL get HASH
//   remote_client_check URL pause|resume HASH
//   remote_client_check URL remove HASH [delete-data]
//
// list and get print one line per torrent: "HASH STATE BYTES_DONE BYTES_TOTAL NAME" (get:
// "none" when the client does not hold it); the others print "ok". A failure prints the
// error's category, code and message on stderr and exits 1; a bad command line exits 2.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"

namespace {

namespace asio = boost::asio;
using bitflow::remote::RemoteClient;
using bitflow::remote::RemoteTorrent;

void print(const RemoteTorrent& t) {
  std::printf("%s %s %lld %lld %s\n", t.hash.c_str(), to_string(t.state),
              static_cast<long long>(t.bytes_done), static_cast<long long>(t.bytes_total),
              t.name.c_str());
}

asio::awaitable<void> run(RemoteClient& client, std::string op, std::string hash,
                          bool delete_data) {
  if (op == "list") {
    for (const auto& t : co_await client.list())
      print(t);
  } else if (op == "get") {
    auto t = co_await client.get(hash);
    if (t)
      print(*t);
    else
      std::printf("none\n");
  } else if (op == "pause") {
    co_await client.pause(hash);
    std::printf("ok\n");
  } else if (op == "resume") {
    co_await client.resume(hash);
    std::printf("ok\n");
  } else {
    co_await client.remove(hash, delete_data);
    std::printf("ok\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const bool known =
      args.size() >= 2 && (args[1] == "list" || args[1] == "get" || args[1] == "pause" ||
                           args[1] == "resume" || args[1] == "remove");
  const bool arity =
      known &&
      (args[1] == "list"     ? args.size() == 2
       : args[1] == "remove" ? (args.size() == 3 || (args.size() == 4 && args[3] == "delete-data"))
                             : args.size() == 3);
  if (!arity) {
    std::fprintf(stderr,
                 "usage: remote_client_check URL list | get HASH | pause HASH | resume HASH | "
                 "remove HASH [delete-data]\n");
    return 2;
  }
  asio::io_context io;
  int status = 0;
  try {
    auto client = bitflow::remote::make_remote_client(io, args[0]);
    asio::co_spawn(io, run(*client, args[1], args.size() > 2 ? args[2] : "", args.size() == 4),
                   [&](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const bitflow::Error& x) {
                       std::fprintf(stderr, "%s:%d: %s\n", x.code().category().name(),
                                    x.code().value(), x.what());
                       status = 1;
                     }
                   });
    io.run();
  } catch (const bitflow::Error& x) {
    std::fprintf(stderr, "%s:%d: %s\n", x.code().category().name(), x.code().value(), x.what());
    return 1;
  }
  return status;
}
