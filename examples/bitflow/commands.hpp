// The bitflow client's subcommands. Each takes the arguments after its name and returns
// the process exit status; failures are thrown (bitflow::Error, cli::UsageError).
#pragma once

#include <string>
#include <vector>

namespace cli {

int run_info(const std::vector<std::string>& args);
int run_create(const std::vector<std::string>& args);
int run_announce(const std::vector<std::string>& args);
int run_download(const std::vector<std::string>& args);
/// `download` of an http(s)/ftp(s)/sftp URL (run_download hands those over).
int run_download_url(const std::vector<std::string>& args);
int run_seed(const std::vector<std::string>& args);
int run_check(const std::vector<std::string>& args);
int run_presign(const std::vector<std::string>& args);
/// `watch` of a remote torrent client (transmission, rTorrent): its events until Ctrl-C.
int run_watch(const std::vector<std::string>& args);

}  // namespace cli
