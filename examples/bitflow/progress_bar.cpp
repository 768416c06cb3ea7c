#include "progress_bar.hpp"

#include <unistd.h>

#include <cstdio>

#include "bitflow/text.hpp"
#include "status_line.hpp"

namespace cli {

using Clock = std::chrono::steady_clock;

ProgressBar::ProgressBar(std::string label, std::int64_t total, Clock::time_point start)
    : label_(std::move(label)),
      total_(total),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(start),
      last_draw_(start_) {}

void ProgressBar::update(std::int64_t done) {
  auto now = Clock::now();
  auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  draw(done, false);
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  draw(total_, true);
}

void ProgressBar::draw(std::int64_t done, bool final) {
  double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string speed = bitflow::format_size(static_cast<std::int64_t>(rate)) + "/s";
  std::string eta;
  if (!final && rate > 0) {
    auto left = static_cast<long>(static_cast<double>(total_ - done) / rate);
    char buf[32];
    std::snprintf(buf, sizeof buf, "  ETA %ld:%02ld", left / 60, left % 60);
    eta = buf;
  }
  if (terminal_) {
    constexpr int width = 30;
    int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '-');
    char line[512];
    std::snprintf(line, sizeof line, "%s [%s] %5.1f%%  %s%s", label_.c_str(), bar.c_str(),
                  fraction * 100, speed.c_str(), eta.c_str());
    status_line::draw(line);  // log lines go above it (see status_line.hpp)
    if (final) status_line::end();
  } else {
    std::fprintf(stderr, "%s: %.1f%% of %s, %s%s\n", label_.c_str(), fraction * 100,
                 bitflow::format_size(total_).c_str(), speed.c_str(), eta.c_str());
  }
  std::fflush(stderr);
}

}  // namespace cli
