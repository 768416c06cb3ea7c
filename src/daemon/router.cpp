#include "daemon/router.hpp"

#include <fmt/format.h>

#include <array>

namespace bitflow::daemon {

namespace {

// The manager's ids are [A-Za-z0-9_-]; anything else cannot name a download.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Response not_found(std::string_view path) {
  return error_response(404, "not_found", fmt::format("no such endpoint: {}", path));
}

Response not_allowed(std::string_view method, std::string_view path, std::string_view allow) {
  Response r =
      error_response(405, "method_not_allowed",
                     fmt::format("{} is not allowed on {} (allowed: {})", method, path, allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

struct Choice {
  std::string_view method;
  Endpoint endpoint;
};

// The endpoints of one path: the route for `method`, or 405 listing the others.
template <std::size_t N>
std::variant<Route, Response> pick(std::string_view method, std::string_view path,
                                   const std::array<Choice, N>& choices, Route route) {
  std::string allow;
  for (const Choice& c : choices) {
    if (c.method == method) {
      route.endpoint = c.endpoint;
      return route;
    }
    if (!allow.empty()) allow += ", ";
    allow += c.method;
  }
  return not_allowed(method, path, allow);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::variant<Route, Response> route(std::string_view method, std::string_view target) {
  Route r;
  std::string_view path = target;
  if (const auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    r.query = std::string(target.substr(q + 1));
  }
  using E = Endpoint;
  if (path == "/" || path == "/index.html" || path == "/app.js" || path == "/style.css") {
    r.web_file = path == "/" ? "index.html" : std::string(path.substr(1));
    return pick<1>(method, path, {{{"GET", E::web_file}}}, r);
  }
  if (path == "/healthz") return pick<1>(method, path, {{{"GET", E::healthz}}}, r);
  if (path == "/metrics") return pick<1>(method, path, {{{"GET", E::metrics}}}, r);
  if (path == "/events") return pick<1>(method, path, {{{"GET", E::events}}}, r);
  if (path == "/settings")
    return pick<2>(method, path, {{{"GET", E::get_settings}, {"PUT", E::put_settings}}}, r);
  if (path == "/inspect") return pick<1>(method, path, {{{"POST", E::inspect}}}, r);
  if (path == "/history")
    return pick<2>(method, path, {{{"GET", E::history}, {"DELETE", E::clear_history}}}, r);
  if (path == "/downloads")
    return pick<2>(method, path, {{{"GET", E::list_downloads}, {"POST", E::add_download}}}, r);
  if (path == "/webhooks")
    return pick<2>(method, path, {{{"GET", E::list_webhooks}, {"POST", E::add_webhook}}}, r);
  if (constexpr std::string_view hooks = "/webhooks/"; path.starts_with(hooks)) {
    const std::string_view id = path.substr(hooks.size());
    if (!valid_id(id)) return not_found(path);
    r.id = std::string(id);
    return pick<1>(method, path, {{{"DELETE", E::delete_webhook}}}, r);
  }
  if (path == "/downloads/delete")
    return pick<1>(method, path, {{{"POST", E::delete_downloads}}}, r);

  constexpr std::string_view prefix = "/downloads/";
  if (!path.starts_with(prefix)) return not_found(path);
  std::string_view rest = path.substr(prefix.size());
  const auto slash = rest.find('/');
  const std::string_view id = rest.substr(0, slash);
  if (!valid_id(id)) return not_found(path);
  r.id = std::string(id);
  if (slash == std::string_view::npos)
    return pick<1>(method, path, {{{"GET", E::get_download}}}, r);
  const std::string_view action = rest.substr(slash + 1);
  if (action == "pause") return pick<1>(method, path, {{{"POST", E::pause_download}}}, r);
  if (action == "resume") return pick<1>(method, path, {{{"POST", E::resume_download}}}, r);
  constexpr std::string_view files = "files/";
  if (action.starts_with(files)) {
    std::string_view index = action.substr(files.size());
    const auto link = index.find('/');
    const std::string_view tail = link == std::string_view::npos ? "" : index.substr(link);
    index = index.substr(0, link);
    if (!tail.empty() && tail != "/link") return not_found(path);
    if (index.empty() || index.size() > 9) return not_found(path);
    std::size_t n = 0;
    for (char c : index) {
      if (c < '0' || c > '9') return not_found(path);
      n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    r.file_index = n;
    if (tail == "/link") return pick<1>(method, path, {{{"POST", E::file_link}}}, r);
    return pick<1>(method, path, {{{"GET", E::download_file}}}, r);
  }
  return not_found(path);
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace bitflow::daemon
