// WebhookSender — works through the store's outbox: POSTs each webhook's next due delivery
// through the io_context's CurlReactor, and records the outcome (delivered, rescheduled
// with backoff, or dead) in the store before telling the application.
//
// Invariants: at most one POST per webhook on the way (so a receiver gets a webhook's
// deliveries in enqueue order: Store::due_in_order hands out only each line's head), at most
// WebhookOptions::max_in_flight in all. Nothing here blocks: a receiver that hangs holds
// one slot until the request's timeout.
//
// Threading: the io_context's thread, like the Store it shares with the manager. Create it
// with std::make_shared (handlers hold weak references); after stop() it makes no more
// store calls and no callbacks.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "bitflow/manager.hpp"
#include "bitflow/manager_store.hpp"

namespace bitflow::net {
class CurlReactor;
struct HttpResponse;
}  // namespace bitflow::net

namespace bitflow {
struct ErrorInfo;
}

namespace bitflow::manager::detail {

class WebhookSender : public std::enable_shared_from_this<WebhookSender> {
 public:
  WebhookSender(boost::asio::io_context& io, Store& store, WebhookOptions options);
  ~WebhookSender();
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  /// Sends what is due now and keeps looking (poll_interval, and each known retry time).
  void start();
  /// Something was enqueued: look at the outbox soon (coalesced, never inside the caller).
  void poke();
  /// Cancels the POSTs on the way (their deliveries stay owed) and stops for good.
  void stop();

  /// POSTs on the way now.
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.size(); }

 private:
  void pass();
  void send(const Delivery& delivery, const Webhook& webhook);
  void finish(Delivery delivery, const ErrorInfo& error, const net::HttpResponse& response);
  void wake_in(std::chrono::milliseconds delay);

  boost::asio::io_context& io_;
  Store& store_;
  WebhookOptions options_;
  net::CurlReactor& reactor_;
  boost::asio::steady_timer timer_;
  std::map<std::string, std::uint64_t> in_flight_;  // webhook id → its transfer
  bool running_ = false;
  bool armed_ = false;
  bool pass_posted_ = false;
};

}  // namespace bitflow::manager::detail
