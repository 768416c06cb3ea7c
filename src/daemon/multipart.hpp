// multipart/form-data bodies (RFC 7578), for POST /downloads with a .torrent file: the
// boundary from the Content-Type, then each part's name, file name and bytes. Pure; the
// parts are copies, so the body may go away.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitflow::daemon {

struct FormPart {
  std::string name;      ///< Content-Disposition's name
  std::string filename;  ///< Content-Disposition's filename, "" when it has none
  std::string data;
};

/// The boundary of a "multipart/form-data; boundary=…" Content-Type (quoted or not);
/// nullopt when the type is another one or the boundary is missing or longer than RFC
/// 2046's 70 characters.
[[nodiscard]] std::optional<std::string> form_boundary(std::string_view content_type);

struct ParsedForm {
  std::vector<FormPart> parts;
  std::string error;  ///< why the body is not a form; empty when it is
};

/// Splits `body` at `boundary`. Refuses a body without the closing delimiter, a part
/// without a Content-Disposition of form-data with a name, and more than 16 parts.
[[nodiscard]] ParsedForm parse_form(std::string_view body, std::string_view boundary);

}  // namespace bitflow::daemon
