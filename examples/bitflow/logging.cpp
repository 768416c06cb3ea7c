#include "logging.hpp"

#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "args.hpp"
#include "bitflow/log.hpp"
#include "status_line.hpp"

namespace cli {
namespace {

// stderr, writing each line above the progress bar when one is showing (see
// status_line.hpp); on a pipe or file there is no bar and lines are just written.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    status_line::print_above(std::string_view(line.data(), line.size()));
  }
  void flush_() override { std::fflush(stderr); }
};

// "-v" → 1, "-vv" → 2, "--verbose" → 1; 0 for anything else.
int verbosity_of(const std::string& arg) {
  if (arg == "--verbose") return 1;
  if (arg.size() < 2 || arg[0] != '-' || arg[1] != 'v') return 0;
  for (std::size_t i = 1; i < arg.size(); ++i)
    if (arg[i] != 'v') return 0;
  return static_cast<int>(arg.size() - 1);
}

}  // namespace

void setup_logging(std::vector<std::string>& args) {
  int verbosity = 0;
  std::optional<std::string> file;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {  // the rest is positional
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (int v = verbosity_of(arg)) {
      verbosity += v;
    } else if (arg == "--log-file") {
      if (i + 1 >= args.size()) throw UsageError("option --log-file needs a value");
      file = args[++i];
    } else if (arg.rfind("--log-file=", 0) == 0) {
      file = arg.substr(11);
    } else {
      rest.push_back(arg);
    }
  }
  args = std::move(rest);
  if (file && file->empty()) throw UsageError("option --log-file needs a path");

  spdlog::level::level_enum level = verbosity >= 3   ? spdlog::level::trace
                                    : verbosity == 2 ? spdlog::level::debug
                                    : verbosity == 1 ? spdlog::level::info
                                    : file           ? spdlog::level::info
                                                     : spdlog::level::warn;
  spdlog::sink_ptr sink;
  if (file) {
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(*file, false);  // append
    } catch (const spdlog::spdlog_ex& e) {
      throw UsageError("--log-file: " + std::string(e.what()));
    }
    sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
  } else {
    sink = std::make_shared<StderrSink>();
    sink->set_pattern("[%H:%M:%S.%e] %l: %v");
  }
  auto logger = std::make_shared<spdlog::logger>(bitflow::logger_name, std::move(sink));
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);  // few lines, and none lost if we are killed
  bitflow::set_logger(std::move(logger));
}

}  // namespace cli
