// The manager's records and events as JSON (bitflow/manager_json.hpp). The keys are the
// public API of bitflowd and of the webhooks: add keys, never rename or drop one.
#include "bitflow/manager_json.hpp"

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <ctime>

namespace bitflow::manager {

namespace json = boost::json;

std::string format_utc(TimeMs at) {
  // Floor division, so that times before 1970 keep their milliseconds positive.
  TimeMs seconds = at / 1000;
  TimeMs millis = at % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

namespace {

// 0 stands for "not yet" in the record's timestamps.
json::value time_or_null(TimeMs at) {
  if (at == 0) return nullptr;
  return json::value(format_utc(at));
}

int percent(std::int64_t done, std::int64_t total) {
  if (total <= 0) return 0;
  if (done >= total) return 100;
  return static_cast<int>(done * 100 / total);
}

json::array files_json(const std::vector<DownloadFile>& files) {
  json::array out;
  out.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const DownloadFile& f = files[i];
    json::object o;
    o["index"] = i;
    o["path"] = f.path;
    o["size"] = f.size;
    o["bytes_done"] = f.bytes_done;
    o["progress"] = percent(f.bytes_done, f.size);
    o["selected"] = f.selected;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

json::object to_json(const DownloadRecord& r) {
  json::object o;
  o["id"] = r.id;
  o["owner"] = r.owner;
  o["name"] = r.name;
  o["type"] = r.type;
  o["source"] = r.source;
  o["destination"] = r.destination;
  o["state"] = to_string(r.state);
  o["progress"] = r.progress();
  o["bytes_done"] = r.bytes_done;
  o["bytes_total"] = r.bytes_total < 0 ? json::value(nullptr) : json::value(r.bytes_total);
  o["bytes_uploaded"] = r.bytes_uploaded;
  o["download_rate"] = r.download_rate;
  o["upload_rate"] = r.upload_rate;
  const std::int64_t eta = r.eta_seconds();
  o["eta"] = eta < 0 ? json::value(nullptr) : json::value(eta);
  o["waiting_reason"] =
      r.waiting_reason.empty() ? json::value(nullptr) : json::value(r.waiting_reason);
  if (r.error.empty() && r.error_code.empty()) {
    o["error"] = nullptr;
  } else {
    json::object error;
    error["message"] = r.error;
    error["code"] = r.error_code;
    o["error"] = std::move(error);
  }
  o["attempts"] = r.attempts;
  o["created_at"] = time_or_null(r.created_at);
  o["started_at"] = time_or_null(r.started_at);
  o["finished_at"] = time_or_null(r.finished_at);
  o["retry_at"] = time_or_null(r.retry_at);
  o["files"] = files_json(r.files);
  return o;
}

json::object to_json(const Event& event) {
  json::object o;
  o["event"] = to_string(event.kind);
  o["timestamp"] = format_utc(event.at);
  o["download"] = to_json(event.download);
  json::array changed;
  for (const std::string& field : event.changed)
    changed.emplace_back(field);
  o["changed"] = std::move(changed);
  return o;
}

}  // namespace bitflow::manager
