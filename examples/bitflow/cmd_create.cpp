// `bitflow create`: make a .torrent from a file or folder.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "args.hpp"
#include "bitflow/create.hpp"
#include "bitflow/error.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/version.hpp"
#include "commands.hpp"
#include "progress_bar.hpp"
#include "write_file.hpp"

namespace cli {

namespace {

// "-t a,b" is one tier holding a and b; each -t is a tier of its own.
std::vector<std::vector<std::string>> tracker_tiers(const std::vector<std::string>& values) {
  std::vector<std::vector<std::string>> tiers;
  for (const auto& value : values) {
    std::vector<std::string> tier;
    for (std::size_t start = 0; start <= value.size();) {
      auto comma = value.find(',', start);
      std::string url = value.substr(start, comma - start);
      if (!url.empty()) tier.push_back(url);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (!tier.empty()) tiers.push_back(std::move(tier));
  }
  return tiers;
}

}  // namespace

int run_create(const std::vector<std::string>& argv) {
  Args args(argv, {"private", "no-date", "quiet"},
            {"output", "tracker", "webseed", "web-seed", "piece-size", "comment", "threads",
             "created-by"},
            {{'o', "output"}, {'t', "tracker"}, {'w', "webseed"}, {'q', "quiet"}});
  if (args.positional().size() != 1 || !args.value("output"))
    throw UsageError("usage: bitflow create <path> -o <out.torrent> [options]");
  bitflow::CreateOptions options;
  options.trackers = tracker_tiers(args.values("tracker"));
  options.web_seeds = args.values("webseed");  // -w / --webseed, or its alias --web-seed
  for (auto& url : args.values("web-seed"))
    options.web_seeds.push_back(std::move(url));
  if (auto size = args.value("piece-size")) options.piece_length = parse_size(*size);
  options.is_private = args.flag("private");
  if (auto comment = args.value("comment")) options.comment = *comment;
  options.created_by = args.value("created-by").value_or(bitflow::user_agent);
  if (!args.flag("no-date")) options.creation_date = static_cast<std::int64_t>(std::time(nullptr));
  if (auto threads = args.value("threads")) {
    auto n = parse_size(*threads);
    if (n > 256) throw UsageError("--threads: at most 256");
    options.threads = static_cast<unsigned>(n);
  }
  std::optional<ProgressBar> bar;
  if (!args.flag("quiet")) {
    options.progress = [&bar, start = std::chrono::steady_clock::now()](std::int64_t done,
                                                                        std::int64_t total) {
      if (!bar) bar.emplace("hashing", total, start);
      bar->update(done);
      if (done == total) bar->finish();
    };
  }
  std::string bytes = bitflow::create_torrent(args.positional()[0], options);
  std::filesystem::path output = *args.value("output");
  write_file(output, bytes);
  auto info = bitflow::TorrentInfo::parse(bytes);
  if (!args.flag("quiet"))
    std::printf("%s: %s, %d pieces, info-hash %s\n", output.c_str(), info.name().c_str(),
                info.num_pieces(), info.info_hash().hex().c_str());
  return 0;
}

}  // namespace cli
