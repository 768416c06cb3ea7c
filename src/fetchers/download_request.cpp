#include "fetchers/download_request.hpp"

namespace bitflow::fetch {

net::HttpRequest download_request(const UrlFetchOptions& options) {
  net::HttpRequest r;
  r.url = options.url;
  r.protocols = "http,https,ftp,ftps,sftp";
  r.timeout = std::chrono::milliseconds(0);
  r.connect_timeout = options.connect_timeout;
  r.max_redirects = 10;
  r.low_speed_limit = options.low_speed_limit;
  r.low_speed_time = options.low_speed_time;
  r.use_netrc = true;
  r.verify_tls = options.verify_tls;
  r.decode_content = false;
  if (options.ssh_known_hosts) r.ssh_known_hosts = options.ssh_known_hosts->string();
  if (options.ssh_private_key) r.ssh_private_key = options.ssh_private_key->string();
  return r;
}

}  // namespace bitflow::fetch
