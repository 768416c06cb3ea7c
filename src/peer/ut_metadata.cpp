// BEP 9 ut_metadata payloads: a bencoded dictionary {msg_type, piece[, total_size]}, and
// for a data message the piece's raw bytes right after it. Pure; safe from any thread.
//
// Invariants: a decoded piece index lies in 0..max_metadata_pieces-1; a decoded data
// message has 1 <= total_size <= max_metadata_size, its piece starts before total_size,
// and its data is a view into the payload of exactly metadata_piece_length() bytes.
#include <algorithm>
#include <type_traits>

#include "bitflow/bencode.hpp"
#include "bitflow/extension.hpp"
#include "util/failure.hpp"

namespace bitflow::peer {
namespace {

constexpr std::int64_t type_request = 0, type_data = 1, type_reject = 2;

util::Failure fail(ErrorInfo& error, extension_errc code, std::string what) {
  error.code = make_error_code(code);
  error.message = "ut_metadata: " + std::move(what);
  return {};
}

std::string header(std::int64_t msg_type, std::int32_t piece) {
  bencode::Value dict(bencode::Value::Dict{});
  dict["msg_type"] = bencode::Value(msg_type);
  dict["piece"] = bencode::Value(piece);
  return bencode::encode(dict);
}

}  // namespace

std::int64_t metadata_piece_length(std::int32_t piece, std::int64_t total_size) noexcept {
  const std::int64_t begin = std::int64_t{piece} * metadata_piece_size;
  if (piece < 0 || total_size <= 0 || begin >= total_size) return 0;
  return std::min(metadata_piece_size, total_size - begin);
}

std::string encode_metadata_message(const MetadataMessage& message) {
  return std::visit(
      [](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, MetadataRequest>) {
          return header(type_request, m.piece);
        } else if constexpr (std::is_same_v<T, MetadataReject>) {
          return header(type_reject, m.piece);
        } else if constexpr (std::is_same_v<T, MetadataUnknown>) {
          bencode::Value dict(bencode::Value::Dict{});
          dict["msg_type"] = bencode::Value(m.msg_type);
          return bencode::encode(dict);
        } else {
          bencode::Value dict(bencode::Value::Dict{});
          dict["msg_type"] = bencode::Value(type_data);
          dict["piece"] = bencode::Value(m.piece);
          dict["total_size"] = bencode::Value(m.total_size);
          std::string out = bencode::encode(dict);
          out.append(m.data);
          return out;
        }
      },
      message);
}

std::optional<MetadataMessage> decode_metadata_message(std::string_view payload, ErrorInfo& error) {
  const std::size_t limit = max_metadata_header_size + std::size_t{metadata_piece_size};
  if (payload.size() > limit)
    return fail(error, extension_errc::message_too_large,
                "payload of " + std::to_string(payload.size()) + " bytes, more than the limit of " +
                    std::to_string(limit));
  bencode::DecodeOptions options;
  options.strict = false;  // the data after a data message's dictionary is "trailing data"
  options.max_depth = 8;
  options.max_tokens = 64;
  ErrorInfo decode_error;
  auto doc = bencode::decode(payload, decode_error, options);
  if (!doc) return fail(error, extension_errc::invalid_message, decode_error.message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return fail(error, extension_errc::invalid_message, "not a dictionary");
  if (root.raw().size() > max_metadata_header_size)
    return fail(error, extension_errc::message_too_large, "dictionary larger than 1 KiB");

  auto type = root.find_int("msg_type");
  if (!type) return fail(error, extension_errc::invalid_message, "no integer msg_type");
  if (*type != type_request && *type != type_data && *type != type_reject)
    return MetadataUnknown{*type};
  auto piece_value = root.find_int("piece");
  if (!piece_value) return fail(error, extension_errc::invalid_message, "no integer piece");
  if (*piece_value < 0 || *piece_value >= max_metadata_pieces)
    return fail(error, extension_errc::invalid_metadata_piece,
                "piece " + std::to_string(*piece_value) + " out of range");
  const auto piece = static_cast<std::int32_t>(*piece_value);
  if (*type == type_request) return MetadataRequest{piece};
  if (*type == type_reject) return MetadataReject{piece};

  auto total = root.find_int("total_size");
  if (!total) return fail(error, extension_errc::invalid_message, "no integer total_size");
  if (*total < 1 || *total > max_metadata_size)
    return fail(error, extension_errc::invalid_metadata_size,
                "total_size " + std::to_string(*total) + " out of range");
  const std::int64_t expected = metadata_piece_length(piece, *total);
  if (expected == 0)
    return fail(
        error, extension_errc::invalid_metadata_piece,
        "piece " + std::to_string(piece) + " past the end of " + std::to_string(*total) + " bytes");
  const std::string_view bytes = payload.substr(root.raw().size());
  if (static_cast<std::int64_t>(bytes.size()) != expected)
    return fail(error, extension_errc::invalid_metadata_size,
                "piece " + std::to_string(piece) + " with " + std::to_string(bytes.size()) +
                    " bytes, expected " + std::to_string(expected));
  return MetadataData{piece, *total, bytes};
}

MetadataMessage decode_metadata_message(std::string_view payload) {
  ErrorInfo error;
  auto out = decode_metadata_message(payload, error);
  if (!out) error.raise();
  return *out;
}

}  // namespace bitflow::peer
