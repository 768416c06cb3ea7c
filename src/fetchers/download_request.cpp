#include "fetchers/download_request.hpp"

#include <algorithm>

#include "fetchers/source_kind.hpp"

namespace bitflow::fetch {

net::HttpRequest download_request(const UrlFetchOptions& options, std::string_view method) {
  net::HttpRequest r;
  r.url = options.url;
  r.method = std::string(method);
  r.protocols = "http,https,ftp,ftps,sftp";
  r.timeout = std::chrono::milliseconds(0);
  r.connect_timeout = options.connect_timeout;
  r.max_redirects = 10;
  r.low_speed_limit = options.low_speed_limit;
  r.low_speed_time = options.low_speed_time;
  if (options.max_download_rate > 0)
    r.max_recv_speed =
        std::max<std::int64_t>(1, options.max_download_rate / std::max(1, options.connections));
  r.use_netrc = true;
  r.verify_tls = options.verify_tls;
  if (options.ca_file) r.ca_file = options.ca_file->string();
  r.decode_content = false;
  // libcurl 7.88 loses its place in the FTP dialogue on an implicit-TLS control connection
  // reused by parallel ranged transfers (a ranged RETR then reads an earlier SIZE reply,
  // "Bad PASV/EPSV response: 213", against vsftpd): each FTPS transfer logs in anew.
  r.reuse_connection = url_scheme(options.url) != "ftps";
  if (options.ssh_known_hosts) r.ssh_known_hosts = options.ssh_known_hosts->string();
  if (options.ssh_private_key) r.ssh_private_key = options.ssh_private_key->string();
  if (options.request_signer) {
    r.max_redirects = 0;  // the signature is for this URL only
    for (auto& line : options.request_signer(r.method, r.url))
      r.headers.push_back(std::move(line));
  }
  return r;
}

std::string shown_name(const UrlFetchOptions& options) {
  return options.source_name.empty() ? net::redacted(options.url) : options.source_name;
}

}  // namespace bitflow::fetch
