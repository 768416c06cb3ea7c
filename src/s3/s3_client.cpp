// s3::Client: the S3 operations as coroutines over the CurlReactor. Each operation builds a
// Call (s3_call.hpp) and awaits execute(), which hands its signing and judging to the
// shared attempt loop (retrying_sender.hpp). Runs on the io_context's one thread; no locks.
#include "bitflow/s3.hpp"

#include "net/curl_reactor.hpp"
#include "s3/retrying_sender.hpp"
#include "s3/s3_call.hpp"
#include "s3/s3_endpoint.hpp"
#include "s3/s3_xml.hpp"

namespace bitflow::s3 {

namespace asio = boost::asio;
using namespace std::chrono;

struct Client::Impl {
  Impl(asio::io_context& io, ClientSettings s)
      : settings(std::move(s)), sender(io, settings.retry) {}

  asio::awaitable<net::HttpResponse> execute(Call call) {
    prepare(call);
    // A named Exchange: g++ 12 mishandles some temporaries inside a co_await expression.
    Exchange exchange{[&](sys_seconds time) { return signed_request(call, settings, time); },
                      [&](const ErrorInfo& transport, const net::HttpResponse& response) {
                        return judge(call, transport, response);
                      },
                      [&](const Failure& failure, int attempts) {
                        return final_message(call, failure, attempts);
                      }};
    co_return co_await sender.execute(std::move(exchange));
  }

  ClientSettings settings;
  RetryingSender sender;
};

Client::Client(asio::io_context& io, ClientSettings settings)
    : impl_(std::make_unique<Impl>(io, std::move(settings))) {}

Client::~Client() = default;

const ClientSettings& Client::settings() const noexcept {
  return impl_->settings;
}

seconds Client::clock_offset() const noexcept {
  return impl_->sender.clock_offset();
}

namespace {

Call object_call(std::string operation, std::string method, std::string bucket, std::string key) {
  Call c;
  c.operation = std::move(operation);
  c.method = std::move(method);
  c.bucket = std::move(bucket);
  c.key = std::move(key);
  return c;
}

std::uint64_t to_size(std::string_view text) {
  std::uint64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return 0;
    v = v * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  return v;
}

ObjectInfo object_info(const net::HttpResponse& r) {
  ObjectInfo info;
  info.etag = r.header("ETag").value_or("");
  info.last_modified = r.header("Last-Modified").value_or("");
  info.content_type = r.header("Content-Type").value_or("");
  // "bytes 0-9/100": the whole size is after the '/' of a range answer.
  if (auto range = r.header("Content-Range"); range && range->find('/') != std::string::npos)
    info.size = to_size(range->substr(range->find('/') + 1));
  else
    info.size = to_size(r.header("Content-Length").value_or(""));
  return info;
}

template <typename T>
T parsed_or_throw(std::optional<T> value, const ErrorInfo& error, const Call& call) {
  if (!value) throw Error(error.code, error.message + " in " + call.operation);
  return std::move(*value);
}

}  // namespace

asio::awaitable<std::string> Client::put_object(std::string bucket, std::string key,
                                                std::string body, std::string content_type) {
  Call c = object_call("PutObject", "PUT", std::move(bucket), std::move(key));
  c.headers.emplace_back("Content-MD5", content_md5(body));
  c.body = std::make_shared<const std::string>(std::move(body));
  c.content_type = std::move(content_type);
  auto r = co_await impl_->execute(std::move(c));
  co_return r.header("ETag").value_or("");
}

asio::awaitable<ObjectInfo> Client::head_object(std::string bucket, std::string key) {
  auto r =
      co_await impl_->execute(object_call("HeadObject", "HEAD", std::move(bucket), std::move(key)));
  co_return object_info(r);
}

asio::awaitable<GetObjectResult> Client::get_object(std::string bucket, std::string key,
                                                    std::optional<ByteRange> range) {
  Call c = object_call("GetObject", "GET", std::move(bucket), std::move(key));
  if (range) {
    std::string value = std::string("bytes=") + std::to_string(range->first) + "-";
    if (range->last) value += std::to_string(*range->last);
    c.headers.emplace_back("Range", std::move(value));
  }
  auto r = co_await impl_->execute(std::move(c));
  GetObjectResult out;
  out.info = object_info(r);
  out.data = std::move(r.body);
  co_return out;
}

asio::awaitable<void> Client::delete_object(std::string bucket, std::string key) {
  co_await impl_->execute(object_call("DeleteObject", "DELETE", std::move(bucket), std::move(key)));
}

asio::awaitable<std::string> Client::create_multipart_upload(std::string bucket, std::string key,
                                                             std::string content_type) {
  Call c = object_call("CreateMultipartUpload", "POST", std::move(bucket), std::move(key));
  c.query.emplace_back("uploads", "");
  c.content_type = std::move(content_type);
  auto r = co_await impl_->execute(c);
  ErrorInfo error;
  co_return parsed_or_throw(parse_initiate_multipart_upload(r.body, error), error, c).upload_id;
}

asio::awaitable<UploadedPart> Client::upload_part(std::string bucket, std::string key,
                                                  std::string upload_id, int part_number,
                                                  std::string body) {
  Call c = object_call("UploadPart", "PUT", std::move(bucket), std::move(key));
  c.query.emplace_back("partNumber", std::to_string(part_number));
  c.query.emplace_back("uploadId", std::move(upload_id));
  c.headers.emplace_back("Content-MD5", content_md5(body));
  UploadedPart part;
  part.part_number = part_number;
  part.size = body.size();
  c.body = std::make_shared<const std::string>(std::move(body));
  auto r = co_await impl_->execute(std::move(c));
  part.etag = r.header("ETag").value_or("");
  co_return part;
}

asio::awaitable<CompleteMultipartUploadResult> Client::complete_multipart_upload(
    std::string bucket, std::string key, std::string upload_id, std::vector<UploadedPart> parts) {
  Call c = object_call("CompleteMultipartUpload", "POST", std::move(bucket), std::move(key));
  c.query.emplace_back("uploadId", std::move(upload_id));
  c.body = std::make_shared<const std::string>(complete_multipart_upload_body(std::move(parts)));
  c.content_type = "application/xml";
  c.error_in_ok_body = true;
  auto r = co_await impl_->execute(c);
  ErrorInfo error;
  co_return parsed_or_throw(parse_complete_multipart_upload(r.body, error), error, c);
}

asio::awaitable<void> Client::abort_multipart_upload(std::string bucket, std::string key,
                                                     std::string upload_id) {
  Call c = object_call("AbortMultipartUpload", "DELETE", std::move(bucket), std::move(key));
  c.query.emplace_back("uploadId", std::move(upload_id));
  co_await impl_->execute(std::move(c));
}

asio::awaitable<ListPartsResult> Client::list_parts(std::string bucket, std::string key,
                                                    std::string upload_id,
                                                    std::optional<int> part_number_marker) {
  Call c = object_call("ListParts", "GET", std::move(bucket), std::move(key));
  c.query.emplace_back("uploadId", std::move(upload_id));
  if (part_number_marker)
    c.query.emplace_back("part-number-marker", std::to_string(*part_number_marker));
  auto r = co_await impl_->execute(c);
  ErrorInfo error;
  co_return parsed_or_throw(parse_list_parts(r.body, error), error, c);
}

asio::awaitable<ListMultipartUploadsResult> Client::list_multipart_uploads(
    std::string bucket, std::string prefix, std::string key_marker, std::string upload_id_marker) {
  Call c = object_call("ListMultipartUploads", "GET", std::move(bucket), {});
  c.query.emplace_back("uploads", "");
  if (!prefix.empty()) c.query.emplace_back("prefix", std::move(prefix));
  if (!key_marker.empty()) c.query.emplace_back("key-marker", std::move(key_marker));
  if (!upload_id_marker.empty())
    c.query.emplace_back("upload-id-marker", std::move(upload_id_marker));
  auto r = co_await impl_->execute(c);
  ErrorInfo error;
  co_return parsed_or_throw(parse_list_multipart_uploads(r.body, error), error, c);
}

std::optional<std::string> Client::presign(PresignMethod method, std::string_view bucket,
                                           std::string_view key, seconds expires,
                                           ErrorInfo& error) const {
  const ClientSettings& s = impl_->settings;
  auto target = request_target(s.endpoint, s.region, s.addressing, bucket, key, error);
  if (!target) return std::nullopt;
  SignableRequest request;
  request.method = method == PresignMethod::put ? "PUT" : "GET";
  request.path = target->path;
  request.headers.emplace_back("Host", target->host);
  request.payload_hash = unsigned_payload;
  SigningParams params{s.credentials, s.region, "s3", impl_->sender.now(), {}};
  auto signed_req = presign_request(request, params, expires, error);
  if (!signed_req) return std::nullopt;
  return target->url(signed_req->query_string);
}

std::string Client::presign(PresignMethod method, std::string_view bucket, std::string_view key,
                            seconds expires) const {
  ErrorInfo error;
  auto url = presign(method, bucket, key, expires, error);
  if (!url) error.raise();
  return std::move(*url);
}

}  // namespace bitflow::s3
