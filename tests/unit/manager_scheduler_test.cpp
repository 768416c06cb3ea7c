// The manager's scheduler: tiers, fairness between users, the global limit, FIFO within a
// user, size and disk admission, retries, and a queue of ten thousand.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "bitflow/manager_types.hpp"
#include "manager/manager_error.hpp"
#include "manager/scheduler.hpp"

using namespace bitflow::manager;

namespace {

constexpr std::int64_t gib = std::int64_t{1} << 30;
constexpr std::int64_t mib = std::int64_t{1} << 20;
constexpr TimeMs now = 1'700'000'000'000;

DownloadRecord queued(std::string id, std::string owner, std::int64_t seq,
                      std::int64_t total = -1) {
  DownloadRecord r;
  r.id = std::move(id);
  r.owner = std::move(owner);
  r.queue_seq = seq;
  r.bytes_total = total;
  return r;
}

DownloadRecord active(std::string id, std::string owner, std::int64_t total = -1,
                      std::int64_t done = 0) {
  DownloadRecord r = queued(std::move(id), std::move(owner), 0, total);
  r.state = DownloadState::downloading;
  r.bytes_done = done;
  r.started_at = now - 1000;
  return r;
}

/// Everyone in `pro` is pro, the rest free.
TierTable tiers_with(const std::vector<std::string>& pro = {}) {
  TierTable t;
  t.tiers = default_tiers();
  for (const auto& owner : pro)
    t.owner_tier[owner] = "pro";
  return t;
}

/// No global limit and a terabyte free.
Capacity plenty() {
  Capacity c;
  c.free_bytes = 1024 * gib;
  return c;
}

Schedule run(const std::vector<DownloadRecord>& records, const TierTable& tiers,
             const Capacity& capacity, TimeMs at = now) {
  std::vector<QueueEntry> entries;
  for (const auto& r : records)
    entries.push_back(entry_of(r));
  return schedule(entries, tiers, capacity, at);
}

/// The reason `id` waits, or "(not waiting)".
std::string wait_of(const Schedule& s, const std::string& id) {
  for (const auto& w : s.wait)
    if (w.id == id) return w.reason;
  return "(not waiting)";
}

const Schedule::Failure* failure_of(const Schedule& s, const std::string& id) {
  for (const auto& f : s.fail)
    if (f.id == id) return &f;
  return nullptr;
}

/// Applies a schedule the way the manager would: the started become active now.
void apply(std::vector<DownloadRecord>& records, const Schedule& s, TimeMs at) {
  for (const auto& id : s.start)
    for (auto& r : records)
      if (r.id == id) {
        r.state = DownloadState::downloading;
        r.started_at = at;
      }
}

void complete_all(std::vector<DownloadRecord>& records) {
  for (auto& r : records)
    if (r.state == DownloadState::downloading) r.state = DownloadState::completed;
}

}  // namespace

TEST_CASE("each user starts as many downloads as their tier runs in parallel", "[manager]") {
  std::vector<DownloadRecord> records;
  for (int i = 0; i < 3; ++i)
    records.push_back(queued("f" + std::to_string(i), "fay", i));
  for (int i = 0; i < 7; ++i)
    records.push_back(queued("p" + std::to_string(i), "pat", i));
  const auto s = run(records, tiers_with({"pat"}), plenty());
  const std::set<std::string> started(s.start.begin(), s.start.end());
  CHECK(started == std::set<std::string>{"f0", "p0", "p1", "p2", "p3", "p4"});
  CHECK(s.fail.empty());
  REQUIRE(s.wait.size() == 4);
  CHECK(wait_of(s, "f1") == "waiting for a free slot: the free tier runs 1 download at a time");
  CHECK(wait_of(s, "p5") == "waiting for a free slot: the pro tier runs 5 downloads at a time");
}

TEST_CASE("downloading and uploading downloads hold their owner's slots", "[manager]") {
  std::vector<DownloadRecord> records{
      active("a1", "pat"),    active("a2", "pat"),    active("a3", "pat"),    active("a4", "pat"),
      queued("q1", "pat", 1), queued("q2", "pat", 2), queued("fq", "fay", 1), active("fa", "fay")};
  records[3].state = DownloadState::uploading;
  auto s = run(records, tiers_with({"pat"}), plenty());
  CHECK(s.start == std::vector<std::string>{"q1"});
  CHECK(wait_of(s, "fq") != "(not waiting)");
  // Paused, completed, failed and removed downloads hold nothing.
  records[7].state = DownloadState::paused;
  records[0].state = DownloadState::completed;
  records[1].state = DownloadState::failed;
  records[2].state = DownloadState::removed;
  s = run(records, tiers_with({"pat"}), plenty());
  const std::set<std::string> started(s.start.begin(), s.start.end());
  CHECK(started == std::set<std::string>{"q1", "q2", "fq"});
}

TEST_CASE("a user's downloads start in queue order, not input order", "[manager]") {
  std::vector<DownloadRecord> records{queued("c", "pat", 30), queued("a", "pat", 10),
                                      queued("e", "pat", 50), queued("b", "pat", 20),
                                      queued("f", "pat", 60), queued("d", "pat", 40),
                                      queued("g", "pat", 5)};
  const auto s = run(records, tiers_with({"pat"}), plenty());
  CHECK(s.start == std::vector<std::string>{"g", "a", "b", "c", "d"});
  // wait is in input order.
  REQUIRE(s.wait.size() == 2);
  CHECK(s.wait[0].id == "e");
  CHECK(s.wait[1].id == "f");
}

TEST_CASE("a user with one download is not starved by a user with a thousand", "[manager]") {
  // zed sorts after amy, so amy wins the first tie; zed must get the very next slot.
  std::vector<DownloadRecord> records;
  for (int i = 0; i < 1000; ++i)
    records.push_back(queued("amy" + std::to_string(i), "amy", i));
  records.push_back(queued("zed0", "zed", 1000));
  const auto tiers = tiers_with({"amy", "zed"});
  Capacity c = plenty();
  c.max_active = 1;
  std::vector<std::string> order;
  for (TimeMs t = now; order.size() < 4; t += 1000) {
    const auto s = run(records, tiers, c, t);
    REQUIRE(s.start.size() == 1);
    order.push_back(s.start[0]);
    apply(records, s, t);
    complete_all(records);
  }
  CHECK(order == std::vector<std::string>{"amy0", "zed0", "amy1", "amy2"});
}

TEST_CASE("the user who started least recently goes first", "[manager]") {
  std::vector<DownloadRecord> records;
  for (int i = 0; i < 5; ++i)
    records.push_back(queued("amy" + std::to_string(i), "amy", i));
  records.push_back(queued("zed0", "zed", 9));
  DownloadRecord earlier = queued("amy-old", "amy", 0);
  earlier.state = DownloadState::completed;
  earlier.started_at = now - 10;
  records.push_back(earlier);
  Capacity c = plenty();
  c.max_active = 1;
  const auto s = run(records, tiers_with({"amy", "zed"}), c);
  CHECK(s.start == std::vector<std::string>{"zed0"});
  CHECK(wait_of(s, "amy0") == "waiting for a free slot: at most 1 download runs at once");
}

TEST_CASE("users take one slot each per round", "[manager]") {
  std::vector<DownloadRecord> records;
  for (const char* owner : {"cat", "amy", "bob"})
    for (int i = 0; i < 4; ++i)
      records.push_back(queued(std::string(owner) + std::to_string(i), owner, i));
  Capacity c = plenty();
  c.max_active = 7;
  const auto s = run(records, tiers_with({"amy", "bob", "cat"}), c);
  CHECK(s.start ==
        std::vector<std::string>{"amy0", "bob0", "cat0", "amy1", "bob1", "cat1", "amy2"});
}

TEST_CASE("the global limit counts the downloads already running", "[manager]") {
  std::vector<DownloadRecord> records{active("run", "u0")};
  for (int i = 1; i <= 9; ++i)
    records.push_back(queued("d" + std::to_string(i), "u" + std::to_string(i), i));
  Capacity c = plenty();
  c.max_active = 3;
  auto s = run(records, tiers_with(), c);
  CHECK(s.start == std::vector<std::string>{"d1", "d2"});
  REQUIRE(s.wait.size() == 7);
  for (const auto& w : s.wait)
    CHECK(w.reason == "waiting for a free slot: at most 3 downloads run at once");
  c.max_active = 1;
  s = run(records, tiers_with(), c);
  CHECK(s.start.empty());
  CHECK(s.wait.size() == 9);
  c.max_active = 0;  // no limit
  s = run(records, tiers_with(), c);
  CHECK(s.start.size() == 9);
}

TEST_CASE("a download bigger than its tier allows fails naming the limit", "[manager]") {
  const std::int64_t big = 3'328'599'654;  // 3.1 GiB
  std::vector<DownloadRecord> records{queued("big", "fay", 1, big), queued("next", "fay", 2),
                                      queued("pro-big", "pat", 1, big)};
  const auto s = run(records, tiers_with({"pat"}), plenty());
  const auto* f = failure_of(s, "big");
  REQUIRE(f);
  CHECK(f->code == errc::too_large);
  CHECK(f->reason == "larger than the free tier allows: 3.10 GiB > 2.00 GiB");
  // The refused download holds no slot: the one behind it starts.
  const std::set<std::string> started(s.start.begin(), s.start.end());
  CHECK(started == std::set<std::string>{"next", "pro-big"});
  // Exactly at the limit is allowed.
  records = {queued("edge", "fay", 1, 2 * gib)};
  CHECK(run(records, tiers_with(), plenty()).start == std::vector<std::string>{"edge"});
}

TEST_CASE("a download of unknown size starts without a disk check", "[manager]") {
  std::vector<DownloadRecord> records{queued("magnet", "fay", 1)};
  Capacity c;
  c.free_bytes = 0;
  c.volume_bytes = 10 * gib;
  const auto s = run(records, tiers_with(), c);
  CHECK(s.start == std::vector<std::string>{"magnet"});
}

TEST_CASE("a download waits for disk space, counting what running ones still need", "[manager]") {
  Capacity c;
  c.free_bytes = 10 * gib;
  c.volume_bytes = 100 * gib;
  // 8 GiB running with 2 GiB done still needs 6 GiB: 4 GiB are left for the queue.
  std::vector<DownloadRecord> records{active("running", "pat", 8 * gib, 2 * gib),
                                      queued("five", "bob", 1, 5 * gib)};
  auto s = run(records, tiers_with({"pat", "bob"}), c);
  CHECK(s.start.empty());
  CHECK(wait_of(s, "five") == "waiting for disk space: needs 5.00 GiB, 4.00 GiB free");
  // The reserve is never handed out.
  records = {queued("five", "bob", 1, 5 * gib)};
  c.free_bytes = 6 * gib + 200 * mib;
  c.reserve_bytes = 5 * gib;
  s = run(records, tiers_with({"bob"}), c);
  CHECK(wait_of(s, "five") == "waiting for disk space: needs 5.00 GiB, 1.20 GiB free");
  c.reserve_bytes = 0;
  CHECK(run(records, tiers_with({"bob"}), c).start == std::vector<std::string>{"five"});
}

TEST_CASE("downloads started together do not share the same free bytes", "[manager]") {
  Capacity c;
  c.free_bytes = 5 * gib;
  std::vector<DownloadRecord> records{queued("a", "amy", 1, 3 * gib),
                                      queued("b", "bob", 2, 3 * gib),
                                      queued("c", "cat", 3, 2 * gib)};
  const auto s = run(records, tiers_with({"amy", "bob", "cat"}), c);
  CHECK(s.start == std::vector<std::string>{"a", "c"});
  CHECK(wait_of(s, "b") == "waiting for disk space: needs 3.00 GiB, 2.00 GiB free");
}

TEST_CASE("a resumed download needs only its remaining bytes", "[manager]") {
  Capacity c;
  c.free_bytes = 2 * gib;
  DownloadRecord r = queued("half", "pat", 1, 3 * gib);
  r.bytes_done = 1 * gib + gib / 2;
  const auto s = run({r}, tiers_with({"pat"}), c);
  CHECK(s.start == std::vector<std::string>{"half"});
}

TEST_CASE("a user's later downloads wait behind one that waits for disk", "[manager]") {
  Capacity c;
  c.free_bytes = 4 * gib;
  std::vector<DownloadRecord> records{queued("big", "pat", 1, 8 * gib),
                                      queued("small", "pat", 2, 1 * mib),
                                      queued("other", "bob", 3, 1 * mib)};
  const auto s = run(records, tiers_with({"pat", "bob"}), c);
  CHECK(s.start == std::vector<std::string>{"other"});
  CHECK(wait_of(s, "big") == "waiting for disk space: needs 8.00 GiB, 4.00 GiB free");
  CHECK(wait_of(s, "small") ==
        "waiting behind an earlier download of the same user that needs disk space");
}

TEST_CASE("a download that could never fit on the volume fails", "[manager]") {
  Capacity c;
  c.free_bytes = 10 * gib;
  c.volume_bytes = 10 * gib;
  c.reserve_bytes = 1 * gib;
  std::vector<DownloadRecord> records{queued("huge", "pat", 1, 9 * gib + gib / 2),
                                      queued("fits", "pat", 2, 9 * gib)};
  auto s = run(records, tiers_with({"pat"}), c);
  const auto* f = failure_of(s, "huge");
  REQUIRE(f);
  CHECK(f->code == errc::never_fits);
  CHECK(f->reason ==
        "will never fit on the download volume: needs 9.50 GiB, at most 9.00 GiB can be free "
        "(10.0 GiB less a 1.00 GiB reserve)");
  CHECK(s.start == std::vector<std::string>{"fits"});
  c.reserve_bytes = 0;
  records = {queued("huge", "pat", 1, 12 * gib)};
  s = run(records, tiers_with({"pat"}), c);
  REQUIRE(failure_of(s, "huge"));
  CHECK(failure_of(s, "huge")->reason ==
        "will never fit on the download volume: needs 12.0 GiB, the volume holds 10.0 GiB");
  c.volume_bytes = 0;  // unknown: it waits instead
  s = run(records, tiers_with({"pat"}), c);
  CHECK(s.fail.empty());
  CHECK(wait_of(s, "huge") != "(not waiting)");
}

TEST_CASE("failed downloads are due for a retry once retry_at has passed", "[manager]") {
  std::vector<DownloadRecord> records;
  for (auto [id, at] : std::vector<std::pair<std::string, TimeMs>>{
           {"late", now + 1}, {"due2", now}, {"never", 0}, {"due1", now - 5000}}) {
    DownloadRecord r = queued(id, "pat", 0);
    r.state = DownloadState::failed;
    r.retry_at = at;
    records.push_back(r);
  }
  auto s = run(records, tiers_with(), plenty());
  CHECK(s.retry == std::vector<std::string>{"due1", "due2"});
  CHECK(s.start.empty());
  CHECK(s.wait.empty());
  s = run(records, tiers_with(), plenty(), now + 1);
  CHECK(s.retry == std::vector<std::string>{"due1", "due2", "late"});
}

TEST_CASE("a user in a tier that is not configured waits and says so", "[manager]") {
  auto tiers = tiers_with();
  tiers.owner_tier["gil"] = "gold";
  const auto s = run({queued("g", "gil", 1), queued("f", "fay", 1)}, tiers, plenty());
  CHECK(s.start == std::vector<std::string>{"f"});
  CHECK(wait_of(s, "g") == "waiting: the tier 'gold' is not configured");
}

TEST_CASE("admit_size judges one download against a tier and the disk", "[manager]") {
  const Tier free_tier = default_tiers()[0];
  DownloadRecord r = queued("x", "fay", 1);
  CHECK(admit_size(r, free_tier, 0, 0, 0).ok());  // size unknown
  r.bytes_total = 1 * gib;
  CHECK(admit_size(r, free_tier, 2 * gib, 0, 0).ok());
  auto a = admit_size(r, free_tier, 2 * gib, 1 * gib + 1, 0);
  CHECK(a.kind == Admission::Kind::wait);
  CHECK(a.reason == "waiting for disk space: needs 1.00 GiB, 1024 MiB free");
  a = admit_size(r, free_tier, 0, 1 * gib, 0);
  CHECK(a.reason == "waiting for disk space: needs 1.00 GiB, 0 B free");
  r.bytes_total = 2 * gib + 1;
  a = admit_size(r, free_tier, 100 * gib, 0, 0);
  CHECK(a.kind == Admission::Kind::fail);
  CHECK(a.code == errc::too_large);
}

TEST_CASE("admit_add refuses a download past the tier's queue limit", "[manager]") {
  Tier t = default_tiers()[0];
  CHECK(admit_add(1'000'000, t).ok());  // max_queued 0: no cap
  t.max_queued = 10;
  CHECK(admit_add(9, t).ok());
  const auto a = admit_add(10, t);
  CHECK(a.kind == Admission::Kind::fail);
  CHECK(a.code == errc::queue_full);
  CHECK(a.reason == "the free tier queues at most 10 downloads");
  t.max_queued = 1;
  CHECK(admit_add(1, t).reason == "the free tier queues at most 1 download");
}

TEST_CASE("ten thousand queued across a hundred users are scheduled fairly", "[manager]") {
  // 100 users, 100 downloads each; even users are pro, odd ones free. queue_seq is shuffled
  // (a fixed LCG) so FIFO is not the input order.
  std::vector<DownloadRecord> records;
  std::vector<std::string> pro;
  std::uint64_t lcg = 12345;
  std::map<std::string, std::vector<std::int64_t>> seqs;  // owner → its queue_seqs
  for (int u = 0; u < 100; ++u) {
    std::string owner = "user" + std::string(u < 10 ? "0" : "") + std::to_string(u);
    if (u % 2 == 0) pro.push_back(owner);
    for (int i = 0; i < 100; ++i) {
      lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
      const auto seq = static_cast<std::int64_t>(lcg >> 20);
      records.push_back(queued(owner + "-" + std::to_string(i), owner, seq));
      seqs[owner].push_back(seq);
    }
  }
  std::vector<QueueEntry> entries;
  for (const auto& r : records)
    entries.push_back(entry_of(r));
  std::map<std::string, std::int64_t, std::less<>> seq_of;
  std::map<std::string, std::string, std::less<>> owner_of;
  for (const auto& r : records) {
    seq_of[r.id] = r.queue_seq;
    owner_of[r.id] = r.owner;
  }
  Capacity c = plenty();
  c.max_active = 120;
  const auto s = schedule(entries, tiers_with(pro), c, now);

  // Round one: every user one; round two: the first 20 pro users by name.
  REQUIRE(s.start.size() == 120);
  CHECK(s.wait.size() == 10000 - 120);
  CHECK(s.fail.empty());
  std::map<std::string, std::vector<std::int64_t>> started;
  for (const auto& id : s.start)
    started[owner_of[id]].push_back(seq_of[id]);
  CHECK(started.size() == 100);
  for (auto& [owner, list] : seqs) {
    std::sort(list.begin(), list.end());
    const int u = std::stoi(owner.substr(4));
    const std::size_t expected = (u % 2 == 0 && u < 40) ? 2 : 1;
    INFO(owner);
    REQUIRE(started[owner].size() == expected);
    // Each user's picks are the smallest queue_seqs, in that order.
    CHECK(std::equal(started[owner].begin(), started[owner].end(), list.begin()));
  }
  // The first 100 picks are one per user, in name order.
  for (std::size_t k = 0; k < 100; ++k) {
    const std::string& owner = owner_of[s.start[k]];
    CHECK(std::stoul(owner.substr(4)) == k);
  }
  // Every queued entry is in exactly one list.
  std::set<std::string> seen(s.start.begin(), s.start.end());
  for (const auto& w : s.wait)
    CHECK(seen.insert(w.id).second);
  CHECK(seen.size() == 10000);

  // The input order does not change the answer.
  std::reverse(entries.begin(), entries.end());
  CHECK(schedule(entries, tiers_with(pro), c, now).start == s.start);
}
