// Progress for long operations: a redrawn bar on a terminal, a plain line every few
// seconds when stderr is a file or pipe (so logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace cli {

class ProgressBar {
 public:
  /// `start` is when the work began (rates are measured from it).
  ProgressBar(std::string label, std::int64_t total,
              std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now());
  /// Reports `done` of `total` units of bytes; redraws at most ten times a second.
  void update(std::int64_t done);
  /// Draws the final state and ends the line.
  void finish();

 private:
  void draw(std::int64_t done, bool final);

  std::string label_;
  std::int64_t total_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool finished_ = false;
};

}  // namespace cli
