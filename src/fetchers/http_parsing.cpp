// HTTP header parsers and download-name rules: see http_parsing.hpp. Written from RFC
// 9110 (Content-Range, Retry-After, HTTP-date), RFC 6266 and RFC 8187 (Content-
// Disposition and its ext-value), RFC 3986 (percent-encoding).
#include "fetchers/http_parsing.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <vector>

#include "bitflow/metainfo.hpp"

namespace bitflow::fetch {

namespace {

constexpr std::size_t max_name_bytes = 255;

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// Digits only, no sign, no overflow.
std::optional<std::int64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (n > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string latin1_to_utf8(std::string_view s) {
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// RFC 8187 ext-value: charset "'" [language] "'" value-chars.
std::optional<std::string> ext_value(std::string_view v) {
  auto first = v.find('\'');
  if (first == std::string_view::npos) return std::nullopt;
  auto second = v.find('\'', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view charset = v.substr(0, first);
  std::string decoded = percent_decode(v.substr(second + 1));
  if (iequals(charset, "UTF-8")) return decoded;
  if (iequals(charset, "ISO-8859-1")) return latin1_to_utf8(decoded);
  return std::nullopt;  // a charset we cannot convert
}

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
std::string_view utf8_cut(std::string_view s, std::size_t n) {
  if (s.size() <= n) return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n;
  return s.substr(0, n);
}

// ---- HTTP-date (RFC 9110 §5.6.7) --------------------------------------------------

int month_index(std::string_view m) {
  static constexpr std::array<std::string_view, 12> names = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (std::size_t i = 0; i < names.size(); ++i)
    if (m == names[i]) return static_cast<int>(i) + 1;
  return 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Fields {
  std::int64_t year = 0;
  int month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

bool parse_clock(std::string_view t, Fields& f) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return false;
  auto h = number(t.substr(0, 2)), m = number(t.substr(3, 2)), s = number(t.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return false;
  f.hour = static_cast<int>(*h), f.minute = static_cast<int>(*m), f.second = static_cast<int>(*s);
  return true;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ')
      ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// In whole seconds: any four-digit year fits, where system_clock's nanoseconds only reach
// the years 1678..2262 (a Retry-After of year 0997 or 9999 overflowed).
std::optional<std::chrono::sys_seconds> http_date(std::string_view s) {
  Fields f;
  auto w = words(s);
  auto set_day = [&](std::string_view d) {
    auto v = number(d);
    if (!v || *v < 1 || *v > 31) return false;
    f.day = static_cast<int>(*v);
    return true;
  };
  if (w.size() == 6 && w[0].size() == 4 && w[0][3] == ',' && w[5] == "GMT") {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    auto y = number(w[3]);
    f.month = month_index(w[2]);
    if (!set_day(w[1]) || !y || w[3].size() != 4 || !f.month || !parse_clock(w[4], f))
      return std::nullopt;
    f.year = *y;
  } else if (w.size() == 4 && !w[0].empty() && w[0].back() == ',' && w[3] == "GMT") {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: RFC 9110's 50-year rule,
    // read as 19xx for 50..99 and 20xx below)
    auto d = w[1];
    if (d.size() != 9 || d[2] != '-' || d[6] != '-') return std::nullopt;
    auto y = number(d.substr(7, 2));
    f.month = month_index(d.substr(3, 3));
    if (!set_day(d.substr(0, 2)) || !y || !f.month || !parse_clock(w[2], f)) return std::nullopt;
    f.year = *y < 50 ? 2000 + *y : 1900 + *y;
  } else if (w.size() == 5) {
    // asctime: Sun Nov  6 08:49:37 1994
    auto y = number(w[4]);
    f.month = month_index(w[1]);
    if (!set_day(w[2]) || !y || w[4].size() != 4 || !f.month || !parse_clock(w[3], f))
      return std::nullopt;
    f.year = *y;
  } else {
    return std::nullopt;
  }
  const std::int64_t seconds =
      days_from_civil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
  return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::optional<ContentRange> parse_content_range(std::string_view value) {
  value = trim(value);
  if (value.size() < 6 || !iequals(value.substr(0, 5), "bytes") || !is_space(value[5]))
    return std::nullopt;
  value = trim(value.substr(6));
  auto dash = value.find('-'), slash = value.find('/');
  if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash)
    return std::nullopt;
  auto first = number(value.substr(0, dash));
  auto last = number(value.substr(dash + 1, slash - dash - 1));
  if (!first || !last || *last < *first) return std::nullopt;
  ContentRange r{*first, *last, std::nullopt};
  std::string_view total = value.substr(slash + 1);
  if (total != "*") {
    r.total = number(total);
    if (!r.total || *r.total <= *last) return std::nullopt;
  }
  return r;
}

std::optional<std::string> content_disposition_filename(std::string_view value) {
  std::optional<std::string> plain, extended;
  std::size_t i = value.find(';');  // the disposition type comes first; any type will do
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    while (i < value.size() && is_space(value[i]))
      ++i;
    std::size_t eq = value.find_first_of("=;", i);
    if (eq == std::string_view::npos || value[eq] == ';') {
      i = eq;
      continue;  // a parameter without a value
    }
    std::string_view name = trim(value.substr(i, eq - i));
    std::size_t v = eq + 1;
    while (v < value.size() && is_space(value[v]))
      ++v;
    std::optional<std::string> parsed;
    std::size_t next = std::string_view::npos;
    if (v < value.size() && value[v] == '"') {  // quoted-string, backslash escapes
      std::string text;
      std::size_t k = v + 1;
      bool closed = false;
      for (; k < value.size(); ++k) {
        if (value[k] == '\\' && k + 1 < value.size()) {
          text.push_back(value[++k]);
        } else if (value[k] == '"') {
          closed = true;
          break;
        } else {
          text.push_back(value[k]);
        }
      }
      if (closed) parsed = std::move(text);  // an unterminated string is no value
      next = closed ? value.find(';', k + 1) : std::string_view::npos;
    } else {
      next = value.find(';', v);
      parsed = std::string(trim(value.substr(v, next == std::string_view::npos ? next : next - v)));
    }
    if (parsed && !parsed->empty()) {
      if (iequals(name, "filename*") && !extended) {
        extended = ext_value(*parsed);
      } else if (iequals(name, "filename") && !plain) {
        plain = std::move(parsed);
      }
    }
    i = next;
  }
  if (extended && !extended->empty()) return extended;
  return plain;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  constexpr std::chrono::seconds cap = std::chrono::hours(24);
  value = trim(value);
  if (!value.empty() &&
      std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    auto n = number(value);
    if (!n || *n > cap.count()) return cap;  // too many digits for int64 is "very long"
    return std::chrono::seconds(*n);
  }
  auto date = http_date(value);
  if (!date) return std::nullopt;
  const auto now_seconds = std::chrono::floor<std::chrono::seconds>(now);
  if (*date <= now_seconds) return std::chrono::seconds(0);
  return std::min(cap, *date - now_seconds);
}

std::string filename_from_url(std::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view path = rest.substr(slash);
  while (!path.empty() && path.back() == '/')
    path.remove_suffix(1);
  auto last = path.rfind('/');
  return percent_decode(path.substr(last + 1));
}

namespace {

// Characters that make a name display as something it is not: C1 controls (U+0080..U+009F)
// and the bidirectional overrides and isolates (U+200E, U+200F, U+202A..U+202E,
// U+2066..U+2069), as in "invoice\u202Efdp.exe" shown as "invoiceexe.pdf". Each becomes '_'.
std::string mask_deceptive(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    const auto b1 = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    const auto b2 = i + 2 < s.size() ? static_cast<unsigned char>(s[i + 2]) : 0;
    if (b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) {  // U+0080..U+009F
      out.push_back('_');
      ++i;
    } else if (b0 == 0xE2 &&
               ((b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE))) ||
                (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9))) {
      out.push_back('_');
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string safe_filename(std::string_view proposed, std::string_view fallback) {
  auto clean = [](std::string_view s) {
    // A proposed path keeps only its last element, as browsers do ("../../x" -> "x").
    if (auto sep = s.find_last_of("/\\"); sep != std::string_view::npos) s = s.substr(sep + 1);
    s = trim(s);
    while (!s.empty() && s.front() == '.')
      s.remove_prefix(1);
    std::string out = mask_deceptive(sanitize_path_component(s));
    // The torrent rule turns separators into '_'; trim what that may have left around.
    std::string_view t = trim(out);
    while (!t.empty() && t.front() == '.')
      t.remove_prefix(1);
    return std::string(t);
  };
  std::string name = clean(proposed);
  if (name.empty()) name = clean(fallback);
  if (name.empty()) name = "download";
  return name;
}

std::string shorten_filename(std::string_view name, std::size_t max_bytes) {
  if (name.size() <= max_bytes) return std::string(name);
  const auto dot = name.rfind('.');
  std::string_view extension =
      dot != std::string_view::npos && dot > 0 && name.size() - dot <= max_bytes / 2
          ? name.substr(dot)
          : std::string_view{};
  std::string out(
      utf8_cut(name.substr(0, name.size() - extension.size()), max_bytes - extension.size()));
  out += extension;
  return out;
}

std::string numbered_filename(std::string_view name, int n) {
  const auto dot = name.rfind('.');
  const bool has_extension = dot != std::string_view::npos && dot > 0;
  std::string_view stem = has_extension ? name.substr(0, dot) : name;
  std::string_view extension = has_extension ? name.substr(dot) : std::string_view{};
  std::string suffix = " (";
  suffix += std::to_string(n);
  suffix += ')';
  if (extension.size() + suffix.size() >= max_name_bytes) extension = {};
  std::string out(utf8_cut(stem, max_name_bytes - suffix.size() - extension.size()));
  out += suffix;
  out += extension;
  return out;
}

std::optional<std::int64_t> parse_content_length(std::string_view value) {
  if (value.empty()) return std::nullopt;
  std::int64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9' || n > (std::numeric_limits<std::int64_t>::max() - 9) / 10)
      return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string suggested_filename(std::optional<std::string_view> content_disposition,
                               std::string_view effective_url, std::string_view url) {
  std::string proposed;
  if (content_disposition)
    proposed = content_disposition_filename(*content_disposition).value_or("");
  if (proposed.empty()) proposed = filename_from_url(effective_url);
  if (proposed.empty()) proposed = filename_from_url(url);
  return safe_filename(proposed, "download");
}

}  // namespace bitflow::fetch
