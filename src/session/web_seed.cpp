// WebSeed: see web_seed.hpp. The loop: pick_piece() → one run of consecutive blocks per
// piece → each file range of the run fetched in turn into `staged_` → the run's blocks
// handed to the torrent, or, on a failure, their requests given back to the picker.
#include "session/web_seed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "bitflow/log.hpp"
#include "session/torrent_impl.hpp"

namespace bitflow::session {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {
// With nothing to fetch, look again this often (wake() comes sooner when it can).
constexpr auto idle_poll = 1s;
constexpr auto first_retry = 1s;

bool transient_status(long status) {
  return status >= 500 || status == 408 || status == 429;
}
}  // namespace

WebSeed::WebSeed(TorrentImpl& torrent, net::CurlReactor& http, std::string url)
    : torrent_(torrent),
      http_(http),
      url_(std::move(url)),
      idle_(torrent.executor(), std::chrono::steady_clock::time_point::max()) {}

bool WebSeed::begin() {
  if (dropped_) return false;
  if (running_) {
    // Stopped and started again before the old run() ended: it goes on instead.
    if (stopping_) restart_ = true;
    return false;
  }
  running_ = true;
  stopping_ = false;
  return true;
}

asio::awaitable<void> WebSeed::run() {
  key_ = torrent_.picker().add_peer();
  torrent_.picker().peer_have_all(key_);
  number_ = torrent_.peer_number(url_);
  struct Done {  // however run() ends, the seed's picker slot is freed
    WebSeed& seed;
    ~Done() {
      seed.torrent_.picker().peer_gone(seed.key_);  // aborts whatever it still had requested
      seed.running_ = false;
    }
  } done{*this};
  for (;;) {
    co_await work();
    if (!restart_ || dropped_) break;
    restart_ = false;
    stopping_ = false;
  }
}

asio::awaitable<void> WebSeed::work() {
  auto& picker = torrent_.picker();
  while (!stopping_ && !dropped_ && torrent_.wants_web_seed_data()) {
    auto picks = picker.pick_piece(key_, torrent_.rng(), torrent_.new_piece_allowance());
    if (picks.empty()) {
      co_await pause_for(idle_poll);
      continue;
    }
    // Runs of consecutive blocks of one piece, each one set of ranged requests.
    for (std::size_t i = 0; i < picks.size();) {
      std::size_t j = i + 1;
      while (j < picks.size() && picks[j].block.piece == picks[i].block.piece &&
             picks[j].begin == picks[j - 1].begin + picks[j - 1].length)
        ++j;
      std::optional<Failure> failure;
      if (!stopping_ && !dropped_) failure = co_await fetch_run(&picks[i], j - i);
      if (stopping_ || dropped_ || failure) {
        for (std::size_t k = i; k < picks.size(); ++k)
          picker.abort_request(picks[k].block, key_);
        if (failure && !stopping_ && !dropped_) failed(*failure);
        break;
      }
      failures_ = 0;
      i = j;
    }
    if (failures_ > 0 && !dropped_ && !stopping_) {
      // The whole back-off, even when wake() cuts a wait short: only stop() ends it early.
      const auto until = std::chrono::steady_clock::now() + first_retry * (1 << (failures_ - 1));
      while (!dropped_ && !stopping_ && std::chrono::steady_clock::now() < until)
        co_await pause_for(until - std::chrono::steady_clock::now());
    }
  }
}

// Fetches blocks [first, first + count) of one piece, consecutive, and hands them over.
asio::awaitable<std::optional<WebSeed::Failure>> WebSeed::fetch_run(
    const piece::BlockRequest* first, std::size_t count) {
  const auto offset = static_cast<std::int64_t>(first->begin);
  const auto& last = first[count - 1];
  const std::int64_t length = static_cast<std::int64_t>(last.begin + last.length) - offset;
  // The download limits apply as to a peer's bytes: wait for the tokens, then take them
  // (a wake() cuts a wait short, hence the loop).
  for (auto wait = torrent_.download_wait(length); wait.count() > 0;
       wait = torrent_.download_wait(length)) {
    co_await pause_for(wait);
    if (stopping_ || dropped_) co_return std::nullopt;
  }
  staged_.clear();
  staged_.reserve(static_cast<std::size_t>(length));
  for (const auto& range :
       map_web_seed_range(url_, torrent_.info(), first->block.piece, offset, length)) {
    if (range.zeros) {
      staged_.append(static_cast<std::size_t>(range.length), '\0');
      continue;
    }
    if (auto failure = co_await fetch_range(range)) co_return failure;
    if (stopping_ || dropped_) co_return std::nullopt;
  }
  torrent_.count_download(length);
  for (std::size_t k = 0; k < count; ++k) {
    const auto& r = first[k];
    torrent_.on_web_seed_block(key_, number_, r.block,
                               std::string_view(staged_).substr(r.begin - first->begin, r.length));
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<WebSeed::Failure>> WebSeed::fetch_range(const WebSeedRange& range) {
  const std::int64_t file_size = range.file_size;
  const std::size_t start = staged_.size();
  expected_ = start + static_cast<std::size_t>(range.length);
  std::optional<Failure> rejected;
  net::HttpRequest request;
  request.url = range.url;
  const std::string asked =
      std::to_string(range.first) + "-" + std::to_string(range.first + range.length - 1);
  request.range = asked;
  request.decode_content = false;  // the ranges are of the file, not of a compressed stream
  request.timeout = 10min;         // a whole piece on a slow link; stalls end sooner:
  request.low_speed_limit = 1;
  request.low_speed_time = 30s;
  request.on_start = [&](const net::HttpResponse& response) {
    if (response.status == 206) {
      auto value = response.header("Content-Range").value_or("");
      if (content_range_matches(value, range.first, range.length, file_size)) return true;
      rejected = Failure{std::string("asked for bytes ") + asked + ", got '" + value + "'"};
      return false;
    }
    // A whole file asked for may come as a plain 200.
    if (response.status == 200 && range.first == 0 && range.length == file_size) return true;
    if (response.status == 200)
      rejected = Failure{"the server ignores Range (200 to a request for part of a file)"};
    else
      rejected =
          Failure{"HTTP " + std::to_string(response.status), !transient_status(response.status)};
    return false;
  };
  request.on_data = [&](std::string_view data) {
    if (staged_.size() + data.size() > expected_) {
      rejected = Failure{"the server sent more than the range asked for"};
      return false;
    }
    staged_.append(data);
    return true;
  };
  auto [error, response] = co_await http_.async_fetch(
      std::move(request), asio::bind_cancellation_slot(cancel_.slot(), asio::use_awaitable));
  if (stopping_ || dropped_) co_return std::nullopt;
  if (rejected) co_return rejected;
  if (error) co_return Failure{error.message};
  if (staged_.size() != expected_)
    co_return Failure{"short body: " + std::to_string(staged_.size() - start) + " of " +
                      std::to_string(range.length) + " bytes"};
  co_return std::nullopt;
}

asio::awaitable<void> WebSeed::pause_for(std::chrono::steady_clock::duration wait) {
  idle_.expires_after(wait);
  (void)co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void WebSeed::failed(const Failure& failure) {
  ++failures_;
  logger()->info("{}: web seed {}: {}", torrent_.log_tag(), net::redacted(url_), failure.reason);
  if (failure.final || failures_ >= max_failures)
    torrent_.drop_web_seed(
        *this, failure.final
                   ? failure.reason
                   : std::to_string(failures_) + " failures in a row, the last: " + failure.reason);
}

void WebSeed::stop() {
  stopping_ = true;
  restart_ = false;
  cancel_.emit(asio::cancellation_type::terminal);
  idle_.cancel();
}

void WebSeed::drop() {
  if (dropped_) return;
  dropped_ = true;
  cancel_.emit(asio::cancellation_type::terminal);
  idle_.cancel();
}

void WebSeed::wake() {
  idle_.cancel();
}

}  // namespace bitflow::session
