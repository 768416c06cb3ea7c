// SQS SendMessage's pure core (see sqs_message.hpp). Invariants: the path signed is the
// path sent (a queue URL's path needs no encoding, so one is refused that would); nothing
// in an answer is found by string search; a failure fills ErrorInfo with what and where.
#include "s3/sqs_message.hpp"

#include <algorithm>
#include <cctype>

#include "bitflow/hash.hpp"
#include "bitflow/sqs.hpp"
#include "s3/aws_exchange.hpp"
#include "s3/s3_error.hpp"
#include "s3/uri_encode.hpp"
#include "s3/xml_nodes.hpp"
#include "util/concat.hpp"
#include "util/failure.hpp"
#include "util/utf8.hpp"

namespace bitflow::s3 {

namespace {

using util::concat;

util::Failure fail(ErrorInfo& error, errc code, std::string message) {
  error.code = code;
  error.message = std::move(message);
  return {};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool unreserved_or_slash(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

bool ends_with(std::string_view text, std::string_view end) {
  return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

// The host without a port (IPv6 in brackets keeps its colons).
std::string_view host_name(std::string_view host) {
  const auto colon = host.rfind(':');
  if (colon == std::string_view::npos || host.find(']', colon) != std::string_view::npos)
    return host;
  return host.substr(0, colon);
}

ServiceError read_sqs_error(const pugi::xml_node& error, const pugi::xml_node& root) {
  return {xml::text(error, "Code"), xml::text(error, "Message"), xml::text(root, "RequestId"), {}};
}

// The <Error> element of an SQS error document, or a null node.
pugi::xml_node error_element(const pugi::xml_node& root) {
  if (xml::local_name(root) == "Error") return root;
  if (xml::local_name(root) != "ErrorResponse") return {};
  if (auto e = xml::child(root, "Error")) return e;
  return xml::child(xml::child(root, "Errors"), "Error");
}

}  // namespace

std::optional<QueueUrl> parse_queue_url(std::string_view url, ErrorInfo& error) {
  const auto bad = [&](std::string_view why) {
    return fail(error, errc::invalid_config, concat("SQS queue URL '", url, "': ", why));
  };
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad("not a URL");
  QueueUrl out;
  out.scheme = lowercase(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return bad("the scheme is not http or https");
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("a queue URL has no query or fragment");
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return bad("no host");
  if (authority.find('@') != std::string_view::npos) return bad("user info is not allowed");
  out.host = lowercase(authority);
  // curl leaves the scheme's default port out of Host; the signed Host must match.
  const std::string default_port = out.scheme == "https" ? ":443" : ":80";
  if (ends_with(out.host, default_port) && host_name(out.host).size() < out.host.size())
    out.host.resize(out.host.size() - default_port.size());
  out.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  if (out.path.size() < 2) return bad("no queue path (/<account>/<queue>)");
  if (!std::all_of(out.path.begin(), out.path.end(), unreserved_or_slash))
    return bad("the path has characters no queue URL has");
  return out;
}

QueueUrl parse_queue_url(std::string_view url) {
  ErrorInfo error;
  if (auto out = parse_queue_url(url, error)) return std::move(*out);
  error.raise();
}

std::string queue_region(const QueueUrl& queue, std::string_view fallback) {
  std::string_view host = host_name(queue.host);
  for (std::string_view suffix : {".amazonaws.com", ".amazonaws.com.cn"}) {
    if (host.rfind("sqs.", 0) != 0 || !ends_with(host, suffix)) continue;
    std::string_view region = host.substr(4, host.size() - 4 - suffix.size());
    const bool plain = !region.empty() && std::all_of(region.begin(), region.end(), [](char c) {
      return std::islower(static_cast<unsigned char>(c)) ||
             std::isdigit(static_cast<unsigned char>(c)) || c == '-';
    });
    if (plain) return std::string(region);
  }
  return std::string(fallback);
}

std::string send_message_form(std::string_view message) {
  // Spaces as '+': moto checks the signature against the form re-encoded that way, and
  // AWS decodes either. A "%20" in the encoding can only come from a space ('%' is "%25").
  std::string encoded = uri_encode(message, false);
  std::string value;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded.compare(i, 3, "%20") == 0) {
      value.push_back('+');
      i += 2;
    } else {
      value.push_back(encoded[i]);
    }
  }
  return concat("Action=SendMessage&MessageBody=", value,
                "&Version=", std::string_view(sqs_api_version));
}

SignableRequest send_message_request(const QueueUrl& queue, std::string_view form) {
  SignableRequest request;
  request.method = "POST";
  request.path = queue.path;
  request.headers = {{"Host", queue.host}, {"Content-Type", "application/x-www-form-urlencoded"}};
  request.payload_hash = sha256(form).hex();
  return request;
}

SigningParams sqs_signing_params(Credentials credentials, std::string region,
                                 std::chrono::sys_seconds time) {
  SigningParams params{std::move(credentials), std::move(region), "sqs", time, {}};
  params.rules.normalize_path = true;
  params.rules.double_encode_path = true;
  params.rules.content_sha256_header = false;
  return params;
}

std::optional<ServiceError> parse_sqs_error(std::string_view body, ErrorInfo& error) {
  pugi::xml_document doc;
  std::string problem;
  const pugi::xml_node root = xml::load_root(doc, body, problem);
  if (!root) return fail(error, errc::malformed_xml, concat("sqs xml: ", problem));
  const pugi::xml_node e = error_element(root);
  if (!e)
    return fail(error, errc::unexpected_xml,
                concat("sqs xml: expected <ErrorResponse>, got <", xml::local_name(root), ">"));
  ServiceError out = read_sqs_error(e, root);
  if (out.code.empty()) return fail(error, errc::unexpected_xml, "sqs xml: <Error> has no <Code>");
  return out;
}

std::optional<SendMessageResult> parse_send_message_response(std::string_view body,
                                                             ErrorInfo& error) {
  pugi::xml_document doc;
  std::string problem;
  const pugi::xml_node root = xml::load_root(doc, body, problem);
  if (!root) return fail(error, errc::malformed_xml, concat("sqs xml: ", problem));
  if (const pugi::xml_node e = error_element(root)) {
    const ServiceError service = read_sqs_error(e, root);
    return fail(error, errc::service_error,
                concat("sqs xml: SQS error ", service.code, ": ", service.message));
  }
  if (xml::local_name(root) != "SendMessageResponse")
    return fail(
        error, errc::unexpected_xml,
        concat("sqs xml: expected <SendMessageResponse>, got <", xml::local_name(root), ">"));
  const pugi::xml_node result = xml::child(root, "SendMessageResult");
  SendMessageResult out{xml::text(result, "MessageId"), xml::text(result, "MD5OfMessageBody")};
  if (out.message_id.empty())
    return fail(error, errc::unexpected_xml, "sqs xml: <SendMessageResult> has no <MessageId>");
  if (out.md5_of_message_body.empty())
    return fail(error, errc::unexpected_xml,
                "sqs xml: <SendMessageResult> has no <MD5OfMessageBody>");
  return out;
}

bool check_message_md5(const SendMessageResult& result, std::string_view message,
                       ErrorInfo& error) {
  const std::string ours = md5_hex(message);
  if (lowercase(result.md5_of_message_body) == ours) return true;
  return fail(error, errc::checksum_mismatch,
              concat("SQS stored message ", result.message_id, " with MD5 ",
                     result.md5_of_message_body, ", but the message sent has MD5 ", ours));
}

std::string json_string(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = util::utf8_sequence_length(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD: JSON and SQS both need well-formed UTF-8
      ++i;
      continue;
    }
    const std::string_view sequence = text.substr(i, n);
    i += n;
    if (sequence == "\xef\xbf\xbe" || sequence == "\xef\xbf\xbf") {
      out += sequence.back() == '\xbe' ? "\\ufffe" : "\\uffff";  // not allowed in SQS
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\b') {
      out += "\\b";
    } else if (c == '\f') {
      out += "\\f";
    } else if (c < 0x20) {
      out += "\\u00";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0f]);
    } else {
      out.append(sequence);
    }
  }
  out.push_back('"');
  return out;
}

std::string delivery_notice_json(const DeliveryNotice& notice) {
  return concat("{\"bucket\":", json_string(notice.bucket), ",\"key\":", json_string(notice.key),
                ",\"size\":", std::to_string(notice.size),
                ",\"sha256\":", json_string(notice.sha256_hex),
                ",\"source\":", json_string(notice.source),
                ",\"download_id\":", json_string(notice.download_id), "}");
}

}  // namespace bitflow::s3
