// RelayHandler: the status table of docs/webhook-relay.md §2 "Requests".
#include "relay/relay_handler.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/json_writer.h"
#include "relay/relay_options.h"

namespace edge::runtime::relay {
namespace {

constexpr char kRetryAfterSeconds[] = "30";

}  // namespace

HttpResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  protocol::JsonWriter w(r.body);
  w.BeginObject().Key("error").BeginObject().Key("code").String(code).Key("message").String(message);
  w.EndObject().EndObject();
  return r;
}

RelayHandler::RelayHandler(RelayHandlerOptions options, const WebhookRegistry* registry, DiskQueue* queue,
                           std::function<void()> on_queued)
    : options_(std::move(options)),
      registry_(registry),
      queue_(queue),
      on_queued_(std::move(on_queued)),
      logger_(options_.logger != nullptr ? *options_.logger : Logger::Default()),
      rate_limiter_(options_.rate_limit_per_minute) {}

std::variant<HttpResponse, Admitted> RelayHandler::Admit(const RequestHead& head) {
  std::optional<HookPath> hook = ParseHookPath(head.path);
  if (!hook.has_value()) {
    return ErrorResponse(404, "not_found", "not found: the relay serves only POST or PUT /hooks/<webhookId>/<token>");
  }
  if (head.method != "POST" && head.method != "PUT") {
    HttpResponse r =
        ErrorResponse(405, "method_not_allowed",
                      absl::StrCat("method ", head.method, " is not allowed: send webhooks with POST or PUT"));
    r.headers.emplace_back("allow", "POST, PUT");
    return r;
  }
  if (!registry_->ready()) {
    HttpResponse r = ErrorResponse(503, "relay_not_ready",
                                   "the relay has not received its webhook list from the platform yet and has none "
                                   "cached; retry once the connector has connected to the platform");
    r.headers.emplace_back("retry-after", kRetryAfterSeconds);
    return r;
  }
  std::optional<protocol::WebhookConfigEntry> webhook = registry_->Find(hook->webhook_id);
  if (!webhook.has_value()) {
    return ErrorResponse(404, "not_found",
                         absl::StrCat("unknown webhook ", hook->webhook_id, ": it is not provisioned for this "
                                      "connector's deployment (or was deleted)"));
  }
  if (!TokenMatches(hook->token, webhook->token_sha256)) {
    logger_.Warn(kComponent, "refused a request for webhook ", hook->webhook_id, ": wrong token");
    return ErrorResponse(401, "invalid_token",
                         absl::StrCat("the token in the URL is not the token of webhook ", hook->webhook_id,
                                      ": use the URL returned when the webhook was created"));
  }
  if (head.content_length.has_value() && *head.content_length > options_.max_body_bytes) {
    return ErrorResponse(413, "body_too_large",
                         absl::StrCat("the body is ", *head.content_length, " bytes; this relay accepts at most ",
                                      options_.max_body_bytes, " (webhookMaxBodyBytes)"));
  }
  const absl::Time now = Now();
  if (const int64_t wait = rate_limiter_.Acquire(hook->webhook_id, now); wait > 0) {
    HttpResponse r = ErrorResponse(429, "rate_limited",
                                   absl::StrCat("webhook ", hook->webhook_id, " is over its rate of ",
                                                options_.rate_limit_per_minute,
                                                " requests a minute (webhookRateLimitPerMinute); retry in ", wait,
                                                " s"));
    r.headers.emplace_back("retry-after", std::to_string(wait));
    return r;
  }
  Admitted a;
  a.header_names = RelayedHeaderNames(options_.forward_headers, webhook->hmac);
  a.hook = *std::move(hook);
  a.webhook = *std::move(webhook);
  a.received_at = now;
  return a;
}

HttpResponse RelayHandler::BodyTooLarge() const {
  return ErrorResponse(413, "body_too_large",
                       absl::StrCat("the body is larger than ", options_.max_body_bytes,
                                    " bytes, the most this relay accepts (webhookMaxBodyBytes)"));
}

HttpResponse RelayHandler::Finish(const Admitted& admitted, const RequestHead& head,
                                  std::vector<std::pair<std::string, std::string>> headers, std::string body) {
  if (static_cast<int64_t>(body.size()) > options_.max_body_bytes) return BodyTooLarge();
  std::optional<std::string> signature_header;
  if (admitted.webhook.hmac.has_value()) {
    const std::string name = absl::AsciiStrToLower(admitted.webhook.hmac->header);
    for (const auto& [n, v] : headers) {
      if (n == name) {
        signature_header = v;
        break;
      }
    }
  }
  const Signature signature = CheckSignature(admitted.webhook.hmac, signature_header, body);
  if (signature == Signature::kInvalid) {
    logger_.Warn(kComponent, "refused a delivery for webhook ", admitted.hook.webhook_id, ": ",
                 admitted.webhook.hmac->header, " does not match the body");
    return ErrorResponse(401, "invalid_signature",
                         absl::StrCat("the ", admitted.webhook.hmac->header,
                                      " signature does not match the body (HMAC-SHA256 with the webhook's secret)"));
  }
  protocol::WebhookRelayParams p;
  p.delivery_id = ulids_.Next(admitted.received_at);
  p.webhook_id = admitted.hook.webhook_id;
  p.received_at_ms = absl::ToUnixMillis(admitted.received_at);
  p.method = head.method;
  p.path = RelayedPath(admitted.hook);
  p.query = head.query;
  p.headers = std::move(headers);
  p.body = std::move(body);
  p.signature = std::string(SignatureName(signature));
  absl::StatusOr<QueuedDelivery> queued = queue_->Enqueue(p.delivery_id, protocol::ToJson(p));
  if (!queued.ok()) {
    if (absl::IsResourceExhausted(queued.status())) {
      logger_.Warn(kComponent, "refused a delivery for webhook ", p.webhook_id, ": ", queued.status().message());
      HttpResponse r = ErrorResponse(503, "relay_queue_full", ToStd(queued.status().message()));
      r.headers.emplace_back("retry-after", kRetryAfterSeconds);
      return r;
    }
    logger_.Error(kComponent, "cannot queue a delivery for webhook ", p.webhook_id, ": ", queued.status().message());
    return ErrorResponse(500, "internal_error",
                         absl::StrCat("the relay could not store the delivery: ", queued.status().message()));
  }
  logger_.Debug(kComponent, "webhook ", p.webhook_id, ": delivery ", p.delivery_id, " queued (", p.body.size(),
                " bytes, signature ", p.signature, ")");
  if (on_queued_) on_queued_();
  HttpResponse r;
  r.status = 202;
  protocol::JsonWriter w(r.body);
  w.BeginObject().Key("deliveryId").String(p.delivery_id).Key("status").String("queued").EndObject();
  return r;
}

}  // namespace edge::runtime::relay
