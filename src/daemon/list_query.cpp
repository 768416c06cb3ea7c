#include "daemon/list_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "daemon/router.hpp"

namespace bitflow::daemon {

namespace {

std::optional<manager::Filter> parse_filter(std::string_view name) {
  if (name == "all") return manager::Filter::all;
  if (name == "active") return manager::Filter::active;
  if (name == "queued") return manager::Filter::queued;
  if (name == "finished") return manager::Filter::finished;
  return std::nullopt;
}

// Digits only, no sign or space: what std::from_chars alone would let through is wider.
template <typename Int>
std::optional<Int> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19 || !std::all_of(text.begin(), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return std::nullopt;
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

}  // namespace

std::variant<ListQuery, std::string> parse_list_query(std::string_view query) {
  ListQuery out;
  if (auto name = query_param(query, "filter")) {
    auto filter = parse_filter(*name);
    if (!filter) return fmt::format("filter '{}': use all, active, queued or finished", *name);
    out.filter = *filter;
  }
  if (auto text = query_param(query, "limit")) {
    auto limit = parse_decimal<std::size_t>(*text);
    if (!limit || *limit == 0 || *limit > max_page_size)
      return fmt::format("limit '{}': a number of downloads from 1 to {}", *text, max_page_size);
    out.limit = *limit;
  }
  if (auto cursor = query_param(query, "after")) {
    out.after = parse_cursor(*cursor);
    if (!out.after)
      return fmt::format("after '{}': pass the \"next\" of the previous page unchanged", *cursor);
  }
  return out;
}

std::string format_cursor(const manager::ListPosition& position) {
  return fmt::format("{}-{}", position.queue_seq, position.id);
}

std::optional<manager::ListPosition> parse_cursor(std::string_view cursor) {
  const auto dash = cursor.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto seq = parse_decimal<std::int64_t>(cursor.substr(0, dash));
  const std::string_view id = cursor.substr(dash + 1);
  if (!seq || id.empty() || id.size() > 200 || !std::all_of(id.begin(), id.end(), id_char))
    return std::nullopt;
  return manager::ListPosition{*seq, std::string(id)};
}

}  // namespace bitflow::daemon
