#include "daemon/multipart.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace bitflow::daemon {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in "form-data; name=\"a\"; filename=\"b\"" (the parameter
// names compared without case, the value unquoted); nullopt when absent.
std::optional<std::string> parameter(std::string_view header, std::string_view key) {
  std::size_t pos = header.find(';');
  while (pos != std::string_view::npos) {
    std::string_view rest = header.substr(pos + 1);
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = lower(trim(rest.substr(0, eq)));
    rest = trim(rest.substr(eq + 1));
    std::string value;
    std::size_t used = 0;
    if (!rest.empty() && rest.front() == '"') {
      const auto close = rest.find('"', 1);
      if (close == std::string_view::npos) return std::nullopt;
      value = std::string(rest.substr(1, close - 1));
      used = close + 1;
    } else {
      used = std::min(rest.find(';'), rest.size());
      value = std::string(trim(rest.substr(0, used)));
    }
    if (name == key) return value;
    const auto next = rest.find(';', used);
    if (next == std::string_view::npos) return std::nullopt;
    pos = static_cast<std::size_t>(rest.data() + next - header.data());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> form_boundary(std::string_view content_type) {
  const auto semicolon = content_type.find(';');
  if (lower(trim(content_type.substr(0, semicolon))) != "multipart/form-data") return std::nullopt;
  auto boundary = parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

ParsedForm parse_form(std::string_view body, std::string_view boundary) {
  ParsedForm out;
  const std::string delimiter = fmt::format("--{}", boundary);
  const std::string separator = fmt::format("\r\n--{}", boundary);
  if (!body.starts_with(delimiter)) {
    out.error = "the form does not start with its boundary";
    return out;
  }
  std::size_t pos = delimiter.size();
  while (true) {
    const std::string_view after = body.substr(pos);
    if (after.starts_with("--")) return out;  // the closing delimiter
    if (!after.starts_with("\r\n")) {
      out.error = "a boundary is not followed by a line end";
      return out;
    }
    const std::size_t head_start = pos + 2;
    const auto head_end = body.find("\r\n\r\n", head_start);
    if (head_end == std::string_view::npos) {
      out.error = "a part's headers do not end";
      return out;
    }
    const auto next = body.find(separator, head_end + 4);
    if (next == std::string_view::npos) {
      out.error = "the form has no closing boundary";
      return out;
    }
    if (out.parts.size() == 16) {
      out.error = "the form has more than 16 parts";
      return out;
    }
    FormPart part;
    bool disposition = false;
    std::string_view headers = body.substr(head_start, head_end - head_start);
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos &&
          lower(trim(line.substr(0, colon))) == "content-disposition") {
        const std::string_view value = trim(line.substr(colon + 1));
        if (lower(value.substr(0, value.find(';'))) != "form-data") {
          out.error = "a part is not form-data";
          return out;
        }
        part.name = parameter(value, "name").value_or("");
        part.filename = parameter(value, "filename").value_or("");
        disposition = true;
      }
      if (eol == std::string_view::npos) break;
      headers.remove_prefix(eol + 2);
    }
    if (!disposition || part.name.empty()) {
      out.error = "a part has no Content-Disposition with a name";
      return out;
    }
    part.data = std::string(body.substr(head_end + 4, next - head_end - 4));
    out.parts.push_back(std::move(part));
    pos = next + separator.size();
  }
}

}  // namespace bitflow::daemon
