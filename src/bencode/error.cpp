#include "bitflow/bencode.hpp"
#include "util/error_category.hpp"

namespace bitflow::bencode {
namespace {

const char* describe(errc e) noexcept {
  switch (e) {
    case errc::unexpected_end:
      return "unexpected end of input";
    case errc::unexpected_character:
      return "unexpected character";
    case errc::empty_integer:
      return "integer without digits";
    case errc::leading_zero:
      return "leading zero";
    case errc::negative_zero:
      return "negative zero";
    case errc::integer_overflow:
      return "integer out of 64-bit range";
    case errc::string_too_long:
      return "string length runs past the end of input";
    case errc::trailing_data:
      return "trailing data after the value";
    case errc::key_not_string:
      return "dictionary key is not a string";
    case errc::unsorted_keys:
      return "dictionary keys not sorted";
    case errc::duplicate_key:
      return "duplicate dictionary key";
    case errc::depth_exceeded:
      return "nesting too deep";
    case errc::too_many_tokens:
      return "too many values";
    case errc::input_too_large:
      return "input of 4 GiB or more";
    case errc::type_mismatch:
      return "value of the wrong type";
  }
  return nullptr;
}

}  // namespace

const std::error_category& category() noexcept {
  static const util::EnumCategory<errc> instance("bencode", describe);
  return instance;
}

std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace bitflow::bencode
