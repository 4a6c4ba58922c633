// Store: the cloud_connectors table (docs/cloud-connectors.md section 1, "Reconciliation": every state, pid and
// process start time is here, so a platform restart loses nothing).
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {

constexpr char kColumns[] =
    "id, deployment_id, org_id, state, state_since_ms, failed, last_error, secret_hash, pid, pid_start_time, "
    "restarts, restart_at_ms, last_heartbeat_at_ms, created_at_ms";

// The length of RandomToken(32) (base64url without padding): the random part of a secret.
constexpr size_t kSecretTokenChars = 43;

std::optional<int64_t> OptionalInt(const Statement& s, int column) {
  if (s.IsNull(column)) return std::nullopt;
  return s.Int(column);
}

CloudConnector Read(const Statement& s) {
  CloudConnector c;
  c.id = s.Text(0);
  c.deployment_id = s.Text(1);
  c.org_id = s.Text(2);
  c.state = s.Text(3);
  c.state_since_ms = s.Int(4);
  c.failed = s.Int(5) != 0;
  c.last_error = s.Text(6);
  c.secret_hash = s.Text(7);
  c.pid = OptionalInt(s, 8);
  c.pid_start_time = s.Int(9);
  c.restarts = s.Int(10);
  c.restart_at_ms = OptionalInt(s, 11);
  c.last_heartbeat_at_ms = OptionalInt(s, 12);
  c.created_at_ms = s.Int(13);
  return c;
}

void BindOptional(Statement& s, int index, const std::optional<int64_t>& value) {
  if (value) {
    s.Bind(index, *value);
  } else {
    s.BindNull(index);
  }
}

}  // namespace

std::optional<std::string> CloudConnectorIdOfSecret(std::string_view secret) {
  constexpr std::string_view kPrefix = "ccs_";
  if (secret.size() <= kPrefix.size() + kSecretTokenChars + 1 || secret.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  const size_t separator = secret.size() - kSecretTokenChars - 1;
  if (secret[separator] != '_') return std::nullopt;
  return std::string(secret.substr(kPrefix.size(), separator - kPrefix.size()));
}

absl::Status Store::CreateCloudConnector(const CloudConnector& c) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO cloud_connectors(id, deployment_id, org_id, state, state_since_ms, secret_hash, created_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, c.id)
                       .Bind(2, c.deployment_id)
                       .Bind(3, c.org_id)
                       .Bind(4, c.state)
                       .Bind(5, c.state_since_ms)
                       .Bind(6, c.secret_hash)
                       .Bind(7, c.created_at_ms)
                       .Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("deployment '", c.deployment_id,
                                                 "' already has a cloud connector; delete it before provisioning "
                                                 "a new one"));
  }
  return s;
}

absl::StatusOr<std::optional<CloudConnector>> Store::FindCloudConnector(std::string_view deployment_id) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kColumns, " FROM cloud_connectors WHERE deployment_id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<CloudConnector>();
  return std::optional<CloudConnector>(Read(*stmt));
}

absl::StatusOr<std::vector<CloudConnector>> Store::ListCloudConnectors() {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kColumns, " FROM cloud_connectors ORDER BY created_at_ms, id"));
  if (!stmt.ok()) return stmt.status();
  std::vector<CloudConnector> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(Read(*stmt));
  }
}

absl::Status Store::UpdateCloudConnector(const CloudConnector& c) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "UPDATE cloud_connectors SET state = ?, state_since_ms = ?, failed = ?, last_error = ?, secret_hash = ?, "
      "pid = ?, pid_start_time = ?, restarts = ?, restart_at_ms = ?, last_heartbeat_at_ms = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, c.state).Bind(2, c.state_since_ms).Bind(3, int64_t{c.failed ? 1 : 0}).Bind(4, c.last_error);
  stmt->Bind(5, c.secret_hash);
  BindOptional(*stmt, 6, c.pid);
  stmt->Bind(7, c.pid_start_time).Bind(8, c.restarts);
  BindOptional(*stmt, 9, c.restart_at_ms);
  BindOptional(*stmt, 10, c.last_heartbeat_at_ms);
  stmt->Bind(11, c.id);
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  if (db_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat("cloud connector '", c.id, "' does not exist (deleted meanwhile?)"));
  }
  return absl::OkStatus();
}

absl::Status Store::RecordCloudHeartbeat(std::string_view connector_id, int64_t at_ms) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare("UPDATE cloud_connectors SET last_heartbeat_at_ms = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, at_ms).Bind(2, connector_id).Run();
}

absl::Status Store::DeleteCloudConnector(std::string_view connector_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare("DELETE FROM cloud_connectors WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, connector_id).Run();
}

absl::StatusOr<std::optional<std::string>> Store::VerifyCloudConnectorSecret(std::string_view deployment_id,
                                                                             std::string_view secret) {
  const std::optional<std::string> id = CloudConnectorIdOfSecret(secret);
  absl::StatusOr<std::optional<CloudConnector>> found = FindCloudConnector(deployment_id);
  if (!found.ok()) return found.status();
  const bool candidate = id && *found && (*found)->id == *id && !(*found)->secret_hash.empty();
  // Hash something anyway, so an unknown connector costs the same time as a wrong secret.
  const bool valid = protocol::VerifySecret(secret, candidate ? (*found)->secret_hash
                                                              : protocol::HashSecret("unknown-cloud-connector"));
  if (!candidate || !valid) return std::optional<std::string>();
  return id;
}

}  // namespace edge::platform::store
