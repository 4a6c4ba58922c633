// Webhooks on the real edge-platform (docs/webhook-relay.md sections 1, 3 and 4): provisioning in each mode
// with the loopback rule, listing without secrets, deletion, the public cloud-public receiver, and
// webhook.relay / webhooks.config over the link with the hub's test connector (tests/unit/platform/
// test_connector.h, an lws client speaking Tool RPC) standing in for a connector and its relay.
#include <curl/curl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "platform_env.h"
#include "platform_link.h"
#include "test_connector.h"

namespace edge::testing {
namespace {

using platform::testing::HubTestEnv;
using platform::testing::TestConnector;

// A provider's request: a raw body and exactly the given header lines (no Content-Type added).
HttpResult Hook(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CurlCollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(curl);
  EXPECT_EQ(rc, CURLE_OK) << method << " " << url << ": " << curl_easy_strerror(rc);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

std::string BinaryBody() {
  std::string body = "{\"ref\":\"refs/heads/main\"}";
  for (int i = 0; i < 256; ++i) body += static_cast<char>(i);  // every byte value, NUL included
  return body;
}

std::string Decode64(const std::string& text) {
  std::string out;
  EXPECT_TRUE(protocol::Base64Decode(text, &out)) << text;
  return out;
}

// The value of header `name` in a delivery's [[name, value], ...] array; nullopt when absent.
std::optional<std::string> DeliveryHeader(const rapidjson::Value& delivery, const std::string& name) {
  for (const auto& pair : delivery["headers"].GetArray()) {
    if (pair[0].GetString() == name) return std::string(pair[1].GetString());
  }
  return std::nullopt;
}

class PlatformWebhooksTest : public PlatformLinkTest {
 protected:
  // 60 per minute: bursts of 10, then one a second, so the rate test never races the refill.
  std::vector<std::string> ServerFlags() const override {
    return {"--log-level", "warn", "--webhook-rate-limit-per-minute", "60"};
  }

  // A new deployment; its secret in *secret.
  std::string Deployment(const std::string& name, std::string* secret = nullptr) {
    HttpResult created = Send("POST", "/api/v1/deployments", R"({"name":")" + name + R"("})");
    EXPECT_EQ(created.status, 201) << created.body;
    if (secret != nullptr) *secret = JsonAt(created.Json(), "/secret");
    return JsonAt(created.Json(), "/id");
  }
  HttpResult CreateHook(const std::string& integration, const std::string& body) {
    return Send("POST", "/api/v1/integrations/" + integration + "/webhooks", body);
  }
  // A serving test connector whose hello reports `relay` (none: the relay is off).
  TestConnector* Connect(const std::string& id, const std::string& secret,
                         const std::optional<protocol::RelayInfo>& relay) {
    TestConnector* raw = Link(id, secret);
    protocol::HelloParams hello;
    hello.version = "0.0.1-test";
    hello.instance_id = "6f1c2a7e-3b7d-4c1e-9a55-0d2f3c4b5a69";
    hello.hostname = "test-host";
    hello.platform = "linux-x86_64";
    hello.heartbeat.interval_ms = 30000;
    hello.relay = relay;
    raw->Request(protocol::method::kHello, protocol::ToJson(hello));
    const std::string reg = raw->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(1, {"echo"}));
    EXPECT_TRUE(loop_->RunUntil([&] { return raw->Response(reg).has_value() || raw->closed; }));
    return raw;
  }
  // The webhooks.config notifications `c` got, once it has at least `n`.
  std::vector<protocol::WebhooksConfigParams> Configs(TestConnector* c, size_t n) {
    loop_->RunUntil([&] { return c->Received(protocol::kMethodWebhooksConfig).size() >= n; });
    std::vector<protocol::WebhooksConfigParams> out;
    for (const protocol::Envelope& e : c->Received(protocol::kMethodWebhooksConfig)) {
      absl::StatusOr<protocol::WebhooksConfigParams> p = protocol::ParseWebhooksConfigParams(e.params);
      EXPECT_TRUE(p.ok()) << e.params;
      if (p.ok()) out.push_back(*p);
    }
    return out;
  }
  // Sends webhook.relay and waits for its answer.
  protocol::Envelope Relay(TestConnector* c, const protocol::WebhookRelayParams& params) {
    const std::string id = c->Request(protocol::kMethodWebhookRelay, protocol::ToJson(params));
    EXPECT_TRUE(loop_->RunUntil([&] { return c->Response(id).has_value() || c->closed; }));
    std::optional<protocol::Envelope> r = c->Response(id);
    return r ? *r : protocol::Envelope{};
  }
  // Drops every test connector's connection (a new client loop), and waits until the platform saw it go.
  void DisconnectAll(const std::string& deployment) {
    connectors_.clear();
    loop_ = std::make_unique<ClientLoop>();
    for (int i = 0; i < 200; ++i) {
      if (JsonAt(Send("GET", "/api/v1/deployments/" + deployment).Json(), "/status") == "offline") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "deployment " << deployment << " still online";
  }
  rapidjson::Document Deliveries(const std::string& integration, const std::string& query = "") {
    HttpResult r = Send("GET", "/api/v1/integrations/" + integration + "/deliveries" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
};

TEST_F(PlatformWebhooksTest, CloudPublicIsCreatedListedWithoutSecretsAndDeleted) {
  const std::string dep = Deployment("d1");
  HttpResult created = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public",)"
                                                 R"("name":"pushes","hmac":{"secret":"s3cr3t-value"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  rapidjson::Document hook = created.Json();
  const std::string id = JsonAt(hook, "/id");
  const std::string token = JsonAt(hook, "/token");
  EXPECT_EQ(id.rfind("wh_", 0), 0u);
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(JsonAt(hook, "/urlPrefix"), api_ + "/hooks/" + id + "/");
  EXPECT_EQ(JsonAt(hook, "/url"), api_ + "/hooks/" + id + "/" + token);
  EXPECT_EQ(JsonAt(hook, "/mode"), "cloud-public");
  EXPECT_EQ(JsonAt(hook, "/relayMode"), "null");
  EXPECT_EQ(JsonAt(hook, "/hmac/header"), "X-Hub-Signature-256");
  EXPECT_EQ(JsonAt(hook, "/hmac/prefix"), "sha256=");
  EXPECT_EQ(JsonAt(hook, "/deliveryCount"), "0");
  EXPECT_EQ(created.body.find("s3cr3t-value"), std::string::npos) << "the secret is never returned";

  HttpResult list = Send("GET", "/api/v1/integrations/github-main/webhooks");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(JsonAt(list.Json(), "/webhooks/0/id"), id);
  EXPECT_EQ(JsonAt(list.Json(), "/webhooks/0/name"), "pushes");
  EXPECT_EQ(JsonAt(list.Json(), "/webhooks/0/integrationId"), "github-main");
  EXPECT_EQ(list.body.find(token), std::string::npos) << "the token appears only at creation";
  EXPECT_EQ(list.body.find("s3cr3t-value"), std::string::npos);
  EXPECT_EQ(list.body.find("\"url\""), std::string::npos);
  EXPECT_EQ(list.body.find("\"token\""), std::string::npos);
  EXPECT_EQ(JsonAt(Send("GET", "/api/v1/integrations/other/webhooks").Json(), "/webhooks"), "[]");

  HttpResult deleted = Send("DELETE", "/api/v1/webhooks/" + id);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(JsonAt(deleted.Json(), "/deleted"), "true");
  HttpResult again = Send("DELETE", "/api/v1/webhooks/" + id);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(JsonAt(again.Json(), "/error/code"), "webhook_not_found");
  EXPECT_EQ(JsonAt(Send("GET", "/api/v1/integrations/github-main/webhooks").Json(), "/webhooks"), "[]");
  // A deleted webhook receives nothing.
  EXPECT_EQ(Hook("POST", api_ + "/hooks/" + id + "/" + token, "{}", {}).status, 404);
}

TEST_F(PlatformWebhooksTest, CloudPublicUrlsStartWithThePublicUrl) {
  const std::string dir = root_ + "/behind-proxy";
  AdminOk(dir, {"create-org", "--name", "Acme", "--id", "org_acme"});
  const std::string token = AdminOk(dir, {"issue-token", "--org", "org_acme"});
  PlatformServer proxied(dir, {"--log-level", "warn", "--public-url", "https://hooks.example.com/edge/"});
  ASSERT_TRUE(proxied.Start());
  HttpResult dep = Http("POST", proxied.api_url() + "/api/v1/deployments", R"({"name":"d"})", Bearer(token));
  ASSERT_EQ(dep.status, 201) << dep.body;
  HttpResult created = Http("POST", proxied.api_url() + "/api/v1/integrations/gh/webhooks",
                            R"({"deploymentId":")" + JsonAt(dep.Json(), "/id") + R"(","mode":"cloud-public"})",
                            Bearer(token));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonAt(created.Json(), "/id");
  EXPECT_EQ(JsonAt(created.Json(), "/urlPrefix"), "https://hooks.example.com/edge/hooks/" + id + "/");
  EXPECT_EQ(proxied.Stop().exit_code, 0);

  PlatformServer bad(dir, {"--public-url", "hooks.example.com"});
  EXPECT_FALSE(bad.Start());
  ProcessResult exited = bad.Stop();
  EXPECT_EQ(exited.exit_code, 1);
  EXPECT_NE(exited.err.find("--public-url"), std::string::npos) << exited.err;
}

TEST_F(PlatformWebhooksTest, InvalidRequestsAndPollingAreRefused) {
  const std::string dep = Deployment("d1");
  auto code = [](const HttpResult& r) { return JsonAt(r.Json(), "/error/code"); };
  HttpResult polling = CreateHook("gh", R"({"deploymentId":")" + dep + R"(","mode":"polling"})");
  EXPECT_EQ(polling.status, 400);
  EXPECT_EQ(code(polling), "mode_not_provided");
  EXPECT_NE(polling.body.find("use edge-relay or cloud-public"), std::string::npos) << polling.body;
  HttpResult bad_mode = CreateHook("gh", R"({"deploymentId":")" + dep + R"(","mode":"carrier-pigeon"})");
  EXPECT_EQ(bad_mode.status, 400);
  EXPECT_EQ(JsonAt(bad_mode.Json(), "/error/details/field"), "/mode");
  HttpResult no_dep = CreateHook("gh", R"({"mode":"cloud-public"})");
  EXPECT_EQ(no_dep.status, 400);
  EXPECT_EQ(JsonAt(no_dep.Json(), "/error/details/field"), "/deploymentId");
  HttpResult no_provider = CreateHook("gh", R"({"deploymentId":")" + dep + R"(","mode":"edge-relay"})");
  EXPECT_EQ(no_provider.status, 400);
  EXPECT_EQ(JsonAt(no_provider.Json(), "/error/details/field"), "/providerBaseUrl");
  HttpResult ftp = CreateHook(
      "gh", R"({"deploymentId":")" + dep + R"(","mode":"edge-relay","providerBaseUrl":"ftp://ghe.example.com"})");
  EXPECT_EQ(ftp.status, 400);
  EXPECT_EQ(JsonAt(ftp.Json(), "/error/details/field"), "/providerBaseUrl");
  HttpResult no_secret =
      CreateHook("gh", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public","hmac":{"header":"X-Sig"}})");
  EXPECT_EQ(no_secret.status, 400);
  EXPECT_EQ(JsonAt(no_secret.Json(), "/error/details/field"), "/hmac/secret");
  HttpResult bad_integration = CreateHook("bad%20id", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public"})");
  EXPECT_EQ(bad_integration.status, 400);
  EXPECT_EQ(code(bad_integration), "invalid_request");
  HttpResult unknown = CreateHook("gh", R"({"deploymentId":"dep_nope","mode":"cloud-public"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(code(unknown), "deployment_not_found");
  EXPECT_EQ(Http("GET", api_ + "/api/v1/integrations/gh/webhooks").status, 401) << "admin token required";
  EXPECT_EQ(JsonAt(Deliveries("gh", "?limit=1"), "/deliveries"), "[]");
  EXPECT_EQ(Send("GET", "/api/v1/integrations/gh/deliveries?limit=0").status, 400);
  EXPECT_EQ(Send("GET", "/api/v1/integrations/gh/deliveries?limit=1001").status, 400);
}

TEST_F(PlatformWebhooksTest, EdgeRelayNeedsAReportedRelay) {
  std::string secret;
  const std::string dep = Deployment("d1", &secret);
  const std::string body =
      R"({"deploymentId":")" + dep + R"(","mode":"edge-relay","providerBaseUrl":"http://127.0.0.1:9000"})";
  HttpResult never = CreateHook("gh", body);
  EXPECT_EQ(never.status, 409);
  EXPECT_EQ(JsonAt(never.Json(), "/error/code"), "relay_unavailable");
  EXPECT_NE(never.body.find("cloud-public"), std::string::npos) << never.body;
  // Connected, but with the relay off.
  Connect(dep, secret, std::nullopt);
  HttpResult off = CreateHook("gh", body);
  EXPECT_EQ(off.status, 409);
  EXPECT_EQ(JsonAt(off.Json(), "/error/code"), "relay_unavailable");
}

TEST_F(PlatformWebhooksTest, TheRelayModeDecidesTheUrlAndTheLoopbackRule) {
  std::string secret;
  const std::string dep = Deployment("d1", &secret);
  TestConnector* c = Connect(dep, secret, protocol::RelayInfo{"http://10.1.2.3:8787", "lan"});
  ASSERT_EQ(Configs(c, 1).size(), 1u) << "webhooks.config follows the first tools.register";
  EXPECT_TRUE(Configs(c, 1)[0].webhooks.empty());

  // LAN: any provider; the URL is the relay's.
  HttpResult lan = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"edge-relay",)"
                                             R"("providerBaseUrl":"https://ghe.example.com",)"
                                             R"("hmac":{"secret":"topsecret","header":"X-Sig","prefix":"v1="}})");
  ASSERT_EQ(lan.status, 201) << lan.body;
  const std::string lan_id = JsonAt(lan.Json(), "/id");
  const std::string lan_token = JsonAt(lan.Json(), "/token");
  EXPECT_EQ(JsonAt(lan.Json(), "/url"), "http://10.1.2.3:8787/hooks/" + lan_id + "/" + lan_token);
  EXPECT_EQ(JsonAt(lan.Json(), "/relayMode"), "lan");
  EXPECT_EQ(JsonAt(lan.Json(), "/providerBaseUrl"), "https://ghe.example.com");
  // The connector gets the new list: the token only as its SHA-256, the HMAC secret in full.
  std::vector<protocol::WebhooksConfigParams> configs = Configs(c, 2);
  ASSERT_EQ(configs.size(), 2u);
  ASSERT_EQ(configs[1].webhooks.size(), 1u);
  const protocol::WebhookConfigEntry& entry = configs[1].webhooks[0];
  EXPECT_EQ(entry.webhook_id, lan_id);
  EXPECT_EQ(entry.integration_id, "github-main");
  EXPECT_EQ(entry.token_sha256, protocol::Sha256Hex(lan_token));
  ASSERT_TRUE(entry.hmac.has_value());
  EXPECT_EQ(entry.hmac->secret, "topsecret");
  EXPECT_EQ(entry.hmac->header, "X-Sig");
  EXPECT_EQ(entry.hmac->prefix, "v1=");
  for (const std::string& raw : c->raw) EXPECT_EQ(raw.find(lan_token), std::string::npos);

  // The connector now reports loopback-only (a heartbeat's status.relay).
  protocol::HeartbeatParams beat;
  beat.seq = 1;
  beat.status.state = "serving";
  beat.status.relay = protocol::RelayInfo{"http://127.0.0.1:8787", "loopback"};
  const std::string hb = c->Request(protocol::method::kHeartbeat, protocol::ToJson(beat));
  ASSERT_TRUE(loop_->RunUntil([&] { return c->Response(hb).has_value(); }));
  HttpResult refused = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"edge-relay",)"
                                                 R"("providerBaseUrl":"https://ghe.example.com"})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(JsonAt(refused.Json(), "/error/code"), "relay_loopback_only");
  const std::string message = JsonAt(refused.Json(), "/error/message");
  EXPECT_NE(message.find("https://ghe.example.com cannot reach http://127.0.0.1:8787"), std::string::npos) << message;
  EXPECT_NE(message.find("Use mode cloud-public"), std::string::npos) << message;
  EXPECT_NE(message.find("NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN"), std::string::npos) << message;

  // The stored relay still serves while the connector is offline; a loopback provider is accepted.
  DisconnectAll(dep);
  for (const char* provider : {"http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"}) {
    HttpResult local = CreateHook("github-main", R"({"deploymentId":")" + dep +
                                                     R"(","mode":"edge-relay","providerBaseUrl":")" + provider +
                                                     R"("})");
    ASSERT_EQ(local.status, 201) << provider << ": " << local.body;
    EXPECT_EQ(JsonAt(local.Json(), "/url").rfind("http://127.0.0.1:8787/hooks/wh_", 0), 0u) << local.body;
    EXPECT_EQ(JsonAt(local.Json(), "/relayMode"), "loopback");
  }
  EXPECT_EQ(Send("GET", "/api/v1/integrations/github-main/webhooks").Json()["webhooks"].Size(), 4u);

  // Reconnected: the list comes after register; a deletion pushes a new one.
  c = Connect(dep, secret, protocol::RelayInfo{"http://127.0.0.1:8787", "loopback"});
  configs = Configs(c, 1);
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].webhooks.size(), 4u);
  ASSERT_EQ(Send("DELETE", "/api/v1/webhooks/" + lan_id).status, 200);
  configs = Configs(c, 2);
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[1].webhooks.size(), 3u);
  for (const auto& e : configs[1].webhooks) EXPECT_NE(e.webhook_id, lan_id);
}

TEST_F(PlatformWebhooksTest, CloudPublicDeliveriesAreCheckedAndStored) {
  const std::string dep = Deployment("d1");
  HttpResult created = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public",)"
                                                 R"("hmac":{"secret":"s3cr3t"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonAt(created.Json(), "/id");
  const std::string url = JsonAt(created.Json(), "/url");
  const std::string body = BinaryBody();
  const std::string good_sig = "X-Hub-Signature-256: sha256=" + protocol::HmacSha256Hex("s3cr3t", body);

  HttpResult signed_post = Hook("POST", url + "?source=test", body,
                                {"Content-Type: application/octet-stream", "X-GitHub-Event: push",
                                 "X-GitHub-Delivery: 72d3162e", "Authorization: Bearer provider-secret",
                                 "Cookie: a=b", "X-Not-Forwarded: 1", good_sig});
  ASSERT_EQ(signed_post.status, 202) << signed_post.body;
  EXPECT_EQ(JsonAt(signed_post.Json(), "/status"), "stored");
  const std::string first_id = JsonAt(signed_post.Json(), "/deliveryId");
  EXPECT_EQ(first_id.size(), 26u);
  HttpResult unsigned_put = Hook("PUT", url, "plain", {"Content-Type: text/plain"});
  ASSERT_EQ(unsigned_put.status, 202) << unsigned_put.body;

  // Refusals store nothing.
  HttpResult bad_sig = Hook("POST", url, body, {"X-Hub-Signature-256: sha256=" + std::string(64, '0')});
  EXPECT_EQ(bad_sig.status, 401);
  EXPECT_EQ(JsonAt(bad_sig.Json(), "/error/code"), "invalid_signature");
  HttpResult bad_token = Hook("POST", api_ + "/hooks/" + id + "/" + std::string(43, 'A'), body, {good_sig});
  EXPECT_EQ(bad_token.status, 401);
  EXPECT_EQ(JsonAt(bad_token.Json(), "/error/code"), "invalid_token");
  HttpResult unknown = Hook("POST", api_ + "/hooks/wh_unknown/" + std::string(43, 'A'), body, {});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(JsonAt(unknown.Json(), "/error/code"), "not_found");
  HttpResult oversize = Hook("POST", url, std::string(1024 * 1024 + 1, 'x'), {});
  EXPECT_EQ(oversize.status, 413);
  EXPECT_EQ(JsonAt(oversize.Json(), "/error/code"), "body_too_large");
  HttpResult get = Hook("GET", url, "", {});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST, PUT");

  rapidjson::Document list = Deliveries("github-main");
  ASSERT_EQ(list["deliveries"].Size(), 2u) << "refused requests are not stored";
  const rapidjson::Value& newest = list["deliveries"][0];
  const rapidjson::Value& first = list["deliveries"][1];
  EXPECT_EQ(JsonAt(newest, "/method"), "PUT");
  EXPECT_EQ(JsonAt(newest, "/signature"), "absent");
  EXPECT_EQ(Decode64(JsonAt(newest, "/bodyBase64")), "plain");
  EXPECT_EQ(JsonAt(first, "/deliveryId"), first_id);
  EXPECT_EQ(JsonAt(first, "/webhookId"), id);
  EXPECT_EQ(JsonAt(first, "/integrationId"), "github-main");
  EXPECT_EQ(JsonAt(first, "/deploymentId"), dep);
  EXPECT_EQ(JsonAt(first, "/via"), "cloud-public");
  EXPECT_EQ(JsonAt(first, "/method"), "POST");
  EXPECT_EQ(JsonAt(first, "/path"), "/hooks/" + id + "/{token}");
  EXPECT_EQ(JsonAt(first, "/query"), "source=test");
  EXPECT_EQ(JsonAt(first, "/signature"), "verified");
  EXPECT_EQ(Decode64(JsonAt(first, "/bodyBase64")), body);
  EXPECT_EQ(JsonAt(first, "/bodyBytes"), std::to_string(body.size()));
  EXPECT_NE(JsonAt(first, "/receivedAtMs"), "");
  EXPECT_NE(JsonAt(first, "/storedAtMs"), "");
  EXPECT_EQ(DeliveryHeader(first, "content-type"), "application/octet-stream");
  EXPECT_EQ(DeliveryHeader(first, "x-github-event"), "push");
  EXPECT_EQ(DeliveryHeader(first, "x-github-delivery"), "72d3162e");
  EXPECT_TRUE(DeliveryHeader(first, "x-hub-signature-256").has_value());
  EXPECT_FALSE(DeliveryHeader(first, "authorization").has_value());
  EXPECT_FALSE(DeliveryHeader(first, "cookie").has_value());
  EXPECT_FALSE(DeliveryHeader(first, "x-not-forwarded").has_value());
  EXPECT_EQ(Deliveries("github-main", "?limit=1")["deliveries"].Size(), 1u);

  HttpResult hooks = Send("GET", "/api/v1/integrations/github-main/webhooks");
  EXPECT_EQ(JsonAt(hooks.Json(), "/webhooks/0/deliveryCount"), "2");
  EXPECT_NE(JsonAt(hooks.Json(), "/webhooks/0/lastDeliveryAtMs"), "null");

  // A webhook without a secret records "none"; its rate is limited (bursts of 10 at 60/min).
  HttpResult plain = CreateHook("other", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public"})");
  ASSERT_EQ(plain.status, 201);
  const std::string plain_url = JsonAt(plain.Json(), "/url");
  ASSERT_EQ(Hook("POST", plain_url, "x", {good_sig}).status, 202);
  EXPECT_EQ(JsonAt(Deliveries("other"), "/deliveries/0/signature"), "none");
  HttpResult limited;
  for (int i = 0; i < 30 && limited.status != 429; ++i) limited = Hook("POST", plain_url, "x", {});
  ASSERT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(JsonAt(limited.Json(), "/error/code"), "rate_limited");
  EXPECT_GE(std::stoi(limited.headers["retry-after"]), 1);
}

TEST_F(PlatformWebhooksTest, RelayedDeliveriesAreStoredOnce) {
  std::string secret;
  const std::string dep = Deployment("d1", &secret);
  TestConnector* c = Connect(dep, secret, protocol::RelayInfo{"http://10.1.2.3:8787", "lan"});
  HttpResult relay_hook = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"edge-relay",)"
                                                    R"("providerBaseUrl":"https://ghe.example.com"})");
  ASSERT_EQ(relay_hook.status, 201) << relay_hook.body;
  const std::string id = JsonAt(relay_hook.Json(), "/id");
  HttpResult public_hook = CreateHook("github-main", R"({"deploymentId":")" + dep + R"(","mode":"cloud-public"})");
  ASSERT_EQ(public_hook.status, 201);

  protocol::WebhookRelayParams p;
  p.delivery_id = "01HV50A1B2C3D4E5F6G7H8J9K0";
  p.webhook_id = id;
  p.received_at_ms = 1718000040000;
  p.method = "POST";
  p.path = "/hooks/" + id + "/{token}";
  p.query = "a=1";
  p.headers = {{"content-type", "application/json"}, {"x-github-event", "push"}, {"x-github-event", "again"}};
  p.body = BinaryBody();
  p.signature = "verified";
  protocol::Envelope first = Relay(c, p);
  ASSERT_EQ(first.kind, protocol::MessageKind::kResult) << first.error.message;
  absl::StatusOr<protocol::WebhookRelayResult> r = protocol::ParseWebhookRelayResult(first.result);
  ASSERT_TRUE(r.ok()) << first.result;
  EXPECT_EQ(r->status, "stored");
  EXPECT_EQ(r->delivery_id, p.delivery_id);
  // A resend after a reconnect: the same deliveryId is answered "duplicate" and stored once.
  protocol::Envelope second = Relay(c, p);
  r = protocol::ParseWebhookRelayResult(second.result);
  ASSERT_TRUE(r.ok()) << second.result;
  EXPECT_EQ(r->status, "duplicate");

  // Unknown webhooks and webhooks of another mode are -32602 (the connector dead-letters them).
  protocol::WebhookRelayParams unknown = p;
  unknown.delivery_id = "01HV50A1B2C3D4E5F6G7H8J9K1";
  unknown.webhook_id = "wh_unknown";
  EXPECT_EQ(Relay(c, unknown).error.code, protocol::kInvalidParams);
  unknown.webhook_id = JsonAt(public_hook.Json(), "/id");
  EXPECT_EQ(Relay(c, unknown).error.code, protocol::kInvalidParams);

  rapidjson::Document list = Deliveries("github-main");
  ASSERT_EQ(list["deliveries"].Size(), 1u);
  const rapidjson::Value& d = list["deliveries"][0];
  EXPECT_EQ(JsonAt(d, "/deliveryId"), p.delivery_id);
  EXPECT_EQ(JsonAt(d, "/via"), "edge-relay");
  EXPECT_EQ(JsonAt(d, "/receivedAtMs"), "1718000040000");
  EXPECT_EQ(JsonAt(d, "/path"), p.path);
  EXPECT_EQ(JsonAt(d, "/query"), "a=1");
  EXPECT_EQ(JsonAt(d, "/signature"), "verified");
  EXPECT_EQ(Decode64(JsonAt(d, "/bodyBase64")), p.body);
  EXPECT_EQ(JsonAt(d, "/headers"), R"([["content-type","application/json"],["x-github-event","push"],)"
                                   R"(["x-github-event","again"]])");

  // Deleted since: a resend is still a duplicate (the connector must not dead-letter a stored delivery).
  ASSERT_EQ(Send("DELETE", "/api/v1/webhooks/" + id).status, 200);
  r = protocol::ParseWebhookRelayResult(Relay(c, p).result);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "duplicate");
  EXPECT_EQ(Deliveries("github-main")["deliveries"].Size(), 1u);
}

}  // namespace
}  // namespace edge::testing
