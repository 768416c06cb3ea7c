// GET /downloads's query (src/daemon/list_query.hpp): filter, limit and cursor, pure.
#include <catch2/catch.hpp>

#include "daemon/list_query.hpp"

using namespace bitflow::daemon;
namespace m = bitflow::manager;

namespace {

ListQuery parsed(std::string_view query) {
  auto q = parse_list_query(query);
  REQUIRE(std::holds_alternative<ListQuery>(q));
  return std::get<ListQuery>(q);
}

std::string refused(std::string_view query) {
  auto q = parse_list_query(query);
  REQUIRE(std::holds_alternative<std::string>(q));
  return std::get<std::string>(q);
}

}  // namespace

TEST_CASE("list query: defaults, filters and limits", "[daemon]") {
  const ListQuery none = parsed("");
  CHECK(none.filter == m::Filter::all);
  CHECK(none.limit == default_page_size);
  CHECK_FALSE(none.after);
  CHECK(parsed("filter=active").filter == m::Filter::active);
  CHECK(parsed("filter=queued&limit=1").limit == 1);
  CHECK(parsed("limit=1000").limit == max_page_size);
  CHECK(refused("filter=done") == "filter 'done': use all, active, queued or finished");
  CHECK(refused("limit=0") == "limit '0': a number of downloads from 1 to 1000");
  for (const char* bad : {"limit=1001", "limit=+5", "limit=%205", "limit=5x",
                          "limit=", "limit=99999999999999999999999"})
    CHECK(refused(bad).rfind("limit '", 0) == 0);
}

TEST_CASE("list query: a cursor names a page's end and round-trips", "[daemon]") {
  const m::ListPosition position{42, "AbC9xyz0AbC9xyz0"};
  const std::string cursor = format_cursor(position);
  CHECK(cursor == "42-AbC9xyz0AbC9xyz0");
  CHECK(parse_cursor(cursor) == position);
  // Ids of the remote clients' kind carry dashes of their own.
  CHECK(parse_cursor("7-transmission-0a1b2c3d-ff") ==
        m::ListPosition{7, "transmission-0a1b2c3d-ff"});
  const ListQuery q = parsed("after=" + cursor + "&limit=5");
  REQUIRE(q.after);
  CHECK(*q.after == position);
  for (const char* bad : {"", "42", "42-", "-abc", "x-abc", "4 2-abc", "42-a/b", "42-a b", "-1-abc",
                          "99999999999999999999-abc"})
    CHECK_FALSE(parse_cursor(bad));
  CHECK(refused("after=42").rfind("after '42'", 0) == 0);
}
