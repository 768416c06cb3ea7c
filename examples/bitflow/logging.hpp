// The client's logging options: -v/--verbose (repeatable) and --log-file PATH, accepted by
// every command. They set up bitflow's logger (bitflow/log.hpp): by default warnings and
// errors on stderr; -v info, -vv debug, -vvv trace; --log-file writes to PATH (appending)
// instead of stderr, at level info at least.
#pragma once

#include <string>
#include <vector>

namespace cli {

/// Takes the logging options out of `args` (up to a "--") and installs the logger.
/// Throws UsageError for a --log-file without a path, or one that cannot be opened.
void setup_logging(std::vector<std::string>& args);

}  // namespace cli
