// The INI dialect of ~/.aws/credentials and ~/.aws/config, read the way the AWS CLI
// (botocore, over Python's configparser) reads it. Pure. Internal.
//
//   [section]            names kept as written, trimmed; text after the ']' ignored
//   key = value          or "key: value"; keys lowercased, values trimmed
//   # comment, ; comment  whole lines only ("a = b # c" has the value "b # c")
//   s3 =                 an empty value followed by indented "sub = value" lines is a
//     addressing_style = path    nested block, stored as "s3.addressing_style"
// An indented line after a non-empty value continues it (joined with '\n'). A section
// named twice is merged, the later value winning.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "bitflow/error.hpp"

namespace bitflow::s3 {

using IniSection = std::map<std::string, std::string, std::less<>>;
using IniFile = std::map<std::string, IniSection, std::less<>>;

/// Fails with errc::invalid_config, naming the line, on a setting outside any section, a
/// line that is neither, or an unclosed section header.
[[nodiscard]] std::optional<IniFile> parse_ini(std::string_view text, ErrorInfo& error);

}  // namespace bitflow::s3
