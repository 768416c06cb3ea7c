// bitflow/bencode.hpp — bencoding (BEP 3): a fast non-owning decoder, an owning Value
// and a canonical encoder.
//
// The decoder turns a byte buffer into a flat array of tokens (one per integer, string,
// list or dictionary) that point back into the buffer: no allocation per node, the raw
// bytes of every value available (the info-hash is the SHA-1 of the info dictionary's raw
// bytes), and hard limits on nesting depth and token count so hostile input cannot
// exhaust the stack or memory. A Document does not own its input: keep the buffer alive
// for as long as the Document or any Node taken from it is used.
//
// Strict by default: no leading zeros, no "-0", no trailing data, dictionary keys
// sorted and unique, integers within int64. DecodeOptions::strict = false accepts what
// real-world torrents get wrong and records each such quirk in Document::quirks().
//
// Thread safety: a Document and its Nodes are immutable after decode and may be read
// from any number of threads at once.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "bitflow/error.hpp"

namespace bitflow::bencode {

/// Why a decode failed. Messages carry the byte offset: "bencode: leading zero at byte 7".
enum class errc {
  unexpected_end = 1,    ///< the input ended inside a value
  unexpected_character,  ///< a byte that cannot start or continue a value where it stands
  empty_integer,         ///< "ie" or "i-e"
  leading_zero,          ///< "i03e", or "03:abc" in strict mode
  negative_zero,         ///< "i-0e"
  integer_overflow,      ///< an integer outside int64
  string_too_long,       ///< a string length that runs past the end of the input
  trailing_data,         ///< bytes after the top-level value (strict mode)
  key_not_string,        ///< a dictionary key that is not a byte string
  unsorted_keys,         ///< dictionary keys out of order (strict mode)
  duplicate_key,         ///< the same key twice in one dictionary
  depth_exceeded,        ///< nesting deeper than DecodeOptions::max_depth
  too_many_tokens,       ///< more values than DecodeOptions::max_tokens
  input_too_large,       ///< input of 4 GiB or more
  type_mismatch,         ///< an accessor asked a value for the wrong type
};

const std::error_category& category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// The four bencode types.
enum class Type : std::uint8_t { integer, string, list, dict };

/// Deviations from canonical bencoding that lenient decoding accepted (a bit set).
enum Quirk : unsigned {
  quirk_unsorted_keys = 1u << 0,        ///< some dictionary's keys are out of order
  quirk_leading_zero_length = 1u << 1,  ///< a string length like "03:"
  quirk_trailing_data = 1u << 2,        ///< bytes after the top-level value were ignored
};

struct DecodeOptions {
  /// false: accept the quirks above (and record them) instead of failing.
  bool strict = true;
  /// Maximum nesting of lists and dictionaries.
  std::uint32_t max_depth = 100;
  /// Maximum number of values in the whole document (bounds memory: 20 bytes each).
  std::uint32_t max_tokens = 16'000'000;
};

namespace detail {
struct Token {
  std::uint32_t start;  // offset of the value's first byte
  std::uint32_t end;    // offset one past its last byte
  std::uint32_t skip;   // tokens in this subtree, itself included: the next sibling is +skip
  std::uint32_t aux;    // string: payload offset; list: item count; dict: pair count
  Type type;
};
}  // namespace detail

class Node;

/// An iterator over the items of a list Node.
class ListIterator {
 public:
  using value_type = Node;
  using difference_type = std::ptrdiff_t;
  using iterator_category = std::forward_iterator_tag;

  ListIterator() = default;
  ListIterator(const detail::Token* tok, const char* base) : tok_(tok), base_(base) {}
  Node operator*() const;
  ListIterator& operator++() {
    tok_ += tok_->skip;
    return *this;
  }
  ListIterator operator++(int) {
    auto copy = *this;
    ++*this;
    return copy;
  }
  bool operator==(const ListIterator& o) const { return tok_ == o.tok_; }

 private:
  const detail::Token* tok_ = nullptr;
  const char* base_ = nullptr;
};

/// An iterator over the (key, value) pairs of a dictionary Node, in input order.
class DictIterator {
 public:
  using value_type = std::pair<std::string_view, Node>;
  using difference_type = std::ptrdiff_t;
  using iterator_category = std::forward_iterator_tag;

  DictIterator() = default;
  DictIterator(const detail::Token* tok, const char* base) : tok_(tok), base_(base) {}
  value_type operator*() const;
  DictIterator& operator++() {
    tok_ += 1;  // keys are strings: one token
    tok_ += tok_->skip;
    return *this;
  }
  DictIterator operator++(int) {
    auto copy = *this;
    ++*this;
    return copy;
  }
  bool operator==(const DictIterator& o) const { return tok_ == o.tok_; }

 private:
  const detail::Token* tok_ = nullptr;
  const char* base_ = nullptr;
};

template <typename It>
struct Range {
  It first, last;
  It begin() const { return first; }
  It end() const { return last; }
};

/// A read-only view of one value inside a Document. Cheap to copy (two pointers).
/// A default-constructed Node is "absent": falsy, the is_*() checks are false, the
/// optional-returning getters give nullopt, size() is 0, raw() is empty and as_*() throw.
/// Only type() requires a present Node.
class Node {
 public:
  Node() = default;
  Node(const detail::Token* tok, const char* base) : tok_(tok), base_(base) {}

  explicit operator bool() const noexcept { return tok_ != nullptr; }
  /// The type of a present Node (check operator bool first).
  [[nodiscard]] Type type() const noexcept { return tok_->type; }
  [[nodiscard]] bool is_int() const noexcept { return tok_ && tok_->type == Type::integer; }
  [[nodiscard]] bool is_string() const noexcept { return tok_ && tok_->type == Type::string; }
  [[nodiscard]] bool is_list() const noexcept { return tok_ && tok_->type == Type::list; }
  [[nodiscard]] bool is_dict() const noexcept { return tok_ && tok_->type == Type::dict; }

  /// The value's exact encoding as it stands in the input (empty for an absent Node).
  [[nodiscard]] std::string_view raw() const noexcept {
    return tok_ ? std::string_view(base_ + tok_->start, tok_->end - tok_->start)
                : std::string_view();
  }
  /// Byte offset of the value in the input (0 for an absent Node).
  [[nodiscard]] std::size_t offset() const noexcept { return tok_ ? tok_->start : 0; }

  /// The integer, or nullopt if this is not an integer.
  [[nodiscard]] std::optional<std::int64_t> int_value() const noexcept;
  /// The string's bytes, or nullopt if this is not a string.
  [[nodiscard]] std::optional<std::string_view> string_value() const noexcept;
  /// As int_value()/string_value(), but throw Error(errc::type_mismatch).
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] std::string_view as_string() const;

  /// Number of items of a list or pairs of a dictionary; 0 for anything else.
  [[nodiscard]] std::size_t size() const noexcept;
  /// The items of a list (empty range for anything else).
  [[nodiscard]] Range<ListIterator> items() const noexcept;
  /// The pairs of a dictionary (empty range for anything else).
  [[nodiscard]] Range<DictIterator> entries() const noexcept;
  /// A list's i-th item (linear time) or an absent Node.
  [[nodiscard]] Node at(std::size_t i) const noexcept;
  /// A dictionary's value for `key` (the first one, in lenient documents), or an absent
  /// Node if this is not a dictionary or has no such key. Linear in the number of keys.
  [[nodiscard]] Node find(std::string_view key) const noexcept;

  /// find() narrowed to a type: nullopt / absent when missing or of another type.
  [[nodiscard]] std::optional<std::int64_t> find_int(std::string_view key) const noexcept;
  [[nodiscard]] std::optional<std::string_view> find_string(std::string_view key) const noexcept;
  [[nodiscard]] Node find_list(std::string_view key) const noexcept;
  [[nodiscard]] Node find_dict(std::string_view key) const noexcept;

 private:
  const detail::Token* tok_ = nullptr;
  const char* base_ = nullptr;
};

inline Node ListIterator::operator*() const {
  return Node(tok_, base_);
}
inline DictIterator::value_type DictIterator::operator*() const {
  return {Node(tok_, base_).as_string(), Node(tok_ + 1, base_)};
}

/// A decoded bencode document: tokens over a caller-owned input buffer.
class Document {
 public:
  Document() = default;
  /// The top-level value (absent for a default-constructed Document).
  [[nodiscard]] Node root() const noexcept {
    return tokens_.empty() ? Node() : Node(tokens_.data(), input_.data());
  }
  /// The buffer the document was decoded from (not owned).
  [[nodiscard]] std::string_view input() const noexcept { return input_; }
  /// The Quirk bits lenient decoding accepted; 0 for canonical input.
  [[nodiscard]] unsigned quirks() const noexcept { return quirks_; }
  [[nodiscard]] std::size_t token_count() const noexcept { return tokens_.size(); }

 private:
  friend class Decoder;
  std::string_view input_;
  std::vector<detail::Token> tokens_;
  unsigned quirks_ = 0;
};

/// Decodes `input` (which must outlive the result). Throws bitflow::Error.
[[nodiscard]] Document decode(std::string_view input, const DecodeOptions& options = {});
/// Non-throwing form: nullopt and `error` filled in on failure.
[[nodiscard]] std::optional<Document> decode(std::string_view input, ErrorInfo& error,
                                             const DecodeOptions& options = {});

/// An owning bencode value, for building and editing. Dictionaries keep keys sorted by
/// raw bytes, so encode() is canonical.
class Value {
 public:
  using Integer = std::int64_t;
  using String = std::string;
  using List = std::vector<Value>;
  using Dict = std::map<std::string, Value, std::less<>>;

  Value() : v_(Integer{0}) {}
  template <typename I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool> && !std::is_same_v<I, char>) Value(I i)
      : v_(static_cast<Integer>(i)) {}          // NOLINT: implicit by design
  Value(String s) : v_(std::move(s)) {}         // NOLINT
  Value(std::string_view s) : v_(String(s)) {}  // NOLINT
  Value(const char* s) : v_(String(s)) {}       // NOLINT
  Value(List l) : v_(std::move(l)) {}           // NOLINT
  Value(Dict d) : v_(std::move(d)) {}           // NOLINT

  [[nodiscard]] Type type() const noexcept { return static_cast<Type>(v_.index()); }
  [[nodiscard]] bool is_int() const noexcept { return type() == Type::integer; }
  [[nodiscard]] bool is_string() const noexcept { return type() == Type::string; }
  [[nodiscard]] bool is_list() const noexcept { return type() == Type::list; }
  [[nodiscard]] bool is_dict() const noexcept { return type() == Type::dict; }

  /// Typed access; throws Error(errc::type_mismatch) on the wrong type.
  [[nodiscard]] Integer as_int() const;
  [[nodiscard]] const String& as_string() const;
  [[nodiscard]] const List& as_list() const;
  [[nodiscard]] const Dict& as_dict() const;
  [[nodiscard]] List& as_list();
  [[nodiscard]] Dict& as_dict();

  /// Dictionary access that inserts (turning a non-dictionary into an empty one first).
  Value& operator[](std::string_view key);
  /// The value under `key`, or nullptr if absent or this is not a dictionary.
  [[nodiscard]] const Value* find(std::string_view key) const noexcept;

  friend bool operator==(const Value&, const Value&) = default;

 private:
  std::variant<Integer, String, List, Dict> v_;
};

/// A deep copy of a decoded value. Throws Error(errc::type_mismatch) for an absent Node.
[[nodiscard]] Value to_value(Node node);
/// decode() then to_value(); the Value owns everything, so `input` may go away after.
[[nodiscard]] Value decode_value(std::string_view input, const DecodeOptions& options = {});

/// The canonical encoding of `value`.
[[nodiscard]] std::string encode(const Value& value);
/// Appends the canonical encoding of `value` to `out`.
void encode_to(std::string& out, const Value& value);

}  // namespace bitflow::bencode

template <>
struct std::is_error_code_enum<bitflow::bencode::errc> : std::true_type {};
