// s3::SqsNotifier: SendMessage as a coroutine over the CurlReactor. The request, its
// signature and the reading of the answer are the pure sqs_message core; the attempts
// are the S3 client's loop (retrying_sender.hpp). Runs on the io_context's one thread.
#include "bitflow/sqs.hpp"

#include "s3/retrying_sender.hpp"
#include "s3/sqs_message.hpp"
#include "util/concat.hpp"

namespace bitflow::s3 {

namespace asio = boost::asio;
using namespace std::chrono;

namespace {

std::optional<Failure> judge_send(const ErrorInfo& transport, const net::HttpResponse& response) {
  if (transport) return transport_failure("SQS", transport);
  const long status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;
  ErrorInfo ignored;
  auto service = parse_sqs_error(response.body, ignored);
  return answer_failure("SQS", status, service ? &*service : nullptr,
                        "SQS answered without an error document");
}

}  // namespace

struct SqsNotifier::Impl {
  Impl(asio::io_context& io, ClientSettings s, std::string url)
      : settings(std::move(s)),
        queue(parse_queue_url(url)),
        queue_url(queue.url()),
        region(queue_region(queue, settings.region)),
        sender(io, settings.retry) {}

  [[nodiscard]] std::string where(const Failure& failure, int attempts) const {
    return util::concat(failure.text, " in SendMessage ", queue_url, after_attempts(attempts));
  }

  asio::awaitable<std::string> send(std::string message) {
    const std::string form = send_message_form(message);
    const SignableRequest request = send_message_request(queue, form);
    // A named Exchange: g++ 12 mishandles some temporaries inside a co_await expression.
    Exchange exchange{
        [&](sys_seconds time) {
          const SignedRequest signed_req =
              sign_request(request, sqs_signing_params(settings.credentials, region, time));
          return http_request(settings, queue_url, "POST", form, request.headers, signed_req);
        },
        judge_send, [&](const Failure& failure, int attempts) { return where(failure, attempts); }};
    const net::HttpResponse response = co_await sender.execute(std::move(exchange));
    ErrorInfo error;
    auto result = parse_send_message_response(response.body, error);
    if (result && check_message_md5(*result, message, error)) co_return result->message_id;
    throw Error(error.code, util::concat(error.message, " in SendMessage ", queue_url));
  }

  ClientSettings settings;
  QueueUrl queue;
  std::string queue_url;
  std::string region;
  RetryingSender sender;
};

SqsNotifier::SqsNotifier(asio::io_context& io, ClientSettings settings, std::string queue_url)
    : impl_(std::make_unique<Impl>(io, std::move(settings), std::move(queue_url))) {}

SqsNotifier::~SqsNotifier() = default;

const std::string& SqsNotifier::queue_url() const noexcept {
  return impl_->queue_url;
}

const std::string& SqsNotifier::region() const noexcept {
  return impl_->region;
}

asio::awaitable<std::string> SqsNotifier::send(std::string body) {
  return impl_->send(std::move(body));
}

asio::awaitable<std::string> SqsNotifier::notify_delivered(const DeliveryNotice& notice) {
  return impl_->send(delivery_notice_json(notice));
}

}  // namespace bitflow::s3
