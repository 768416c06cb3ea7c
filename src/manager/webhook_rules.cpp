// Webhook filters and validation. The URL check is Boost.URL's RFC 3986 parser plus the
// scheme and a host: what libcurl would refuse later is refused when the user adds it.
#include "manager/webhook_rules.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>

#include "bitflow/error.hpp"
#include "manager/manager_error.hpp"

namespace bitflow::manager::detail {

namespace {

[[noreturn]] void refuse(std::string why) {
  throw Error(make_error_code(errc::bad_webhook), std::move(why));
}

}  // namespace

bool webhook_wants(const std::vector<std::string>& events, EventKind kind) {
  if (events.empty()) return kind != EventKind::progress;
  return std::find(events.begin(), events.end(), to_string(kind)) != events.end();
}

void check_webhook(const Webhook& webhook) {
  if (webhook.owner.empty() || webhook.owner.size() > 128)
    refuse("a webhook needs an owner (1 to 128 characters)");
  auto url = boost::urls::parse_absolute_uri(webhook.url);
  if (!url) refuse("webhook URL '" + webhook.url + "' is not an absolute URL");
  const auto scheme = url->scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https)
    refuse("webhook URL '" + webhook.url + "' is neither http:// nor https://");
  if (url->encoded_host().empty()) refuse("webhook URL '" + webhook.url + "' names no host");
  if (webhook.secret.empty()) refuse("a webhook needs a secret to sign its deliveries with");
  for (const std::string& name : webhook.events)
    if (!parse_event_kind(name))
      refuse("'" + name +
             "' is not an event (added, started, progress, paused, resumed, finished, failed, "
             "removed, updated)");
}

}  // namespace bitflow::manager::detail
