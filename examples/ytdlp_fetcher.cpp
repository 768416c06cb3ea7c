// ytdlp_fetcher — a fetcher a program adds to bitflow's FetcherRegistry: video pages
// (youtube.com, youtu.be, vimeo.com, and any host given with --host) are fetched by
// running Debian's yt-dlp; every other source goes to bitflow's own fetchers.
//
//   ytdlp_fetcher [--host HOST]... <source> [output-folder]
//
// The child's progress lines (asked for with --progress-template) become FetchStatus
// reports; pause and resume stop and continue the child (SIGSTOP, SIGCONT), cancel ends
// it. Prints the downloaded file's path and exits 0 on success.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bitflow/fetcher_registry.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <istream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace asio = boost::asio;

class YtDlpFetcher final : public bitflow::Fetcher {
 public:
  YtDlpFetcher(asio::io_context& io, std::string url, std::filesystem::path folder)
      : output_(io), url_(std::move(url)), folder_(std::move(folder)) {}
  ~YtDlpFetcher() override { cancel(); }

  void start() override {
    if (status_.state != bitflow::FetchState::idle) return;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail("cannot make a pipe for yt-dlp");
    // One line per progress step, then the final path: both easy to read back.
    std::vector<std::string> args = {
        "yt-dlp",
        "--newline",
        "--no-playlist",
        "--progress",
        "--no-colors",
        "--progress-template",
        "download:progress %(progress.downloaded_bytes)s %(progress.total_bytes)s "
        "%(progress.speed)s",
        "--print",
        "after_move:file %(filepath)s",
        "-P",
        folder_.string(),
        "-o",
        "%(title)s.%(ext)s",
        "--",
        url_};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    const int spawned = ::posix_spawnp(&pid_, "yt-dlp", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (spawned != 0) {
      ::close(fds[0]);
      return fail(std::string("cannot run yt-dlp: ") + std::strerror(spawned));
    }
    output_.assign(fds[0]);
    status_.state = bitflow::FetchState::running;
    notify(status_);
    read_line();
  }

  void pause() override {
    signal_child(bitflow::FetchState::running, SIGSTOP, bitflow::FetchState::paused);
  }
  void resume() override {
    signal_child(bitflow::FetchState::paused, SIGCONT, bitflow::FetchState::running);
  }
  void cancel() override {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::kill(pid_, SIGCONT);  // a stopped child must run to end
    reap();
    output_.close();
    if (status_.state == bitflow::FetchState::running ||
        status_.state == bitflow::FetchState::paused) {
      status_.state = bitflow::FetchState::cancelled;
      notify(status_);
    }
  }
  [[nodiscard]] bitflow::FetchStatus status() const override { return status_; }
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  void read_line() {
    asio::async_read_until(output_, buffer_, '\n',
                           [this](boost::system::error_code ec, std::size_t) {
                             if (ec) return finished();  // yt-dlp closed its output: it is exiting
                             std::istream in(&buffer_);
                             std::string line;
                             std::getline(in, line);
                             take(line);
                             read_line();
                           });
  }

  void take(const std::string& line) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "progress") {
      std::string done, total, speed;
      words >> done >> total >> speed;
      // Whole bytes; "NA" (unknown) and anything unreadable count as 0.
      auto number = [](const std::string& s) -> std::int64_t {
        return std::strtoll(s.c_str(), nullptr, 10);
      };
      status_.bytes_done = number(done);
      status_.bytes_total = number(total);
      status_.download_rate = number(speed);
      status_.peers = 1;
      notify(status_);
    } else if (kind == "file") {
      file_ = line.substr(5);
    } else if (!line.empty()) {
      last_message_ = line;  // for the error, should it fail
    }
  }

  void finished() {
    const int code = reap();
    if (status_.state != bitflow::FetchState::running &&
        status_.state != bitflow::FetchState::paused)
      return;
    status_.peers = 0;
    status_.download_rate = 0;
    if (code == 0 && !file_.empty()) {
      status_.state = bitflow::FetchState::completed;
      notify(status_);
    } else {
      fail("yt-dlp exited with status " + std::to_string(code) + ": " + last_message_);
    }
  }

  // The child's exit status (-1 when it had none left to give).
  int reap() {
    if (pid_ <= 0) return -1;
    int wstatus = 0;
    const pid_t done = ::waitpid(pid_, &wstatus, 0);
    pid_ = -1;
    return done > 0 && WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  }

  void signal_child(bitflow::FetchState from, int signal, bitflow::FetchState to) {
    if (status_.state != from || pid_ <= 0) return;
    ::kill(pid_, signal);
    status_.state = to;
    notify(status_);
  }

  void fail(std::string why) {
    status_.state = bitflow::FetchState::failed;
    status_.error = std::move(why);
    notify(status_);
  }

  asio::posix::stream_descriptor output_;
  asio::streambuf buffer_;
  std::string url_;
  std::filesystem::path folder_;
  pid_t pid_ = -1;
  bitflow::FetchStatus status_;
  std::string file_, last_message_;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> hosts = {"youtube.com", "youtu.be", "vimeo.com"}, rest;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--host" && i + 1 < argc)
      hosts.push_back(argv[++i]);
    else
      rest.push_back(argv[i]);
  }
  if (rest.empty() || rest.size() > 2) {
    std::fprintf(stderr, "usage: ytdlp_fetcher [--host HOST]... <source> [output-folder]\n");
    return 2;
  }
  asio::io_context io;
  bitflow::FetcherRegistry registry(io);
  bitflow::FetcherFactory video;
  video.name = "video";
  video.matches = [hosts](std::string_view source) {
    for (const auto& h : hosts)
      if (bitflow::FetcherRegistry::host_matches(source, h)) return true;
    return false;
  };
  video.create = [](asio::io_context& context, const std::string& source,
                    const bitflow::FetchOptions& options) -> std::unique_ptr<bitflow::Fetcher> {
    return std::make_unique<YtDlpFetcher>(context, source, options.output_dir);
  };
  registry.add(std::move(video));

  bitflow::FetchOptions options;
  options.output_dir = rest.size() == 2 ? rest[1] : ".";
  std::unique_ptr<bitflow::Fetcher> fetcher;
  try {
    fetcher = registry.create(rest[0], options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ytdlp_fetcher: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "%s source\n", registry.detect(rest[0]).type.c_str());
  fetcher->on_progress([&](const bitflow::FetchStatus& s) {
    std::fprintf(stderr, "%s: %lld of %lld bytes\n", bitflow::to_string(s.state),
                 static_cast<long long>(s.bytes_done), static_cast<long long>(s.bytes_total));
    if (s.state != bitflow::FetchState::running) io.stop();
  });
  fetcher->start();
  if (fetcher->status().state == bitflow::FetchState::running) io.run();
  const auto s = fetcher->status();
  if (s.state != bitflow::FetchState::completed) {
    std::fprintf(stderr, "ytdlp_fetcher: %s\n", s.error.c_str());
    return 1;
  }
  if (auto* yt = dynamic_cast<YtDlpFetcher*>(fetcher.get()))
    std::printf("%s\n", yt->file().c_str());
  else if (auto* url = dynamic_cast<bitflow::UrlFetcher*>(fetcher.get()))
    std::printf("%s\n", url->file_path().c_str());
  return 0;
}
