// The sinks' pure cores (part plans and sizes, the part tracker, the upload state codec)
// and LocalDirSink on real files. The S3 sink runs against moto in
// tests/integration/s3_delivery.sh.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

#include "bitflow/storage.hpp"

#include "bitflow/sink.hpp"
#include "sinks/part_plan.hpp"
#include "sinks/upload_state.hpp"
#include "support/fetch_support.hpp"

namespace {

namespace fs = std::filesystem;
using bitflow::sinks::PartPlan;
using bitflow::sinks::PartSpan;
using bitflow::sinks::PartTracker;
using bitflow::test::read_file;
using bitflow::test::TempFolder;
constexpr std::uint64_t mib = 1u << 20;

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

template <typename T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  std::optional<T> result;
  std::exception_ptr failure;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result = std::move(value);
  });
  io.restart();
  io.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

}  // namespace

TEST_CASE("part sizes: at least 5 MiB, grown to whole MiB so no file needs 10 000 parts",
          "[sink]") {
  using bitflow::sinks::choose_part_size;
  CHECK(choose_part_size(100, 8 * mib) == 8 * mib);
  CHECK(choose_part_size(100, 1 * mib) == 5 * mib);  // S3's minimum
  CHECK(choose_part_size(10'000 * 8 * mib, 8 * mib) == 8 * mib);
  const std::uint64_t huge = 10'000 * 8 * mib + 1;  // one byte too many for 8 MiB parts
  CHECK(choose_part_size(huge, 8 * mib) == 9 * mib);
  const std::uint64_t five_tib = 5ull << 40;
  const std::uint64_t part = choose_part_size(five_tib, 8 * mib);
  CHECK(part % mib == 0);
  CHECK((five_tib + part - 1) / part <= 10'000);
  CHECK((five_tib + (part - mib) - 1) / (part - mib) > 10'000);  // the smallest that fits
}

TEST_CASE("a part plan cuts a file into numbered parts, the last one shorter", "[sink]") {
  PartPlan plan(12 * mib + 3, 5 * mib);
  REQUIRE(plan.count() == 3);
  CHECK(plan.part(1) == PartSpan{0, 5 * mib});
  CHECK(plan.part(3) == PartSpan{10 * mib, 2 * mib + 3});
  CHECK_THROWS_AS(plan.part(0), std::out_of_range);
  CHECK_THROWS_AS(plan.part(4), std::out_of_range);
  CHECK(PartPlan(0, 5 * mib).count() == 1);  // an empty object is one empty PutObject
  CHECK(PartPlan(10 * mib, 5 * mib).count() == 2);
  CHECK_THROWS_AS(PartPlan(10'001 * 5 * mib, 5 * mib), std::invalid_argument);
}

TEST_CASE("the tracker names each part once, when its last byte is verified, in any order",
          "[sink]") {
  PartTracker t(PartPlan(12 * mib + 3, 5 * mib));
  CHECK(t.add(5 * mib, 5 * mib - 1).empty());  // part 2 but for its last byte
  CHECK(t.add(0, 100).empty());
  CHECK(t.add(10 * mib - 1, 1) == std::vector<int>{2});
  CHECK(t.add(5 * mib, 5 * mib).empty());                 // again: not named twice
  CHECK(t.add(100, 20 * mib) == std::vector<int>{1, 3});  // clipped to the file
  CHECK(t.complete());
  CHECK(t.add_all().empty());

  PartTracker random_order(PartPlan(40 * mib + 7, 5 * mib));
  std::vector<std::uint64_t> pieces;
  for (std::uint64_t at = 0; at < 40 * mib + 7; at += 256 * 1024)
    pieces.push_back(at);
  std::mt19937 rng(7);
  std::shuffle(pieces.begin(), pieces.end(), rng);
  std::vector<int> named;
  for (std::uint64_t at : pieces)
    for (int n : random_order.add(at, 256 * 1024))
      named.push_back(n);
  std::sort(named.begin(), named.end());
  CHECK(named == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9});
}

TEST_CASE("the tracker's add_all names what is left", "[sink]") {
  PartTracker t(PartPlan(11 * mib, 5 * mib));
  CHECK(t.add(0, 5 * mib) == std::vector<int>{1});
  CHECK(t.add_all() == std::vector<int>{2, 3});
  CHECK(t.complete());
}

TEST_CASE("the upload state round-trips and refuses what it did not write", "[sink]") {
  using namespace bitflow::sinks;
  UploadState state{"bucket",
                    "btih:abc",
                    {{"prefix/a b.bin", 12 * mib, 5 * mib, "upload-1", ""},
                     {"prefix/small", 10, 8 * mib, "", "\"etag\""}}};
  bitflow::ErrorInfo error;
  auto back = decode_upload_state(encode_upload_state(state), error);
  REQUIRE(back);
  CHECK(*back == state);

  CHECK_FALSE(decode_upload_state("garbage", error));
  CHECK(error.message.starts_with("S3 upload state: "));
  CHECK_FALSE(decode_upload_state("d7:versioni2ee", error));
  CHECK(error.message.find("version") != std::string::npos);
  std::string small_part = encode_upload_state(UploadState{"b", "s", {{"k", 1, 1024, "", ""}}});
  CHECK_FALSE(decode_upload_state(small_part, error));
  CHECK(error.message.find("5 MiB") != std::string::npos);
  CHECK_FALSE(decode_upload_state("d5:filesi3e7:versioni1e6:bucket1:b6:source1:se", error));
}

TEST_CASE("LocalDirSink moves complete files under their final names", "[sink]") {
  TempFolder folder("bitflow-sink-local");
  const fs::path& dir = folder.path;
  write_text(dir / "incoming/album/a.txt", "alpha");
  write_text(dir / "incoming/album/sub/b.txt", "beta!");
  boost::asio::io_context io;
  bitflow::LocalDirSink sink({dir / "final", false});
  sink.open({{"album/a.txt", 5, dir / "incoming/album/a.txt"},
             {"album/sub/b.txt", 5, dir / "incoming/album/sub/b.txt"}});
  sink.ready(0, 0, 5);
  auto delivered = run(io, sink.finish());
  REQUIRE(delivered.size() == 2);
  CHECK(delivered[1].location == (dir / "final/album/sub/b.txt").string());
  CHECK(read_file(dir / "final/album/a.txt") == "alpha");
  CHECK(read_file(dir / "final/album/sub/b.txt") == "beta!");
  CHECK_FALSE(fs::exists(dir / "incoming/album/a.txt"));
  CHECK(sink.status().bytes_delivered == 10);
}

TEST_CASE("LocalDirSink refuses to replace a file, and a name that climbs out", "[sink]") {
  TempFolder folder("bitflow-sink-refuse");
  const fs::path& dir = folder.path;
  write_text(dir / "in/a.txt", "new");
  write_text(dir / "final/a.txt", "old");
  boost::asio::io_context io;
  {
    bitflow::LocalDirSink sink({dir / "final", false});
    sink.open({{"a.txt", 3, dir / "in/a.txt"}});
    CHECK_THROWS_AS(run(io, sink.finish()), bitflow::Error);
    CHECK(sink.status().error == bitflow::storage::errc::already_exists);
    CHECK(read_file(dir / "final/a.txt") == "old");  // the good data stays
    CHECK(read_file(dir / "in/a.txt") == "new");
  }
  {
    bitflow::LocalDirSink sink({dir / "final", false});
    sink.open({{"../escape.txt", 3, dir / "in/a.txt"}});
    CHECK_THROWS_AS(run(io, sink.finish()), bitflow::Error);
    CHECK(sink.status().error == bitflow::storage::errc::path_escape);
    CHECK_FALSE(fs::exists(dir / "escape.txt"));
  }
  {
    bitflow::LocalDirSink sink({dir / "final", true});
    sink.open({{"a.txt", 3, dir / "in/a.txt"}});
    run(io, sink.finish());
    CHECK(read_file(dir / "final/a.txt") == "new");
  }
}

TEST_CASE("LocalDirSink checks the size before it moves", "[sink]") {
  TempFolder folder("bitflow-sink-size");
  const fs::path& dir = folder.path;
  write_text(dir / "in/a.txt", "short");
  boost::asio::io_context io;
  bitflow::LocalDirSink sink({dir / "final", false});
  sink.open({{"a.txt", 9, dir / "in/a.txt"}});
  CHECK_THROWS_AS(run(io, sink.finish()), bitflow::Error);
  CHECK_FALSE(fs::exists(dir / "final/a.txt"));
}
