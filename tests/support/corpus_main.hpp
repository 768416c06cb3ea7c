// The main() of a test executable that needs data outside the repository (the shared
// conformance corpus): when `data` is not a folder it prints why and exits 77, which
// ctest reports as skipped (SKIP_RETURN_CODE), never as passed; listing tests still works.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>
#include <string_view>

namespace bitflow::test {

inline constexpr int skip_status = 77;

inline int run_unless_missing(int argc, char* argv[], const std::filesystem::path& data,
                              std::string_view what) {
  Catch::Session session;
  if (int status = session.applyCommandLine(argc, argv); status != 0) return status;
  const auto& config = session.configData();
  const bool listing = config.showHelp || config.listTests || config.listTestNamesOnly ||
                       config.listTags || config.listReporters;
  std::error_code ec;
  if (!listing && !std::filesystem::is_directory(data, ec)) {
    std::cout << "SKIPPED: " << what << " is not at " << data.string()
              << " (configure with -DBITFLOW_CORPUS_DIR=<folder> to point at the corpus)\n";
    return skip_status;
  }
  return session.run();
}

}  // namespace bitflow::test
