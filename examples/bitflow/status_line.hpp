// The terminal's status line (a progress bar redrawn in place with "\r") shared with the
// log: a log line written while a status line is showing erases it, goes above it, and
// the status line is drawn again below, so neither corrupts the other.
//
// Threading: any thread (the log may be written from the engine's threads); one mutex.
#pragma once

#include <string>
#include <string_view>

namespace cli::status_line {

/// Draws `text` as the status line on stderr (a terminal), replacing the previous one.
void draw(const std::string& text);
/// Leaves the status line as it is and moves below it: later output starts on a new line.
void end();
/// A download's progress: on a terminal, "[####----] line" as the status line (ended
/// when `final`); elsewhere `line` alone as a line of its own, so logs stay readable.
void progress(double fraction, const std::string& line, bool terminal, bool final);
/// Writes `lines` (complete lines, each ending in '\n') to stderr above the status line.
void print_above(std::string_view lines);

}  // namespace cli::status_line
