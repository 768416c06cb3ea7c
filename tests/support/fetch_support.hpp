// What the fetcher tests share: a private temporary folder, a file's bytes, and running a
// fetcher on the io_context until it has ended (completed, failed, cancelled, paused).
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "bitflow/fetcher.hpp"
#include "run_until.hpp"

namespace bitflow::test {

/// A new, empty folder under the system's temporary folder, removed with its content.
struct TempFolder {
  explicit TempFolder(const std::string& prefix)
      : path(std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" +
              std::to_string(std::random_device{}()))) {
    std::filesystem::create_directories(path);
  }
  ~TempFolder() { std::filesystem::remove_all(path); }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;

  std::filesystem::path path;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// Starts `f` and runs `io` until it is neither running nor idle (at most `limit`).
inline FetchStatus run_to_end(boost::asio::io_context& io, Fetcher& f,
                              std::chrono::seconds limit = std::chrono::seconds(20)) {
  f.start();
  REQUIRE(run_until(
      io,
      [&] {
        auto s = f.status().state;
        return s != FetchState::running && s != FetchState::idle;
      },
      limit));
  return f.status();
}

}  // namespace bitflow::test
