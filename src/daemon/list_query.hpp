// The query of GET /downloads: which downloads (filter), how many at once (limit) and
// from where (after, a cursor the previous page handed out). Pure: a query string in,
// the parameters or the reason they are wrong out.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "bitflow/manager.hpp"

namespace bitflow::daemon {

/// A page holds this many downloads unless the request says otherwise...
inline constexpr std::size_t default_page_size = 100;
/// ...and never more than this: an answer stays small enough to serve quickly.
inline constexpr std::size_t max_page_size = 1000;

struct ListQuery {
  manager::Filter filter = manager::Filter::all;
  std::size_t limit = default_page_size;
  std::optional<manager::ListPosition> after;
};

/// `filter` (all, active, queued, finished; default all), `limit` (1 … max_page_size) and
/// `after` (a cursor from an earlier answer's "next") from an undecoded query string; a
/// string saying which parameter is wrong and why otherwise.
[[nodiscard]] std::variant<ListQuery, std::string> parse_list_query(std::string_view query);

/// The cursor "next" that names a page's end: "<queue_seq>-<id>". Opaque to clients.
[[nodiscard]] std::string format_cursor(const manager::ListPosition& position);
/// The position a cursor names; nullopt for anything format_cursor() does not make.
[[nodiscard]] std::optional<manager::ListPosition> parse_cursor(std::string_view cursor);

}  // namespace bitflow::daemon
