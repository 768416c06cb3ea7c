// The webhook sender: a pass reads the heads of the webhooks' lines from the outbox and
// starts a POST for each whose webhook has none on the way, up to max_in_flight; each
// outcome is written to the store first, then reported, then another pass is posted. A
// timer brings the next pass at the earliest known retry, or after poll_interval. Runs on
// the io_context's thread; handlers hold the sender weakly, so a destroyed manager gets no
// calls.
#include "manager/webhook_sender.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "bitflow/log.hpp"
#include "bitflow/version.hpp"
#include "manager/retry_rule.hpp"
#include "manager/webhook_backoff.hpp"
#include "manager/webhook_signature.hpp"
#include "net/curl_reactor.hpp"

namespace bitflow::manager::detail {

namespace asio = boost::asio;

namespace {

TimeMs now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the application hears of an attempt: the transport's reason, or the status with the
// start of what the receiver said about it.
std::string describe_failure(const ErrorInfo& error, const net::HttpResponse& response) {
  if (error) return error.message;
  std::string out = "HTTP " + std::to_string(response.status);
  if (!response.body.empty()) {
    out += ": ";
    out.append(response.body, 0, std::min<std::size_t>(response.body.size(), 200));
  }
  return out;
}

template <typename Callback, typename... Args>
void tell(const Callback& callback, const Args&... args) {
  if (!callback) return;
  try {
    callback(args...);
  } catch (const std::exception& e) {
    logger()->warn("a webhook delivery callback threw: {}", e.what());
  }
}

}  // namespace

WebhookSender::WebhookSender(asio::io_context& io, Store& store, WebhookOptions options)
    : io_(io),
      store_(store),
      options_(std::move(options)),
      reactor_(net::shared_reactor(io)),
      timer_(io) {}

WebhookSender::~WebhookSender() {
  stop();
}

void WebhookSender::start() {
  if (running_) return;
  running_ = true;
  poke();
}

void WebhookSender::stop() {
  running_ = false;
  timer_.cancel();
  auto transfers = std::move(in_flight_);
  in_flight_.clear();
  for (const auto& [webhook, transfer] : transfers)
    reactor_.cancel(transfer);
}

void WebhookSender::poke() {
  if (!running_ || pass_posted_) return;
  pass_posted_ = true;
  asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      self->pass_posted_ = false;
      self->pass();
    }
  });
}

void WebhookSender::wake_in(std::chrono::milliseconds delay) {
  const auto when = std::chrono::steady_clock::now() + delay;
  if (armed_ && when >= timer_.expiry()) return;
  armed_ = true;
  timer_.expires_at(when);  // cancels the later wait, whose handler then sees the error
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->armed_ = false;
      self->pass();
    }
  });
}

void WebhookSender::pass() {
  if (!running_) return;
  const int room = options_.max_in_flight - static_cast<int>(in_flight_.size());
  try {
    if (room > 0) {
      // The heads on the way are still due in the store: ask for that many more.
      for (const Delivery& d :
           store_.due_in_order(now_ms(), room + static_cast<int>(in_flight_.size()))) {
        if (in_flight_.size() >= static_cast<std::size_t>(options_.max_in_flight)) break;
        if (in_flight_.count(d.webhook_id)) continue;
        // The webhook exists: removing it deletes its deliveries in the same statement.
        if (auto webhook = store_.webhook(d.webhook_id)) send(d, *webhook);
      }
    }
  } catch (const Error& e) {
    logger()->warn("webhooks: reading the outbox failed: {}", e.what());
  }
  wake_in(options_.poll_interval);
}

void WebhookSender::send(const Delivery& delivery, const Webhook& webhook) {
  net::HttpRequest request;
  request.url = webhook.url;
  request.method = "POST";
  request.body = delivery.body;
  request.headers = {"Content-Type: application/json", "X-Bitflow-Event: " + delivery.event,
                     "X-Bitflow-Delivery: " + delivery.delivery_id,
                     "X-Bitflow-Signature: " + webhook_signature(webhook.secret, delivery.body),
                     // libcurl would otherwise wait for a 100 Continue on larger bodies.
                     "Expect:"};
  request.user_agent = bitflow::user_agent;
  request.timeout = options_.timeout;
  request.connect_timeout = options_.connect_timeout;
  // A redirect is not followed: it would re-send a signed body to a URL nobody registered.
  request.max_redirects = 0;
  request.max_body = 64u << 10;  // only the start of an answer is ever shown
  request.verify_tls = options_.verify_tls;
  const std::string webhook_id = webhook.id;
  in_flight_[webhook_id] = reactor_.start(
      std::move(request), [weak = weak_from_this(), delivery](ErrorInfo e, net::HttpResponse r) {
        if (auto self = weak.lock()) self->finish(delivery, e, r);
      });
}

void WebhookSender::finish(Delivery delivery, const ErrorInfo& error,
                           const net::HttpResponse& response) {
  if (!running_) return;  // stopped: the delivery stays owed as it was
  in_flight_.erase(delivery.webhook_id);
  const TimeMs now = now_ms();
  ++delivery.attempts;
  delivery.last_status = error ? 0 : static_cast<int>(response.status);
  try {
    if (!error && response.status >= 200 && response.status < 300) {
      (void)store_.mark_delivered(delivery.delivery_id);
      tell(options_.on_delivered, delivery);
    } else {
      const std::string why = describe_failure(error, response);
      delivery.last_error = why;
      const auto next =
          next_delivery_attempt(options_.retry, delivery.attempts, delivery.created_at, now,
                                jitter_seed(delivery.delivery_id));
      if (next) {
        delivery.next_attempt_at = *next;
        (void)store_.reschedule(delivery.delivery_id, delivery.attempts, *next, why);
        wake_in(std::chrono::milliseconds(std::max<TimeMs>(0, *next - now)));
        tell(options_.on_delivery_failed, delivery, why);
      } else {
        delivery.dead_at = std::max<TimeMs>(now, 1);
        (void)store_.mark_dead(delivery.delivery_id, delivery.attempts, delivery.last_status, why,
                               now);
        tell(options_.on_delivery_failed, delivery, why);
        tell(options_.on_delivery_dead, delivery);
      }
    }
  } catch (const Error& e) {
    logger()->warn("webhooks: recording delivery {} failed: {}", delivery.delivery_id, e.what());
  }
  poke();  // the next in this webhook's line, or another's, may go now
}

}  // namespace bitflow::manager::detail
