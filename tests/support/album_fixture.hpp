// AlbumFixture — a small multi-file torrent on disk for engine tests: four files (one
// empty, sizes straddling 32 KiB pieces) under <root>/src/album, and its TorrentInfo.
// The folder is removed when the fixture goes.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>

#include "bitflow/create.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/session.hpp"
#include "run_until.hpp"

namespace bitflow::test {

namespace fs = std::filesystem;

struct AlbumFixture {
  fs::path root;
  std::string content;  // every file, concatenated in torrent order
  std::optional<bitflow::TorrentInfo> torrent;

  AlbumFixture() {
    static int counter = 0;
    root = fs::temp_directory_path() /
           ("bitflow-session-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root);
    std::mt19937 rng(42);
    auto bytes = [&](std::size_t n) {
      std::string s(n, '\0');
      for (auto& c : s)
        c = static_cast<char>(rng());
      return s;
    };
    // Sorted names, so torrent order == this order. Sizes straddle 32 KiB pieces.
    std::vector<std::pair<std::string, std::string>> files = {{"a.bin", bytes(70'000)},
                                                              {"b/empty", ""},
                                                              {"b/c.bin", bytes(1'000)},
                                                              {"d.bin", bytes(200'000)}};
    for (const auto& [name, data] : files) {
      fs::create_directories((root / "src/album" / name).parent_path());
      std::ofstream(root / "src/album" / name, std::ios::binary) << data;
      content += data;
    }
    bitflow::CreateOptions options;
    options.piece_length = 32768;
    torrent = bitflow::TorrentInfo::parse(bitflow::create_torrent(root / "src/album", options));
  }
  ~AlbumFixture() { fs::remove_all(root); }

  std::string read(const fs::path& p) const {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

/// "127.0.0.1:<port>" of a session's listening socket.
inline std::string address_of(const bitflow::Session& s) {
  return "127.0.0.1:" + std::to_string(s.listen_port());
}

/// Stops every torrent of `session`, running `io` until that is done (10 s at most).
inline void stop_session(boost::asio::io_context& io, bitflow::Session& session) {
  bool stopped = false;
  boost::asio::co_spawn(io, session.stop_all(), [&](std::exception_ptr) { stopped = true; });
  run_until(
      io, [&] { return stopped; }, std::chrono::seconds(10));
}

/// Session settings for tests: listen on 127.0.0.1, any free port.
inline bitflow::SessionSettings loopback_settings() {
  bitflow::SessionSettings s;
  s.listen_address = "127.0.0.1";
  s.listen_port = 0;
  return s;
}

}  // namespace bitflow::test
