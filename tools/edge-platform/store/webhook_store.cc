// Store: webhooks, their deliveries, and the relay address each deployment's connector last reported
// (docs/webhook-relay.md). Bodies are kept as base64 text so any bytes round-trip.
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {

constexpr char kWebhookColumns[] =
    "w.id, w.org_id, w.integration_id, w.deployment_id, w.name, w.mode, w.token_sha256, w.url_prefix, "
    "w.relay_mode, w.provider_base_url, w.hmac_secret IS NOT NULL, w.hmac_header, w.hmac_prefix, "
    "COALESCE(w.hmac_secret, ''), w.created_at_ms, "
    "(SELECT COUNT(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id), "
    "(SELECT COALESCE(MAX(d.stored_at_ms), 0) FROM webhook_deliveries d WHERE d.webhook_id = w.id)";

Webhook ReadWebhook(const Statement& s) {
  Webhook w;
  w.id = s.Text(0);
  w.org_id = s.Text(1);
  w.integration_id = s.Text(2);
  w.deployment_id = s.Text(3);
  w.name = s.Text(4);
  w.mode = s.Text(5);
  w.token_sha256 = s.Text(6);
  w.url_prefix = s.Text(7);
  w.relay_mode = s.Text(8);
  w.provider_base_url = s.Text(9);
  w.has_hmac = s.Int(10) != 0;
  w.hmac_header = s.Text(11);
  w.hmac_prefix = s.Text(12);
  w.hmac_secret = s.Text(13);
  w.created_at_ms = s.Int(14);
  w.delivery_count = s.Int(15);
  w.last_delivery_at_ms = s.Int(16);
  return w;
}

absl::StatusOr<std::vector<Webhook>> ReadWebhooks(Statement& stmt) {
  std::vector<Webhook> out;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ReadWebhook(stmt));
  }
}

}  // namespace

absl::Status Store::CreateWebhook(const Webhook& w) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO webhooks(id, org_id, integration_id, deployment_id, name, mode, token_sha256, url_prefix, "
      "relay_mode, provider_base_url, hmac_secret, hmac_header, hmac_prefix, created_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, w.id).Bind(2, w.org_id).Bind(3, w.integration_id).Bind(4, w.deployment_id).Bind(5, w.name);
  stmt->Bind(6, w.mode).Bind(7, w.token_sha256).Bind(8, w.url_prefix).Bind(9, w.relay_mode);
  stmt->Bind(10, w.provider_base_url);
  if (w.has_hmac) {
    stmt->Bind(11, w.hmac_secret);
  } else {
    stmt->BindNull(11);
  }
  stmt->Bind(12, w.hmac_header).Bind(13, w.hmac_prefix).Bind(14, w.created_at_ms);
  return stmt->Run();
}

absl::StatusOr<Webhook> Store::GetWebhook(std::string_view id) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kWebhookColumns, " FROM webhooks w WHERE w.id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("webhook '", ToAbsl(id),
                                            "' does not exist; list an integration's webhooks with GET "
                                            "/api/v1/integrations/{integration}/webhooks"));
  }
  return ReadWebhook(*stmt);
}

absl::StatusOr<std::vector<Webhook>> Store::ListWebhooks(std::string_view org_id, std::string_view integration_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat(
      "SELECT ", kWebhookColumns,
      " FROM webhooks w WHERE w.org_id = ? AND w.integration_id = ? ORDER BY w.created_at_ms, w.id"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id).Bind(2, integration_id);
  return ReadWebhooks(*stmt);
}

absl::StatusOr<std::vector<Webhook>> Store::ListDeploymentWebhooks(std::string_view deployment_id,
                                                                   std::string_view mode) {
  absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat(
      "SELECT ", kWebhookColumns,
      " FROM webhooks w WHERE w.deployment_id = ? AND w.mode = ? ORDER BY w.created_at_ms, w.id"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id).Bind(2, mode);
  return ReadWebhooks(*stmt);
}

absl::Status Store::DeleteWebhook(std::string_view id) {
  absl::StatusOr<Statement> stmt = db_->Prepare("DELETE FROM webhooks WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  if (absl::Status s = stmt->Bind(1, id).Run(); !s.ok()) return s;
  if (db_->Changes() == 0) return GetWebhook(id).status();  // the NotFound with its message
  return absl::OkStatus();
}

absl::StatusOr<bool> Store::AddWebhookDelivery(const WebhookDelivery& d, int64_t bodies_kept) {
  // The UNIQUE (deployment_id, delivery_id) constraint decides: a resend inserts nothing.
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT OR IGNORE INTO webhook_deliveries(delivery_id, deployment_id, webhook_id, org_id, integration_id, via, "
      "received_at_ms, stored_at_ms, method, path, query, headers_json, body_base64, body_bytes, signature) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, d.delivery_id).Bind(2, d.deployment_id).Bind(3, d.webhook_id).Bind(4, d.org_id);
  stmt->Bind(5, d.integration_id).Bind(6, d.via).Bind(7, d.received_at_ms).Bind(8, d.stored_at_ms);
  stmt->Bind(9, d.method).Bind(10, d.path).Bind(11, d.query);
  stmt->Bind(12, d.headers_json.empty() ? std::string_view("[]") : std::string_view(d.headers_json));
  stmt->Bind(13, protocol::Base64Encode(d.body)).Bind(14, static_cast<int64_t>(d.body.size()));
  stmt->Bind(15, d.signature);
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  if (db_->Changes() == 0) return false;
  // Bounded storage: bodies (up to webhookMaxBodyBytes each) go once they fall out of the kept window.
  absl::StatusOr<Statement> prune = db_->Prepare(
      "UPDATE webhook_deliveries SET body_base64 = '', headers_json = '[]' "
      "WHERE seq <= (SELECT MAX(seq) FROM webhook_deliveries) - ? AND body_base64 != ''");
  if (!prune.ok()) return prune.status();
  if (absl::Status s = prune->Bind(1, bodies_kept).Run(); !s.ok()) return s;
  return true;
}

absl::StatusOr<bool> Store::HasWebhookDelivery(std::string_view deployment_id, std::string_view delivery_id) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare("SELECT 1 FROM webhook_deliveries WHERE deployment_id = ? AND delivery_id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id).Bind(2, delivery_id);
  return stmt->Step();
}

absl::StatusOr<std::vector<WebhookDelivery>> Store::ListWebhookDeliveries(std::string_view org_id,
                                                                          std::string_view integration_id,
                                                                          int64_t limit) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "SELECT delivery_id, webhook_id, integration_id, deployment_id, org_id, via, received_at_ms, stored_at_ms, "
      "method, path, query, headers_json, body_base64, signature, body_bytes FROM webhook_deliveries "
      "WHERE org_id = ? AND integration_id = ? ORDER BY seq DESC LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id).Bind(2, integration_id).Bind(3, limit);
  std::vector<WebhookDelivery> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    WebhookDelivery d;
    d.delivery_id = stmt->Text(0);
    d.webhook_id = stmt->Text(1);
    d.integration_id = stmt->Text(2);
    d.deployment_id = stmt->Text(3);
    d.org_id = stmt->Text(4);
    d.via = stmt->Text(5);
    d.received_at_ms = stmt->Int(6);
    d.stored_at_ms = stmt->Int(7);
    d.method = stmt->Text(8);
    d.path = stmt->Text(9);
    d.query = stmt->Text(10);
    d.headers_json = stmt->Text(11);
    if (!protocol::Base64Decode(stmt->Text(12), &d.body)) {
      return absl::DataLossError(absl::StrCat("the stored body of webhook delivery ", d.delivery_id,
                                              " is not valid base64; the database was edited or damaged"));
    }
    d.signature = stmt->Text(13);
    d.body_bytes = stmt->Int(14);
    d.body_pruned = d.body.empty() && d.body_bytes > 0;
    out.push_back(std::move(d));
  }
}

absl::Status Store::RecordRelay(std::string_view deployment_id, const RelayRecord& relay) {
  if (relay.url.empty()) {
    absl::StatusOr<Statement> stmt = db_->Prepare("DELETE FROM deployment_relays WHERE deployment_id = ?");
    if (!stmt.ok()) return stmt.status();
    return stmt->Bind(1, deployment_id).Run();
  }
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO deployment_relays(deployment_id, url, mode, at_ms) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(deployment_id) DO UPDATE SET url = excluded.url, mode = excluded.mode, at_ms = excluded.at_ms");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, deployment_id).Bind(2, relay.url).Bind(3, relay.mode).Bind(4, relay.at_ms).Run();
}

absl::StatusOr<std::optional<RelayRecord>> Store::GetRelay(std::string_view deployment_id) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare("SELECT url, mode, at_ms FROM deployment_relays WHERE deployment_id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<RelayRecord>();
  return std::optional<RelayRecord>(RelayRecord{stmt->Text(0), stmt->Text(1), stmt->Int(2)});
}

}  // namespace edge::platform::store
