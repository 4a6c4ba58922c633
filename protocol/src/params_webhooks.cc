// Webhook messages: webhook.relay (§4.10) and its result, webhooks.config (§4.11). See docs/webhook-relay.md.
#include <set>

#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {

using internal::ObjectReader;

namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Reads "headers": [[name, value], ...]. Every entry must be a pair of strings with a non-empty name.
absl::Status ReadHeaders(const simdjson::dom::object& root, const ObjectReader& r,
                         std::vector<std::pair<std::string, std::string>>* out) {
  simdjson::dom::element headers_el;
  if (root.at_key("headers").get(headers_el) != simdjson::SUCCESS || headers_el.is_null()) {
    return r.Error("headers", "required array is missing (send [] for none)");
  }
  simdjson::dom::array headers;
  if (headers_el.get_array().get(headers) != simdjson::SUCCESS) return r.Error("headers", "must be an array");
  size_t index = 0;
  for (simdjson::dom::element entry : headers) {
    const std::string pointer = absl::StrCat("/headers/", index);
    simdjson::dom::array pair;
    std::string_view name;
    std::string_view value;
    if (entry.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2 ||
        pair.at(0).get_string().get(name) != simdjson::SUCCESS ||
        pair.at(1).get_string().get(value) != simdjson::SUCCESS) {
      return internal::FieldError(r.what(), pointer, "each header must be a [name, value] pair of strings");
    }
    if (name.empty()) return internal::FieldError(r.what(), pointer, "a header name must not be empty");
    out->emplace_back(std::string(name), std::string(value));
    ++index;
  }
  return absl::OkStatus();
}

// bodyBase64 + bodyBytes: the decoded body, capped at kWebhookMaxBodyBytesLimit, and its length must agree.
absl::Status ReadBody(const ObjectReader& r, std::string* body) {
  std::string encoded;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("bodyBase64", &encoded));
  // Checked before decoding so an oversize body costs nothing more than its parse.
  constexpr size_t kMaxEncoded = (static_cast<size_t>(kWebhookMaxBodyBytesLimit) + 2) / 3 * 4;
  if (encoded.size() > kMaxEncoded) {
    return r.Error("bodyBase64", absl::StrCat("encodes more than ", kWebhookMaxBodyBytesLimit,
                                              " bytes, the largest webhook body the protocol carries"));
  }
  if (!Base64Decode(encoded, body)) return r.Error("bodyBase64", "is not valid base64 (standard alphabet)");
  int64_t body_bytes = 0;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("bodyBytes", &body_bytes));
  if (body_bytes < 0 || static_cast<size_t>(body_bytes) != body->size()) {
    return r.Error("bodyBytes", absl::StrCat("is ", body_bytes, " but bodyBase64 decodes to ", body->size(),
                                             " bytes; send the length of the decoded body"));
  }
  if (body_bytes > kWebhookMaxBodyBytesLimit) {
    return r.Error("bodyBytes", absl::StrCat("is ", body_bytes, "; the limit is ", kWebhookMaxBodyBytesLimit));
  }
  return absl::OkStatus();
}

}  // namespace

std::string ToJson(const WebhookRelayParams& p) {
  std::string out;
  out.reserve(256 + p.body.size() * 4 / 3 + p.headers.size() * 48);
  JsonWriter w(out);
  w.BeginObject().Key("deliveryId").String(p.delivery_id).Key("webhookId").String(p.webhook_id);
  w.Key("receivedAtMs").Int(p.received_at_ms).Key("method").String(p.method).Key("path").String(p.path);
  w.Key("query").String(p.query).Key("headers").BeginArray();
  for (const auto& [name, value] : p.headers) w.BeginArray().String(name).String(value).EndArray();
  w.EndArray();
  w.Key("bodyBase64").String(Base64Encode(p.body)).Key("bodyBytes").Int(static_cast<int64_t>(p.body.size()));
  w.Key("signature").String(p.signature).EndObject();
  return out;
}

absl::StatusOr<WebhookRelayParams> ParseWebhookRelayParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "webhook.relay params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  WebhookRelayParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("deliveryId", &p.delivery_id, 1, kMaxIdBytes));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("webhookId", &p.webhook_id, 1, kMaxIdBytes));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("receivedAtMs", &p.received_at_ms));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("method", &p.method, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("path", &p.path, 1));
  if (p.path.front() != '/') return r.Error("path", "must start with '/'");
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptString("query", &p.query));
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadHeaders(root, r, &p.headers));
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadBody(r, &p.body));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("signature", &p.signature, 1));
  if (p.signature != "verified" && p.signature != "none" && p.signature != "absent") {
    return r.Error("signature", absl::StrCat("is '", p.signature, "'; expected verified, none or absent"));
  }
  return p;
}

std::string ToJson(const WebhookRelayResult& r) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("deliveryId").String(r.delivery_id).Key("status").String(r.status).EndObject();
  return out;
}

absl::StatusOr<WebhookRelayResult> ParseWebhookRelayResult(std::string_view result_json) {
  constexpr std::string_view kWhat = "webhook.relay result";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, result_json, &root));
  ObjectReader r(root, kWhat, "");
  WebhookRelayResult result;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("deliveryId", &result.delivery_id, 1, kMaxIdBytes));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("status", &result.status, 1));
  // Only these two mean "the platform has it": anything else must not make the connector delete a delivery.
  if (result.status != "stored" && result.status != "duplicate") {
    return r.Error("status", absl::StrCat("is '", result.status, "'; expected stored or duplicate"));
  }
  return result;
}

std::string ToJson(const WebhooksConfigParams& p) {
  std::string out;
  out.reserve(32 + p.webhooks.size() * 192);
  JsonWriter w(out);
  w.BeginObject().Key("webhooks").BeginArray();
  for (const WebhookConfigEntry& e : p.webhooks) {
    w.BeginObject().Key("webhookId").String(e.webhook_id).Key("integrationId").String(e.integration_id);
    w.Key("tokenSha256").String(e.token_sha256);
    if (e.hmac.has_value()) {
      w.Key("hmac").BeginObject().Key("header").String(e.hmac->header).Key("prefix").String(e.hmac->prefix);
      w.Key("secret").String(e.hmac->secret).EndObject();
    }
    w.EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

absl::StatusOr<WebhooksConfigParams> ParseWebhooksConfigParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "webhooks.config params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  simdjson::dom::element list_el;
  if (root.at_key("webhooks").get(list_el) != simdjson::SUCCESS || list_el.is_null()) {
    return r.Error("webhooks", "required array is missing (send [] for none)");
  }
  simdjson::dom::array list;
  if (list_el.get_array().get(list) != simdjson::SUCCESS) return r.Error("webhooks", "must be an array");
  WebhooksConfigParams p;
  std::set<std::string, std::less<>> ids;
  size_t index = 0;
  for (simdjson::dom::element item : list) {
    const std::string pointer = absl::StrCat("/webhooks/", index);
    simdjson::dom::object obj;
    if (item.get_object().get(obj) != simdjson::SUCCESS) {
      return internal::FieldError(kWhat, pointer, "each webhook must be an object");
    }
    ObjectReader e(obj, kWhat, pointer);
    WebhookConfigEntry entry;
    EDGE_PROTOCOL_RETURN_IF_ERROR(e.String("webhookId", &entry.webhook_id, 1, kMaxIdBytes));
    if (!ids.insert(entry.webhook_id).second) {
      return e.Error("webhookId", absl::StrCat("duplicate webhook '", entry.webhook_id, "'"));
    }
    EDGE_PROTOCOL_RETURN_IF_ERROR(e.String("integrationId", &entry.integration_id, 1, 64));
    EDGE_PROTOCOL_RETURN_IF_ERROR(e.String("tokenSha256", &entry.token_sha256, 64, 64));
    if (!IsLowerHex(entry.token_sha256)) {
      return e.Error("tokenSha256", "must be the lower-case hex SHA-256 of the URL token");
    }
    simdjson::dom::object hmac_obj;
    bool present = false;
    EDGE_PROTOCOL_RETURN_IF_ERROR(e.Object("hmac", false, &hmac_obj, &present));
    if (present) {
      ObjectReader h(hmac_obj, kWhat, e.Pointer("hmac"));
      WebhookHmac hmac;  // header and prefix keep their documented defaults when absent
      EDGE_PROTOCOL_RETURN_IF_ERROR(h.OptString("header", &hmac.header));
      if (hmac.header.empty()) return h.Error("header", "must not be empty");
      EDGE_PROTOCOL_RETURN_IF_ERROR(h.OptString("prefix", &hmac.prefix));
      EDGE_PROTOCOL_RETURN_IF_ERROR(h.String("secret", &hmac.secret, 1));
      entry.hmac = std::move(hmac);
    }
    p.webhooks.push_back(std::move(entry));
    ++index;
  }
  return p;
}

}  // namespace edge::protocol
