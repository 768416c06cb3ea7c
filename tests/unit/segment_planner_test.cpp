// The pure cores of the segmented downloader: RangeSet, SegmentPlanner, the control-file
// codec and the retry policy.
#include <catch2/catch.hpp>
#include <random>

#include "fetchers/control_file.hpp"
#include "fetchers/range_set.hpp"
#include "fetchers/retry_policy.hpp"
#include "fetchers/segment_planner.hpp"

using namespace bitflow;
using namespace bitflow::fetch;
using namespace std::chrono_literals;

namespace {
std::vector<ByteRange> R(std::initializer_list<ByteRange> r) {
  return r;
}
}  // namespace

TEST_CASE("a range set merges what overlaps or touches and splits on removal", "[fetch]") {
  RangeSet s;
  s.add(10, 20);
  s.add(30, 40);
  CHECK(s.ranges() == R({{10, 20}, {30, 40}}));
  s.add(20, 30);  // touches both
  CHECK(s.ranges() == R({{10, 40}}));
  s.add(5, 12);
  s.add(38, 50);
  s.add(0, 0);  // empty: ignored
  CHECK(s.ranges() == R({{5, 50}}));
  CHECK(s.bytes() == 45);
  s.remove(20, 25);
  CHECK(s.ranges() == R({{5, 20}, {25, 50}}));
  CHECK(s.bytes() == 40);
  s.remove(0, 6);
  s.remove(45, 100);
  CHECK(s.ranges() == R({{6, 20}, {25, 45}}));
  CHECK(s.contains(6, 20));
  CHECK_FALSE(s.contains(6, 21));
  CHECK(s.contains(30, 30));
  CHECK(s.missing(50) == R({{0, 6}, {20, 25}, {45, 50}}));
  CHECK(s.missing(10) == R({{0, 6}}));
  s.remove(0, 100);
  CHECK(s.empty());
  CHECK(s.bytes() == 0);
}

TEST_CASE("a range set agrees with a byte map under random adds and removes", "[fetch]") {
  std::mt19937 rng(3);
  RangeSet s;
  std::vector<bool> bytes(200, false);
  for (int i = 0; i < 5000; ++i) {
    auto a = static_cast<std::int64_t>(rng() % 200), b = static_cast<std::int64_t>(rng() % 200);
    if (a > b) std::swap(a, b);
    bool add = rng() % 2 == 0;
    add ? s.add(a, b) : s.remove(a, b);
    for (auto k = a; k < b; ++k)
      bytes[static_cast<std::size_t>(k)] = add;
    std::int64_t count = 0;
    for (bool x : bytes)
      count += x;
    REQUIRE(s.bytes() == count);
    auto ranges = s.ranges();
    for (std::size_t k = 1; k < ranges.size(); ++k)
      REQUIRE(ranges[k - 1].end < ranges[k].begin);  // disjoint and never touching
  }
}

TEST_CASE("connections starting together split a file about evenly", "[fetch]") {
  SegmentPlanner p(100, {}, 10);
  std::vector<Segment> got;
  while (auto s = p.assign(4))
    if (got.size() < 4)
      got.push_back(*s);
    else
      break;
  REQUIRE(got.size() == 4);
  CHECK(got[0].begin == 0);
  CHECK(got[0].end == 25);
  CHECK(got[1].begin == 25);
  CHECK(got[3].end == 100);
}

TEST_CASE("an idle connection steals the back half of the largest remaining segment", "[fetch]") {
  SegmentPlanner p(100, {}, 10);
  auto a = *p.assign(1);  // all of it
  CHECK(a.end == 100);
  CHECK(p.received(a.id, 20) == 20);
  auto b = p.assign(2);
  REQUIRE(b);
  CHECK(b->begin == 60);  // half of the 80 still to come
  CHECK(b->end == 100);
  CHECK(p.segment(a.id)->end == 60);
  // a learns that its end moved: bytes past 60 are not its own.
  CHECK(p.received(a.id, 50) == 40);
  CHECK(p.segment(a.id)->next == 60);
  p.release(a.id);
  CHECK(p.received(b->id, 40) == 40);
  p.release(b->id);
  CHECK(p.complete());
  CHECK_FALSE(p.assign(2));
}

TEST_CASE("no segment is cut below the minimum size", "[fetch]") {
  SegmentPlanner p(30, {}, 10);
  auto a = *p.assign(1);
  (void)p.received(a.id, 11);  // 19 left: halves would be under 10
  CHECK_FALSE(p.assign(2));
}

TEST_CASE("a failed connection gives its unreceived bytes back", "[fetch]") {
  SegmentPlanner p(100, {}, 10);
  auto a = *p.assign(1);
  (void)p.received(a.id, 30);
  p.release(a.id);
  auto again = p.assign(1);
  REQUIRE(again);
  CHECK(again->begin == 30);
  CHECK(again->end == 100);
  CHECK(p.done().bytes() == 30);
}

TEST_CASE("a resumed download only hands out what is missing", "[fetch]") {
  RangeSet done;
  done.add(0, 40);
  done.add(60, 80);
  SegmentPlanner p(100, done, 5);
  auto a = *p.assign(1);
  CHECK(a.begin == 40);
  CHECK(a.end == 60);
  auto b = *p.assign(1);
  CHECK(b.begin == 80);
  CHECK(b.end == 100);
  (void)p.received(a.id, 20);
  (void)p.received(b.id, 20);
  p.release(a.id);
  p.release(b.id);
  CHECK(p.complete());
}

TEST_CASE("a zero-length file is complete at once", "[fetch]") {
  SegmentPlanner p(0, {}, 10);
  CHECK(p.complete());
  CHECK_FALSE(p.assign(4));
}

TEST_CASE("a control file round-trips and refuses what is not one", "[fetch]") {
  ControlState s;
  s.url = "http://127.0.0.1:8080/big.iso";
  s.size = 1000;
  s.etag = "\"abc\"";
  s.last_modified = "Tue, 01 Dec 2026 10:00:00 GMT";
  s.done.add(0, 100);
  s.done.add(500, 1000);
  ErrorInfo error;
  auto back = decode_control(encode_control(s), error);
  REQUIRE(back);
  CHECK(back->url == s.url);
  CHECK(back->size == 1000);
  CHECK(back->etag == s.etag);
  CHECK(back->last_modified == s.last_modified);
  CHECK(back->done == s.done);

  CHECK_FALSE(decode_control("garbage", error));
  CHECK_FALSE(error.message.empty());
  CHECK_FALSE(decode_control("de", error));
  // A range past the size, overlapping ranges, an odd bound count.
  for (const char* bad :
       {"d4:donel0:i0ei2000ee4:etag0:13:last-modified0:4:sizei1000e3:url1:u7:versioni1ee",
        "d4:doneli0ei10ei5ei20ee4:etag0:13:last-modified0:4:sizei1000e3:url1:u7:versioni1ee",
        "d4:doneli0ee4:etag0:13:last-modified0:4:sizei1000e3:url1:u7:versioni1ee",
        "d4:donelei4:etag0:13:last-modified0:4:sizei1000e3:url1:u7:versioni2ee"}) {
    INFO(bad);
    CHECK_FALSE(decode_control(bad, error));
  }
  // Every truncation fails cleanly.
  const std::string good = encode_control(s);
  for (std::size_t n = 0; n < good.size(); ++n)
    CHECK_FALSE(decode_control(good.substr(0, n), error));
}

TEST_CASE("a changed validator or size means another version of the file", "[fetch]") {
  ControlState s;
  s.size = 10;
  // Built from std::string, not assigned from literals: g++ 12 at -O3 flags `= "x"` here as
  // an overlapping copy (-Wrestrict, GCC bug 105651).
  s.etag = std::string("\"v1\"");
  s.last_modified = std::string("x");
  CHECK(same_version(s, 10, "\"v1\"", "y"));  // the ETag decides
  CHECK_FALSE(same_version(s, 10, "\"v2\"", "x"));
  CHECK_FALSE(same_version(s, 11, "\"v1\"", "x"));
  s.etag.clear();
  CHECK(same_version(s, 10, "", "x"));
  CHECK_FALSE(same_version(s, 10, "", "z"));
  CHECK_FALSE(same_version(s, 10, "\"new\"", "x"));  // a validator appeared
}

TEST_CASE("retries back off exponentially with jitter, honour Retry-After, and stop at the cap",
          "[fetch]") {
  RetryPolicy p;
  std::mt19937 rng(1);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    auto d = p.delay(attempt, rng);
    auto full = std::min<std::chrono::milliseconds>(p.base * (1LL << (attempt - 1)), p.cap);
    INFO("attempt " << attempt << ": " << d.count() << " ms");
    CHECK(d >= full / 2);
    CHECK(d <= full);
  }
  CHECK(p.delay(1, rng, 7s) == 7s);
  CHECK(p.delay(1, rng, 3600s) == p.cap);
  CHECK(RetryPolicy::retryable_status(503));
  CHECK(RetryPolicy::retryable_status(429));
  CHECK(RetryPolicy::retryable_status(408));
  CHECK_FALSE(RetryPolicy::retryable_status(404));
  CHECK_FALSE(RetryPolicy::retryable_status(416));
  CHECK_FALSE(RetryPolicy::retryable_status(200));
}
