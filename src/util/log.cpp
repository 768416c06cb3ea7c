// The "bitflow" logger (see bitflow/log.hpp): one process-wide pointer behind a mutex, so
// that set_logger() from an application thread and logging from network threads never
// race. Getting it costs a lock and a reference count, which is why nothing is logged per
// block.
#include "bitflow/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace bitflow {

namespace {

struct Current {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
};

Current& current() {
  static Current c;  // never destroyed before the registry: both are function statics
  return c;
}

// stderr at warn, registered as "bitflow" unless the application registered its own.
std::shared_ptr<spdlog::logger> make_default() {
  if (auto theirs = spdlog::get(logger_name)) return theirs;
  auto made = std::make_shared<spdlog::logger>(logger_name,
                                               std::make_shared<spdlog::sinks::stderr_sink_mt>());
  made->set_level(spdlog::level::warn);
  made->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
  try {
    spdlog::register_logger(made);
  } catch (const spdlog::spdlog_ex&) {
    // Registered meanwhile by another thread: use that one.
    if (auto theirs = spdlog::get(logger_name)) return theirs;
  }
  return made;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  auto& c = current();
  std::lock_guard lock(c.mutex);
  if (!c.logger) c.logger = make_default();
  return c.logger;
}

void set_logger(std::shared_ptr<spdlog::logger> replacement) {
  auto& c = current();
  std::lock_guard lock(c.mutex);
  if (c.logger && spdlog::get(logger_name) == c.logger) spdlog::drop(logger_name);
  c.logger = replacement ? std::move(replacement) : make_default();
}

}  // namespace bitflow
