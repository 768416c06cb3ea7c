#include "status_line.hpp"

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace cli::status_line {
namespace {

std::mutex mutex;
std::string shown;  // the status line on screen, "" when none is
}  // namespace

void draw(const std::string& text) {
  std::lock_guard lock(mutex);
  shown = text;
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
}

void end() {
  std::lock_guard lock(mutex);
  if (shown.empty()) return;
  shown.clear();
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void progress(double fraction, const std::string& line, bool terminal, bool final) {
  if (!terminal) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    return;
  }
  constexpr int width = 24;
  const int filled = std::clamp(static_cast<int>(fraction * width), 0, width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '-');
  draw("[" + bar + "] " + line);  // log lines go above it
  if (final) end();
}

void print_above(std::string_view lines) {
  std::lock_guard lock(mutex);
  if (!shown.empty()) std::fputs("\r\033[K", stderr);  // erase it...
  std::fwrite(lines.data(), 1, lines.size(), stderr);
  if (!shown.empty()) std::fputs(shown.c_str(), stderr);  // ...and draw it again below
  std::fflush(stderr);
}

}  // namespace cli::status_line
