// See scgi.hpp.
#include "remote/scgi.hpp"

#include <fmt/format.h>
#include <charconv>

#include "bitflow/error.hpp"
#include "bitflow/remote_client.hpp"

namespace bitflow::remote::scgi {

namespace {

[[noreturn]] void malformed(std::string_view who, std::string_view what) {
  throw Error(errc::malformed_response, fmt::format("{}: malformed SCGI answer: {}", who, what));
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).push_back('\0');
  out.append(value).push_back('\0');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// One header line of the answer: a Status must be 2xx, a Content-Length must match.
void check_header(std::string_view line, std::size_t body_size, std::string_view who) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) malformed(who, "a header line without ':'");
  const std::string_view name = trim(line.substr(0, colon));
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "Status")) {
    if (value.empty() || value.front() != '2')
      malformed(who, fmt::format("status '{}'", value.substr(0, 80)));
  } else if (iequals(name, "Content-Length")) {
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc{} || end != value.data() + value.size() || value.empty())
      malformed(who, fmt::format("Content-Length '{}' is not a number", value.substr(0, 80)));
    if (length != body_size)
      malformed(who, fmt::format("Content-Length says {} bytes, {} came (truncated?)", length,
                                 body_size));
  }
}

}  // namespace

std::string encode_request(std::string_view body, std::string_view uri) {
  std::string headers;
  add_header(headers, "CONTENT_LENGTH", std::to_string(body.size()));  // must come first
  add_header(headers, "SCGI", "1");
  add_header(headers, "REQUEST_METHOD", "POST");
  add_header(headers, "REQUEST_URI", uri);
  std::string out = fmt::format("{}:", headers.size());
  out.append(headers).push_back(',');
  out.append(body);
  return out;
}

std::string_view decode_response(std::string_view response, std::string_view who) {
  // CGI allows bare LF line ends; rTorrent sends CRLF.
  std::size_t end = response.find("\r\n\r\n");
  std::size_t body_at = end + 4;
  if (const std::size_t lf = response.find("\n\n"); lf < end) {
    end = lf;
    body_at = lf + 2;
  }
  if (end == std::string_view::npos) {
    if (response.empty()) malformed(who, "the connection closed without an answer");
    malformed(who, "the header block never ends (truncated?)");
  }
  const std::string_view head = response.substr(0, end);
  const std::string_view body = response.substr(body_at);
  std::size_t pos = 0;
  while (pos <= head.size()) {
    std::size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) nl = head.size();
    const std::string_view line = trim(head.substr(pos, nl - pos));
    if (!line.empty()) check_header(line, body.size(), who);
    pos = nl + 1;
  }
  return body;
}

}  // namespace bitflow::remote::scgi
