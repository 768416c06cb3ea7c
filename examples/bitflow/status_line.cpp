#include "status_line.hpp"

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

void print_above(std::string_view lines) {
  std::lock_guard lock(mutex);
  if (!shown.empty()) std::fputs("\r\033[K", stderr);  // erase it...
  std::fwrite(lines.data(), 1, lines.size(), stderr);
  if (!shown.empty()) std::fputs(shown.c_str(), stderr);  // ...and draw it again below
  std::fflush(stderr);
}

}  // namespace cli::status_line
