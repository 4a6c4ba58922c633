// Webhooks (docs/webhook-relay.md section 4): provisioning per integration in edge-relay or cloud-public mode,
// listing, deletion, the deliveries list, and the public cloud-public receiver POST|PUT /hooks/{id}/{token}.
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/api.h"
#include "api/json_body.h"
#include "api/responses.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::api {

using runtime::ToAbsl;

namespace {

constexpr int64_t kMaxDeliveriesLimit = 1000;

void WriteWebhook(protocol::JsonWriter& w, const store::Webhook& h) {
  w.Key("id").String(h.id).Key("integrationId").String(h.integration_id).Key("deploymentId").String(h.deployment_id);
  w.Key("name").String(h.name).Key("mode").String(h.mode).Key("urlPrefix").String(h.url_prefix);
  w.Key("relayMode");
  if (h.relay_mode.empty()) {
    w.Null();
  } else {
    w.String(h.relay_mode);
  }
  w.Key("hmac");
  if (h.has_hmac) {
    w.BeginObject().Key("header").String(h.hmac_header).Key("prefix").String(h.hmac_prefix).EndObject();
  } else {
    w.Null();
  }
  w.Key("providerBaseUrl");
  if (h.provider_base_url.empty()) {
    w.Null();
  } else {
    w.String(h.provider_base_url);
  }
  w.Key("createdAtMs").Int(h.created_at_ms).Key("deliveryCount").Int(h.delivery_count);
  w.Key("lastDeliveryAtMs");
  if (h.last_delivery_at_ms > 0) {
    w.Int(h.last_delivery_at_ms);
  } else {
    w.Null();
  }
}

// An optional string member: false after answering 400 when present but not a string (or too long).
bool OptionalString(HttpExchange& ex, const rapidjson::Value& obj, const char* name, std::string_view pointer,
                    size_t max_len, std::string* out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString() || it->value.GetStringLength() > max_len) {
    BadField(ex, pointer, absl::StrCat("'", name, "' must be a string of at most ", max_len, " characters"));
    return false;
  }
  out->assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

// An HTTP header name (RFC 9110 token characters).
bool IsHeaderName(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && std::string_view("!#$%&'*+-.^_`|~").find(c) ==
                                                                       std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// The create body's optional "hmac" object. False after answering 400.
bool ReadHmac(HttpExchange& ex, const rapidjson::Value& doc, store::Webhook* out) {
  auto it = doc.FindMember("hmac");
  if (it == doc.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsObject()) {
    BadField(ex, "/hmac", "'hmac' must be an object {\"secret\":\"...\",\"header\":\"X-Hub-Signature-256\"}");
    return false;
  }
  webhooks::HmacConfig defaults;
  out->hmac_header = defaults.header;
  out->hmac_prefix = defaults.prefix;
  if (!OptionalString(ex, it->value, "secret", "/hmac/secret", 1024, &out->hmac_secret) ||
      !OptionalString(ex, it->value, "header", "/hmac/header", 100, &out->hmac_header) ||
      !OptionalString(ex, it->value, "prefix", "/hmac/prefix", 100, &out->hmac_prefix)) {
    return false;
  }
  if (out->hmac_secret.empty()) {
    BadField(ex, "/hmac/secret", "'hmac.secret' is required and must be a non-empty string (the provider's secret)");
    return false;
  }
  const std::string lower = absl::AsciiStrToLower(out->hmac_header);
  if (!IsHeaderName(out->hmac_header) || lower == "authorization" || lower == "cookie") {
    BadField(ex, "/hmac/header",
             "'hmac.header' must be an HTTP header name other than Authorization or Cookie, e.g. X-Hub-Signature-256");
    return false;
  }
  out->has_hmac = true;
  return true;
}

}  // namespace

void Api::CreateWebhook(const Exchange& ex, const Caller& caller, const std::string& integration) {
  if (absl::Status s = webhooks::ValidateIntegrationId(integration); !s.ok()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", runtime::ToStd(s.message())));
  }
  rapidjson::Document doc;
  if (!ParseJsonObject(*ex, &doc, false)) return;
  store::Webhook hook;
  if (!OptionalString(*ex, doc, "mode", "/mode", 64, &hook.mode)) return;
  if (hook.mode == webhooks::kModePolling) {
    return ex->Respond(ErrorResponse(400, "mode_not_provided",
                                     "polling is not provided by edge-platform; use edge-relay or cloud-public"));
  }
  if (hook.mode != webhooks::kModeEdgeRelay && hook.mode != webhooks::kModeCloudPublic) {
    return BadField(*ex, "/mode", "'mode' is required: \"edge-relay\" or \"cloud-public\"");
  }
  if (!OptionalString(*ex, doc, "deploymentId", "/deploymentId", 200, &hook.deployment_id)) return;
  if (hook.deployment_id.empty()) {
    return BadField(*ex, "/deploymentId", "'deploymentId' is required: the deployment whose connector relays");
  }
  if (!OptionalString(*ex, doc, "name", "/name", 200, &hook.name)) return;
  if (!OptionalString(*ex, doc, "providerBaseUrl", "/providerBaseUrl", 2048, &hook.provider_base_url)) return;
  std::string provider_host;
  if (!hook.provider_base_url.empty()) {
    absl::StatusOr<std::string> host = webhooks::HttpUrlHost(hook.provider_base_url);
    if (!host.ok()) return BadField(*ex, "/providerBaseUrl", runtime::ToStd(host.status().message()));
    provider_host = *std::move(host);
  } else if (hook.mode == webhooks::kModeEdgeRelay) {
    return BadField(*ex, "/providerBaseUrl",
                    "'providerBaseUrl' is required for edge-relay: the provider's http(s) base URL, e.g. "
                    "https://ghe.corp.example (it decides whether a loopback-only relay can be used)");
  }
  if (!ReadHmac(*ex, doc, &hook)) return;
  store::Deployment deployment;
  if (!FindDeployment(ex, caller, hook.deployment_id, &deployment)) return;

  std::string base_url = options_.public_url;
  if (hook.mode == webhooks::kModeEdgeRelay) {
    absl::StatusOr<std::optional<store::RelayRecord>> relay = store_->GetRelay(deployment.id);
    if (!relay.ok()) return ex->Respond(StatusResponse(relay.status()));
    if (!relay->has_value()) {
      return ex->Respond(ErrorResponse(
          409, "relay_unavailable",
          absl::StrCat("no connector of ", deployment.id,
                       " has reported a webhook relay address: it has never connected, or it runs with the relay "
                       "off (webhookRelayEnabled=false, or its relay port could not be bound). Start the "
                       "connector with its relay on, or use mode cloud-public")));
    }
    if ((*relay)->mode == "loopback" && !webhooks::IsLoopbackHost(provider_host)) {
      return ex->Respond(
          ErrorResponse(409, "relay_loopback_only",
                        webhooks::LoopbackOnlyMessage(deployment.id, hook.provider_base_url, (*relay)->url)));
    }
    base_url = (*relay)->url;
    hook.relay_mode = (*relay)->mode;
  }
  const std::string token = webhooks::NewToken();
  hook.id = webhooks::NewWebhookId();
  hook.org_id = caller.org_id;
  hook.integration_id = integration;
  hook.token_sha256 = protocol::Sha256Hex(token);
  hook.url_prefix = webhooks::UrlPrefix(base_url, hook.id);
  hook.created_at_ms = store::NowMs();
  if (absl::Status s = store_->CreateWebhook(hook); !s.ok()) return ex->Respond(StatusResponse(s));
  if (logger_) {
    logger_->Info("api", "webhook ", hook.id, " (", hook.mode, ") created for integration ", integration,
                  " on deployment ", deployment.id);
  }
  if (hook.mode == webhooks::kModeEdgeRelay) hub_->NotifyWebhooksChanged(deployment.id);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject();
  WriteWebhook(w, hook);
  w.Key("url").String(hook.url_prefix + token).Key("token").String(token);
  w.EndObject();
  ex->Respond(JsonResponse(201, std::move(body)));
}

void Api::ListWebhooks(const Exchange& ex, const Caller& caller, const std::string& integration) {
  if (absl::Status s = webhooks::ValidateIntegrationId(integration); !s.ok()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", runtime::ToStd(s.message())));
  }
  absl::StatusOr<std::vector<store::Webhook>> list = store_->ListWebhooks(caller.org_id, integration);
  if (!list.ok()) return ex->Respond(StatusResponse(list.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("webhooks").BeginArray();
  for (const store::Webhook& h : *list) {
    w.BeginObject();
    WriteWebhook(w, h);
    w.EndObject();
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::DeleteWebhook(const Exchange& ex, const Caller& caller, const std::string& id) {
  absl::StatusOr<store::Webhook> hook = store_->GetWebhook(id);
  if (!hook.ok() && !absl::IsNotFound(hook.status())) return ex->Respond(StatusResponse(hook.status()));
  if (!hook.ok() || hook->org_id != caller.org_id) {  // another org's webhook is answered like a missing one
    return ex->Respond(ErrorResponse(404, "webhook_not_found",
                                     absl::StrCat("webhook '", id, "' does not exist in org '", caller.org_id,
                                                  "'; list them with GET /api/v1/integrations/{integration}/"
                                                  "webhooks")));
  }
  if (absl::Status s = store_->DeleteWebhook(id); !s.ok()) return ex->Respond(StatusResponse(s, "webhook_not_found"));
  if (logger_) logger_->Info("api", "webhook ", id, " deleted");
  if (hook->mode == webhooks::kModeEdgeRelay) hub_->NotifyWebhooksChanged(hook->deployment_id);
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("id").String(id).Key("deleted").Bool(true).EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::ListDeliveries(const Exchange& ex, const Caller& caller, const std::string& integration) {
  if (absl::Status s = webhooks::ValidateIntegrationId(integration); !s.ok()) {
    return ex->Respond(ErrorResponse(400, "invalid_request", runtime::ToStd(s.message())));
  }
  int64_t limit = 100;
  for (absl::string_view pair : absl::StrSplit(ex->request().query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.first != "limit") continue;
    if (!absl::SimpleAtoi(kv.second, &limit) || limit < 1 || limit > kMaxDeliveriesLimit) {
      return ex->Respond(ErrorResponse(
          400, "invalid_request",
          absl::StrCat("limit must be an integer from 1 to ", kMaxDeliveriesLimit, ", got '", kv.second, "'")));
    }
  }
  absl::StatusOr<std::vector<store::WebhookDelivery>> list =
      store_->ListWebhookDeliveries(caller.org_id, integration, limit);
  if (!list.ok()) return ex->Respond(StatusResponse(list.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("deliveries").BeginArray();
  for (const store::WebhookDelivery& d : *list) {
    w.BeginObject().Key("deliveryId").String(d.delivery_id).Key("webhookId").String(d.webhook_id);
    w.Key("integrationId").String(d.integration_id).Key("deploymentId").String(d.deployment_id);
    w.Key("via").String(d.via).Key("receivedAtMs").Int(d.received_at_ms).Key("storedAtMs").Int(d.stored_at_ms);
    w.Key("method").String(d.method).Key("path").String(d.path).Key("query").String(d.query);
    w.Key("headers").Raw(d.headers_json);  // written by this platform as a JSON array
    w.Key("bodyBase64").String(protocol::Base64Encode(d.body));
    w.Key("bodyBytes").Int(d.body_bytes).Key("bodyPruned").Bool(d.body_pruned);
    w.Key("signature").String(d.signature).EndObject();
  }
  w.EndArray().EndObject();
  ex->Respond(JsonResponse(200, std::move(body)));
}

void Api::ReceiveHook(const Exchange& ex, const std::string& webhook_id, const std::string& token) {
  const HttpRequest& req = ex->request();
  absl::StatusOr<store::Webhook> hook = store_->GetWebhook(webhook_id);
  if (!hook.ok() && !absl::IsNotFound(hook.status())) return ex->Respond(StatusResponse(hook.status()));
  // Only cloud-public webhooks are received here; an edge-relay one lives at its connector's relay.
  if (!hook.ok() || hook->mode != webhooks::kModeCloudPublic) {
    return ex->Respond(ErrorResponse(404, "not_found", "no such webhook; check the URL the platform returned"));
  }
  if (!webhooks::TokenMatches(token, hook->token_sha256)) {
    return ex->Respond(ErrorResponse(401, "invalid_token",
                                     "the URL token does not match this webhook; use the full URL returned when "
                                     "the webhook was created"));
  }
  const int64_t limit = options_.webhook_max_body_bytes;
  if (req.body_too_large || static_cast<int64_t>(req.body.size()) > limit) {
    return ex->Respond(ErrorResponse(
        413, "body_too_large",
        absl::StrCat("the webhook body exceeds ", limit, " bytes (edge-platform serve --webhook-max-body-bytes)")));
  }
  if (!hook_rate_) hook_rate_ = std::make_unique<webhooks::RateLimiter>(options_.webhook_rate_limit_per_minute);
  const int64_t mono_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count();
  int64_t retry_after_s = 0;
  if (!hook_rate_->Admit(hook->id, mono_ms, &retry_after_s)) {
    HttpResponse r = ErrorResponse(
        429, "rate_limited",
        absl::StrCat("webhook ", hook->id, " receives at most ", options_.webhook_rate_limit_per_minute,
                     " deliveries per minute; retry after ", retry_after_s, " s"));
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    return ex->Respond(std::move(r));
  }
  std::optional<webhooks::HmacConfig> hmac;
  if (hook->has_hmac) hmac = webhooks::HmacConfig{hook->hmac_header, hook->hmac_prefix, hook->hmac_secret};
  const webhooks::Signature signature =
      webhooks::CheckSignature(hmac, hmac ? ex->Header(absl::AsciiStrToLower(hmac->header)) : std::nullopt, req.body);
  if (signature == webhooks::Signature::kInvalid) {
    return ex->Respond(ErrorResponse(
        401, "invalid_signature",
        absl::StrCat("the ", hook->hmac_header, " signature does not match the body (HMAC-SHA256 with the webhook's "
                     "secret); check the secret configured at the provider")));
  }
  store::WebhookDelivery d;
  d.delivery_id = webhooks::NewDeliveryId();
  d.webhook_id = hook->id;
  d.integration_id = hook->integration_id;
  d.deployment_id = hook->deployment_id;
  d.org_id = hook->org_id;
  d.via = std::string(webhooks::kModeCloudPublic);
  d.received_at_ms = store::NowMs();
  d.stored_at_ms = d.received_at_ms;
  d.method = req.method;
  d.path = absl::StrCat("/hooks/", hook->id, "/{token}");
  d.query = req.query;
  protocol::JsonWriter hw(d.headers_json);
  hw.BeginArray();
  for (const auto& [name, value] :
       webhooks::SelectHeaders([&](std::string_view name) { return ex->Header(name); }, hook->hmac_header)) {
    hw.BeginArray().String(name).String(value).EndArray();
  }
  hw.EndArray();
  d.body = req.body;
  d.signature = webhooks::SignatureName(signature);
  absl::StatusOr<bool> stored = store_->AddWebhookDelivery(d);
  if (!stored.ok()) return ex->Respond(StatusResponse(stored.status()));
  std::string body;
  protocol::JsonWriter w(body);
  w.BeginObject().Key("deliveryId").String(d.delivery_id).Key("status").String("stored").EndObject();
  ex->Respond(JsonResponse(202, std::move(body)));
}

}  // namespace edge::platform::api
