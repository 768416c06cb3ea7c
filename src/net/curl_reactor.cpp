// CurlReactor: libcurl's multi_socket interface on an asio::io_context.
//
// How it works (libcurl's "multi_socket" contract): curl tells us, through the socket
// callback, which sockets it wants watched for reading or writing, and through the timer
// callback when it next needs to be called. We watch each socket with an
// asio::posix::stream_descriptor (released, never closed: curl owns the fd) and a
// steady_timer, and call curl_multi_socket_action when one fires. The callbacks only record
// what curl wants and arm waits; libcurl itself is only ever called from Asio handlers,
// never from inside a libcurl callback.
//
// Invariants: a Watch lives while curl wants its socket; its waits hold a shared_ptr to it,
// so a wait that completes after curl dropped the socket sees `removed` and does nothing.
// Every finished transfer's handler is posted, so user code never runs inside libcurl.
#include "net/curl_reactor.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

#include "util/error_category.hpp"

namespace bitflow::net {

namespace asio = boost::asio;

namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::transfer_failed:
      return "transfer failed";
    case errc::timed_out:
      return "transfer timed out";
    case errc::body_too_large:
      return "response body too large";
    case errc::cancelled:
      return "transfer cancelled";
    case errc::aborted:
      return "transfer stopped by its receiver";
    case errc::too_slow:
      return "transfer too slow";
    case errc::not_trusted:
      return "the server's certificate or host key is not trusted";
    case errc::refused:
      return "the server refused the login or the file";
  }
  return nullptr;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("net", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

std::string redacted(std::string_view url) {
  std::string out(url.substr(0, url.find_first_of("?#")));
  const auto start = out.find("://");
  if (start == std::string::npos) return out;
  const auto at = out.find('@', start + 3), slash = out.find('/', start + 3);
  if (at != std::string::npos && (slash == std::string::npos || at < slash))
    out.erase(start + 3, at - start - 2);
  return out;
}

struct CurlReactor::Impl {
  struct Transfer {
    TransferId id;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequest request;
    HttpResponse response;
    Handler handler;
    bool too_large = false;
    bool started = false;  // on_start has run
    bool aborted = false;  // on_start or on_data said stop
    char error_buffer[CURL_ERROR_SIZE] = {};
  };

  struct Watch {
    explicit Watch(asio::io_context& io, curl_socket_t fd) : descriptor(io, fd) {}
    asio::posix::stream_descriptor descriptor;
    int wanted = 0;  // CURL_POLL_IN / OUT / INOUT
    bool reading = false, writing = false, removed = false;
  };

  asio::io_context& io;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  // FTPS: libcurl 7.88's socket-action dispatch never finishes the TLS handshake of an
  // FTPS data connection (it times out, then misreads the dialogue). While an ftps://
  // transfer runs, every wake-up also runs curl_multi_perform, which drives every handle,
  // and a 20 ms tick makes sure there are wake-ups.
  int ftps_transfers = 0;
  asio::steady_timer ftps_tick;
  std::map<TransferId, std::unique_ptr<Transfer>> transfers;
  std::map<curl_socket_t, std::shared_ptr<Watch>> watches;
  TransferId next_id = 1;
  bool timer_due = false;

  explicit Impl(asio::io_context& context) : io(context), timer(context), ftps_tick(context) {
    global_init();
    multi = curl_multi_init();
    if (!multi)
      throw Error(std::make_error_code(std::errc::not_enough_memory),
                  "libcurl: curl_multi_init failed");
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::on_socket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::on_timer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    // As the header promises: what still runs completes with errc::cancelled (posted).
    while (!transfers.empty()) {
      auto it = transfers.begin();
      ErrorInfo error;
      error.code = make_error_code(errc::cancelled);
      error.message = redacted(it->second->request.url) + ": cancelled (the reactor was destroyed)";
      finish(it, std::move(error));
    }
    for (auto& [fd, w] : watches) {
      w->removed = true;
      w->descriptor.release();
    }
    curl_multi_cleanup(multi);
  }

  // ---- libcurl callbacks: record and arm, never call libcurl --------------------

  static int on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void*) {
    auto* self = static_cast<Impl*>(self_ptr);
    if (what == CURL_POLL_REMOVE) {
      auto it = self->watches.find(fd);
      if (it != self->watches.end()) {
        it->second->removed = true;
        it->second->descriptor.cancel();
        it->second->descriptor.release();
        self->watches.erase(it);
      }
      return 0;
    }
    auto& watch = self->watches[fd];
    if (!watch) watch = std::make_shared<Watch>(self->io, fd);
    watch->wanted = what;
    self->arm(watch, fd);
    return 0;
  }

  // libcurl closes a socket: forget its watch first. Otherwise a socket opened next with
  // the same number (an FTP data connection after the last one closed) would find the old
  // watch, whose registration with epoll went with the closed socket, and never be woken.
  static int on_close_socket(void* self_ptr, curl_socket_t fd) {
    auto* self = static_cast<Impl*>(self_ptr);
    if (auto it = self->watches.find(fd); it != self->watches.end()) {
      it->second->removed = true;
      it->second->descriptor.cancel();
      it->second->descriptor.release();
      self->watches.erase(it);
    }
    return ::close(fd);
  }

  static int on_timer(CURLM*, long timeout_ms, void* self_ptr) {
    auto* self = static_cast<Impl*>(self_ptr);
    self->timer.cancel();
    if (timeout_ms < 0) return 0;  // -1: no timeout wanted
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait([self](std::error_code ec) {
      if (ec) return;  // cancelled: a newer timeout replaced this one
      self->act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  // Each header line of every response (redirects and 100 Continue included): a status
  // line starts a new response, so only the final one's fields remain.
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* t_ptr) {
    auto* t = static_cast<Transfer*>(t_ptr);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      t->response.headers.clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      t->response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    return n;
  }

  // SFTP and SCP send no headers: the size libcurl learnt (its stat of the file, for a
  // whole-file transfer) is reported as a Content-Length, as libcurl itself does for FTP.
  static void add_size_header(Transfer& t) {
    if (t.response.header("Content-Length") || t.request.range) return;
    const char* scheme = nullptr;
    curl_easy_getinfo(t.easy, CURLINFO_SCHEME, &scheme);
    if (!scheme || (std::strcmp(scheme, "SFTP") != 0 && std::strcmp(scheme, "SCP") != 0)) return;
    curl_off_t size = -1;
    if (curl_easy_getinfo(t.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size) == CURLE_OK &&
        size >= 0)
      t.response.headers.emplace_back("Content-Length", std::to_string(size));
  }

  // Hands the final response's status and headers to on_start, once.
  static bool start_streaming(Transfer& t) {
    if (t.started) return !t.aborted;
    t.started = true;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
    add_size_header(t);
    if (t.request.on_start && !t.request.on_start(t.response)) t.aborted = true;
    return !t.aborted;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* t_ptr) {
    auto* t = static_cast<Transfer*>(t_ptr);
    std::size_t n = size * count;
    if (t->request.on_data) {
      if (!start_streaming(*t) || !t->request.on_data(std::string_view(data, n))) {
        t->aborted = true;
        return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
      }
      return n;
    }
    if (t->response.body.size() + n > t->request.max_body) {
      t->too_large = true;
      return 0;  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
    }
    t->response.body.append(data, n);
    return n;
  }

  // ---- Asio side ---------------------------------------------------------------

  void arm(const std::shared_ptr<Watch>& watch, curl_socket_t fd) {
    if ((watch->wanted & CURL_POLL_IN) && !watch->reading) {
      watch->reading = true;
      watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_read,
                                   [this, watch, fd](std::error_code ec) {
                                     watch->reading = false;
                                     if (ec || watch->removed) return;
                                     act(fd, CURL_CSELECT_IN);
                                     if (!watch->removed) arm(watch, fd);
                                   });
    }
    if ((watch->wanted & CURL_POLL_OUT) && !watch->writing) {
      watch->writing = true;
      watch->descriptor.async_wait(asio::posix::stream_descriptor::wait_write,
                                   [this, watch, fd](std::error_code ec) {
                                     watch->writing = false;
                                     if (ec || watch->removed) return;
                                     act(fd, CURL_CSELECT_OUT);
                                     if (!watch->removed) arm(watch, fd);
                                   });
    }
  }

  void act(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi, fd, events, &running);
    if (ftps_transfers > 0) curl_multi_perform(multi, &running);
    collect_finished();
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* raw = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
      CURLcode result = msg->data.result;
      auto it = transfers.find(raw->id);
      finish(it, outcome(*raw, result));
    }
  }

  static ErrorInfo outcome(Transfer& t, CURLcode result) {
    ErrorInfo error;
    char* url = nullptr;
    curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url);
    if (url) t.response.effective_url = url;
    if (result == CURLE_OK && t.request.on_data && !start_streaming(t)) {
      error.code = make_error_code(errc::aborted);
      error.message = redacted(t.request.url) + ": stopped by the receiver";
      return error;
    }
    if (result == CURLE_OK) {
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.response.status);
      if (!t.started) add_size_header(t);
      return error;
    }
    t.response.body.clear();  // a partial body is of no use to anyone; free it now
    t.response.body.shrink_to_fit();
    std::string detail = t.error_buffer[0] ? t.error_buffer : curl_easy_strerror(result);
    if (t.aborted) {
      error.code = make_error_code(errc::aborted);
      error.message = redacted(t.request.url) + ": stopped by the receiver";
    } else if (result == CURLE_OPERATION_TIMEDOUT && t.request.low_speed_limit > 0 &&
               (t.request.timeout.count() == 0 ||  // no deadline: only the speed limit times out
                std::string_view(detail).find("too slow") != std::string_view::npos)) {
      error.code = make_error_code(errc::too_slow);
      error.message = redacted(t.request.url) + ": " + detail;
    } else if (t.too_large) {
      error.code = make_error_code(errc::body_too_large);
      error.message = redacted(t.request.url) + ": response larger than " +
                      std::to_string(t.request.max_body) + " bytes";
    } else if (result == CURLE_OPERATION_TIMEDOUT) {
      error.code = make_error_code(errc::timed_out);
      error.message = redacted(t.request.url) + ": " + detail;
    } else if (result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
               result == CURLE_SSL_ISSUER_ERROR || result == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
               result == CURLE_SSL_CRL_BADFILE) {
      error.code = make_error_code(errc::not_trusted);
      error.message = redacted(t.request.url) + ": " + detail;
    } else if (result == CURLE_LOGIN_DENIED || result == CURLE_REMOTE_ACCESS_DENIED ||
               result == CURLE_REMOTE_FILE_NOT_FOUND || result == CURLE_AUTH_ERROR) {
      error.code = make_error_code(errc::refused);
      error.message = redacted(t.request.url) + ": " + detail;
    } else {
      error.code = make_error_code(errc::transfer_failed);
      error.message = redacted(t.request.url) + ": " + detail;
    }
    return error;
  }

  static bool is_ftps(const HttpRequest& r) {
    return r.url.size() > 7 &&
           std::equal(r.url.begin(), r.url.begin() + 7, "ftps://", [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == b;
           });
  }

  void added(const Transfer& t) {
    if (!is_ftps(t.request) || ftps_transfers++ > 0) return;
    tick_ftps();
  }

  void tick_ftps() {
    ftps_tick.expires_after(std::chrono::milliseconds(20));
    ftps_tick.async_wait([this](std::error_code ec) {
      if (ec || ftps_transfers == 0) return;
      act(CURL_SOCKET_TIMEOUT, 0);
      if (ftps_transfers > 0) tick_ftps();
    });
  }

  void finish(std::map<TransferId, std::unique_ptr<Transfer>>::iterator it, ErrorInfo error) {
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers.erase(it);
    if (is_ftps(t->request) && --ftps_transfers == 0) ftps_tick.cancel();
    curl_multi_remove_handle(multi, t->easy);
    Handler handler = std::move(t->handler);
    HttpResponse response = std::move(t->response);
    release(*t);
    asio::post(io, [handler = std::move(handler), error = std::move(error),
                    response = std::move(response)]() mutable {
      handler(std::move(error), std::move(response));
    });
  }

  static void release(Transfer& t) {
    curl_easy_cleanup(t.easy);
    curl_slist_free_all(t.headers);
    t.easy = nullptr;
    t.headers = nullptr;
  }

  // Configures an easy handle from the request; false (with `error`) on a bad option.
  bool configure(Transfer& t, ErrorInfo& error) {
    const HttpRequest& r = t.request;
    CURL* e = t.easy;
    auto ms = [](std::chrono::milliseconds d) { return static_cast<long>(d.count()); };
    bool ok = curl_easy_setopt(e, CURLOPT_URL, r.url.c_str()) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, r.protocols.c_str()) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, r.protocols.c_str()) == CURLE_OK;
    if (!ok) {
      error.code = make_error_code(errc::transfer_failed);
      error.message = redacted(r.url) + ": unsupported URL or protocol";
      return false;
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error_buffer);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, &Impl::on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, this);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    if (r.range) curl_easy_setopt(e, CURLOPT_RANGE, r.range->c_str());
    // Downloads: big receive buffers, so each socket event moves up to 512 KiB (one
    // recv and one on_data call) rather than libcurl's default 16 KiB.
    if (r.on_data) curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    if (r.low_speed_limit > 0 && r.low_speed_time.count() > 0) {
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, r.low_speed_limit);
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
    }
    if (r.max_recv_speed > 0)
      curl_easy_setopt(e, CURLOPT_MAX_RECV_SPEED_LARGE, static_cast<curl_off_t>(r.max_recv_speed));
    if (!r.reuse_connection) curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    if (r.use_netrc) curl_easy_setopt(e, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
    if (r.ssh_known_hosts) curl_easy_setopt(e, CURLOPT_SSH_KNOWNHOSTS, r.ssh_known_hosts->c_str());
    if (r.ssh_private_key)
      curl_easy_setopt(e, CURLOPT_SSH_PRIVATE_KEYFILE, r.ssh_private_key->c_str());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms(r.timeout));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms(r.connect_timeout));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, r.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, r.max_redirects);
    curl_easy_setopt(e, CURLOPT_USERAGENT, r.user_agent.c_str());
    if (r.decode_content)
      curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, r.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, r.verify_tls ? 2L : 0L);
    if (r.ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, r.ca_file->c_str());
    if (r.proxy) curl_easy_setopt(e, CURLOPT_PROXY, r.proxy->c_str());
    if (r.method == "HEAD")
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (r.method != "GET")
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    const std::string& body = r.shared_body ? *r.shared_body : r.body;
    if (!body.empty() || r.method == "POST" || r.method == "PUT") {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    for (const auto& h : r.headers)
      t.headers = curl_slist_append(t.headers, h.c_str());
    if (t.headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    return true;
  }
};

CurlReactor::CurlReactor(asio::io_context& io) : impl_(std::make_unique<Impl>(io)), io_(io) {}

CurlReactor::~CurlReactor() = default;

CurlReactor::TransferId CurlReactor::start(HttpRequest request, Handler handler) {
  auto t = std::make_unique<Impl::Transfer>();
  t->id = impl_->next_id++;
  t->request = std::move(request);
  t->handler = std::move(handler);
  t->easy = curl_easy_init();
  TransferId id = t->id;
  ErrorInfo error;
  if (!t->easy || !impl_->configure(*t, error)) {
    if (!error) {
      error.code = make_error_code(errc::transfer_failed);
      error.message = "curl_easy_init failed";
    }
    Handler h = std::move(t->handler);
    Impl::release(*t);
    asio::post(io_, [h = std::move(h), error]() { h(error, {}); });
    return id;
  }
  CURL* easy = t->easy;
  impl_->added(*t);
  impl_->transfers.emplace(id, std::move(t));
  curl_multi_add_handle(impl_->multi, easy);  // schedules a timer callback to kick it off
  return id;
}

void CurlReactor::cancel(TransferId id) {
  auto it = impl_->transfers.find(id);
  if (it == impl_->transfers.end()) return;
  ErrorInfo error;
  error.code = make_error_code(errc::cancelled);
  error.message = redacted(it->second->request.url) + ": cancelled";
  impl_->finish(it, std::move(error));
}

std::size_t CurlReactor::active() const noexcept {
  return impl_->transfers.size();
}

void CurlReactor::connect_cancellation(TransferId id, asio::cancellation_slot slot) {
  slot.assign([this, id](asio::cancellation_type) { cancel(id); });
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  auto same = [name](const std::string& candidate) {
    return candidate.size() == name.size() &&
           std::equal(candidate.begin(), candidate.end(), name.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) ==
                    std::tolower(static_cast<unsigned char>(b));
           });
  };
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (same(it->first)) return it->second;
  return std::nullopt;
}

namespace {
// Owns the reactor of one io_context. Services are shut down before the context's
// scheduler, so the reactor is destroyed in shutdown(): the cancellations it posts are
// still queued (and then destroyed with the context, as every pending handler is).
class ReactorService : public asio::execution_context::service {
 public:
  using key_type = ReactorService;
  static inline asio::execution_context::id id;
  explicit ReactorService(asio::execution_context& context)
      : service(context),
        reactor_(std::make_unique<CurlReactor>(static_cast<asio::io_context&>(context))) {}
  CurlReactor& reactor() {
    if (!reactor_) throw std::logic_error("net::shared_reactor: the io_context is shutting down");
    return *reactor_;
  }

 private:
  void shutdown() override { reactor_.reset(); }
  std::unique_ptr<CurlReactor> reactor_;
};
}  // namespace

CurlReactor& shared_reactor(asio::io_context& io) {
  return asio::use_service<ReactorService>(io).reactor();
}

}  // namespace bitflow::net
