// The pure checks of a webhook request (runtime/src/relay/request_checks.h): path, token, HMAC, headers, rate.
#include "relay/request_checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "edge/protocol/auth.h"

namespace edge::runtime::relay {
namespace {

using ::testing::ElementsAre;

TEST(HookPathTest, ParsesOnlyTheHooksPath) {
  std::optional<HookPath> hook = ParseHookPath("/hooks/wh_12/AbC-_9");
  ASSERT_TRUE(hook.has_value());
  EXPECT_EQ(hook->webhook_id, "wh_12");
  EXPECT_EQ(hook->token, "AbC-_9");
  EXPECT_EQ(RelayedPath(*hook), "/hooks/wh_12/{token}");
  EXPECT_TRUE(ParseHookPath("/hooks/a.b-c_d/t").has_value());
  for (const char* bad : {"/", "/hooks", "/hooks/", "/hooks/wh_12", "/hooks/wh_12/", "/hooks//tok",
                          "/hooks/wh_12/tok/extra", "/hooks/wh_12/tok/", "/hook/wh_12/tok", "/HOOKS/wh_12/tok",
                          "/hooks/wh 12/tok", "/hooks/wh_12/to.k", "/hooks/wh_12/tok%20", "/x/hooks/wh_12/tok"}) {
    EXPECT_FALSE(ParseHookPath(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseHookPath("/hooks/" + std::string(129, 'a') + "/tok").has_value());
  EXPECT_FALSE(ParseHookPath("/hooks/wh/" + std::string(257, 'a')).has_value());
}

TEST(TokenTest, MatchesThroughSha256) {
  const std::string hash = protocol::Sha256Hex("the-token");
  EXPECT_TRUE(TokenMatches("the-token", hash));
  EXPECT_FALSE(TokenMatches("the-tokem", hash));
  EXPECT_FALSE(TokenMatches("", hash));
  EXPECT_FALSE(TokenMatches("the-token", ""));
}

TEST(SignatureTest, VerifiesHmacSha256WithThePrefix) {
  protocol::WebhookHmac hmac;
  hmac.secret = "s3cr3t";
  const std::string body = R"({"ref":"refs/heads/main"})";
  const std::string good = "sha256=" + protocol::HmacSha256Hex("s3cr3t", body);
  EXPECT_EQ(CheckSignature(hmac, good, body), Signature::kVerified);
  std::string upper = good;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(CheckSignature(hmac, upper, body), Signature::kVerified);
  EXPECT_EQ(CheckSignature(hmac, good, body + " "), Signature::kInvalid);
  EXPECT_EQ(CheckSignature(hmac, good.substr(7), body), Signature::kInvalid) << "the prefix is required";
  EXPECT_EQ(CheckSignature(hmac, "sha256=", body), Signature::kInvalid);
  EXPECT_EQ(CheckSignature(hmac, std::nullopt, body), Signature::kAbsent);
  EXPECT_EQ(CheckSignature(std::nullopt, good, body), Signature::kNone);
  hmac.prefix = "";
  EXPECT_EQ(CheckSignature(hmac, protocol::HmacSha256Hex("s3cr3t", body), body), Signature::kVerified);
  EXPECT_EQ(SignatureName(Signature::kVerified), "verified");
  EXPECT_EQ(SignatureName(Signature::kNone), "none");
  EXPECT_EQ(SignatureName(Signature::kAbsent), "absent");
}

TEST(HeaderSelectionTest, FixedOrderEachOnceNeverCredentials) {
  protocol::WebhookHmac hmac;
  hmac.header = "X-Custom-Signature";
  EXPECT_THAT(RelayedHeaderNames({"x-github-event", "X-GitHub-Event", "authorization", "Cookie", "x-request-id"}, hmac),
              ElementsAre("content-type", "user-agent", "x-github-event", "x-request-id", "x-custom-signature"));
  EXPECT_THAT(RelayedHeaderNames({}, std::nullopt), ElementsAre("content-type", "user-agent"));
  hmac.header = "x-github-event";  // already listed: not twice
  EXPECT_THAT(RelayedHeaderNames({"x-github-event"}, hmac),
              ElementsAre("content-type", "user-agent", "x-github-event"));
}

TEST(RateLimiterTest, BurstThenRefillPerWebhook) {
  const absl::Time t0 = absl::FromUnixSeconds(1718000000);
  RateLimiter limiter(600);  // 10 a second, burst 60
  for (int i = 0; i < 60; ++i) ASSERT_EQ(limiter.Acquire("wh_1", t0), 0) << i;
  EXPECT_EQ(limiter.Acquire("wh_1", t0), 1);
  EXPECT_EQ(limiter.Acquire("wh_2", t0), 0) << "each webhook has its own bucket";
  EXPECT_EQ(limiter.Acquire("wh_1", t0 + absl::Milliseconds(100)), 0) << "one token back after 100 ms";
  EXPECT_EQ(limiter.Acquire("wh_1", t0 + absl::Milliseconds(100)), 1);
}

TEST(RateLimiterTest, SlowRatesKeepABurstOfTenAndAskToWait) {
  const absl::Time t0 = absl::FromUnixSeconds(1718000000);
  RateLimiter limiter(6);  // one every 10 s, burst max(0.6, 10) = 10
  for (int i = 0; i < 10; ++i) ASSERT_EQ(limiter.Acquire("wh", t0), 0) << i;
  EXPECT_EQ(limiter.Acquire("wh", t0), 10);
  EXPECT_EQ(limiter.Acquire("wh", t0 + absl::Seconds(4)), 6);
  EXPECT_EQ(limiter.Acquire("wh", t0 + absl::Seconds(10)), 0);
}

}  // namespace
}  // namespace edge::runtime::relay
