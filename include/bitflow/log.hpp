// bitflow/log.hpp — where the library's log lines go.
//
// bitflow writes through one spdlog logger, named "bitflow". By default it writes to
// stderr at level warn: the library says nothing about a healthy transfer, only about
// what an application's user should hear (disk errors, a torrent stopped by an error).
// An application can
//   - re-level it:           bitflow::logger()->set_level(spdlog::level::debug);
//   - send it elsewhere:     bitflow::logger()->sinks() = {my_sink};  (before sessions run)
//   - replace it entirely:   bitflow::set_logger(my_logger);
// The default logger is registered in spdlog's registry under "bitflow", so
// spdlog::get("bitflow"), spdlog::set_level() and SPDLOG_LEVEL=bitflow=debug (through
// spdlog::cfg::load_env_levels()) reach it too. A logger named "bitflow" that the
// application registered itself before bitflow first logs is used as it is.
//
// What is logged, with the torrent (name and short info-hash) or peer address as context:
//   error  disk errors and anything else that stops a torrent (state error)
//   warn   every tracker of a torrent failing; resume data that could not be saved;
//          listeners that throw
//   info   state changes, tracker replies (peers, interval) and failures, hash failures
//          (with the peers that sent the piece), bans (with the evidence)
//   debug  connections made and ended (with the reason), failed connection attempts
// Nothing is logged per block or per message. Arguments are formatted only when their
// level is enabled (spdlog checks the level before formatting).
//
// Threading: logger() and set_logger() may be called from any thread. Lines are written
// from the sessions' network threads; the sinks must be thread-safe (the _mt ones) when
// several sessions run on different threads.
#pragma once

#include <spdlog/logger.h>

#include <memory>

namespace bitflow {

/// The logger's name, in spdlog's registry and on every line.
inline constexpr const char* logger_name = "bitflow";

/// The logger bitflow writes to. Created on first use: stderr, level warn (see above).
[[nodiscard]] std::shared_ptr<spdlog::logger> logger();

/// Makes bitflow write to `replacement` from now on (lines already being written finish
/// on the old one). nullptr restores the default logger, at level warn. The replacement
/// is not registered in spdlog's registry; the previous logger is dropped from it if it
/// was the one registered there under "bitflow".
void set_logger(std::shared_ptr<spdlog::logger> replacement);

}  // namespace bitflow
