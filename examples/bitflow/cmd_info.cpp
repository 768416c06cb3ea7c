// `bitflow info`: what a .torrent file (local or at a URL), a magnet link or a URL holds,
// as text or as JSON.
//
// The JSON form is stable: keys are only ever added, never renamed or removed.
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

#include "args.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/text.hpp"
#include "commands.hpp"
#include "sources.hpp"

namespace cli {
namespace {

namespace json = boost::json;
using bitflow::to_valid_utf8;

std::string format_date(std::int64_t unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  char buf[64];
  if (!gmtime_r(&t, &tm) || !std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm))
    return std::to_string(unix_seconds);
  return buf;
}

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& s : items)
    out.emplace_back(to_valid_utf8(s));
  return out;
}

json::value torrent_json(const bitflow::TorrentInfo& t) {
  json::object o;
  o["type"] = "torrent";
  o["name"] = t.name();
  o["info_hash"] = t.info_hash().hex();
  o["info_hash_v2"] = t.info_hash_v2() ? json::value(t.info_hash_v2()->hex()) : nullptr;
  o["version"] = t.version() == bitflow::TorrentVersion::hybrid ? "hybrid" : "v1";
  o["piece_length"] = t.piece_length();
  o["num_pieces"] = t.num_pieces();
  o["total_size"] = t.total_size();
  o["private"] = t.is_private();
  o["creation_date"] = t.creation_date() ? json::value(*t.creation_date()) : nullptr;
  o["created_by"] = to_valid_utf8(t.created_by());
  o["comment"] = to_valid_utf8(t.comment());
  json::array tiers;
  for (const auto& tier : t.trackers())
    tiers.push_back(string_array(tier));
  o["trackers"] = std::move(tiers);
  o["web_seeds"] = string_array(t.web_seeds());
  json::array files;
  for (const auto& f : t.files()) {
    json::object file;
    file["path"] = f.path;
    file["size"] = f.size;
    file["offset"] = f.offset;
    file["pad"] = f.pad;
    file["executable"] = f.executable;
    file["hidden"] = f.hidden;
    file["symlink"] = f.symlink;
    if (f.symlink) file["symlink_target"] = f.symlink_target;
    files.push_back(std::move(file));
  }
  o["files"] = std::move(files);
  o["warnings"] = string_array(t.warnings());
  return o;
}

json::value magnet_json(const bitflow::Magnet& m) {
  json::object o;
  o["type"] = "magnet";
  o["info_hash"] = m.info_hash ? json::value(m.info_hash->hex()) : nullptr;
  o["info_hash_v2"] = m.info_hash_v2 ? json::value(m.info_hash_v2->hex()) : nullptr;
  o["name"] = to_valid_utf8(m.display_name);
  o["trackers"] = string_array(m.trackers);
  o["web_seeds"] = string_array(m.web_seeds);
  o["peers"] = string_array(m.peers);
  json::array so;
  for (const auto& r : m.select_only)
    so.push_back(json::array{r.first, r.last});
  o["select_only"] = std::move(so);
  o["exact_length"] = m.exact_length ? json::value(*m.exact_length) : nullptr;
  return o;
}

void print_row(const char* key, const std::string& value) {
  std::printf("%-14s %s\n", key, value.c_str());
}

// The files as an indented tree; a folder is printed when the path first enters it.
void print_file_tree(const bitflow::TorrentInfo& t) {
  std::vector<std::string> open;  // folders of the previous file
  std::size_t pads = 0;
  for (const auto& f : t.files()) {
    if (f.pad) {
      ++pads;
      continue;
    }
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      auto slash = f.path.find('/', start);
      parts.push_back(f.path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    std::size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    open.resize(common);
    for (std::size_t d = common; d + 1 < parts.size(); ++d) {
      std::printf("  %*s%s/\n", static_cast<int>(2 * d), "", parts[d].c_str());
      open.push_back(parts[d]);
    }
    std::string size = f.symlink ? "-> " + f.symlink_target : bitflow::format_size(f.size);
    std::printf("  %*s%s  (%s)\n", static_cast<int>(2 * (parts.size() - 1)), "",
                parts.back().c_str(), size.c_str());
  }
  if (pads) std::printf("  (%zu pad files not shown)\n", pads);
}

void print_torrent(const bitflow::TorrentInfo& t) {
  print_row("name:", t.name());
  print_row("info-hash:", t.info_hash().hex());
  if (t.info_hash_v2()) print_row("info-hash v2:", t.info_hash_v2()->hex());
  print_row("version:", t.version() == bitflow::TorrentVersion::hybrid ? "hybrid v1+v2" : "v1");
  print_row("piece length:",
            bitflow::format_size(t.piece_length()) + " (" + std::to_string(t.piece_length()) + ")");
  print_row("pieces:", std::to_string(t.num_pieces()));
  print_row("total size:", bitflow::format_size(t.total_size()) + " (" +
                               std::to_string(t.total_size()) + " bytes)");
  print_row("private:", t.is_private() ? "yes" : "no");
  if (t.creation_date()) print_row("created:", format_date(*t.creation_date()));
  if (!t.created_by().empty()) print_row("created by:", to_valid_utf8(t.created_by()));
  if (!t.comment().empty()) print_row("comment:", to_valid_utf8(t.comment()));
  std::printf("trackers:%s\n", t.trackers().empty() ? " none" : "");
  for (std::size_t i = 0; i < t.trackers().size(); ++i)
    for (const auto& url : t.trackers()[i])
      std::printf("  tier %zu: %s\n", i + 1, to_valid_utf8(url).c_str());
  if (!t.web_seeds().empty()) std::printf("web seeds:\n");
  for (const auto& url : t.web_seeds())
    std::printf("  %s\n", to_valid_utf8(url).c_str());
  std::printf("files: %zu\n", t.files().size());
  print_file_tree(t);
  for (const auto& w : t.warnings())
    std::printf("warning: %s\n", to_valid_utf8(w).c_str());
}

void print_magnet(const bitflow::Magnet& m) {
  if (!m.display_name.empty()) print_row("name:", to_valid_utf8(m.display_name));
  if (m.info_hash) print_row("info-hash:", m.info_hash->hex());
  if (m.info_hash_v2) print_row("info-hash v2:", m.info_hash_v2->hex());
  if (m.exact_length)
    print_row("total size:", bitflow::format_size(*m.exact_length) + " (" +
                                 std::to_string(*m.exact_length) + " bytes)");
  std::printf("trackers:%s\n", m.trackers.empty() ? " none" : "");
  for (const auto& url : m.trackers)
    std::printf("  %s\n", to_valid_utf8(url).c_str());
  if (!m.web_seeds.empty()) std::printf("web seeds:\n");
  for (const auto& url : m.web_seeds)
    std::printf("  %s\n", to_valid_utf8(url).c_str());
  if (!m.peers.empty()) std::printf("peers:\n");
  for (const auto& p : m.peers)
    std::printf("  %s\n", p.c_str());
  if (!m.select_only.empty()) {
    std::string so;
    for (const auto& r : m.select_only) {
      if (!so.empty()) so += ',';
      so += std::to_string(r.first);
      if (r.last != r.first) {
        so += '-';
        so += std::to_string(r.last);
      }
    }
    print_row("select only:", so);
  }
  std::printf("(metadata is fetched from peers when the download starts)\n");
}

// What a HEAD (or FTP/SFTP's size query) told of a URL.
json::value url_json(const bitflow::Inspection& in) {
  json::object o;
  o["type"] = in.source.type;
  o["name"] = in.name;
  o["size"] = in.size >= 0 ? json::value(in.size) : nullptr;
  o["content_type"] = to_valid_utf8(in.content_type);
  return o;
}

void print_url(const bitflow::Inspection& in) {
  print_row("type:", in.source.type);
  print_row("name:", in.name);
  print_row("size:", in.size >= 0 ? bitflow::format_size(in.size) + " (" + std::to_string(in.size) +
                                        " bytes)"
                                  : "unknown (the server did not say)");
  if (!in.content_type.empty()) print_row("content type:", to_valid_utf8(in.content_type));
}

}  // namespace

int run_info(const std::vector<std::string>& argv) {
  Args args(argv, {"json", "insecure"}, {"cacert", "ssh-key", "ssh-known-hosts"});
  if (args.positional().size() != 1)
    throw UsageError(
        "usage: bitflow info <file.torrent | magnet-uri | URL> [--json] [--insecure | --cacert "
        "FILE] "
        "[--ssh-key FILE] [--ssh-known-hosts FILE]");
  const std::string& source = args.positional()[0];
  bool as_json = args.flag("json");
  if (bitflow::is_magnet_uri(source)) {
    auto magnet = bitflow::Magnet::parse(source);
    if (as_json)
      std::cout << json::serialize(magnet_json(magnet)) << '\n';
    else
      print_magnet(magnet);
    return 0;
  }
  const auto kind = detect_source(source).kind;
  std::optional<bitflow::TorrentInfo> fetched;
  if (is_file_source(kind) || kind == bitflow::SourceKind::torrent_url) {
    bitflow::FetchOptions options;
    options.url.verify_tls = !args.flag("insecure");
    if (auto f = args.value("cacert")) options.url.ca_file = *f;
    if (auto f = args.value("ssh-key")) options.url.ssh_private_key = *f;
    if (auto f = args.value("ssh-known-hosts")) options.url.ssh_known_hosts = *f;
    auto inspection = inspect_source(source, options);
    if (inspection.error) inspection.error.raise();
    if (!inspection.torrent) {  // a file, not a torrent: what the server says of it
      if (as_json)
        std::cout << json::serialize(url_json(inspection)) << '\n';
      else
        print_url(inspection);
      return 0;
    }
    fetched = std::move(inspection.torrent);
  }
  auto torrent = fetched ? std::move(*fetched) : bitflow::TorrentInfo::load(source);
  if (as_json)
    std::cout << json::serialize(torrent_json(torrent)) << '\n';
  else
    print_torrent(torrent);
  return 0;
}

}  // namespace cli
