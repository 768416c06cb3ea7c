// S3 XML bodies through pugixml. The job: map each response document onto its struct,
// checking the root, the required elements and every number, and build the one request
// body the client sends. Invariants: nothing is found by string search (a key named
// "<UploadId>" is just a key); a failure fills ErrorInfo with what and where; pugixml
// parses without recursion, so nesting depth cannot exhaust the stack. Pure.
#include "s3/s3_xml.hpp"

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

#include "s3/s3_error.hpp"
#include "s3/xml_nodes.hpp"
#include "util/concat.hpp"
#include "util/failure.hpp"

namespace bitflow::s3 {

namespace {

using util::Failure;
using xml::child;
using xml::each_child;
using xml::local_name;
using xml::text;

constexpr int max_part_number = 10000;  // S3's limit on parts per upload

// Messages are built by appending: g++ 12 -O3 sees a false -Wrestrict in "lit" + string.
using util::concat;

ServiceError read_error(const pugi::xml_node& root) {
  return {text(root, "Code"), text(root, "Message"), text(root, "RequestId"),
          text(root, "Resource")};
}

std::string describe(const ServiceError& e) {
  std::string out = concat("S3 error ", e.code.empty() ? std::string("(no code)") : e.code);
  if (!e.message.empty()) out.append(": ").append(e.message);
  if (!e.request_id.empty()) out.append(" (request id ").append(e.request_id).append(")");
  return out;
}

// One parse: the document, its root, and the failure report.
class Reader {
 public:
  explicit Reader(ErrorInfo& error) : error_(error) {}

  Failure fail(errc code, std::string message) {
    error_.code = code;
    error_.message = concat("s3 xml: ", message);
    return {};
  }

  // Parses `body`; true when its root element is `expected` (or `alias`). An <Error>
  // root where something else was expected is a service error.
  bool open(std::string_view body, std::string_view expected, std::string_view alias = {}) {
    std::string problem;
    root_ = xml::load_root(doc_, body, problem);
    if (!root_) return fail(errc::malformed_xml, problem);
    if (local_name(root_) == expected || (!alias.empty() && local_name(root_) == alias))
      return true;
    if (local_name(root_) == "Error") return fail(errc::service_error, describe(read_error(root_)));
    return fail(errc::unexpected_xml,
                concat("expected <", expected, ">, got <", local_name(root_), ">"));
  }

  [[nodiscard]] const pugi::xml_node& root() const { return root_; }

  std::optional<std::string> required(const pugi::xml_node& parent, std::string_view name) {
    pugi::xml_node node = child(parent, name);
    if (!node || !*node.child_value())
      return fail(errc::unexpected_xml, concat("<", local_name(parent), "> has no <", name, ">"));
    return std::string(node.child_value());
  }

  template <typename Int>
  std::optional<Int> number(const pugi::xml_node& parent, std::string_view name, Int low,
                            Int high) {
    auto value = required(parent, name);
    if (!value) return std::nullopt;
    Int out{};
    const char* end = value->data() + value->size();
    auto [ptr, ec] = std::from_chars(value->data(), end, out);
    if (ec != std::errc() || ptr != end || out < low || out > high) {
      fail(errc::invalid_number,
           concat("<", name, "> '", value->substr(0, 64), "' is not a number from ",
                  std::to_string(low), " to ", std::to_string(high)));
      return std::nullopt;
    }
    return out;
  }

  // <IsTruncated>: absent means false.
  std::optional<bool> truncated(const pugi::xml_node& parent) {
    pugi::xml_node node = child(parent, "IsTruncated");
    if (!node) return false;
    const std::string_view value = node.child_value();
    if (value == "true") return true;
    if (value == "false") return false;
    fail(errc::unexpected_xml,
         concat("<IsTruncated> is '", value.substr(0, 64), "', not true or false"));
    return std::nullopt;
  }

 private:
  ErrorInfo& error_;
  pugi::xml_document doc_;
  pugi::xml_node root_;
};

template <typename T>
T or_raise(std::optional<T> value, const ErrorInfo& error) {
  if (!value) error.raise();
  return std::move(*value);
}

std::optional<UploadedPart> read_part(Reader& in, const pugi::xml_node& node) {
  auto number = in.number(node, "PartNumber", 1, max_part_number);
  auto etag = number ? in.required(node, "ETag") : std::nullopt;
  auto size =
      etag ? in.number<std::uint64_t>(node, "Size", 0, std::numeric_limits<std::uint64_t>::max())
           : std::nullopt;
  if (!size) return std::nullopt;
  return UploadedPart{*number, std::move(*etag), *size};
}

// pugixml's output into a std::string.
class StringWriter final : public pugi::xml_writer {
 public:
  void write(const void* data, std::size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

bool xml_safe(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 && u != '\t' && u != '\n' && u != '\r';
  });
}

}  // namespace

std::optional<ServiceError> parse_error(std::string_view body, ErrorInfo& error) {
  Reader in(error);
  if (!in.open(body, "Error") || !in.required(in.root(), "Code")) return std::nullopt;
  return read_error(in.root());
}

std::optional<InitiateMultipartUploadResult> parse_initiate_multipart_upload(std::string_view body,
                                                                             ErrorInfo& error) {
  Reader in(error);
  if (!in.open(body, "InitiateMultipartUploadResult")) return std::nullopt;
  auto upload_id = in.required(in.root(), "UploadId");
  if (!upload_id) return std::nullopt;
  return InitiateMultipartUploadResult{text(in.root(), "Bucket"), text(in.root(), "Key"),
                                       std::move(*upload_id)};
}

std::optional<CompleteMultipartUploadResult> parse_complete_multipart_upload(std::string_view body,
                                                                             ErrorInfo& error) {
  Reader in(error);
  // moto 5 names this root after the operation, as its generic serializer does.
  if (!in.open(body, "CompleteMultipartUploadResult", "CompleteMultipartUploadResponse"))
    return std::nullopt;
  const auto& r = in.root();
  return CompleteMultipartUploadResult{text(r, "Location"), text(r, "Bucket"), text(r, "Key"),
                                       text(r, "ETag")};
}

std::optional<ListPartsResult> parse_list_parts(std::string_view body, ErrorInfo& error) {
  Reader in(error);
  // moto 5 names this root after the operation, as its generic serializer does.
  if (!in.open(body, "ListPartsResult", "ListPartsResponse")) return std::nullopt;
  const auto& r = in.root();
  ListPartsResult out{text(r, "Bucket"), text(r, "Key"), text(r, "UploadId"), {}, false, {}};
  bool ok = true;
  each_child(r, "Part", [&](const pugi::xml_node& node) {
    if (!ok) return;
    auto part = read_part(in, node);
    if (part) out.parts.push_back(std::move(*part));
    ok = part.has_value();
  });
  auto truncated = ok ? in.truncated(r) : std::nullopt;
  if (!truncated) return std::nullopt;
  out.is_truncated = *truncated;
  if (out.is_truncated) {
    // Without a marker the next page cannot be asked for: fail rather than loop.
    out.next_part_number_marker = in.number(r, "NextPartNumberMarker", 0, max_part_number);
    if (!out.next_part_number_marker) return std::nullopt;
  }
  return out;
}

std::optional<ListMultipartUploadsResult> parse_list_multipart_uploads(std::string_view body,
                                                                       ErrorInfo& error) {
  Reader in(error);
  // moto 5 names this root after the operation, as its generic serializer does.
  if (!in.open(body, "ListMultipartUploadsResult", "ListMultipartUploadsResponse"))
    return std::nullopt;
  const auto& r = in.root();
  ListMultipartUploadsResult out;
  bool ok = true;
  each_child(r, "Upload", [&](const pugi::xml_node& node) {
    if (!ok) return;
    auto key = in.required(node, "Key");
    auto upload_id = key ? in.required(node, "UploadId") : std::nullopt;
    ok = upload_id.has_value();
    if (ok)
      out.uploads.push_back({std::move(*key), std::move(*upload_id), text(node, "Initiated")});
  });
  auto truncated = ok ? in.truncated(r) : std::nullopt;
  if (!truncated) return std::nullopt;
  out.is_truncated = *truncated;
  out.next_upload_id_marker = text(r, "NextUploadIdMarker");
  if (out.is_truncated) {
    auto marker = in.required(r, "NextKeyMarker");
    if (!marker) return std::nullopt;
    out.next_key_marker = std::move(*marker);
  } else {
    out.next_key_marker = text(r, "NextKeyMarker");
  }
  return out;
}

std::optional<ListObjectsResult> parse_list_objects(std::string_view body, ErrorInfo& error) {
  Reader in(error);
  if (!in.open(body, "ListBucketResult")) return std::nullopt;
  const auto& r = in.root();
  ListObjectsResult out;
  bool ok = true;
  each_child(r, "Contents", [&](const pugi::xml_node& node) {
    if (!ok) return;
    auto key = in.required(node, "Key");
    auto size =
        key ? in.number<std::uint64_t>(node, "Size", 0, std::numeric_limits<std::uint64_t>::max())
            : std::nullopt;
    ok = size.has_value();
    if (ok)
      out.objects.push_back(
          {std::move(*key), *size, text(node, "ETag"), text(node, "LastModified")});
  });
  each_child(r, "CommonPrefixes", [&](const pugi::xml_node& node) {
    out.common_prefixes.push_back(text(node, "Prefix"));
  });
  auto truncated = ok ? in.truncated(r) : std::nullopt;
  if (!truncated) return std::nullopt;
  out.is_truncated = *truncated;
  out.next_continuation_token = text(r, "NextContinuationToken");
  out.next_marker = text(r, "NextMarker");
  return out;
}

std::optional<std::string> complete_multipart_upload_body(std::vector<UploadedPart> parts,
                                                          ErrorInfo& error) {
  Reader report(error);
  if (parts.empty()) return report.fail(errc::invalid_part, "an upload needs at least one part");
  std::sort(parts.begin(), parts.end(), [](const UploadedPart& a, const UploadedPart& b) {
    return a.part_number < b.part_number;
  });
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const int number = parts[i].part_number;
    if (number < 1 || number > max_part_number)
      return report.fail(errc::invalid_part,
                         concat("part number ", std::to_string(number), " is outside 1 to 10000"));
    if (i > 0 && parts[i - 1].part_number == number)
      return report.fail(errc::invalid_part,
                         concat("part ", std::to_string(number), " is listed twice"));
    if (!xml_safe(parts[i].etag))
      return report.fail(errc::invalid_part, concat("part ", std::to_string(number),
                                                    " has an ETag with control characters"));
  }
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const UploadedPart& part : parts) {
    pugi::xml_node node = root.append_child("Part");
    node.append_child("PartNumber").text().set(part.part_number);
    node.append_child("ETag").text().set(part.etag.c_str());
  }
  StringWriter writer;
  doc.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return std::move(writer.out);
}

ServiceError parse_error(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_error(body, error), error);
}

InitiateMultipartUploadResult parse_initiate_multipart_upload(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_initiate_multipart_upload(body, error), error);
}

CompleteMultipartUploadResult parse_complete_multipart_upload(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_complete_multipart_upload(body, error), error);
}

ListPartsResult parse_list_parts(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_list_parts(body, error), error);
}

ListMultipartUploadsResult parse_list_multipart_uploads(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_list_multipart_uploads(body, error), error);
}

ListObjectsResult parse_list_objects(std::string_view body) {
  ErrorInfo error;
  return or_raise(parse_list_objects(body, error), error);
}

std::string complete_multipart_upload_body(std::vector<UploadedPart> parts) {
  ErrorInfo error;
  return or_raise(complete_multipart_upload_body(std::move(parts), error), error);
}

}  // namespace bitflow::s3
