// Schema migrations. Never edit a shipped migration: append a new one (docs/api.md "Data directory").
#include "store/schema.h"

#include <array>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace edge::platform::store {
namespace {

constexpr std::array<std::string_view, 5> kMigrations = {
    // 1: the initial schema.
    R"sql(
CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  secret_rotated_at_ms INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'offline')),
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  session_id TEXT NOT NULL DEFAULT '',
  connector_json TEXT NOT NULL DEFAULT '',
  status_json TEXT NOT NULL DEFAULT '',
  tools_generation INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deployments_by_org ON deployments(org_id);
CREATE TABLE deployment_tools (
  deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  descriptor_json TEXT NOT NULL,
  PRIMARY KEY (deployment_id, name)
);
CREATE TABLE calls (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  started_at_ms INTEGER NOT NULL,
  elapsed_ms INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  http_status INTEGER NOT NULL
);
CREATE INDEX calls_by_org ON calls(org_id, seq);
)sql",
    // 2: bundles (docs/bundles.md section 6). The archives live in <data-dir>/bundles/; these rows describe
    // them. `version` NULL in a default or an assignment means "follow the latest version".
    R"sql(
CREATE TABLE bundles (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  name TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  latest_version INTEGER NOT NULL DEFAULT 0,
  UNIQUE (org_id, name)
);
CREATE TABLE bundle_versions (
  bundle_id TEXT NOT NULL REFERENCES bundles(id),
  version INTEGER NOT NULL,
  checksum TEXT NOT NULL,
  archive_sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  uploaded_at_ms INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  built_at TEXT NOT NULL,
  signed INTEGER NOT NULL,
  abi_major INTEGER NOT NULL,
  abi_minor INTEGER NOT NULL,
  os TEXT NOT NULL,
  arch TEXT NOT NULL,
  tools_json TEXT NOT NULL,
  file_name TEXT NOT NULL,
  PRIMARY KEY (bundle_id, version)
);
CREATE INDEX bundle_versions_by_checksum ON bundle_versions(bundle_id, checksum);
CREATE TABLE org_default_bundles (
  org_id TEXT PRIMARY KEY REFERENCES orgs(id),
  bundle_id TEXT NOT NULL REFERENCES bundles(id),
  version INTEGER
);
CREATE TABLE deployment_bundles (
  deployment_id TEXT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
  bundle_id TEXT NOT NULL REFERENCES bundles(id),
  version INTEGER,
  assigned_at_ms INTEGER NOT NULL
);
)sql",
    // 3: cloud connectors (docs/cloud-connectors.md): at most one per deployment; pid and its start time let a
    // restarted platform adopt the process. A deployment cannot be deleted while it has one.
    R"sql(
CREATE TABLE cloud_connectors (
  id TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL UNIQUE REFERENCES deployments(id),
  org_id TEXT NOT NULL REFERENCES orgs(id),
  state TEXT NOT NULL CHECK (state IN ('Provisioning', 'Stopped', 'Starting', 'Running', 'Stopping')),
  state_since_ms INTEGER NOT NULL,
  failed INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  secret_hash TEXT NOT NULL DEFAULT '',
  pid INTEGER,
  pid_start_time INTEGER NOT NULL DEFAULT 0,
  restarts INTEGER NOT NULL DEFAULT 0,
  restart_at_ms INTEGER,
  last_heartbeat_at_ms INTEGER,
  created_at_ms INTEGER NOT NULL
);
)sql",
    // 4: webhooks (docs/webhook-relay.md). Tokens are stored as their SHA-256 only. Deliveries outlive their
    // webhook (no foreign key) and are stored once per (deployment, deliveryId): the idempotency key of
    // webhook.relay. deployment_relays holds the relay address each deployment's connector last reported.
    R"sql(
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  integration_id TEXT NOT NULL,
  deployment_id TEXT NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  mode TEXT NOT NULL CHECK (mode IN ('edge-relay', 'cloud-public')),
  token_sha256 TEXT NOT NULL,
  url_prefix TEXT NOT NULL,
  relay_mode TEXT NOT NULL DEFAULT '',
  provider_base_url TEXT NOT NULL DEFAULT '',
  hmac_secret TEXT,
  hmac_header TEXT NOT NULL DEFAULT '',
  hmac_prefix TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX webhooks_by_integration ON webhooks(org_id, integration_id);
CREATE INDEX webhooks_by_deployment ON webhooks(deployment_id, mode);
CREATE TABLE webhook_deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  integration_id TEXT NOT NULL,
  via TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  stored_at_ms INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  query TEXT NOT NULL,
  headers_json TEXT NOT NULL,
  body_base64 TEXT NOT NULL,
  body_bytes INTEGER NOT NULL,
  signature TEXT NOT NULL,
  UNIQUE (deployment_id, delivery_id)
);
CREATE INDEX webhook_deliveries_by_integration ON webhook_deliveries(org_id, integration_id, seq);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id);
CREATE TABLE deployment_relays (
  deployment_id TEXT PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  mode TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
)sql",
    // 5: the admin console (docs/console.md): one-time sign-in links, cookie sessions, and the CLI's device
    // sign-in requests. Every token is stored as its SHA-256 only.
    R"sql(
CREATE TABLE console_signin_links (
  token_sha256 TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE console_sessions (
  id_sha256 TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
);
CREATE TABLE device_requests (
  device_code_sha256 TEXT PRIMARY KEY,
  user_code TEXT NOT NULL UNIQUE,
  client_name TEXT NOT NULL,
  deployment_id TEXT NOT NULL,
  requested_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  org_id TEXT NOT NULL DEFAULT '',
  approver TEXT NOT NULL DEFAULT '',
  last_poll_ms INTEGER NOT NULL DEFAULT 0
);
)sql",
};

absl::StatusOr<int> UserVersion(Database& db) {
  absl::StatusOr<Statement> stmt = db.Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? static_cast<int>(stmt->Int(0)) : 0;
}

}  // namespace

int CurrentSchemaVersion() { return static_cast<int>(kMigrations.size()); }

absl::Status MigrateSchema(Database& db) {
  absl::StatusOr<int> version = UserVersion(db);
  if (!version.ok()) return version.status();
  if (*version > CurrentSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat(db.path(), " has schema version ", *version, " but this edge-platform knows only up to ",
                     CurrentSchemaVersion(), "; run a newer edge-platform on this data dir"));
  }
  for (int next = *version + 1; next <= CurrentSchemaVersion(); ++next) {
    absl::Status s = InTransaction(db, [&]() -> absl::Status {
      // Re-read inside the write lock: a concurrent admin command may have migrated meanwhile.
      absl::StatusOr<int> now = UserVersion(db);
      if (!now.ok()) return now.status();
      if (*now >= next) return absl::OkStatus();
      if (absl::Status e = db.Exec(kMigrations[static_cast<size_t>(next - 1)]); !e.ok()) return e;
      return db.Exec(absl::StrCat("PRAGMA user_version = ", next));
    });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace edge::platform::store
