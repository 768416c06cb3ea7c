// UdpTrackerClient: BEP 15 connect / announce / scrape with retransmission, as a state
// machine over bytes and time points. No sockets, no clock reads, no threads.
//
// Every request is either `connecting` (waiting for a connection id; it awaits a connect
// packet, its own or one another request already sent) or `sent` (its announce or scrape
// is out under a transaction id of its own). Any awaited connect reply establishes the
// connection id for all connecting requests, which then send at once. A connection id
// is used for Config::connection_id_lifetime after it arrived; a request about to send
// after that connects again first (BEP 15's "announce times out" example).
//
// Timing per request: the n-th packet waits base·2^n. n starts at 0, grows with every
// packet, and goes back to 0 when the tracker answers the connect (as in BEP 15's
// examples: connect, answer, announce, announce 15 s later). Every packet sent or joined
// counts as a try; after 1 + max_retransmits tries without the awaited answer the request
// fails with errc::timed_out, so even a tracker that answers connects but never
// announces cannot keep a request alive forever.
//
// Invariants: each request completes exactly once; transaction ids of awaited packets
// are unique except that requests may share one connect; at most max_in_flight requests
// exist, each with at most one awaited packet, so memory is bounded (take_datagrams and
// take_completions drain the only other queues).
#include "tracker/udp_client.hpp"

#include <algorithm>
#include <random>
#include <utility>

#include "bitflow/text.hpp"
#include "tracker/udp_codec.hpp"

namespace bitflow::tracker::udp {
namespace {

constexpr int max_backoff_limit = 16;

ErrorInfo make_error(std::error_code code, std::string message) {
  ErrorInfo error;
  error.code = code;
  error.message = std::move(message);
  return error;
}

ErrorInfo tracker_said(std::string_view message) {
  return make_error(
      make_error_code(errc::tracker_failure),
      "tracker: " + (message.empty() ? std::string("(no message)") : to_valid_utf8(message)));
}

std::function<std::uint32_t()> default_random() {
  return [rng = std::mt19937(std::random_device{}())]() mutable {
    return static_cast<std::uint32_t>(rng());
  };
}

}  // namespace

UdpTrackerClient::UdpTrackerClient(Config config, std::function<std::uint32_t()> random)
    : config_(config), random_(random ? std::move(random) : default_random()) {
  config_.max_retransmits = std::clamp(config_.max_retransmits, 0, max_backoff_limit);
  config_.base_timeout = std::max(config_.base_timeout, std::chrono::milliseconds(1));
  config_.connection_id_lifetime =
      std::max(config_.connection_id_lifetime, std::chrono::seconds(1));
  config_.max_in_flight = std::max<std::size_t>(config_.max_in_flight, 1);
}

RequestId UdpTrackerClient::announce(const AnnounceRequest& request, TimePoint now) {
  return start(request, now);
}

RequestId UdpTrackerClient::scrape(std::vector<Sha1Hash> info_hashes, TimePoint now) {
  ErrorInfo error;
  if (!check_scrape_count(info_hashes.size(), error)) {
    RequestId id{next_id_++};
    completions_.push_back({id, std::move(error)});
    return id;
  }
  return start(std::move(info_hashes), now);
}

RequestId UdpTrackerClient::start(std::variant<AnnounceRequest, std::vector<Sha1Hash>> what,
                                  TimePoint now) {
  RequestId id{next_id_++};
  if (requests_.size() >= config_.max_in_flight) {
    completions_.push_back(
        {id, make_error(std::make_error_code(std::errc::resource_unavailable_try_again),
                        "udp tracker: " + std::to_string(requests_.size()) +
                            " requests already in flight to this tracker")});
    return id;
  }
  Request& request = requests_.emplace_back();
  request.id = id;
  request.what = std::move(what);
  request.started = now;
  send(request, now, false);
  return id;
}

void UdpTrackerClient::cancel(RequestId id) {
  if (find(id))
    complete(id, make_error(make_error_code(errc::cancelled), "udp tracker: request cancelled"));
}

// Sends the request's next packet: its announce or scrape while the connection id is
// fresh, else a connect (joining one already awaited by another request, unless this
// is a connecting request's own retransmission).
void UdpTrackerClient::send(Request& request, TimePoint now, bool retransmit) {
  if (connected(now)) {
    request.stage = Stage::sent;
    request.transaction_id = new_transaction_id();
    const std::uint64_t cid = connection_->id;
    const std::uint32_t txid = request.transaction_id;
    if (const auto* announce = std::get_if<AnnounceRequest>(&request.what)) {
      outbox_.push_back(encode_announce(cid, txid, *announce));
    } else {
      ErrorInfo unused;  // the count was checked in scrape()
      if (auto packet =
              encode_scrape(cid, txid, std::get<std::vector<Sha1Hash>>(request.what), unused))
        outbox_.push_back(std::move(*packet));
    }
  } else {
    const bool own = retransmit && request.stage == Stage::connecting;
    auto shared = std::find_if(requests_.begin(), requests_.end(), [&](const Request& other) {
      return &other != &request && other.stage == Stage::connecting;
    });
    request.stage = Stage::connecting;
    if (!own && shared != requests_.end()) {
      request.transaction_id = shared->transaction_id;
    } else {
      request.transaction_id = new_transaction_id();
      outbox_.push_back(encode_connect(request.transaction_id));
    }
  }
  request.deadline = now + config_.base_timeout * (1 << request.backoff);
  request.backoff = std::min(request.backoff + 1, config_.max_retransmits);
  ++request.tries;
}

void UdpTrackerClient::on_timer(TimePoint now) {
  std::vector<RequestId> due;
  for (const Request& request : requests_)
    if (request.deadline <= now) due.push_back(request.id);
  for (RequestId id : due)
    timeout(id, now);
}

void UdpTrackerClient::timeout(RequestId id, TimePoint now) {
  Request* request = find(id);
  if (!request) return;
  if (request->tries <= config_.max_retransmits) {
    send(*request, now, true);
    return;
  }
  std::string what = "connect";
  if (request->stage == Stage::sent)
    what = std::holds_alternative<AnnounceRequest>(request->what) ? "announce" : "scrape";
  auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - request->started);
  complete(id, make_error(make_error_code(errc::timed_out),
                          "udp tracker: no reply to the " + what + " request after " +
                              std::to_string(request->tries) + " tries over " +
                              std::to_string(waited.count()) + " s"));
}

std::optional<UdpTrackerClient::TimePoint> UdpTrackerClient::next_deadline() const {
  std::optional<TimePoint> next;
  for (const Request& request : requests_)
    if (!next || request.deadline < *next) next = request.deadline;
  return next;
}

void UdpTrackerClient::on_datagram(std::string_view datagram, TimePoint now) {
  auto header = peek_header(datagram);
  auto match = std::find_if(requests_.begin(), requests_.end(), [&](const Request& r) {
    return header && r.transaction_id == header->transaction_id;
  });
  if (match == requests_.end()) {
    ++ignored_;
    return;
  }
  if (match->stage == Stage::connecting)
    on_connect_reply(datagram, header->action, now);
  else
    on_request_reply(*match, datagram, header->action);
}

void UdpTrackerClient::on_connect_reply(std::string_view datagram, std::uint32_t action,
                                        TimePoint now) {
  if (action != static_cast<std::uint32_t>(Action::connect) &&
      action != static_cast<std::uint32_t>(Action::error)) {
    fail_connecting(
        make_error(make_error_code(errc::invalid_response),
                   "udp tracker: " + describe_action(action) + " reply to a connect request"));
    return;
  }
  ErrorInfo error;
  auto reply = decode_reply(datagram, config_.ipv6, 0, error);
  if (!reply) {
    fail_connecting(error);
    return;
  }
  if (const auto* refused = std::get_if<ErrorReply>(&*reply)) {
    fail_connecting(tracker_said(refused->message));
    return;
  }
  connection_ = Connection{std::get<ConnectReply>(*reply).connection_id, now};
  for (Request& request : requests_) {
    if (request.stage != Stage::connecting) continue;
    request.backoff = 0;  // the tracker answered: start the schedule over
    send(request, now, false);
  }
}

void UdpTrackerClient::on_request_reply(Request& request, std::string_view datagram,
                                        std::uint32_t action) {
  const RequestId id = request.id;
  const auto* hashes = std::get_if<std::vector<Sha1Hash>>(&request.what);
  const auto expected = hashes ? Action::scrape : Action::announce;
  if (action != static_cast<std::uint32_t>(expected) &&
      action != static_cast<std::uint32_t>(Action::error)) {
    complete(id,
             make_error(make_error_code(errc::invalid_response),
                        "udp tracker: " + describe_action(action) + " reply to " +
                            describe_action(static_cast<std::uint32_t>(expected)) + " request"));
    return;
  }
  ErrorInfo error;
  auto reply = decode_reply(datagram, config_.ipv6, hashes ? hashes->size() : 0, error);
  if (!reply) {
    complete(id, std::move(error));
  } else if (auto* refused = std::get_if<ErrorReply>(&*reply)) {
    complete(id, tracker_said(refused->message));
  } else if (auto* announced = std::get_if<AnnounceReply>(&*reply)) {
    complete(id, std::move(announced->response));
  } else {
    const auto& counts = std::get<ScrapeReply>(*reply).entries;
    std::vector<ScrapeEntry> entries;
    entries.reserve(counts.size());
    for (std::size_t i = 0; i < counts.size(); ++i)
      entries.push_back({(*hashes)[i], counts[i].seeders, counts[i].completed, counts[i].leechers});
    complete(id, std::move(entries));
  }
}

void UdpTrackerClient::complete(RequestId id, decltype(Completion::result) result) {
  std::erase_if(requests_, [&](const Request& r) { return r.id == id; });
  completions_.push_back({id, std::move(result)});
}

void UdpTrackerClient::fail_connecting(const ErrorInfo& error) {
  std::vector<RequestId> connecting;
  for (const Request& request : requests_)
    if (request.stage == Stage::connecting) connecting.push_back(request.id);
  for (RequestId id : connecting)
    complete(id, error);
}

bool UdpTrackerClient::connected(TimePoint now) const {
  return connection_ && now - connection_->received < config_.connection_id_lifetime;
}

std::uint32_t UdpTrackerClient::new_transaction_id() const {
  std::uint32_t id = random_();
  // Fewer ids are awaited than there are values, so this ends; it matters only when the
  // random source repeats itself.
  while (std::any_of(requests_.begin(), requests_.end(),
                     [&](const Request& r) { return r.transaction_id == id; }))
    ++id;
  return id;
}

UdpTrackerClient::Request* UdpTrackerClient::find(RequestId id) {
  auto it = std::find_if(requests_.begin(), requests_.end(),
                         [&](const Request& r) { return r.id == id; });
  return it == requests_.end() ? nullptr : &*it;
}

std::vector<std::string> UdpTrackerClient::take_datagrams() {
  return std::exchange(outbox_, {});
}

std::vector<Completion> UdpTrackerClient::take_completions() {
  return std::exchange(completions_, {});
}

}  // namespace bitflow::tracker::udp
