#include "daemon/request_json.hpp"

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <set>

namespace bitflow::daemon {

namespace {

namespace json = boost::json;

// Requests are flat: an object holding strings, numbers and one level of arrays.
constexpr std::size_t kMaxDepth = 8;

// The body as an object with only `known` keys, or the reason it is not.
std::optional<json::object> parse_object(std::string_view body,
                                         const std::set<std::string_view>& known,
                                         std::string& error) {
  if (body.empty()) {
    error = "the request needs a JSON body";
    return std::nullopt;
  }
  json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, options);
  if (ec) {
    error = fmt::format("the body is not valid JSON: {}", ec.message());
    return std::nullopt;
  }
  if (!v.is_object()) {
    error = "the body must be a JSON object";
    return std::nullopt;
  }
  for (const auto& kv : v.as_object()) {
    if (!known.contains(std::string_view(kv.key()))) {
      error = fmt::format("unknown field \"{}\"", std::string_view(kv.key()));
      return std::nullopt;
    }
  }
  return std::move(v.as_object());
}

bool required_string(const json::object& o, std::string_view key, std::string& out,
                     std::string& error) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    error = fmt::format("missing field \"{}\"", key);
    return false;
  }
  if (!v->is_string() || v->as_string().empty()) {
    error = fmt::format("\"{}\" must be a non-empty string", key);
    return false;
  }
  out = std::string(v->as_string());
  return true;
}

// "files": a non-empty array of small non-negative integers.
bool read_indices(const json::value& files, std::vector<std::size_t>& indices, std::string& error) {
  if (!files.is_array()) {
    error = "\"files\" must be an array of file indices";
    return false;
  }
  for (const json::value& f : files.as_array()) {
    if (!f.is_int64() && !f.is_uint64()) {
      error = "\"files\" must hold integers (file indices)";
      return false;
    }
    if (f.is_int64() && f.as_int64() < 0) {
      error = "\"files\": an index cannot be negative";
      return false;
    }
    const std::uint64_t index =
        f.is_uint64() ? f.as_uint64() : static_cast<std::uint64_t>(f.as_int64());
    if (index > 1'000'000) {
      error = fmt::format("\"files\": index {} is out of range", index);
      return false;
    }
    indices.push_back(static_cast<std::size_t>(index));
  }
  if (indices.empty()) {
    error = "\"files\" must name at least one file (leave it out for all of them)";
    return false;
  }
  return true;
}

}  // namespace

Parsed<std::vector<std::size_t>> parse_file_indices(std::string_view text) {
  Parsed<std::vector<std::size_t>> out;
  json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec, {}, options);
  if (ec) {
    out.error = fmt::format("\"files\" is not valid JSON: {}", ec.message());
    return out;
  }
  std::vector<std::size_t> indices;
  if (read_indices(v, indices, out.error)) out.value = std::move(indices);
  return out;
}

Parsed<AddRequest> parse_add_request(std::string_view body) {
  Parsed<AddRequest> out;
  auto o = parse_object(body, {"url", "files", "destination"}, out.error);
  if (!o) return out;
  AddRequest request;
  if (!required_string(*o, "url", request.url, out.error)) return out;
  if (const json::value* files = o->if_contains("files")) {
    std::vector<std::size_t> indices;
    if (!read_indices(*files, indices, out.error)) return out;
    request.files = std::move(indices);
  }
  if (const json::value* d = o->if_contains("destination")) {
    if (!d->is_string()) {
      out.error = "\"destination\" must be a string";
      return out;
    }
    request.destination = std::string(d->as_string());
    if (!valid_relative_folder(request.destination)) {
      out.error =
          "\"destination\" must be a folder relative to your files folder, without '..' or "
          "'.' parts";
      return out;
    }
  }
  out.value = std::move(request);
  return out;
}

Parsed<DeleteRequest> parse_delete_request(std::string_view body) {
  Parsed<DeleteRequest> out;
  auto o = parse_object(body, {"ids", "delete_data"}, out.error);
  if (!o) return out;
  DeleteRequest request;
  const json::value* ids = o->if_contains("ids");
  if (!ids) {
    out.error = "missing field \"ids\"";
    return out;
  }
  if (!ids->is_array() || ids->as_array().empty()) {
    out.error = "\"ids\" must be a non-empty array of download ids";
    return out;
  }
  for (const json::value& id : ids->as_array()) {
    if (!id.is_string()) {
      out.error = "\"ids\" must hold strings (download ids)";
      return out;
    }
    request.ids.emplace_back(id.as_string());
  }
  if (const json::value* d = o->if_contains("delete_data")) {
    if (!d->is_bool()) {
      out.error = "\"delete_data\" must be true or false";
      return out;
    }
    request.delete_data = d->as_bool();
  }
  out.value = std::move(request);
  return out;
}

Parsed<InspectRequest> parse_inspect_request(std::string_view body) {
  Parsed<InspectRequest> out;
  auto o = parse_object(body, {"url"}, out.error);
  if (!o) return out;
  InspectRequest request;
  if (!required_string(*o, "url", request.url, out.error)) return out;
  out.value = std::move(request);
  return out;
}

Parsed<WebhookRequest> parse_webhook_request(std::string_view body) {
  Parsed<WebhookRequest> out;
  auto o = parse_object(body, {"url", "secret", "events"}, out.error);
  if (!o) return out;
  WebhookRequest request;
  if (!required_string(*o, "url", request.url, out.error)) return out;
  if (!required_string(*o, "secret", request.secret, out.error)) return out;
  if (const json::value* events = o->if_contains("events")) {
    if (!events->is_array()) {
      out.error = "\"events\" must be an array of event names";
      return out;
    }
    for (const json::value& e : events->as_array()) {
      if (!e.is_string()) {
        out.error = "\"events\" must hold strings (event names such as \"finished\")";
        return out;
      }
      request.events.emplace_back(e.as_string());
    }
  }
  out.value = std::move(request);
  return out;
}

Parsed<LinkRequest> parse_link_request(std::string_view body) {
  Parsed<LinkRequest> out;
  LinkRequest request;
  if (body.empty()) {
    out.value = request;
    return out;
  }
  auto o = parse_object(body, {"minutes"}, out.error);
  if (!o) return out;
  if (const json::value* m = o->if_contains("minutes")) {
    if (!m->is_int64() || m->as_int64() < 1 || m->as_int64() > 10080) {
      out.error = "\"minutes\" must be an integer from 1 to 10080 (a week)";
      return out;
    }
    request.minutes = static_cast<int>(m->as_int64());
  }
  out.value = request;
  return out;
}

Parsed<SettingsRequest> parse_settings_request(std::string_view body) {
  Parsed<SettingsRequest> out;
  auto o = parse_object(body, {"download_location"}, out.error);
  if (!o) return out;
  SettingsRequest request;
  const json::value* v = o->if_contains("download_location");
  if (!v) {
    out.error = "missing field \"download_location\"";
    return out;
  }
  if (!v->is_null() && !v->is_string()) {
    out.error = "\"download_location\" must be a string or null";
    return out;
  }
  if (v->is_string()) request.download_location = std::string(v->as_string());
  if (!valid_download_location(request.download_location)) {
    out.error =
        "\"download_location\" must be a folder relative to your files folder (no '..' or '.' "
        "parts) or s3://bucket/prefix/";
    return out;
  }
  out.value = std::move(request);
  return out;
}

bool valid_download_location(std::string_view location) noexcept {
  constexpr std::string_view scheme = "s3://";
  if (!location.starts_with(scheme)) return valid_relative_folder(location);
  std::string_view rest = location.substr(scheme.size());
  const auto slash = rest.find('/');
  const std::string_view bucket = rest.substr(0, slash);
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  if (slash == std::string_view::npos) return true;
  std::string_view prefix = rest.substr(slash + 1);
  if (prefix.ends_with('/')) prefix.remove_suffix(1);
  return valid_relative_folder(prefix);
}

bool valid_relative_folder(std::string_view folder) noexcept {
  if (folder.size() > 255) return false;
  if (folder.empty()) return true;
  if (folder.front() == '/') return false;
  for (char c : folder) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  std::string_view rest = folder;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace bitflow::daemon
