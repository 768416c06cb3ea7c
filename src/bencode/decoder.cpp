// The bencode decoder: one pass over the input producing a flat token array.
//
// Invariants: every token lies inside the input; a container's `skip` counts its whole
// subtree, so siblings are found without recursion; nesting is tracked on an explicit
// stack bounded by max_depth, so no input can overflow the call stack. The decoder
// never reads past input.size() and allocates only the token array and the stack.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include "bitflow/bencode.hpp"
#include "util/failure.hpp"

namespace bitflow::bencode {

using detail::Token;

namespace {

// One open list or dictionary.
struct Frame {
  std::uint32_t token;     // index of the container's token
  std::uint32_t last_key;  // dict: index of the previous key token (0 = none yet)
  bool expecting_value;    // dict: a key was read, its value comes next
  bool unsorted;           // dict: keys seen out of order (lenient mode)
};

std::string describe_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("byte 0x") + digits[u >> 4] + digits[u & 0xf];
}

}  // namespace

class Decoder {
 public:
  Decoder(std::string_view input, const DecodeOptions& options, ErrorInfo& error)
      : in_(input), opt_(options), error_(error) {}

  std::optional<Document> run() {
    if (in_.size() >= std::numeric_limits<std::uint32_t>::max())
      return fail(errc::input_too_large, 0, "input of 4 GiB or more");
    doc_.input_ = in_;
    if (!parse_values()) return std::nullopt;
    if (pos_ != in_.size()) {
      if (opt_.strict) return fail(errc::trailing_data, pos_, "trailing data");
      doc_.quirks_ |= quirk_trailing_data;
    }
    return std::move(doc_);
  }

 private:
  util::Failure fail(errc code, std::size_t at, std::string_view what) {
    error_.code = make_error_code(code);
    error_.message = "bencode: " + std::string(what) + " at byte " + std::to_string(at);
    return {};
  }

  bool at_end() const { return pos_ >= in_.size(); }

  // Parses values until the top-level one is complete.
  bool parse_values() {
    do {
      if (at_end()) return fail(errc::unexpected_end, pos_, "unexpected end of input");
      char c = in_[pos_];
      if (c == 'e' && !stack_.empty()) {
        if (!close_container()) return false;
      } else {
        if (!stack_.empty()) {
          const Frame& top = stack_.back();
          if (tokens()[top.token].type == Type::dict && !top.expecting_value &&
              !(c >= '0' && c <= '9'))
            return fail(errc::key_not_string, pos_, "dictionary key is not a string");
        }
        if (!parse_value(c)) return false;
      }
    } while (!stack_.empty());
    return true;
  }

  std::vector<Token>& tokens() { return doc_.tokens_; }

  bool push_token(Type type, std::size_t start, std::size_t end, std::uint32_t aux) {
    if (tokens().size() >= opt_.max_tokens)
      return fail(errc::too_many_tokens, start, "too many values");
    tokens().push_back(
        Token{static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end), 1, aux, type});
    return true;
  }

  bool parse_value(char c) {
    std::size_t start = pos_;
    switch (c) {
      case 'i':
        return parse_integer() && finished_value(start);
      case 'l':
      case 'd': {
        if (stack_.size() >= opt_.max_depth)
          return fail(errc::depth_exceeded, pos_, "nesting deeper than the limit");
        if (!push_token(c == 'l' ? Type::list : Type::dict, pos_, pos_ + 1, 0)) return false;
        stack_.push_back(Frame{static_cast<std::uint32_t>(tokens().size() - 1), 0, false, false});
        ++pos_;
        return true;
      }
      default:
        if (c >= '0' && c <= '9') return parse_string() && finished_value(start);
        return fail(errc::unexpected_character, pos_, "unexpected " + describe_byte(c));
    }
  }

  bool parse_integer() {
    std::size_t start = pos_++;
    bool negative = !at_end() && in_[pos_] == '-';
    if (negative) ++pos_;
    std::size_t digits_start = pos_;
    std::uint64_t magnitude = 0;
    const std::uint64_t limit =
        negative ? std::uint64_t{1} << 63 : std::uint64_t{std::numeric_limits<std::int64_t>::max()};
    while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9') {
      auto digit = static_cast<std::uint64_t>(in_[pos_] - '0');
      if (magnitude > (limit - digit) / 10)
        return fail(errc::integer_overflow, start, "integer out of 64-bit range");
      magnitude = magnitude * 10 + digit;
      ++pos_;
    }
    if (at_end()) return fail(errc::unexpected_end, pos_, "unexpected end of input in integer");
    if (in_[pos_] != 'e')
      return fail(errc::unexpected_character, pos_,
                  "unexpected " + describe_byte(in_[pos_]) + " in integer");
    std::size_t ndigits = pos_ - digits_start;
    if (ndigits == 0) return fail(errc::empty_integer, start, "integer without digits");
    if (in_[digits_start] == '0' && ndigits > 1)
      return fail(errc::leading_zero, start, "leading zero in integer");
    if (negative && magnitude == 0) return fail(errc::negative_zero, start, "negative zero");
    ++pos_;  // 'e'
    return push_token(Type::integer, start, pos_, 0);
  }

  bool parse_string() {
    std::size_t start = pos_;
    std::uint64_t length = 0;
    const std::uint64_t remaining = in_.size() - pos_;
    while (!at_end() && in_[pos_] >= '0' && in_[pos_] <= '9') {
      length = length * 10 + static_cast<std::uint64_t>(in_[pos_] - '0');
      if (length > remaining) return fail(errc::string_too_long, start, "string too long");
      ++pos_;
    }
    if (at_end())
      return fail(errc::unexpected_end, pos_, "unexpected end of input in string length");
    if (in_[pos_] != ':')
      return fail(errc::unexpected_character, pos_,
                  "unexpected " + describe_byte(in_[pos_]) + " in string length");
    if (in_[start] == '0' && pos_ - start > 1) {
      if (opt_.strict) return fail(errc::leading_zero, start, "leading zero in string length");
      doc_.quirks_ |= quirk_leading_zero_length;
    }
    ++pos_;  // ':'
    if (length > in_.size() - pos_) return fail(errc::string_too_long, start, "string too long");
    std::size_t payload = pos_;
    pos_ += static_cast<std::size_t>(length);
    return push_token(Type::string, start, pos_, static_cast<std::uint32_t>(payload));
  }

  bool close_container() {
    Frame frame = stack_.back();
    Token& tok = tokens()[frame.token];
    if (tok.type == Type::dict && frame.expecting_value)
      return fail(errc::unexpected_character, pos_, "dictionary key without a value");
    ++pos_;
    tok.end = static_cast<std::uint32_t>(pos_);
    tok.skip = static_cast<std::uint32_t>(tokens().size() - frame.token);
    if (frame.unsorted && !check_unique_keys(frame.token)) return false;
    stack_.pop_back();
    return finished_value(tok.start);
  }

  // Called when a complete value was appended; `start` is its first byte.
  bool finished_value(std::size_t start) {
    if (stack_.empty()) return true;
    Frame& parent = stack_.back();
    Token& container = tokens()[parent.token];
    if (container.type == Type::list) {
      ++container.aux;
      return true;
    }
    if (parent.expecting_value) {
      parent.expecting_value = false;
      ++container.aux;
      return true;
    }
    auto key_index = static_cast<std::uint32_t>(tokens().size() - 1);
    if (parent.last_key != 0) {
      int order = key_of(parent.last_key).compare(key_of(key_index));
      if (order == 0) return fail(errc::duplicate_key, start, "duplicate dictionary key");
      if (order > 0) {
        if (opt_.strict) return fail(errc::unsorted_keys, start, "dictionary keys not sorted");
        doc_.quirks_ |= quirk_unsorted_keys;
        parent.unsorted = true;
      }
    }
    parent.last_key = key_index;
    parent.expecting_value = true;
    return true;
  }

  std::string_view key_of(std::uint32_t index) {
    const Token& t = tokens()[index];
    return in_.substr(t.aux, t.end - t.aux);
  }

  // Lenient mode: a dictionary with unsorted keys may still not repeat one.
  bool check_unique_keys(std::uint32_t dict_index) {
    std::vector<std::string_view> keys;
    const Token* t = tokens().data() + dict_index + 1;
    const Token* end = tokens().data() + dict_index + tokens()[dict_index].skip;
    while (t < end) {
      keys.push_back(in_.substr(t->aux, t->end - t->aux));
      t += 1;
      t += t->skip;
    }
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end())
      return fail(errc::duplicate_key, static_cast<std::size_t>(dup->data() - in_.data()),
                  "duplicate dictionary key");
    return true;
  }

  std::string_view in_;
  const DecodeOptions& opt_;
  ErrorInfo& error_;
  std::size_t pos_ = 0;
  Document doc_;
  std::vector<Frame> stack_;
};

std::optional<Document> decode(std::string_view input, ErrorInfo& error,
                               const DecodeOptions& options) {
  error.clear();
  return Decoder(input, options, error).run();
}

Document decode(std::string_view input, const DecodeOptions& options) {
  ErrorInfo error;
  auto doc = decode(input, error, options);
  if (!doc) error.raise();
  return std::move(*doc);
}

// ---- Node accessors -------------------------------------------------------------

std::optional<std::int64_t> Node::int_value() const noexcept {
  if (!is_int()) return std::nullopt;
  std::int64_t v = 0;
  const char* first = base_ + tok_->start + 1;
  const char* last = base_ + tok_->end - 1;
  std::from_chars(first, last, v);  // validated by the decoder
  return v;
}

std::optional<std::string_view> Node::string_value() const noexcept {
  if (!is_string()) return std::nullopt;
  return std::string_view(base_ + tok_->aux, tok_->end - tok_->aux);
}

namespace {
[[noreturn]] void throw_mismatch(std::string_view wanted) {
  throw Error(make_error_code(errc::type_mismatch), "bencode: expected " + std::string(wanted));
}
}  // namespace

std::int64_t Node::as_int() const {
  if (auto v = int_value()) return *v;
  throw_mismatch("an integer");
}

std::string_view Node::as_string() const {
  if (auto v = string_value()) return *v;
  throw_mismatch("a string");
}

std::size_t Node::size() const noexcept {
  return (is_list() || is_dict()) ? tok_->aux : 0;
}

Range<ListIterator> Node::items() const noexcept {
  if (!is_list()) return {};
  return {ListIterator(tok_ + 1, base_), ListIterator(tok_ + tok_->skip, base_)};
}

Range<DictIterator> Node::entries() const noexcept {
  if (!is_dict()) return {};
  return {DictIterator(tok_ + 1, base_), DictIterator(tok_ + tok_->skip, base_)};
}

Node Node::at(std::size_t i) const noexcept {
  for (Node item : items()) {
    if (i-- == 0) return item;
  }
  return {};
}

Node Node::find(std::string_view key) const noexcept {
  if (!is_dict()) return {};
  const Token* t = tok_ + 1;
  const Token* end = tok_ + tok_->skip;
  while (t < end) {
    std::string_view k(base_ + t->aux, t->end - t->aux);
    if (k == key) return Node(t + 1, base_);
    t += 1;
    t += t->skip;
  }
  return {};
}

std::optional<std::int64_t> Node::find_int(std::string_view key) const noexcept {
  return find(key).int_value();
}
std::optional<std::string_view> Node::find_string(std::string_view key) const noexcept {
  return find(key).string_value();
}
Node Node::find_list(std::string_view key) const noexcept {
  Node n = find(key);
  return n.is_list() ? n : Node();
}
Node Node::find_dict(std::string_view key) const noexcept {
  Node n = find(key);
  return n.is_dict() ? n : Node();
}

}  // namespace bitflow::bencode
