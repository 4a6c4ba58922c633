// Unit tests of edge-platform's webhook rules and receiver checks (tools/edge-platform/webhooks/).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "edge/protocol/auth.h"
#include "webhooks/receiver.h"
#include "webhooks/webhook_rules.h"

namespace edge::platform::webhooks {
namespace {

TEST(WebhookRulesTest, IntegrationIds) {
  for (const std::string& ok : {std::string("github-main"), std::string("a"), std::string("A.b_c-9"),
                                std::string(64, 'x')}) {
    EXPECT_TRUE(ValidateIntegrationId(ok).ok()) << ok;
  }
  for (const std::string& bad : {std::string(), std::string(65, 'x'), std::string("a/b"), std::string("a b"),
                                 std::string("é")}) {
    absl::Status s = ValidateIntegrationId(bad);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << bad;
    EXPECT_NE(s.message().find("[A-Za-z0-9._-]"), absl::string_view::npos);
  }
}

TEST(WebhookRulesTest, IdsAndTokensAreFreshAndWellFormed) {
  std::set<std::string> tokens, deliveries;
  for (int i = 0; i < 100; ++i) {
    const std::string token = NewToken();
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    tokens.insert(token);
    const std::string delivery = NewDeliveryId();
    EXPECT_EQ(delivery.size(), 26u);
    EXPECT_EQ(delivery.find_first_not_of("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), std::string::npos) << delivery;
    deliveries.insert(delivery);
  }
  EXPECT_EQ(tokens.size(), 100u);
  EXPECT_EQ(deliveries.size(), 100u);
  EXPECT_EQ(NewWebhookId().rfind("wh_", 0), 0u);
}

TEST(WebhookRulesTest, Urls) {
  EXPECT_EQ(UrlPrefix("http://10.0.0.5:8787", "wh_1"), "http://10.0.0.5:8787/hooks/wh_1/");
  EXPECT_EQ(UrlPrefix("https://hooks.example.com/base/", "wh_1"), "https://hooks.example.com/base/hooks/wh_1/");
  EXPECT_EQ(HookUrl("http://h:1", "wh_1", "tok"), "http://h:1/hooks/wh_1/tok");
}

TEST(WebhookRulesTest, HostsOfProviderUrls) {
  const std::map<std::string, std::string> hosts = {
      {"https://ghe.corp.example", "ghe.corp.example"},
      {"http://127.0.0.1:9000/api", "127.0.0.1"},
      {"HTTPS://User:pw@GHE.Example.com:8443/x?y#z", "ghe.example.com"},
      {"http://[::1]:9000", "::1"},
      {"http://localhost", "localhost"},
  };
  for (const auto& [url, host] : hosts) {
    absl::StatusOr<std::string> got = HttpUrlHost(url);
    ASSERT_TRUE(got.ok()) << url << ": " << got.status();
    EXPECT_EQ(*got, host) << url;
  }
  for (const char* bad : {"ftp://x", "ghe.example.com", "http://", "http:///path", "http://[::1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(HttpUrlHost(bad).status())) << bad;
  }
}

TEST(WebhookRulesTest, LoopbackHosts) {
  for (const char* yes : {"127.0.0.1", "127.8.9.10", "::1", "0:0:0:0:0:0:0:1", "localhost", "LOCALHOST",
                          "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(yes)) << yes;
  }
  for (const char* no : {"10.0.0.1", "128.0.0.1", "ghe.example.com", "localhost.example.com", "::2", "0.0.0.0", ""}) {
    EXPECT_FALSE(IsLoopbackHost(no)) << no;
  }
}

TEST(WebhookRulesTest, TheLoopbackMessageNamesTheCauseAndTheFixes) {
  const std::string m = LoopbackOnlyMessage("dep_42", "https://ghe.corp.example", "http://127.0.0.1:8787");
  EXPECT_EQ(m,
            "The connector of dep_42 relays webhooks on loopback only (NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0), "
            "so https://ghe.corp.example cannot reach http://127.0.0.1:8787. Use mode cloud-public, or let the "
            "connector listen on the LAN (unset NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN).");
}

TEST(WebhookReceiverTest, TokensAreComparedThroughTheirHash) {
  const std::string token = NewToken();
  EXPECT_TRUE(TokenMatches(token, protocol::Sha256Hex(token)));
  EXPECT_FALSE(TokenMatches(token + "x", protocol::Sha256Hex(token)));
  EXPECT_FALSE(TokenMatches("", protocol::Sha256Hex(token)));
}

TEST(WebhookReceiverTest, Signatures) {
  const std::string body = std::string("{\"a\":1}\0\xff", 9);
  HmacConfig hmac;
  hmac.secret = "s3cr3t";
  const std::string hex = protocol::HmacSha256Hex("s3cr3t", body);
  EXPECT_EQ(CheckSignature(hmac, "sha256=" + hex, body), Signature::kVerified);
  EXPECT_EQ(CheckSignature(hmac, "sha256=" + absl::AsciiStrToUpper(hex), body), Signature::kVerified);
  EXPECT_EQ(CheckSignature(hmac, std::nullopt, body), Signature::kAbsent);
  EXPECT_EQ(CheckSignature(hmac, "sha256=" + hex, body + "x"), Signature::kInvalid);
  EXPECT_EQ(CheckSignature(hmac, hex, body), Signature::kInvalid) << "the prefix is required";
  EXPECT_EQ(CheckSignature(hmac, "", body), Signature::kInvalid);
  EXPECT_EQ(CheckSignature(std::nullopt, "sha256=" + hex, body), Signature::kNone);
  hmac.prefix = "";
  EXPECT_EQ(CheckSignature(hmac, hex, body), Signature::kVerified);
  EXPECT_STREQ(SignatureName(Signature::kAbsent), "absent");
}

TEST(WebhookReceiverTest, SelectedHeaders) {
  const std::map<std::string, std::string> request = {
      {"content-type", "application/json"}, {"user-agent", "GitHub-Hookshot"}, {"x-github-event", "push"},
      {"authorization", "Bearer x"},        {"cookie", "a=b"},                 {"x-custom-sig", "v1=abc"},
      {"x-other", "dropped"},               {"x-request-id", "\xff\xfe"},
  };
  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto it = request.find(std::string(name));
    if (it == request.end()) return std::nullopt;
    return it->second;
  };
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(SelectHeaders(lookup, "X-Custom-Sig"),
            (Headers{{"content-type", "application/json"}, {"user-agent", "GitHub-Hookshot"},
                     {"x-github-event", "push"}, {"x-custom-sig", "v1=abc"}}))
      << "non-UTF-8 values, Authorization, Cookie and unlisted headers are not kept";
  EXPECT_EQ(SelectHeaders(lookup, "Authorization").size(), 3u);
}

TEST(WebhookReceiverTest, RateLimitIsATokenBucketPerWebhook) {
  RateLimiter limiter(600);  // 10 per second, bursts of 60
  int64_t retry = 0;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.Admit("wh_a", 1000, &retry)) << i;
  EXPECT_FALSE(limiter.Admit("wh_a", 1000, &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.Admit("wh_b", 1000, &retry)) << "each webhook has its own bucket";
  EXPECT_TRUE(limiter.Admit("wh_a", 1100, &retry)) << "one token back after 100 ms";
  EXPECT_FALSE(limiter.Admit("wh_a", 1100, &retry));
  RateLimiter slow(6);  // one per 10 s, bursts of 10
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(slow.Admit("k", 0, &retry));
  EXPECT_FALSE(slow.Admit("k", 0, &retry));
  EXPECT_EQ(retry, 10);
}

}  // namespace
}  // namespace edge::platform::webhooks
