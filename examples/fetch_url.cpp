// fetch_url — the smallest program that downloads a URL through the bitflow library:
//
//   fetch_url <http(s)|ftp(s)|sftp URL> [output-folder]
//
// Four connections, resumable (run it again after Ctrl-C or a crash), the file renamed to
// its final name only once complete. Prints a line twice a second and exits 0 on success.
#include <bitflow/url_fetcher.hpp>

#include <boost/asio/io_context.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: fetch_url <URL> [output-folder]\n");
    return 2;
  }
  boost::asio::io_context io;
  bitflow::UrlFetchOptions options;
  options.url = argv[1];
  options.output_dir = argc == 3 ? argv[2] : ".";
  options.connections = 4;
  bitflow::UrlFetcher fetcher(io, options);
  fetcher.on_progress([&](const bitflow::FetchStatus& s) {
    std::fprintf(stderr, "%s: %lld of %lld bytes, %lld bytes/s, %d connections\n",
                 bitflow::to_string(s.state), static_cast<long long>(s.bytes_done),
                 static_cast<long long>(s.bytes_total), static_cast<long long>(s.download_rate),
                 s.peers);
    if (s.state != bitflow::FetchState::running) io.stop();  // completed or failed
  });
  fetcher.start();
  if (fetcher.status().state == bitflow::FetchState::running) io.run();
  auto s = fetcher.status();
  if (s.state != bitflow::FetchState::completed) {
    std::fprintf(stderr, "fetch_url: %s\n", s.error.c_str());
    return 1;
  }
  std::printf("%s\n", fetcher.file_path().c_str());
  return 0;
}
