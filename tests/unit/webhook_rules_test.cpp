// The pure parts of webhooks: the signature (RFC 4231's HMAC-SHA256 vectors), the retry
// schedule with time passed in, which events a webhook wants, and what makes one valid.
#include <catch2/catch.hpp>
#include <string>

#include "../support/hex_bytes.hpp"
#include "bitflow/error.hpp"
#include "manager/manager_error.hpp"
#include "manager/webhook_backoff.hpp"
#include "manager/webhook_rules.hpp"
#include "manager/webhook_signature.hpp"

using namespace bitflow::manager;
using namespace bitflow::manager::detail;
using namespace std::chrono_literals;
using bitflow::test::unhex;

TEST_CASE("HMAC-SHA256 matches the RFC 4231 test vectors", "[webhooks]") {
  const std::string big_key(131, '\xaa');
  struct Vector {
    std::string key, data, mac;
  };
  const Vector vectors[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {big_key, "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {big_key,
       "This is a test using a larger than block-size key and a larger than block-size data. "
       "The key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const Vector& v : vectors) {
    INFO(v.mac);
    CHECK(hmac_sha256_hex(v.key, v.data) == v.mac);
  }
}

TEST_CASE("the signature header is sha256= and the HMAC of the exact body bytes", "[webhooks]") {
  CHECK(webhook_signature("Jefe", "what do ya want for nothing?") ==
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // One byte more (a trailing newline) is another signature: nothing is normalised.
  CHECK(webhook_signature("Jefe", "what do ya want for nothing?\n") !=
        webhook_signature("Jefe", "what do ya want for nothing?"));
  CHECK(webhook_signature("k", std::string("a\0b", 3)) != webhook_signature("k", "a"));
}

TEST_CASE("a failed delivery waits 10 s, doubling to an hour, and dies after a day", "[webhooks]") {
  WebhookRetryPolicy policy;  // the defaults: 10 s, ×2, ≤ 1 h, 24 h
  policy.jitter = 0;
  const TimeMs first = 1'000'000;
  CHECK(next_delivery_attempt(policy, 1, first, first, 7) == first + 10'000);
  CHECK(next_delivery_attempt(policy, 2, first, first + 10'000, 7) == first + 30'000);
  CHECK(next_delivery_attempt(policy, 3, first, first + 30'000, 7) == first + 70'000);
  // 10 s × 2^9 = 5120 s is past the cap: an hour.
  CHECK(next_delivery_attempt(policy, 10, first, first + 100'000, 7) == first + 3'700'000);
  CHECK(next_delivery_attempt(policy, 1000, first, first + 100'000, 7) == first + 3'700'000);

  const TimeMs day = 24 * 3'600'000;
  // The last attempt that still falls inside the day is made; the one after it is not.
  CHECK(next_delivery_attempt(policy, 30, first, first + day - 3'600'000, 7) == first + day);
  CHECK_FALSE(next_delivery_attempt(policy, 31, first, first + day - 3'599'999, 7));
  CHECK_FALSE(next_delivery_attempt(policy, 40, first, first + 2 * day, 7));
}

TEST_CASE("backoff jitter only shortens the wait, by at most its fraction, the same each time",
          "[webhooks]") {
  WebhookRetryPolicy policy;
  policy.jitter = 0.5;
  bool varied = false;
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    const auto at = next_delivery_attempt(policy, 3, 0, 0, seed);
    REQUIRE(at);
    CHECK(*at <= 40'000);
    CHECK(*at >= 20'000);
    CHECK(next_delivery_attempt(policy, 3, 0, 0, seed) == at);
    varied = varied || *at != 40'000;
  }
  CHECK(varied);
}

TEST_CASE("an empty event filter wants everything but progress; a list wants what it names",
          "[webhooks]") {
  for (EventKind k :
       {EventKind::added, EventKind::started, EventKind::paused, EventKind::resumed,
        EventKind::finished, EventKind::failed, EventKind::removed, EventKind::updated})
    CHECK(webhook_wants({}, k));
  CHECK_FALSE(webhook_wants({}, EventKind::progress));

  const std::vector<std::string> some{"finished", "progress"};
  CHECK(webhook_wants(some, EventKind::finished));
  CHECK(webhook_wants(some, EventKind::progress));
  CHECK_FALSE(webhook_wants(some, EventKind::added));
  CHECK_FALSE(webhook_wants(some, EventKind::failed));
}

namespace {

std::string refusal(const Webhook& w) {
  try {
    check_webhook(w);
  } catch (const bitflow::Error& e) {
    CHECK(e.code() == make_error_code(errc::bad_webhook));
    return e.what();
  }
  return "accepted";
}

Webhook hook(std::string url, std::string secret = "s3cret", std::vector<std::string> events = {}) {
  Webhook w;
  w.id = "wh";
  w.owner = "alice";
  w.url = std::move(url);
  w.secret = std::move(secret);
  w.events = std::move(events);
  return w;
}

}  // namespace

TEST_CASE("a webhook needs an http(s) URL with a host, a secret and known event names",
          "[webhooks]") {
  CHECK(refusal(hook("https://hooks.example.com/bitflow?x=1")) == "accepted");
  CHECK(refusal(hook("http://127.0.0.1:8080/")) == "accepted");
  CHECK(refusal(hook("HTTPS://Example.COM/h")) == "accepted");
  CHECK(refusal(hook("http://[::1]:80/h", "k", {"finished", "failed"})) == "accepted");

  CHECK_THAT(refusal(hook("ftp://example.com/")), Catch::Contains("neither http:// nor https://"));
  CHECK_THAT(refusal(hook("example.com/hook")), Catch::Contains("not an absolute URL"));
  CHECK_THAT(refusal(hook("http://exa mple.com/")), Catch::Contains("not an absolute URL"));
  CHECK_THAT(refusal(hook("http:///path")), Catch::Contains("names no host"));
  CHECK_THAT(refusal(hook("")), Catch::Contains("not an absolute URL"));
  CHECK_THAT(refusal(hook("https://example.com/", "")), Catch::Contains("needs a secret"));
  CHECK_THAT(refusal(hook("https://example.com/", "k", {"finished", "done"})),
             Catch::Contains("'done' is not an event"));
  Webhook nobody = hook("https://example.com/");
  nobody.owner.clear();
  CHECK_THAT(refusal(nobody), Catch::Contains("needs an owner"));
}
