// The manager's plain data, its state machine and its retry rule.
#include <array>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "bitflow/bencode.hpp"
#include "bitflow/magnet.hpp"
#include "bitflow/manager_types.hpp"
#include "bitflow/metainfo.hpp"
#include "bitflow/s3_types.hpp"
#include "bitflow/storage.hpp"
#include "bitflow/tracker.hpp"
#include "bitflow/url_fetcher.hpp"
#include "bitflow/wire.hpp"
#include "manager/manager_error.hpp"
#include "manager/retry_rule.hpp"
#include "manager/state_machine.hpp"
#include "net/curl_reactor.hpp"

using namespace bitflow;
using namespace bitflow::manager;
using namespace std::chrono_literals;

namespace {

using S = DownloadState;

constexpr std::array all_states{S::queued,    S::downloading, S::uploading, S::paused,
                                S::completed, S::failed,      S::removed};
constexpr std::array all_events{EventKind::added,  EventKind::started, EventKind::progress,
                                EventKind::paused, EventKind::resumed, EventKind::finished,
                                EventKind::failed, EventKind::removed, EventKind::updated};

constexpr std::int64_t gib = std::int64_t{1} << 30;

}  // namespace

TEST_CASE("every download state has a name that parses back to it", "[manager]") {
  std::set<std::string> names;
  for (S s : all_states) {
    names.insert(to_string(s));
    CHECK(parse_download_state(to_string(s)) == s);
  }
  CHECK(names.size() == all_states.size());
  CHECK(std::string(to_string(S::uploading)) == "uploading");
  CHECK_FALSE(parse_download_state("Queued"));
  CHECK_FALSE(parse_download_state(""));
  CHECK_FALSE(parse_download_state("done"));
}

TEST_CASE("every event kind has a name that parses back to it", "[manager]") {
  std::set<std::string> names;
  for (EventKind k : all_events) {
    names.insert(to_string(k));
    CHECK(parse_event_kind(to_string(k)) == k);
  }
  CHECK(names.size() == all_events.size());
  CHECK(std::string(to_string(EventKind::finished)) == "finished");
  CHECK_FALSE(parse_event_kind("completed"));
}

TEST_CASE("completed, failed and removed downloads are final, the others are not", "[manager]") {
  const std::set<S> final_states{S::completed, S::failed, S::removed};
  for (S s : all_states)
    CHECK(is_final(s) == (final_states.count(s) == 1));
}

TEST_CASE("the default tiers are free (1 at a time, 2 GiB) and pro (5, no cap)", "[manager]") {
  const auto tiers = default_tiers();
  REQUIRE(tiers.size() == 2);
  CHECK(tiers[0].name == "free");
  CHECK(tiers[0].parallel_downloads == 1);
  CHECK(tiers[0].max_download_size == 2 * gib);
  CHECK(tiers[1].name == "pro");
  CHECK(tiers[1].parallel_downloads == 5);
  CHECK(tiers[1].max_download_size == 0);
}

TEST_CASE("progress is a rounded-down percentage, 0 while the size is unknown", "[manager]") {
  DownloadRecord r;
  CHECK(r.progress() == 0);
  r.bytes_done = 500;
  CHECK(r.progress() == 0);  // bytes_total still -1
  r.bytes_total = 1000;
  CHECK(r.progress() == 50);
  r.bytes_done = 999;
  CHECK(r.progress() == 99);
  r.bytes_done = 1000;
  CHECK(r.progress() == 100);
  r.bytes_total = std::int64_t{1} << 62;  // bytes_done * 100 would overflow
  r.bytes_done = r.bytes_total / 4;
  CHECK(r.progress() == 25);
}

TEST_CASE("the ETA rounds up and is -1 without a size or a rate", "[manager]") {
  DownloadRecord r;
  r.download_rate = 100;
  CHECK(r.eta_seconds() == -1);  // size unknown
  r.bytes_total = 1000;
  r.bytes_done = 750;
  CHECK(r.eta_seconds() == 3);
  r.bytes_done = 800;
  CHECK(r.eta_seconds() == 2);
  r.bytes_done = 1000;
  CHECK(r.eta_seconds() == 0);
  r.download_rate = 0;
  CHECK(r.eta_seconds() == -1);
}

TEST_CASE("the state machine allows exactly the moves of the diagram", "[manager]") {
  // Rows: from; columns: to; in the order of all_states.
  //                                    que  dl   up   pau  com  fail rem
  constexpr bool legal[7][7] = {/* queued      */ {0, 1, 0, 1, 0, 1, 1},
                                /* downloading */ {1, 0, 1, 1, 1, 1, 1},
                                /* uploading   */ {0, 0, 0, 1, 1, 1, 1},
                                /* paused      */ {1, 0, 0, 0, 0, 0, 1},
                                /* completed   */ {0, 0, 0, 0, 0, 0, 1},
                                /* failed      */ {1, 0, 0, 0, 0, 0, 1},
                                /* removed     */ {0, 0, 0, 0, 0, 0, 0}};
  int refused = 0;
  for (std::size_t f = 0; f < all_states.size(); ++f)
    for (std::size_t t = 0; t < all_states.size(); ++t) {
      INFO(to_string(all_states[f]) << " -> " << to_string(all_states[t]));
      CHECK(can_transition(all_states[f], all_states[t]) == legal[f][t]);
      const ErrorInfo e = check_transition(all_states[f], all_states[t]);
      CHECK(static_cast<bool>(e) == !legal[f][t]);
      if (legal[f][t]) {
        CHECK(e.message.empty());
      } else {
        ++refused;
        CHECK(e.code == errc::illegal_transition);
        CHECK_FALSE(e.message.empty());
      }
    }
  CHECK(refused == 49 - 19);
}

TEST_CASE("a refused move is named in a sentence", "[manager]") {
  CHECK(check_transition(S::completed, S::paused).message == "cannot pause a completed download");
  CHECK(check_transition(S::paused, S::downloading).message == "cannot start a paused download");
  CHECK(check_transition(S::queued, S::completed).message == "cannot complete a queued download");
  CHECK(check_transition(S::removed, S::removed).message == "the download is already removed");
  CHECK(check_transition(S::paused, S::paused).message == "the download is already paused");
  CHECK(check_transition(S::uploading, S::downloading).message ==
        "cannot start an uploading download");
  CHECK(check_transition(S::uploading, S::queued).message ==
        "cannot queue an uploading download");
}

TEST_CASE("the manager's error category names itself and its codes", "[manager]") {
  const std::error_code code = errc::too_large;
  CHECK(std::string(code.category().name()) == "manager");
  CHECK(code.message() == "the download is larger than its tier allows");
  CHECK(make_error_code(errc::queue_full).message() == "the tier's queue is full");
  CHECK(code != make_error_code(errc::never_fits));
}

TEST_CASE("network failures are retried, final answers and bad input are not", "[manager]") {
  const std::vector<std::error_code> retried{
      fetch::make_error_code(fetch::errc::gave_up),
      fetch::make_error_code(fetch::errc::changed_on_server),
      fetch::make_error_code(fetch::errc::bad_response),
      net::make_error_code(net::errc::transfer_failed),
      net::make_error_code(net::errc::timed_out),
      net::make_error_code(net::errc::too_slow),
      s3::make_error_code(s3::errc::throttled),
      s3::make_error_code(s3::errc::server_error),
      s3::make_error_code(s3::errc::connection_failed),
      s3::make_error_code(s3::errc::timed_out),
      s3::make_error_code(s3::errc::no_such_upload),
      tracker::make_error_code(tracker::errc::network_error),
      tracker::make_error_code(tracker::errc::timed_out),
      peer::make_error_code(peer::errc::timed_out),
      peer::make_error_code(peer::errc::connection_closed),
      std::make_error_code(std::errc::connection_refused),
      std::make_error_code(std::errc::connection_reset),
      std::make_error_code(std::errc::timed_out),
      std::error_code(ECONNRESET, std::system_category()),
      std::error_code(ENETUNREACH, std::system_category()),
  };
  const std::vector<std::error_code> final_ones{
      {},
      fetch::make_error_code(fetch::errc::bad_url),
      fetch::make_error_code(fetch::errc::server_refused),  // 404, 403 and other final 4xx
      fetch::make_error_code(fetch::errc::checksum_mismatch),
      fetch::make_error_code(fetch::errc::not_trusted),
      fetch::make_error_code(fetch::errc::disk_error),
      net::make_error_code(net::errc::refused),
      net::make_error_code(net::errc::not_trusted),
      net::make_error_code(net::errc::cancelled),
      net::make_error_code(net::errc::body_too_large),
      s3::make_error_code(s3::errc::no_such_key),
      s3::make_error_code(s3::errc::no_such_bucket),
      s3::make_error_code(s3::errc::access_denied),
      s3::make_error_code(s3::errc::bad_credentials),
      s3::make_error_code(s3::errc::missing_credentials),
      tracker::make_error_code(tracker::errc::tracker_failure),
      tracker::make_error_code(tracker::errc::unsupported_url),
      tracker::make_error_code(tracker::errc::cancelled),
      peer::make_error_code(peer::errc::invalid_handshake),
      storage::make_error_code(storage::errc::path_escape),
      storage::make_error_code(storage::errc::write_failed),
      metainfo::make_error_code(metainfo::errc::invalid_pieces),
      metainfo::make_error_code(metainfo::errc::missing_info),
      bencode::make_error_code(bencode::errc::unexpected_end),
      magnet::make_error_code(magnet::errc::missing_info_hash),
      make_error_code(errc::too_large),
      make_error_code(errc::never_fits),
      std::make_error_code(std::errc::permission_denied),
      std::make_error_code(std::errc::no_space_on_device),
  };
  for (const auto& code : retried) {
    INFO(code.category().name() << ": " << code.message());
    CHECK(is_retryable(code));
    CHECK(is_retryable_text(code_text(code)));
  }
  for (const auto& code : final_ones) {
    INFO(code.category().name() << ": " << code.message());
    CHECK_FALSE(is_retryable(code));
    CHECK_FALSE(is_retryable_text(code_text(code)));
  }
}

TEST_CASE("the text form of a code is category:value and only that parses", "[manager]") {
  CHECK(code_text(fetch::make_error_code(fetch::errc::gave_up)) == "fetch:3");
  CHECK(code_text({}).empty());
  CHECK(is_retryable_text("fetch:3"));
  CHECK(is_retryable_text("peer extension:1") == false);
  for (const char* bad : {"", "fetch", "fetch:", ":3", "fetch:3x", "fetch: 3", "fetch:+3",
                          "fetch:99999999999999999999", "nobody:3"})
    CHECK_FALSE(is_retryable_text(bad));
}

TEST_CASE("retry delays double from 30 s up to an hour", "[manager]") {
  RetryPolicy p;
  p.jitter = 0;
  CHECK(retry_delay(1, p, 7) == 30s);
  CHECK(retry_delay(2, p, 7) == 60s);
  CHECK(retry_delay(3, p, 7) == 120s);
  CHECK(retry_delay(7, p, 7) == 1920s);
  CHECK(retry_delay(8, p, 7) == 1h);  // 3840 s, capped
  CHECK(retry_delay(1000, p, 7) == 1h);
  CHECK(retry_delay(0, p, 7) == 30s);
}

TEST_CASE("retry jitter only shortens, is the same for the same seed and varies", "[manager]") {
  RetryPolicy p;  // jitter 0.2
  std::set<std::int64_t> seen;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto d = retry_delay(3, p, seed);
    CHECK(d <= 120s);
    CHECK(d >= 96s);
    CHECK(d == retry_delay(3, p, seed));
    seen.insert(d.count());
  }
  CHECK(seen.size() > 40);
}

TEST_CASE("the next retry is due after the delay until max_attempts starts", "[manager]") {
  RetryPolicy p;
  p.jitter = 0;
  const auto network = fetch::make_error_code(fetch::errc::gave_up);
  const TimeMs now = 1'700'000'000'000;
  CHECK(next_retry_at(network, 1, now, p, 0) == now + 30'000);
  CHECK(next_retry_at(network, 4, now, p, 0) == now + 240'000);
  CHECK(next_retry_at(network, 5, now, p, 0) == 0);  // the fifth start was the last
  CHECK(next_retry_at(fetch::make_error_code(fetch::errc::server_refused), 1, now, p, 0) == 0);
  p.max_attempts = 1;
  CHECK(next_retry_at(network, 1, now, p, 0) == 0);
}

TEST_CASE("the jitter seed of an id is FNV-1a, the same everywhere", "[manager]") {
  CHECK(jitter_seed("") == 0xcbf29ce484222325ULL);
  CHECK(jitter_seed("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(jitter_seed("dl_1") != jitter_seed("dl_2"));
}
