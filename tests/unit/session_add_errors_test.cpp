// Session::add's two forms: what the throwing form throws, the ErrorInfo& form reports,
// and neither leaves a torrent behind when it fails.
#include <catch2/catch.hpp>

#include "../support/album_fixture.hpp"
#include "bitflow/session.hpp"

using namespace bitflow;
using bitflow::test::AlbumFixture;
using bitflow::test::loopback_settings;
using bitflow::test::stop_session;
namespace asio = boost::asio;

TEST_CASE("adding a torrent twice is reported by both forms of add", "[session][errors]") {
  AlbumFixture f;
  asio::io_context io;
  Session session(io, loopback_settings());
  AddTorrentParams params(*f.torrent);
  params.save_path = f.root / "src";
  params.use_trackers = false;

  ErrorInfo error;
  auto first = session.add(params, error);
  CHECK_FALSE(error);
  CHECK(first.valid());

  auto second = session.add(params, error);
  CHECK_FALSE(second.valid());
  REQUIRE(error);
  CHECK(error.message.find("already") != std::string::npos);
  CHECK_THROWS_AS(session.add(params), Error);
  CHECK(session.torrents().size() == 1);
  stop_session(io, session);
}

TEST_CASE("a magnet link without a v1 info-hash is refused by both forms of add",
          "[session][errors]") {
  asio::io_context io;
  Session session(io, loopback_settings());
  auto v2_only = Magnet::parse(
      "magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e");
  REQUIRE_FALSE(v2_only.info_hash);

  ErrorInfo error;
  auto handle = session.add(AddMagnetParams(v2_only), error);
  CHECK_FALSE(handle.valid());
  REQUIRE(error);
  CHECK(error.code == std::make_error_code(std::errc::not_supported));
  CHECK(error.message.find("v2-only") != std::string::npos);
  CHECK_THROWS_AS(session.add(AddMagnetParams(v2_only)), Error);
  CHECK(session.torrents().empty());
  stop_session(io, session);
}
