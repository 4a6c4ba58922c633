// ToJson / Parse* of webhook.relay (§4.10) and webhooks.config (§4.11).
#include <string>

#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

template <typename T>
void ExpectFieldError(const absl::StatusOr<T>& r, std::string_view pointer) {
  ASSERT_FALSE(r.ok()) << "expected a failure at " << pointer;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParamPointer(r.status()), pointer) << r.status();
}

WebhookRelayParams DocExample() {
  WebhookRelayParams p;
  p.delivery_id = "01HV50A1B2C3D4E5F6G7H8J9K0";
  p.webhook_id = "wh_12";
  p.received_at_ms = 1718000040000;
  p.method = "POST";
  p.path = "/hooks/wh_12/{token}";
  p.headers = {{"content-type", "application/json"}, {"x-github-event", "push"}};
  p.body = R"({"ref":"refs/heads/main"})";
  p.signature = "verified";
  return p;
}

TEST(WebhookRelayTest, EncodesDocExampleAndRoundTrips) {
  const std::string json = ToJson(DocExample());
  EXPECT_EQ(json,
            R"({"deliveryId":"01HV50A1B2C3D4E5F6G7H8J9K0","webhookId":"wh_12","receivedAtMs":1718000040000,)"
            R"("method":"POST","path":"/hooks/wh_12/{token}","query":"",)"
            R"("headers":[["content-type","application/json"],["x-github-event","push"]],)"
            R"("bodyBase64":"eyJyZWYiOiJyZWZzL2hlYWRzL21haW4ifQ==","bodyBytes":25,"signature":"verified"})");
  auto back = ParseWebhookRelayParams(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->delivery_id, "01HV50A1B2C3D4E5F6G7H8J9K0");
  EXPECT_EQ(back->webhook_id, "wh_12");
  EXPECT_EQ(back->received_at_ms, 1718000040000);
  EXPECT_EQ(back->path, "/hooks/wh_12/{token}");
  EXPECT_EQ(back->query, "");
  EXPECT_EQ(back->headers, DocExample().headers);
  EXPECT_EQ(back->body, DocExample().body);
  EXPECT_EQ(back->signature, "verified");
}

TEST(WebhookRelayTest, BinaryBodyDuplicateHeadersAndQuerySurvive) {
  WebhookRelayParams p = DocExample();
  p.body = std::string("\0\xff\x01 binary", 10);
  p.headers = {{"x-a", "1"}, {"x-a", "2"}, {"x-b", "\"quoted\""}};
  p.query = "a=1&b=2";
  p.signature = "absent";
  auto back = ParseWebhookRelayParams(ToJson(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->body, p.body);
  EXPECT_EQ(back->headers, p.headers);
  EXPECT_EQ(back->query, "a=1&b=2");
  EXPECT_EQ(back->signature, "absent");
}

TEST(WebhookRelayTest, QueryIsOptional) {
  auto back = ParseWebhookRelayParams(
      R"({"deliveryId":"d","webhookId":"w","receivedAtMs":1,"method":"PUT","path":"/hooks/w/{token}",)"
      R"("headers":[],"bodyBase64":"","bodyBytes":0,"signature":"none"})");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->query, "");
  EXPECT_TRUE(back->body.empty());
}

// Replaces `"key":<old>` in the doc example with `"key":<value>` (or drops it when value is empty).
std::string Mutated(std::string_view key, std::string_view value) {
  std::string json = ToJson(DocExample());
  const std::string needle = "\"" + std::string(key) + "\":";
  const size_t at = json.find(needle);
  size_t end = at + needle.size();
  int depth = 0;
  bool in_string = false;
  for (; end < json.size(); ++end) {
    const char c = json[end];
    if (in_string) {
      if (c == '\\') ++end;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') ++depth;
    else if (c == ']' || c == '}') {
      if (depth == 0) break;
      --depth;
    } else if (c == ',' && depth == 0) break;
  }
  if (value.empty()) {
    const size_t from = json[at - 1] == ',' ? at - 1 : at;
    const size_t to = (from == at && json[end] == ',') ? end + 1 : end;
    json.erase(from, to - from);
  } else {
    json.replace(at + needle.size(), end - at - needle.size(), value);
  }
  return json;
}

TEST(WebhookRelayTest, FieldErrors) {
  ExpectFieldError(ParseWebhookRelayParams(Mutated("deliveryId", "")), "/deliveryId");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("deliveryId", R"("")")), "/deliveryId");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("webhookId", "7")), "/webhookId");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("receivedAtMs", "")), "/receivedAtMs");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("method", "")), "/method");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("path", R"("hooks/x")")), "/path");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("headers", "")), "/headers");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("headers", R"({"a":"b"})")), "/headers");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("headers", R"([["a","b"],["c"]])")), "/headers/1");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("headers", R"([["a",1]])")), "/headers/0");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("headers", R"([["","v"]])")), "/headers/0");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("bodyBase64", R"("not base64!")")), "/bodyBase64");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("bodyBase64", "")), "/bodyBase64");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("bodyBytes", "26")), "/bodyBytes");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("bodyBytes", "-1")), "/bodyBytes");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("signature", R"("maybe")")), "/signature");
  ExpectFieldError(ParseWebhookRelayParams(Mutated("signature", "")), "/signature");
  ExpectFieldError(ParseWebhookRelayParams("[]"), "");
}

TEST(WebhookRelayTest, BodyOverTheProtocolLimitIsRefused) {
  WebhookRelayParams p = DocExample();
  p.body.assign(static_cast<size_t>(kWebhookMaxBodyBytesLimit), 'x');
  auto at_limit = ParseWebhookRelayParams(ToJson(p));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->body.size(), static_cast<size_t>(kWebhookMaxBodyBytesLimit));
  p.body.push_back('y');
  ExpectFieldError(ParseWebhookRelayParams(ToJson(p)), "/bodyBytes");
  // Far enough over that the encoded text alone shows it: refused before decoding.
  p.body.append("zzz");
  ExpectFieldError(ParseWebhookRelayParams(ToJson(p)), "/bodyBase64");
  // Even at the limit, a delivery fits in one link message.
  p.body.resize(static_cast<size_t>(kWebhookMaxBodyBytesLimit));
  EXPECT_LT(ToJson(p).size(), kMaxMessageBytes);
}

TEST(WebhookRelayResultTest, RoundTripAndStatusValues) {
  for (const char* status : {"stored", "duplicate"}) {
    WebhookRelayResult r{"01HV50A1B2C3D4E5F6G7H8J9K0", status};
    const std::string json = ToJson(r);
    EXPECT_EQ(json, absl::StrCat(R"({"deliveryId":"01HV50A1B2C3D4E5F6G7H8J9K0","status":")", status, "\"}"));
    auto back = ParseWebhookRelayResult(json);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->delivery_id, r.delivery_id);
    EXPECT_EQ(back->status, status);
  }
  ExpectFieldError(ParseWebhookRelayResult(R"({"deliveryId":"d","status":"lost"})"), "/status");
  ExpectFieldError(ParseWebhookRelayResult(R"({"status":"stored"})"), "/deliveryId");
}

TEST(WebhooksConfigTest, ParsesDocExampleAndRoundTrips) {
  const std::string doc =
      R"({"webhooks":[{"webhookId":"wh_12","integrationId":"github-main","tokenSha256":)"
      R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",)"
      R"("hmac":{"header":"X-Hub-Signature-256","prefix":"sha256=","secret":"s3cr3t"}},)"
      R"({"webhookId":"wh_13","integrationId":"gitlab","tokenSha256":)"
      R"("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]})";
  auto p = ParseWebhooksConfigParams(doc);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->webhooks.size(), 2u);
  EXPECT_EQ(p->webhooks[0].webhook_id, "wh_12");
  EXPECT_EQ(p->webhooks[0].integration_id, "github-main");
  ASSERT_TRUE(p->webhooks[0].hmac.has_value());
  EXPECT_EQ(p->webhooks[0].hmac->secret, "s3cr3t");
  EXPECT_EQ(p->webhooks[0].hmac->header, "X-Hub-Signature-256");
  EXPECT_FALSE(p->webhooks[1].hmac.has_value());
  EXPECT_EQ(ToJson(*p), doc);

  auto empty = ParseWebhooksConfigParams(R"({"webhooks":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->webhooks.empty());
}

TEST(WebhooksConfigTest, HmacDefaultsApplyWhenHeaderAndPrefixAreAbsent) {
  const std::string token_hash = Sha256Hex("token");
  auto p = ParseWebhooksConfigParams(absl::StrCat(R"({"webhooks":[{"webhookId":"w","integrationId":"i",)",
                                                  R"("tokenSha256":")", token_hash, R"(","hmac":{"secret":"s"}}]})"));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->webhooks[0].hmac.has_value());
  EXPECT_EQ(p->webhooks[0].hmac->header, "X-Hub-Signature-256");
  EXPECT_EQ(p->webhooks[0].hmac->prefix, "sha256=");
}

TEST(WebhooksConfigTest, FieldErrors) {
  const std::string hash = Sha256Hex("token");
  auto one = [&](const std::string& entry) {
    return ParseWebhooksConfigParams(absl::StrCat(R"({"webhooks":[)", entry, "]}"));
  };
  ExpectFieldError(ParseWebhooksConfigParams("{}"), "/webhooks");
  ExpectFieldError(ParseWebhooksConfigParams(R"({"webhooks":{}})"), "/webhooks");
  ExpectFieldError(one("7"), "/webhooks/0");
  ExpectFieldError(one(absl::StrCat(R"({"integrationId":"i","tokenSha256":")", hash, "\"}")), "/webhooks/0/webhookId");
  ExpectFieldError(one(R"({"webhookId":"w","integrationId":"i","tokenSha256":"abc"})"), "/webhooks/0/tokenSha256");
  std::string upper = hash;
  upper[0] = 'A';
  upper[1] = 'B';
  ExpectFieldError(one(absl::StrCat(R"({"webhookId":"w","integrationId":"i","tokenSha256":")", upper, "\"}")),
                   "/webhooks/0/tokenSha256");
  ExpectFieldError(one(absl::StrCat(R"({"webhookId":"w","integrationId":"i","tokenSha256":")", hash,
                                    R"(","hmac":{"header":"X"}})")),
                   "/webhooks/0/hmac/secret");
  const std::string ok_entry = absl::StrCat(R"({"webhookId":"w","integrationId":"i","tokenSha256":")", hash, "\"}");
  ExpectFieldError(one(absl::StrCat(ok_entry, ",", ok_entry)), "/webhooks/1/webhookId");
  ExpectFieldError(one(absl::StrCat(R"({"webhookId":"w","integrationId":"","tokenSha256":")", hash, "\"}")),
                   "/webhooks/0/integrationId");
}

}  // namespace
}  // namespace edge::protocol
