// libFuzzer target for what the URL fetcher parses from servers and from disk: every
// header parser and name rule of src/fetchers/http_parsing.hpp, and the control-file
// codec. Invariants that trap: a Content-Range has first <= last < total; a safe name is
// one plain file name; a numbered name stays within 255 bytes; a control file that
// decodes re-encodes to a document that decodes to the same state.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fetchers/control_file.hpp"
#include "fetchers/http_parsing.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_plain_name(const std::string& name) {
  check(!name.empty() && name != "." && name != ".." && name.front() != '.' && name.size() <= 255);
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    check(c >= 0x20 && c != 0x7f && c != '/' && c != '\\');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bitflow::fetch;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_content_range(input)) {
    check(r->first >= 0 && r->first <= r->last);
    if (r->total) check(r->last < *r->total);
  }
  if (auto name = content_disposition_filename(input)) check_plain_name(safe_filename(*name, ""));
  check_plain_name(safe_filename(input, input));
  check_plain_name(safe_filename(filename_from_url(input), ""));
  const std::string safe = safe_filename(input, "");
  check(numbered_filename(safe, static_cast<int>(size % 100000)).size() <= 255);
  if (auto delay = parse_retry_after(input, std::chrono::system_clock::now()))
    check(delay->count() >= 0 && *delay <= std::chrono::hours(24));
  bitflow::ErrorInfo error;
  if (auto state = decode_control(input, error)) {
    auto again = decode_control(encode_control(*state), error);
    check(again && again->url == state->url && again->size == state->size &&
          again->done == state->done && again->etag == state->etag);
  }
  return 0;
}
