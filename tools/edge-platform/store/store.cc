// Store: the SQL behind each operation. Secrets are hashed before they reach the database.
#include "store/store.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/runtime/log.h"
#include "store/schema.h"
#include "store/sqlite.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {

constexpr char kDeploymentColumns[] =
    "d.id, d.org_id, d.name, d.created_at_ms, d.secret_rotated_at_ms, d.status, d.last_seen_ms, d.session_id, "
    "d.connector_json, d.status_json, d.tools_generation, "
    "(SELECT COUNT(*) FROM deployment_tools t WHERE t.deployment_id = d.id)";

Deployment ReadDeployment(const Statement& s) {
  Deployment d;
  d.id = s.Text(0);
  d.org_id = s.Text(1);
  d.name = s.Text(2);
  d.created_at_ms = s.Int(3);
  d.secret_rotated_at_ms = s.Int(4);
  d.status = s.Text(5);
  d.last_seen_ms = s.Int(6);
  d.session_id = s.Text(7);
  d.connector_json = s.Text(8);
  d.status_json = s.Text(9);
  d.tools_generation = s.Int(10);
  d.tool_count = s.Int(11);
  return d;
}

absl::Status DeploymentNotFound(std::string_view id) {
  return absl::NotFoundError(absl::StrCat("deployment '", ToAbsl(id),
                                          "' does not exist; list them with GET /api/v1/deployments or "
                                          "'edge-platform admin list-deployments --org <org>'"));
}

absl::Status CheckName(std::string_view what, std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), " name is empty; give a name"));
  if (name.size() > 200) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " name is ", name.size(), " bytes long; the limit is 200"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Store::Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

int Store::SchemaVersion() { return CurrentSchemaVersion(); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(path, 5000);
  if (!db.ok()) return db.status();
  std::unique_ptr<Store> store(new Store(std::move(*db)));
  if (absl::Status s = MigrateSchema(*store->db_); !s.ok()) return s;
  return store;
}

absl::StatusOr<Org> Store::CreateOrg(std::string_view name, std::string_view id) {
  if (absl::Status s = CheckName("org", name); !s.ok()) return s;
  Org org{id.empty() ? "org_" + protocol::RandomToken(12) : std::string(id), std::string(name), NowMs()};
  for (char c : org.id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok || org.id.size() > 64) {
      return absl::InvalidArgumentError(absl::StrCat(
          "org id '", org.id, "' is invalid; use 1-64 characters from [A-Za-z0-9_-], or omit --id for a new one"));
    }
  }
  absl::StatusOr<Statement> stmt = db_->Prepare("INSERT INTO orgs(id, name, created_at_ms) VALUES (?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, org.id).Bind(2, org.name).Bind(3, org.created_at_ms).Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("org '", org.id, "' already exists; pick another --id"));
  }
  if (!s.ok()) return s;
  return org;
}

absl::StatusOr<Org> Store::GetOrg(std::string_view id) {
  absl::StatusOr<Statement> stmt = db_->Prepare("SELECT id, name, created_at_ms FROM orgs WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return absl::NotFoundError(absl::StrCat("org '", ToAbsl(id),
                                            "' does not exist; create it with 'edge-platform admin create-org "
                                            "--name <name>'"));
  }
  return Org{stmt->Text(0), stmt->Text(1), stmt->Int(2)};
}

absl::Status Store::CheckOrg(std::string_view org_id) { return GetOrg(org_id).status(); }

absl::StatusOr<DeploymentSecret> Store::CreateDeployment(std::string_view org_id, std::string_view name) {
  if (absl::Status s = CheckName("deployment", name); !s.ok()) return s;
  if (absl::Status s = CheckOrg(org_id); !s.ok()) return s;
  DeploymentSecret out;
  out.secret = protocol::RandomToken(32);
  Deployment& d = out.deployment;
  d.id = "dep_" + protocol::RandomToken(12);
  d.org_id = std::string(org_id);
  d.name = std::string(name);
  d.created_at_ms = NowMs();
  d.secret_rotated_at_ms = d.created_at_ms;
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO deployments(id, org_id, name, secret_hash, created_at_ms, secret_rotated_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, d.id)
                       .Bind(2, d.org_id)
                       .Bind(3, d.name)
                       .Bind(4, protocol::HashSecret(out.secret))
                       .Bind(5, d.created_at_ms)
                       .Bind(6, d.secret_rotated_at_ms)
                       .Run();
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<Deployment> Store::GetDeployment(std::string_view id) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kDeploymentColumns, " FROM deployments d WHERE d.id = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return DeploymentNotFound(id);
  return ReadDeployment(*stmt);
}

absl::StatusOr<std::vector<Deployment>> Store::ListDeployments(std::string_view org_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat(
      "SELECT ", kDeploymentColumns, " FROM deployments d WHERE d.org_id = ? ORDER BY d.created_at_ms, d.id"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id);
  std::vector<Deployment> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadDeployment(*stmt));
  }
  return out;
}

absl::StatusOr<DeploymentSecret> Store::RotateSecret(std::string_view id) {
  absl::StatusOr<Deployment> d = GetDeployment(id);
  if (!d.ok()) return d.status();
  DeploymentSecret out{*std::move(d), protocol::RandomToken(32)};
  out.deployment.secret_rotated_at_ms = NowMs();
  absl::StatusOr<Statement> stmt =
      db_->Prepare("UPDATE deployments SET secret_hash = ?, secret_rotated_at_ms = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  absl::Status s =
      stmt->Bind(1, protocol::HashSecret(out.secret)).Bind(2, out.deployment.secret_rotated_at_ms).Bind(3, id).Run();
  if (!s.ok()) return s;
  if (db_->Changes() == 0) return DeploymentNotFound(id);
  return out;
}

absl::Status Store::DeleteDeployment(std::string_view id) {
  return InTransaction(*db_, [&]() -> absl::Status {
    for (const char* sql : {"DELETE FROM deployment_tools WHERE deployment_id = ?",
                            "DELETE FROM deployment_bundles WHERE deployment_id = ?"}) {
      absl::StatusOr<Statement> rows = db_->Prepare(sql);
      if (!rows.ok()) return rows.status();
      if (absl::Status s = rows->Bind(1, id).Run(); !s.ok()) return s;
    }
    absl::StatusOr<Statement> dep = db_->Prepare("DELETE FROM deployments WHERE id = ?");
    if (!dep.ok()) return dep.status();
    if (absl::Status s = dep->Bind(1, id).Run(); !s.ok()) return s;
    if (db_->Changes() == 0) return DeploymentNotFound(id);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> Store::SecretHash(std::string_view id) {
  absl::StatusOr<Statement> stmt = db_->Prepare("SELECT secret_hash FROM deployments WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return DeploymentNotFound(id);
  return stmt->Text(0);
}

absl::Status Store::MarkAllOffline() {
  return db_->Exec("UPDATE deployments SET status = 'offline', session_id = '' WHERE status != 'offline'");
}

absl::Status Store::RecordConnected(std::string_view id, std::string_view session_id, std::string_view hello_json,
                                    int64_t at_ms) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "UPDATE deployments SET status = 'online', session_id = ?, connector_json = ?, last_seen_ms = ? "
      "WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, session_id).Bind(2, hello_json).Bind(3, at_ms).Bind(4, id).Run();
}

absl::Status Store::RecordHeartbeat(std::string_view id, int64_t at_ms, std::string_view status_json) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare("UPDATE deployments SET last_seen_ms = ?, status_json = ? WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, at_ms).Bind(2, status_json).Bind(3, id).Run();
}

absl::Status Store::RecordDisconnected(std::string_view id, int64_t at_ms) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "UPDATE deployments SET status = 'offline', session_id = '', last_seen_ms = MAX(last_seen_ms, ?) "
      "WHERE id = ?");
  if (!stmt.ok()) return stmt.status();
  return stmt->Bind(1, at_ms).Bind(2, id).Run();
}

absl::Status Store::ReplaceTools(std::string_view id, uint64_t generation,
                                 const std::vector<protocol::RegisteredTool>& tools) {
  return InTransaction(*db_, [&]() -> absl::Status {
    absl::StatusOr<Statement> clear = db_->Prepare("DELETE FROM deployment_tools WHERE deployment_id = ?");
    if (!clear.ok()) return clear.status();
    if (absl::Status s = clear->Bind(1, id).Run(); !s.ok()) return s;
    for (const protocol::RegisteredTool& tool : tools) {
      absl::StatusOr<Statement> add =
          db_->Prepare("INSERT OR REPLACE INTO deployment_tools(deployment_id, name, descriptor_json) VALUES (?, ?, ?)");
      if (!add.ok()) return add.status();
      if (absl::Status s = add->Bind(1, id).Bind(2, tool.name).Bind(3, tool.descriptor_json).Run(); !s.ok()) {
        return s;
      }
    }
    absl::StatusOr<Statement> gen = db_->Prepare("UPDATE deployments SET tools_generation = ? WHERE id = ?");
    if (!gen.ok()) return gen.status();
    return gen->Bind(1, static_cast<int64_t>(generation)).Bind(2, id).Run();
  });
}

namespace {
absl::StatusOr<std::vector<ToolRecord>> ReadTools(Statement& stmt) {
  std::vector<ToolRecord> out;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(ToolRecord{stmt.Text(0), stmt.Text(1), stmt.Text(2)});
  }
}
}  // namespace

absl::StatusOr<std::vector<ToolRecord>> Store::ListTools(std::string_view deployment_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "SELECT deployment_id, name, descriptor_json FROM deployment_tools WHERE deployment_id = ? ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, deployment_id);
  return ReadTools(*stmt);
}

absl::StatusOr<std::vector<ToolRecord>> Store::ListOrgTools(std::string_view org_id) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "SELECT t.deployment_id, t.name, t.descriptor_json FROM deployment_tools t "
      "JOIN deployments d ON d.id = t.deployment_id WHERE d.org_id = ? ORDER BY t.name, t.deployment_id");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id);
  return ReadTools(*stmt);
}

absl::Status Store::RecordCall(const CallRecord& call) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO calls(call_id, org_id, deployment_id, tool, started_at_ms, elapsed_ms, outcome, http_status) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  absl::Status s = stmt->Bind(1, call.call_id)
                       .Bind(2, call.org_id)
                       .Bind(3, call.deployment_id)
                       .Bind(4, call.tool)
                       .Bind(5, call.started_at_ms)
                       .Bind(6, call.elapsed_ms)
                       .Bind(7, call.outcome)
                       .Bind(8, static_cast<int64_t>(call.http_status))
                       .Run();
  if (!s.ok()) return s;
  // The log is a bounded window: seq grows by one per call, so everything kCallLogLimit behind goes.
  absl::StatusOr<Statement> trim =
      db_->Prepare("DELETE FROM calls WHERE seq <= (SELECT MAX(seq) FROM calls) - ?");
  if (!trim.ok()) return trim.status();
  return trim->Bind(1, kCallLogLimit).Run();
}

absl::StatusOr<std::vector<CallRecord>> Store::ListCalls(std::string_view org_id, int64_t limit) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "SELECT call_id, org_id, deployment_id, tool, started_at_ms, elapsed_ms, outcome, http_status FROM calls "
      "WHERE org_id = ? ORDER BY seq DESC LIMIT ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, org_id).Bind(2, limit);
  std::vector<CallRecord> out;
  while (true) {
    absl::StatusOr<bool> row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    out.push_back(CallRecord{stmt->Text(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Int(4),
                             stmt->Int(5), stmt->Text(6), static_cast<int>(stmt->Int(7))});
  }
}

}  // namespace edge::platform::store
