// The local webhook relay end to end (docs/webhook-relay.md; issue 5 acceptance points 4 and 5): a real
// edge-platform and real edge-connector processes. The provider is this test, posting to the connector's relay.
//
// - LAN and loopback-only mode: the relay's listening address (read from /proc/net/tcp), the URL the platform
//   provisions (with and without WEBHOOK_RELAY_PUBLIC_URL), and the loopback rule;
// - deliveries reach the platform with their body (every byte value) and selected headers intact; wrong tokens,
//   oversize bodies and bad signatures are refused and never stored;
// - deliveries posted while the platform is down all arrive after it restarts, each exactly once; a full
//   queue answers 503 relay_queue_full.
#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <signal.h>

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e_fixture.h"
#include "edge/protocol/auth.h"

namespace edge::e2e {
namespace {

size_t AppendTo(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}
size_t HeaderTo(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

// A provider's request to the relay: a raw body and exactly these header lines.
HttpResponse Post(const std::string& url, const std::string& body, const std::vector<std::string>& headers = {},
                  const std::string& method = "POST") {
  HttpResponse r;
  CURL* h = curl_easy_init();
  curl_slist* list = curl_slist_append(nullptr, "Expect:");
  for (const std::string& line : headers) list = curl_slist_append(list, line.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendTo);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &HeaderTo);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  } else {
    r.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  return doc;
}

std::string At(const rapidjson::Value& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (v == nullptr) return "";
  if (v->IsString()) return v->GetString();
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return v->IsNull() ? "null" : "?";
}

// The addresses listening on TCP `port`, from /proc/net/tcp and tcp6 ("0.0.0.0", "127.0.0.1", "::", ...).
std::set<std::string> ListeningAddresses(int port) {
  std::set<std::string> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const size_t colon = local.find(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
      const std::string hex = local.substr(0, colon);
      if (hex.size() == 8) {  // IPv4 in host (little-endian) order
        const uint32_t a = static_cast<uint32_t>(std::stoul(hex, nullptr, 16));
        out.insert(std::to_string(a & 0xff) + "." + std::to_string((a >> 8) & 0xff) + "." +
                   std::to_string((a >> 16) & 0xff) + "." + std::to_string(a >> 24));
      } else {
        out.insert(hex == std::string(32, '0') ? "::" : hex);
      }
    }
  }
  return out;
}

std::string UrlHost(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  return rest.substr(0, rest.rfind(':'));
}

std::string BinaryBody(const std::string& marker) {
  std::string body = "{\"marker\":\"" + marker + "\"}";
  for (int i = 0; i < 256; ++i) body += static_cast<char>(i);
  return body;
}

struct Hook {
  std::string id;
  std::string token;
  std::string url;
  std::string relay_url;  // the same path on 127.0.0.1:<relay port>, which reaches the relay in both modes
};

class RelayTest : public E2ETest {
 protected:
  // A connector with its relay on a free port. `lan` false: NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN=0.
  Connector& StartRelayConnector(bool lan, std::map<std::string, std::string> config = {},
                                 const std::map<std::string, std::string>& extra_env = {}) {
    config["webhookRelayPort"] = "0";
    std::map<std::string, std::string> env = DeploymentEnv();
    if (!lan) env["NARA_LOCAL_HOSTING_WEBHOOK_RELAY_EXPOSE_LAN"] = "0";
    for (const auto& [k, v] : extra_env) env[k] = v;
    Connector& c = StartConnector("conn", true, config, env);
    // Listening, and the platform has the connector's hello (so its relay address).
    for (int i = 0; i < 200 && (relay_port_ == 0 || !Online()); ++i) {
      rapidjson::Document status = Parse(c.Statusz());
      const std::string listen = At(status, "/relay/listen");
      if (!listen.empty()) relay_port_ = std::stoi(listen.substr(listen.rfind(':') + 1));
      relay_statusz_url_ = At(status, "/relay/url");
      if (relay_port_ == 0 || !Online()) std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_NE(relay_port_, 0) << c.Statusz();
    return c;
  }
  bool Online() {
    HttpResponse r = Http("GET", platform_->api_url() + "/api/v1/deployments/" + deployment_, "", token_);
    return r.status == 200 && JsonField(r.body, "/status") == "online";
  }
  HttpResponse CreateWebhook(const std::string& integration, const std::string& provider,
                             const std::string& extra = "") {
    std::string body = "{\"deploymentId\":\"" + deployment_ + "\",\"mode\":\"edge-relay\",\"providerBaseUrl\":\"" +
                       provider + "\"" + (extra.empty() ? "" : "," + extra) + "}";
    return Http("POST", platform_->api_url() + "/api/v1/integrations/" + integration + "/webhooks", body, token_);
  }
  // A created webhook, once the relay knows it (webhooks.config applied: a wrong token gets 401, not 404).
  Hook ReadyWebhook(const std::string& integration, const std::string& provider, const std::string& extra = "") {
    HttpResponse created = CreateWebhook(integration, provider, extra);
    EXPECT_EQ(created.status, 201) << created.body;
    rapidjson::Document doc = Parse(created.body);
    Hook hook{At(doc, "/id"), At(doc, "/token"), At(doc, "/url"), ""};
    hook.relay_url = "http://127.0.0.1:" + std::to_string(relay_port_) + "/hooks/" + hook.id + "/" + hook.token;
    const std::string probe = "http://127.0.0.1:" + std::to_string(relay_port_) + "/hooks/" + hook.id + "/wrong";
    long status = 0;
    for (int i = 0; i < 200 && status != 401; ++i) {
      status = Post(probe, "{}").status;
      if (status != 401) std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_EQ(status, 401) << "the relay never received webhook " << hook.id;
    return hook;
  }
  rapidjson::Document Deliveries(const std::string& integration) {
    HttpResponse r =
        Http("GET", platform_->api_url() + "/api/v1/integrations/" + integration + "/deliveries?limit=1000", "",
             token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse(r.body);
  }
  // Waits until the platform lists `n` deliveries of the integration (or 20 s pass).
  rapidjson::Document AwaitDeliveries(const std::string& integration, size_t n) {
    rapidjson::Document doc = Deliveries(integration);
    for (int i = 0; i < 400 && (!doc.IsObject() || doc["deliveries"].Size() < n); ++i) {
      std::this_thread::sleep_for(milliseconds(50));
      doc = Deliveries(integration);
    }
    return doc;
  }
  static std::optional<std::string> HeaderOf(const rapidjson::Value& delivery, const std::string& name) {
    for (const auto& pair : delivery["headers"].GetArray()) {
      if (pair[0].GetString() == name) return std::string(pair[1].GetString());
    }
    return std::nullopt;
  }
  static std::string BodyOf(const rapidjson::Value& delivery) {
    std::string out;
    EXPECT_TRUE(protocol::Base64Decode(At(delivery, "/bodyBase64"), &out));
    return out;
  }
  void KillPlatform() {
    platform_->process().Signal(SIGKILL);
    ASSERT_NE(platform_->process().WaitExit(milliseconds(5000)), -1);
  }

  int relay_port_ = 0;
  std::string relay_statusz_url_;
};

TEST_F(RelayTest, LanModeListensOnAllInterfacesAndRelaysIntact) {
  StartRelayConnector(true);
  ASSERT_NE(relay_port_, 0);
  EXPECT_EQ(ListeningAddresses(relay_port_), std::set<std::string>{"0.0.0.0"});
  // The platform gets the LAN URL: a provider on another machine can reach it.
  Hook hook = ReadyWebhook("github-main", "https://ghe.example.com", R"("hmac":{"secret":"s3cr3t"})");
  EXPECT_EQ(hook.url.rfind(relay_statusz_url_ + "/hooks/" + hook.id + "/", 0), 0u) << hook.url;
  const std::string host = UrlHost(hook.url);
  EXPECT_NE(host.rfind("127.", 0), 0u) << hook.url;
  EXPECT_NE(host, "localhost");

  const std::string body = BinaryBody("signed");
  const std::string signature = "X-Hub-Signature-256: sha256=" + protocol::HmacSha256Hex("s3cr3t", body);
  HttpResponse accepted = Post(hook.relay_url + "?x=1", body,
                               {"Content-Type: application/octet-stream", "User-Agent: GitHub-Hookshot/abc",
                                "X-GitHub-Event: push", "X-GitHub-Delivery: 72d3162e-cc78",
                                "Authorization: Bearer provider-only", "X-Private: not relayed", signature});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string delivery_id = JsonField(accepted.body, "/deliveryId");
  EXPECT_EQ(delivery_id.size(), 26u) << accepted.body;
  ASSERT_EQ(Post(hook.relay_url, "unsigned", {"Content-Type: text/plain"}, "PUT").status, 202);

  // Refused, and never stored.
  HttpResponse bad_sig = Post(hook.relay_url, body, {"X-Hub-Signature-256: sha256=" + std::string(64, 'f')});
  EXPECT_EQ(bad_sig.status, 401);
  EXPECT_EQ(JsonField(bad_sig.body, "/error/code"), "invalid_signature") << bad_sig.body;
  HttpResponse bad_token = Post(hook.relay_url.substr(0, hook.relay_url.rfind('/') + 1) + std::string(43, 'A'), body,
                                {signature});
  EXPECT_EQ(bad_token.status, 401);
  EXPECT_EQ(JsonField(bad_token.body, "/error/code"), "invalid_token") << bad_token.body;
  HttpResponse oversize = Post(hook.relay_url, std::string(1024 * 1024 + 1, 'x'));
  EXPECT_EQ(oversize.status, 413);
  EXPECT_EQ(JsonField(oversize.body, "/error/code"), "body_too_large") << oversize.body;
  HttpResponse unknown = Post("http://127.0.0.1:" + std::to_string(relay_port_) + "/hooks/wh_nope/" +
                                  std::string(43, 'A'),
                              body);
  EXPECT_EQ(unknown.status, 404);

  rapidjson::Document doc = AwaitDeliveries("github-main", 2);
  ASSERT_EQ(doc["deliveries"].Size(), 2u);
  const rapidjson::Value& put = doc["deliveries"][0];
  const rapidjson::Value& first = doc["deliveries"][1];
  EXPECT_EQ(At(put, "/method"), "PUT");
  EXPECT_EQ(At(put, "/signature"), "absent");
  EXPECT_EQ(BodyOf(put), "unsigned");
  EXPECT_EQ(At(first, "/deliveryId"), delivery_id);
  EXPECT_EQ(At(first, "/webhookId"), hook.id);
  EXPECT_EQ(At(first, "/via"), "edge-relay");
  EXPECT_EQ(At(first, "/method"), "POST");
  EXPECT_EQ(At(first, "/path"), "/hooks/" + hook.id + "/{token}");
  EXPECT_EQ(At(first, "/query"), "x=1");
  EXPECT_EQ(At(first, "/signature"), "verified");
  EXPECT_EQ(BodyOf(first), body);
  EXPECT_EQ(At(first, "/bodyBytes"), std::to_string(body.size()));
  EXPECT_EQ(HeaderOf(first, "content-type"), "application/octet-stream");
  EXPECT_EQ(HeaderOf(first, "user-agent"), "GitHub-Hookshot/abc");
  EXPECT_EQ(HeaderOf(first, "x-github-event"), "push");
  EXPECT_EQ(HeaderOf(first, "x-github-delivery"), "72d3162e-cc78");
  EXPECT_TRUE(HeaderOf(first, "x-hub-signature-256").has_value());
  EXPECT_FALSE(HeaderOf(first, "authorization").has_value());
  EXPECT_FALSE(HeaderOf(first, "x-private").has_value());
  // Nothing else turns up later (the refused ones were never queued).
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(Deliveries("github-main")["deliveries"].Size(), 2u);
}

TEST_F(RelayTest, LanModeProvisionsThePublicUrlWhenOneIsSet) {
  StartRelayConnector(true, {}, {{"WEBHOOK_RELAY_PUBLIC_URL", "https://hooks.corp.example/relay"}});
  ASSERT_NE(relay_port_, 0);
  EXPECT_EQ(ListeningAddresses(relay_port_), std::set<std::string>{"0.0.0.0"});
  HttpResponse created = CreateWebhook("github-main", "https://ghe.example.com");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonField(created.body, "/id");
  EXPECT_EQ(JsonField(created.body, "/url"),
            "https://hooks.corp.example/relay/hooks/" + id + "/" + JsonField(created.body, "/token"));
  EXPECT_EQ(JsonField(created.body, "/relayMode"), "lan");
}

TEST_F(RelayTest, LoopbackModeListensOnLoopbackAndRefusesRemoteProviders) {
  // The public URL is ignored in loopback mode.
  StartRelayConnector(false, {}, {{"WEBHOOK_RELAY_PUBLIC_URL", "https://hooks.corp.example/relay"}});
  ASSERT_NE(relay_port_, 0);
  EXPECT_EQ(ListeningAddresses(relay_port_), std::set<std::string>{"127.0.0.1"});
  EXPECT_EQ(relay_statusz_url_, "http://127.0.0.1:" + std::to_string(relay_port_));

  HttpResponse refused = CreateWebhook("github-main", "https://ghe.example.com");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(JsonField(refused.body, "/error/code"), "relay_loopback_only") << refused.body;
  EXPECT_NE(refused.body.find("cloud-public"), std::string::npos) << refused.body;

  Hook hook = ReadyWebhook("github-main", "http://127.0.0.1:9000");
  EXPECT_EQ(hook.url, hook.relay_url) << "loopback mode provisions 127.0.0.1 URLs";
  const std::string body = BinaryBody("loopback");
  ASSERT_EQ(Post(hook.url, body, {"X-GitHub-Event: ping"}).status, 202);
  rapidjson::Document doc = AwaitDeliveries("github-main", 1);
  ASSERT_EQ(doc["deliveries"].Size(), 1u);
  EXPECT_EQ(BodyOf(doc["deliveries"][0]), body);
  EXPECT_EQ(HeaderOf(doc["deliveries"][0], "x-github-event"), "ping");
  EXPECT_EQ(At(doc["deliveries"][0], "/signature"), "none");
}

TEST_F(RelayTest, DeliveriesQueuedWhilePlatformIsDownArriveOnceAfterRestart) {
  Connector& c = StartRelayConnector(true);
  Hook hook = ReadyWebhook("github-main", "https://ghe.example.com");
  KillPlatform();

  constexpr int kDeliveries = 50;
  std::set<std::string> accepted;
  for (int i = 0; i < kDeliveries; ++i) {
    HttpResponse r = Post(hook.relay_url, BinaryBody(std::to_string(i)), {"X-GitHub-Event: push"});
    ASSERT_EQ(r.status, 202) << i << ": " << r.body << r.error;
    EXPECT_EQ(JsonField(r.body, "/status"), "queued");
    accepted.insert(JsonField(r.body, "/deliveryId"));
  }
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(JsonField(c.Statusz(), "/relay/queue/deliveries"), std::to_string(kDeliveries)) << c.Statusz();

  StartPlatform(/*same_ports=*/true);
  ASSERT_TRUE(platform_->started());
  rapidjson::Document doc = AwaitDeliveries("github-main", kDeliveries);
  // Give a duplicate the time to show up, then count again.
  std::this_thread::sleep_for(milliseconds(1000));
  doc = Deliveries("github-main");
  ASSERT_EQ(doc["deliveries"].Size(), static_cast<size_t>(kDeliveries));
  std::set<std::string> stored;
  for (const auto& d : doc["deliveries"].GetArray()) {
    stored.insert(At(d, "/deliveryId"));
    EXPECT_EQ(At(d, "/via"), "edge-relay");
  }
  EXPECT_EQ(stored, accepted);
  for (int i = 0; i < 100 && JsonField(c.Statusz(), "/relay/queue/deliveries") != "0"; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(JsonField(c.Statusz(), "/relay/queue/deliveries"), "0") << c.Statusz();
}

TEST_F(RelayTest, AFullQueueIsRefusedWithTheDocumentedError) {
  StartRelayConnector(true, {{"webhookQueueMaxDeliveries", "3"}});
  Hook hook = ReadyWebhook("github-main", "https://ghe.example.com");
  KillPlatform();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Post(hook.relay_url, "fits " + std::to_string(i)).status, 202);
  HttpResponse full = Post(hook.relay_url, "one too many");
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(JsonField(full.body, "/error/code"), "relay_queue_full") << full.body;
  EXPECT_EQ(full.headers["retry-after"], "30");
  const std::string message = JsonField(full.body, "/error/message");
  EXPECT_NE(message.find("webhookQueueMaxDeliveries"), std::string::npos) << message;
  EXPECT_NE(message.find('3'), std::string::npos) << message;

  // The queued ones still arrive; the refused one never does.
  StartPlatform(/*same_ports=*/true);
  ASSERT_TRUE(platform_->started());
  rapidjson::Document doc = AwaitDeliveries("github-main", 3);
  std::this_thread::sleep_for(milliseconds(500));
  doc = Deliveries("github-main");
  ASSERT_EQ(doc["deliveries"].Size(), 3u);
  for (const auto& d : doc["deliveries"].GetArray()) EXPECT_EQ(BodyOf(d).rfind("fits ", 0), 0u);
}

}  // namespace
}  // namespace edge::e2e
