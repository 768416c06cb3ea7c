// bitflowd's API: authentication, ownership and the mapping of each endpoint onto the
// manager. Every failure the manager reports becomes a JSON error with a status that says
// whose fault it is (4xx: the request's, 5xx: the server's); nothing here throws out.
#include "daemon/api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <system_error>

#include "bitflow/error.hpp"
#include "bitflow/hash.hpp"
#include "bitflow/manager_json.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/url_fetcher.hpp"
#include "daemon/file_link.hpp"
#include "daemon/list_query.hpp"
#include "daemon/multipart.hpp"
#include "daemon/request_json.hpp"
#include "daemon/token.hpp"
#include "daemon/web_assets.hpp"
#include "manager/manager_error.hpp"

namespace bitflow::daemon {

namespace json = boost::json;

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Response unauthorized(std::string_view why) {
  Response r = error_response(401, "unauthorized", why);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"bitflowd\"");
  return r;
}

Response download_not_found(std::string_view id) {
  return error_response(404, "not_found", fmt::format("no download with id {}", id));
}

// A manager failure as the response it deserves.
Response from_error(const std::system_error& e) {
  const std::error_code code = e.code();
  if (code == manager::errc::not_found) return error_response(404, "not_found", e.what());
  if (code == manager::errc::illegal_transition)
    return error_response(409, "illegal_transition", e.what());
  if (code == manager::errc::queue_full) return error_response(429, "queue_full", e.what());
  if (code == manager::errc::too_large) return error_response(422, "too_large", e.what());
  if (code == manager::errc::unknown_tier) return error_response(500, "unknown_tier", e.what());
  if (code == manager::errc::bad_webhook) return error_response(400, "bad_webhook", e.what());
  if (code == manager::errc::webhook_not_found) return error_response(404, "not_found", e.what());
  if (code == fetch::errc::bad_url) return error_response(400, "bad_source", e.what());
  if (code == std::errc::invalid_argument) return error_response(400, "bad_request", e.what());
  return error_response(500, "internal", e.what());
}

json::object downloads_json(const std::vector<manager::DownloadRecord>& records) {
  json::array list;
  list.reserve(records.size());
  for (const manager::DownloadRecord& r : records)
    list.push_back(manager::to_json(r));
  json::object out;
  out["downloads"] = std::move(list);
  return out;
}

// A webhook as the API shows it: never its secret, which only its owner's receiver needs.
json::object webhook_json(const manager::Webhook& hook) {
  json::array events;
  for (const std::string& e : hook.events)
    events.emplace_back(e);
  json::object o;
  o["id"] = hook.id;
  o["url"] = hook.url;
  o["events"] = std::move(events);
  return o;
}

}  // namespace

Api::Api(manager::Manager& manager, UserStore& users, ApiConfig config)
    : manager_(manager), users_(users), config_(std::move(config)) {}

Outcome Api::handle(const Request& request) {
  ++stats_->requests;
  if (request.host.empty())
    return error_response(400, "bad_request", "the request has no Host header");
  if (!host_allowed(request.host, config_.host_names))
    return error_response(421, "misdirected_request",
                          fmt::format("this server does not answer for host '{}'", request.host));
  auto routed = route(request.method, request.target);
  if (auto* response = std::get_if<Response>(&routed)) return std::move(*response);
  const Route& r = std::get<Route>(routed);
  if (r.endpoint == Endpoint::healthz) return json_response(200, json::object{{"status", "ok"}});
  if (r.endpoint == Endpoint::web_file) {
    if (std::optional<Response> page = web_file_response(r.web_file)) return std::move(*page);
    return error_response(404, "not_found", fmt::format("no such file: {}", r.web_file));
  }

  if (r.endpoint == Endpoint::download_file && request.authorization.empty() &&
      query_param(r.query, "signature")) {
    try {
      return signed_file(r, request);
    } catch (const std::exception& e) {
      return error_response(500, "internal", e.what());
    }
  }
  if (request.authorization.empty())
    return unauthorized("this endpoint needs an 'Authorization: Bearer TOKEN' header");
  const std::optional<std::string_view> token = bearer_token(request.authorization);
  if (!token) return unauthorized("the Authorization header must be 'Bearer TOKEN'");
  try {
    const std::optional<User> user = users_.find_by_token_hash(hash_token(*token));
    if (!user) return unauthorized("the token is not valid");
    return dispatch(request, r, *user);
  } catch (const std::system_error& e) {
    return from_error(e);
  } catch (const std::exception& e) {
    return error_response(500, "internal", e.what());
  }
}

Outcome Api::dispatch(const Request& request, const Route& r, const User& user) {
  switch (r.endpoint) {
    case Endpoint::healthz:
    case Endpoint::web_file:
      break;
    case Endpoint::metrics:
      return metrics();
    case Endpoint::list_downloads: {
      auto query = parse_list_query(r.query);
      if (auto* why = std::get_if<std::string>(&query))
        return error_response(400, "bad_request", *why);
      const ListQuery& q = std::get<ListQuery>(query);
      manager::DownloadPage page = manager_.get_page(q.filter, user.name, q.after, q.limit);
      json::object body = downloads_json(page.downloads);
      if (page.next)
        body["next"] = format_cursor(*page.next);
      else
        body["next"] = nullptr;
      return json_response(200, std::move(body));
    }
    case Endpoint::get_download: {
      auto record = owned(r.id, user);
      if (!record) return download_not_found(r.id);
      return json_response(200, manager::to_json(*record));
    }
    case Endpoint::add_download:
      return add(request, user);
    case Endpoint::delete_downloads:
      return remove(request, user);
    case Endpoint::pause_download:
    case Endpoint::resume_download: {
      if (!owned(r.id, user)) return download_not_found(r.id);
      if (r.endpoint == Endpoint::pause_download)
        manager_.pause(r.id);
      else
        manager_.resume(r.id);
      return json_response(200, manager::to_json(*manager_.get_one(r.id)));
    }
    case Endpoint::history:
      return json_response(200, downloads_json(manager_.history(user.name)));
    case Endpoint::clear_history:
      return json_response(200, json::object{{"cleared", manager_.clear_history(user.name)}});
    case Endpoint::inspect: {
      auto parsed = parse_inspect_request(request.body);
      if (!parsed.value) return error_response(400, "bad_request", parsed.error);
      if (!remote_source(parsed.value->url))
        return error_response(400, "bad_source",
                              "url must be a magnet link or a URL (http, https, ftp, ftps, "
                              "sftp, s3), not a path on the server");
      return Deferred{parsed.value->url, &inspection_response};
    }
    case Endpoint::events:
      return EventStream{user.name, request.last_event_id};
    case Endpoint::download_file:
      return file(r, user, request);
    case Endpoint::file_link:
      return file_link(r, user, request);
    case Endpoint::get_settings:
      return settings(user);
    case Endpoint::list_webhooks: {
      json::array list;
      for (const manager::Webhook& hook : manager_.webhooks(user.name))
        list.push_back(webhook_json(hook));
      return json_response(200, json::object{{"webhooks", std::move(list)}});
    }
    case Endpoint::add_webhook: {
      auto parsed = parse_webhook_request(request.body);
      if (!parsed.value) return error_response(400, "bad_request", parsed.error);
      const manager::Webhook hook = manager_.add_webhook(
          user.name, parsed.value->url, parsed.value->secret, parsed.value->events);
      return json_response(201, webhook_json(hook));
    }
    case Endpoint::delete_webhook:
      manager_.remove_webhook(user.name, r.id);
      return json_response(200, json::object{{"deleted", r.id}});
    case Endpoint::put_settings: {
      auto parsed = parse_settings_request(request.body);
      if (!parsed.value) return error_response(400, "bad_request", parsed.error);
      users_.set_download_location(user.name, parsed.value->download_location);
      return settings(user);
    }
  }
  return json_response(200, json::object{{"status", "ok"}});
}

Outcome Api::add(const Request& request, const User& user) {
  if (request.content_type.starts_with("multipart/")) {
    const std::optional<std::string> boundary = form_boundary(request.content_type);
    if (!boundary)
      return error_response(400, "bad_request",
                            "an upload must be multipart/form-data with a boundary");
    return add_upload(request, user, *boundary);
  }
  auto parsed = parse_add_request(request.body);
  if (!parsed.value) return error_response(400, "bad_request", parsed.error);
  AddRequest wanted = std::move(*parsed.value);
  if (!remote_source(wanted.url))
    return error_response(400, "bad_source",
                          "url must be a magnet link or a URL (http, https, ftp, ftps, sftp, "
                          "s3), not a path on the server");
  if (!wanted.files) return add_now(user, wanted.url, wanted.destination, {});
  // Priorities are one per file of the torrent: its file list comes from inspecting it.
  Deferred deferred;
  deferred.source = wanted.url;
  deferred.finish = [this, user, wanted](const Inspection& inspection) -> Response {
    if (inspection.error) return error_response(422, "inspect_failed", inspection.error.message);
    auto priorities = priorities_for(inspection, *wanted.files);
    if (auto* error = std::get_if<Response>(&priorities)) return std::move(*error);
    try {
      return add_now(user, wanted.url, wanted.destination, std::get<std::vector<int>>(priorities));
    } catch (const std::system_error& e) {
      return from_error(e);
    } catch (const std::exception& e) {
      return error_response(500, "internal", e.what());
    }
  };
  return deferred;
}

Response Api::add_upload(const Request& request, const User& user, const std::string& boundary) {
  ParsedForm form = parse_form(request.body, boundary);
  if (!form.error.empty()) return error_response(400, "bad_request", form.error);
  const FormPart* torrent = nullptr;
  std::optional<std::vector<std::size_t>> files;
  std::string destination;
  for (const FormPart& part : form.parts) {
    if (part.name == "torrent") {
      torrent = &part;
    } else if (part.name == "files") {
      auto indices = parse_file_indices(part.data);
      if (!indices.value) return error_response(400, "bad_request", indices.error);
      files = std::move(indices.value);
    } else if (part.name == "destination") {
      if (!valid_relative_folder(part.data))
        return error_response(400, "bad_request",
                              "\"destination\" must be a folder relative to your files folder, "
                              "without '..' or '.' parts");
      destination = part.data;
    } else {
      return error_response(400, "bad_request",
                            fmt::format("unknown form field \"{}\"", part.name));
    }
  }
  if (!torrent) return error_response(400, "bad_request", "the form has no \"torrent\" file");
  ErrorInfo error;
  const std::optional<TorrentInfo> info = TorrentInfo::parse(torrent->data, error);
  if (!info)
    return error_response(400, "bad_torrent",
                          fmt::format("the torrent file is not valid: {}", error.message));
  std::vector<int> priorities;
  if (files) {
    const auto& entries = info->files();
    priorities.assign(entries.size(), 0);
    for (std::size_t index : *files) {
      if (index >= entries.size() || entries[index].pad)
        return error_response(400, "bad_request",
                              fmt::format("\"files\": the torrent has no file {}", index));
      priorities[index] = 1;
    }
  }
  // Named by its content, so the same upload twice is one file.
  std::error_code ec;
  std::filesystem::create_directories(config_.upload_dir, ec);
  const std::filesystem::path path =
      config_.upload_dir / fmt::format("{}.torrent", sha256(torrent->data).hex());
  const std::filesystem::path partial = fmt::format("{}.part", path.string());
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(torrent->data.data(), static_cast<std::streamsize>(torrent->data.size()));
    if (!out.flush())
      return error_response(500, "internal", fmt::format("cannot write {}", partial.string()));
  }
  std::filesystem::rename(partial, path, ec);
  if (ec)
    return error_response(500, "internal",
                          fmt::format("cannot store the upload: {}", ec.message()));
  return add_now(user, path.string(), destination, std::move(priorities));
}

Response Api::settings(const User& user) {
  const std::string location = users_.download_location(user.name);
  json::object out;
  if (location.empty())
    out["download_location"] = nullptr;
  else
    out["download_location"] = location;
  out["resolved_location"] = destination_for(user, "");
  return json_response(200, out);
}

std::string Api::destination_for(const User& user, const std::string& destination) {
  const std::string location = users_.download_location(user.name);
  if (location.starts_with("s3://")) {
    std::string prefix = location;
    if (!prefix.ends_with('/')) prefix += '/';
    if (!destination.empty()) prefix += fmt::format("{}/", destination);
    return prefix;
  }
  std::filesystem::path folder = config_.files_dir / user.name;
  if (!location.empty()) folder /= location;
  if (!destination.empty()) folder /= destination;
  return folder.string();
}

Response Api::add_now(const User& user, const std::string& url, const std::string& destination,
                      std::vector<int> priorities) {
  const std::string target = destination_for(user, destination);
  if (!target.starts_with("s3://")) {
    std::error_code ec;
    std::filesystem::create_directories(target, ec);
    if (ec)
      return error_response(500, "internal",
                            fmt::format("cannot create {}: {}", target, ec.message()));
  }
  manager::AddOptions options;
  options.owner = user.name;
  options.destination = target;
  options.file_priorities = std::move(priorities);
  const std::string id = manager_.add(url, options);
  const std::optional<manager::DownloadRecord> record = manager_.get_one(id);
  if (!record) return error_response(500, "internal", "the download vanished once added");
  Response r = json_response(201, manager::to_json(*record));
  r.headers.emplace_back("Location", fmt::format("/downloads/{}", id));
  return r;
}

Response Api::remove(const Request& request, const User& user) {
  auto parsed = parse_delete_request(request.body);
  if (!parsed.value) return error_response(400, "bad_request", parsed.error);
  // Every id is checked before anything is removed: all or nothing.
  for (const std::string& id : parsed.value->ids) {
    if (!owned(id, user)) return download_not_found(id);
  }
  manager_.remove(parsed.value->ids, parsed.value->delete_data);
  json::array ids;
  for (const std::string& id : parsed.value->ids)
    ids.emplace_back(id);
  return json_response(200, json::object{{"removed", std::move(ids)}});
}

Response Api::metrics() {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  ServerStats stats = *stats_;
  stats.webhook_backlog = manager_.deliveries_owed(std::nullopt);
  r.body = format_metrics(manager_.get_all(manager::Filter::all), stats);
  return r;
}

Outcome Api::file(const Route& r, const User& user, const Request& request) {
  const std::optional<manager::DownloadRecord> record = owned(r.id, user);
  if (!record) return download_not_found(r.id);
  if (r.file_index >= record->files.size())
    return error_response(404, "not_found",
                          fmt::format("download {} has no file {} (it has {})", r.id, r.file_index,
                                      record->files.size()));
  if (record->state != manager::DownloadState::completed)
    return error_response(409, "not_ready",
                          fmt::format("download {} is {}: its files are served once it completed",
                                      r.id, manager::to_string(record->state)));
  const manager::DownloadFile& f = record->files[r.file_index];
  if (!f.selected)
    return error_response(
        404, "not_found",
        fmt::format("file {} of download {} was not selected", r.file_index, r.id));
  if (record->destination.starts_with("s3://")) {
    // The bytes are in the bucket, not here: send the client there with a URL that needs no
    // credentials (a player follows it, and its Range requests go to S3 directly).
    Response redirect;
    redirect.status = 307;
    const std::string url = manager_.presign_file(*record, r.file_index, config_.s3_link_expiry);
    redirect.headers.emplace_back("Location", url);
    redirect.headers.emplace_back("Cache-Control", "no-store");
    redirect.body = boost::json::serialize(boost::json::object{{"url", url}}) + "\n";
    return redirect;
  }
  // The manager's paths are sanitised already; checking that the real path stays inside the
  // destination also refuses a symlink planted there.
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::weakly_canonical(record->destination, ec);
  const std::filesystem::path path =
      std::filesystem::weakly_canonical(std::filesystem::path(record->destination) / f.path, ec);
  const auto mismatch = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  if (ec || mismatch.first != base.end() || !std::filesystem::is_regular_file(path, ec))
    return error_response(
        404, "not_found",
        fmt::format("file {} of download {} is no longer there", r.file_index, r.id));
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec)
    return error_response(500, "internal", fmt::format("{}: {}", path.string(), ec.message()));
  FileBody body;
  body.path = path;
  body.size = static_cast<std::uint64_t>(size);
  body.range = parse_range(request.range, body.size);
  body.content_type = std::string(content_type_for(f.path));
  if (body.range.kind == ByteRange::Kind::unsatisfiable) {
    Response unsatisfiable = error_response(416, "range_not_satisfiable",
                                            fmt::format("the file has {} bytes", body.size));
    unsatisfiable.headers.emplace_back("Content-Range", fmt::format("bytes */{}", body.size));
    return unsatisfiable;
  }
  return body;
}

Response Api::file_link(const Route& r, const User& user, const Request& request) {
  auto parsed = parse_link_request(request.body);
  if (!parsed.value) return error_response(400, "bad_request", parsed.error);
  const std::optional<manager::DownloadRecord> record = owned(r.id, user);
  if (!record) return download_not_found(r.id);
  if (r.file_index >= record->files.size())
    return error_response(404, "not_found",
                          fmt::format("download {} has no file {}", r.id, r.file_index));
  const std::int64_t expires = config_.now() + std::int64_t{parsed.value->minutes} * 60;
  const std::string signature =
      sign_file_link(users_.link_key(), user.name, r.id, r.file_index, expires);
  json::object out;
  out["url"] = fmt::format("/downloads/{}/files/{}?expires={}&signature={}", r.id, r.file_index,
                           expires, signature);
  out["expires_at"] = manager::format_utc(expires * 1000);
  return json_response(201, out);
}

Outcome Api::signed_file(const Route& r, const Request& request) {
  const std::optional<std::string> expires_text = query_param(r.query, "expires");
  const std::optional<std::string> signature = query_param(r.query, "signature");
  std::int64_t expires = 0;
  const bool number =
      expires_text && !expires_text->empty() &&
      std::from_chars(expires_text->data(), expires_text->data() + expires_text->size(), expires)
              .ptr == expires_text->data() + expires_text->size();
  const std::optional<manager::DownloadRecord> record = manager_.get_one(r.id);
  // An unknown download and a wrong signature read the same: nothing to learn from it.
  if (!number || !signature || !record ||
      !check_file_link(users_.link_key(), record->owner, r.id, r.file_index, expires, *signature,
                       config_.now()))
    return error_response(403, "bad_link", "the link is not valid or has expired");
  User owner;
  owner.name = record->owner;
  return file(r, owner, request);
}

std::optional<manager::DownloadRecord> Api::owned(const std::string& id, const User& user) {
  std::optional<manager::DownloadRecord> record = manager_.get_one(id);
  if (!record || record->owner != user.name) return std::nullopt;
  return record;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size() ||
      !iequals(authorization.substr(0, scheme.size()), scheme))
    return std::nullopt;
  std::string_view token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

bool host_allowed(std::string_view host, const std::vector<std::string>& names) noexcept {
  std::string_view name = host;
  if (name.starts_with('[')) {
    const auto close = name.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view rest = name.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return false;
    name = name.substr(0, close + 1);
  } else if (const auto colon = name.find(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  if (name.empty()) return false;
  if (name == "127.0.0.1" || iequals(name, "localhost") || name == "[::1]") return true;
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return iequals(name, n); });
}

bool remote_source(std::string_view source) noexcept {
  constexpr std::array<std::string_view, 7> prefixes = {"magnet:", "http://", "https://", "ftp://",
                                                        "ftps://", "sftp://", "s3://"};
  return std::any_of(prefixes.begin(), prefixes.end(), [&](std::string_view p) {
    return source.size() > p.size() && iequals(source.substr(0, p.size()), p);
  });
}

Response inspection_response(const Inspection& inspection) {
  if (inspection.error && !inspection.source)
    return error_response(400, "bad_source", inspection.error.message);
  if (inspection.error) return error_response(422, "inspect_failed", inspection.error.message);
  json::object out;
  out["type"] = inspection.source.type;
  out["name"] = inspection.name;
  if (inspection.size >= 0)
    out["size"] = inspection.size;
  else
    out["size"] = nullptr;
  json::array files;
  for (const Inspection::File& f : inspection.files) {
    json::object file;
    file["index"] = f.index;
    file["path"] = f.path;
    file["size"] = f.size;
    files.push_back(std::move(file));
  }
  out["files"] = std::move(files);
  if (inspection.content_type.empty())
    out["content_type"] = nullptr;
  else
    out["content_type"] = inspection.content_type;
  return json_response(200, out);
}

std::variant<std::vector<int>, Response> priorities_for(const Inspection& inspection,
                                                        const std::vector<std::size_t>& wanted) {
  if (!inspection.torrent)
    return error_response(400, "bad_request",
                          "\"files\" applies to torrents only (a magnet's files are not known "
                          "before its metadata arrives; a URL is one file)");
  std::vector<int> priorities(inspection.torrent->files().size(), 0);
  for (std::size_t index : wanted) {
    const bool listed = std::any_of(inspection.files.begin(), inspection.files.end(),
                                    [&](const Inspection::File& f) { return f.index == index; });
    if (!listed)
      return error_response(400, "bad_request",
                            fmt::format("\"files\": the torrent has no file {} (it has {})", index,
                                        inspection.files.size()));
    priorities[index] = 1;
  }
  return priorities;
}

std::string format_metrics(const std::vector<manager::DownloadRecord>& downloads,
                           const ServerStats& stats) {
  using manager::DownloadState;
  constexpr std::array states = {DownloadState::queued,    DownloadState::downloading,
                                 DownloadState::uploading, DownloadState::paused,
                                 DownloadState::completed, DownloadState::failed,
                                 DownloadState::removed};
  std::map<DownloadState, std::int64_t> by_state;
  std::int64_t down_rate = 0, up_rate = 0, bytes_done = 0;
  for (const manager::DownloadRecord& d : downloads) {
    ++by_state[d.state];
    down_rate += d.download_rate;
    up_rate += d.upload_rate;
    bytes_done += d.bytes_done;
  }
  std::string out;
  out += "# HELP bitflowd_downloads Downloads in each state, over all users.\n";
  out += "# TYPE bitflowd_downloads gauge\n";
  for (DownloadState s : states)
    out +=
        fmt::format("bitflowd_downloads{{state=\"{}\"}} {}\n", manager::to_string(s), by_state[s]);
  out += "# HELP bitflowd_queue_length Downloads waiting to start.\n";
  out += "# TYPE bitflowd_queue_length gauge\n";
  out += fmt::format("bitflowd_queue_length {}\n", by_state[DownloadState::queued]);
  out += "# HELP bitflowd_download_rate_bytes Bytes per second received by running downloads.\n";
  out += "# TYPE bitflowd_download_rate_bytes gauge\n";
  out += fmt::format("bitflowd_download_rate_bytes {}\n", down_rate);
  out += "# HELP bitflowd_upload_rate_bytes Bytes per second sent (seeding, S3 uploads).\n";
  out += "# TYPE bitflowd_upload_rate_bytes gauge\n";
  out += fmt::format("bitflowd_upload_rate_bytes {}\n", up_rate);
  out += "# HELP bitflowd_bytes_done Bytes fetched by the downloads the server knows.\n";
  out += "# TYPE bitflowd_bytes_done gauge\n";
  out += fmt::format("bitflowd_bytes_done {}\n", bytes_done);
  out += "# HELP bitflowd_http_connections HTTP connections open.\n";
  out += "# TYPE bitflowd_http_connections gauge\n";
  out += fmt::format("bitflowd_http_connections {}\n", stats.connections);
  out += "# HELP bitflowd_event_streams GET /events streams open.\n";
  out += "# TYPE bitflowd_event_streams gauge\n";
  out += fmt::format("bitflowd_event_streams {}\n", stats.event_streams);
  out += "# HELP bitflowd_http_requests_total Requests answered.\n";
  out += "# TYPE bitflowd_http_requests_total counter\n";
  out += fmt::format("bitflowd_http_requests_total {}\n", stats.requests);
  out += "# HELP bitflowd_rejected_connections_total Connections refused at the cap.\n";
  out += "# TYPE bitflowd_rejected_connections_total counter\n";
  out += fmt::format("bitflowd_rejected_connections_total {}\n", stats.rejected_connections);
  out += "# HELP bitflowd_webhook_backlog Webhook deliveries owed to receivers.\n";
  out += "# TYPE bitflowd_webhook_backlog gauge\n";
  out += fmt::format("bitflowd_webhook_backlog {}\n", stats.webhook_backlog);
  return out;
}

}  // namespace bitflow::daemon
