// StoreHubDirectory: forwards the hub's lifecycle events to the Store.
#include "store/hub_directory.h"

#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::store {

absl::StatusOr<std::string> StoreHubDirectory::DeploymentOrg(std::string_view deployment_id) {
  absl::StatusOr<Deployment> d = store_->GetDeployment(deployment_id);
  if (!d.ok()) return d.status();
  return d->org_id;
}

bool StoreHubDirectory::CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) {
  absl::StatusOr<std::string> hash = store_->SecretHash(deployment_id);
  if (!hash.ok()) {
    // Hash something anyway so an unknown id costs the same time as a wrong secret (ids cannot be probed).
    protocol::VerifySecret(secret, protocol::HashSecret("unknown-deployment"));
    return false;
  }
  return protocol::VerifySecret(secret, *hash);
}

void StoreHubDirectory::RecordConnected(std::string_view deployment_id, std::string_view session_id,
                                        std::string_view hello_params_json, int64_t at_ms) {
  Check(store_->RecordConnected(deployment_id, session_id, hello_params_json, at_ms), "connection", deployment_id);
}

void StoreHubDirectory::RecordHeartbeat(std::string_view deployment_id, int64_t at_ms,
                                        std::string_view status_json) {
  Check(store_->RecordHeartbeat(deployment_id, at_ms, status_json), "heartbeat", deployment_id);
}

void StoreHubDirectory::RecordTools(std::string_view deployment_id, uint64_t generation,
                                    const std::vector<protocol::RegisteredTool>& tools) {
  Check(store_->ReplaceTools(deployment_id, generation, tools), "tools", deployment_id);
}

void StoreHubDirectory::RecordDisconnected(std::string_view deployment_id, int64_t at_ms, std::string_view reason) {
  if (logger_ != nullptr) logger_->Info("store", "deployment ", deployment_id, " offline (", reason, ")");
  Check(store_->RecordDisconnected(deployment_id, at_ms), "disconnection", deployment_id);
}

// ---- Webhooks ----------------------------------------------------------------------------------------------

void StoreHubDirectory::RecordRelay(std::string_view deployment_id, std::string_view connector_id,
                                    const protocol::RelayInfo& relay) {
  // A cloud connector's relay listens inside the platform's hosting: providers are never pointed at it.
  if (connector_id != "self") return;
  Check(store_->RecordRelay(deployment_id, RelayRecord{relay.url, relay.mode, NowMs()}), "relay address",
        deployment_id);
}

absl::StatusOr<std::string> StoreHubDirectory::StoreWebhookDelivery(std::string_view deployment_id,
                                                                    const protocol::WebhookRelayParams& params) {
  absl::StatusOr<Webhook> webhook = store_->GetWebhook(params.webhook_id);
  if (!webhook.ok() && !absl::IsNotFound(webhook.status())) return webhook.status();
  WebhookDelivery d;
  d.delivery_id = params.delivery_id;
  d.deployment_id = std::string(deployment_id);
  d.webhook_id = params.webhook_id;
  if (webhook.ok() && webhook->deployment_id == deployment_id && webhook->mode == "edge-relay") {
    d.org_id = webhook->org_id;
    d.integration_id = webhook->integration_id;
  } else {
    // A resend of a delivery stored before its webhook was deleted is still a duplicate, not an error.
    absl::StatusOr<bool> known = store_->HasWebhookDelivery(deployment_id, params.delivery_id);
    if (!known.ok()) return known.status();
    if (*known) return std::string("duplicate");
    const std::string why = webhook.ok() ? absl::StrCat(" is not an edge-relay webhook of deployment ",
                                                        runtime::ToAbsl(deployment_id))
                                         : std::string(" does not exist (deleted?)");
    return absl::InvalidArgumentError(absl::StrCat("webhook ", params.webhook_id, why,
                                                   "; the delivery cannot be stored, and the connector's webhook "
                                                   "list is out of date"));
  }
  d.via = "edge-relay";
  d.received_at_ms = params.received_at_ms;
  d.stored_at_ms = NowMs();
  d.method = params.method;
  d.path = params.path;
  d.query = params.query;
  protocol::JsonWriter w(d.headers_json);
  w.BeginArray();
  for (const auto& [name, value] : params.headers) w.BeginArray().String(name).String(value).EndArray();
  w.EndArray();
  d.body = params.body;
  d.signature = params.signature;
  absl::StatusOr<bool> inserted = store_->AddWebhookDelivery(d);
  if (!inserted.ok()) return inserted.status();
  return std::string(*inserted ? "stored" : "duplicate");
}

protocol::WebhooksConfigParams StoreHubDirectory::WebhooksConfigFor(std::string_view deployment_id) {
  protocol::WebhooksConfigParams out;
  absl::StatusOr<std::vector<Webhook>> list = store_->ListDeploymentWebhooks(deployment_id, "edge-relay");
  if (!list.ok()) {
    Check(list.status(), "webhook list (webhooks.config)", deployment_id);
    return out;
  }
  for (const Webhook& w : *list) {
    protocol::WebhookConfigEntry e;
    e.webhook_id = w.id;
    e.integration_id = w.integration_id;
    e.token_sha256 = w.token_sha256;
    if (w.has_hmac) e.hmac = protocol::WebhookHmac{w.hmac_header, w.hmac_prefix, w.hmac_secret};
    out.webhooks.push_back(std::move(e));
  }
  return out;
}

void StoreHubDirectory::Check(const absl::Status& status, std::string_view what, std::string_view deployment_id) {
  if (!status.ok() && logger_ != nullptr) {
    logger_->Warn("store", "could not record the ", what, " of deployment ", deployment_id, ": ",
                  status.ToString());
  }
}

}  // namespace edge::platform::store
