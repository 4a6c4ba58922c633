// Store: the admin console's one-time sign-in links and cookie sessions (docs/console.md section 1). Both are
// kept by the SHA-256 of their secret, so a copy of the database cannot be used to sign in.
#include <optional>

#include "absl/strings/str_cat.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace edge::platform::store {

absl::Status Store::CreateSigninLink(std::string_view token_sha256, std::string_view org_id,
                                     std::string_view subject, int64_t expires_at_ms) {
  if (absl::Status s = CheckOrg(org_id); !s.ok()) return s;
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO console_signin_links(token_sha256, org_id, subject, expires_at_ms) VALUES (?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, token_sha256).Bind(2, org_id).Bind(3, subject).Bind(4, expires_at_ms);
  return stmt->Run();
}

absl::StatusOr<std::optional<ConsoleSession>> Store::UseSigninLink(std::string_view token_sha256, int64_t now_ms) {
  std::optional<ConsoleSession> out;
  absl::Status s = InTransaction(*db_, [&]() -> absl::Status {
    absl::StatusOr<Statement> update = db_->Prepare(
        "UPDATE console_signin_links SET used = 1 WHERE token_sha256 = ? AND used = 0 AND expires_at_ms > ?");
    if (!update.ok()) return update.status();
    update->Bind(1, token_sha256).Bind(2, now_ms);
    if (absl::Status r = update->Run(); !r.ok()) return r;
    if (db_->Changes() != 1) return absl::OkStatus();
    absl::StatusOr<Statement> select =
        db_->Prepare("SELECT org_id, subject FROM console_signin_links WHERE token_sha256 = ?");
    if (!select.ok()) return select.status();
    select->Bind(1, token_sha256);
    absl::StatusOr<bool> row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    out.emplace();
    out->org_id = select->Text(0);
    out->subject = select->Text(1);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status Store::CreateConsoleSession(const ConsoleSession& session) {
  // Expired sessions and links are swept here: sign-ins are rare, so this keeps the tables small for free.
  absl::StatusOr<Statement> sweep = db_->Prepare("DELETE FROM console_sessions WHERE expires_at_ms <= ?");
  if (!sweep.ok()) return sweep.status();
  sweep->Bind(1, NowMs());
  if (absl::Status s = sweep->Run(); !s.ok()) return s;
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "INSERT INTO console_sessions(id_sha256, org_id, subject, csrf_token, created_at_ms, expires_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, session.id_sha256).Bind(2, session.org_id).Bind(3, session.subject).Bind(4, session.csrf_token);
  stmt->Bind(5, session.created_at_ms).Bind(6, session.expires_at_ms);
  return stmt->Run();
}

absl::StatusOr<std::optional<ConsoleSession>> Store::FindConsoleSession(std::string_view id_sha256,
                                                                        int64_t now_ms) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "SELECT org_id, subject, csrf_token, created_at_ms, expires_at_ms FROM console_sessions "
      "WHERE id_sha256 = ? AND expires_at_ms > ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id_sha256).Bind(2, now_ms);
  absl::StatusOr<bool> row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ConsoleSession>();
  ConsoleSession s;
  s.id_sha256 = std::string(id_sha256);
  s.org_id = stmt->Text(0);
  s.subject = stmt->Text(1);
  s.csrf_token = stmt->Text(2);
  s.created_at_ms = stmt->Int(3);
  s.expires_at_ms = stmt->Int(4);
  return std::optional<ConsoleSession>(std::move(s));
}

absl::Status Store::DeleteConsoleSession(std::string_view id_sha256) {
  absl::StatusOr<Statement> stmt = db_->Prepare("DELETE FROM console_sessions WHERE id_sha256 = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, id_sha256);
  return stmt->Run();
}

}  // namespace edge::platform::store

// ---- Device sign-in requests (docs/console.md section 3) ----

namespace edge::platform::store {

namespace {

constexpr char kDeviceColumns[] =
    "device_code_sha256, user_code, client_name, deployment_id, requested_at_ms, expires_at_ms, status, org_id, "
    "approver, last_poll_ms";

absl::StatusOr<std::optional<DeviceRequest>> ReadDeviceRequest(Statement& stmt) {
  absl::StatusOr<bool> row = stmt.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<DeviceRequest>();
  DeviceRequest r;
  r.device_code_sha256 = stmt.Text(0);
  r.user_code = stmt.Text(1);
  r.client_name = stmt.Text(2);
  r.deployment_id = stmt.Text(3);
  r.requested_at_ms = stmt.Int(4);
  r.expires_at_ms = stmt.Int(5);
  r.status = stmt.Text(6);
  r.org_id = stmt.Text(7);
  r.approver = stmt.Text(8);
  r.last_poll_ms = stmt.Int(9);
  return std::optional<DeviceRequest>(std::move(r));
}

}  // namespace

absl::Status Store::CreateDeviceRequest(const DeviceRequest& r, int64_t max_open) {
  return InTransaction(*db_, [&]() -> absl::Status {
    // Requests expired a day ago are of no use even for the "expired" answer: swept here.
    absl::StatusOr<Statement> sweep = db_->Prepare("DELETE FROM device_requests WHERE expires_at_ms < ?");
    if (!sweep.ok()) return sweep.status();
    sweep->Bind(1, r.requested_at_ms - int64_t{24} * 3600 * 1000);
    if (absl::Status s = sweep->Run(); !s.ok()) return s;
    absl::StatusOr<Statement> count = db_->Prepare(
        "SELECT COUNT(*) FROM device_requests WHERE status = 'pending' AND expires_at_ms > ?");
    if (!count.ok()) return count.status();
    count->Bind(1, r.requested_at_ms);
    absl::StatusOr<bool> row = count->Step();
    if (!row.ok()) return row.status();
    if (*row && count->Int(0) >= max_open) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "there are already ", max_open,
          " open sign-in requests; approve or deny them in the console, or wait until they expire"));
    }
    absl::StatusOr<Statement> stmt = db_->Prepare(absl::StrCat(
        "INSERT INTO device_requests(", kDeviceColumns, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, r.device_code_sha256).Bind(2, r.user_code).Bind(3, r.client_name).Bind(4, r.deployment_id);
    stmt->Bind(5, r.requested_at_ms).Bind(6, r.expires_at_ms).Bind(7, r.status).Bind(8, r.org_id);
    stmt->Bind(9, r.approver).Bind(10, r.last_poll_ms);
    return stmt->Run();
  });
}

absl::StatusOr<std::optional<DeviceRequest>> Store::FindDeviceRequestByUserCode(std::string_view user_code) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kDeviceColumns, " FROM device_requests WHERE user_code = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, user_code);
  return ReadDeviceRequest(*stmt);
}

absl::StatusOr<std::optional<DeviceRequest>> Store::FindDeviceRequestByDeviceCode(
    std::string_view device_code_sha256) {
  absl::StatusOr<Statement> stmt =
      db_->Prepare(absl::StrCat("SELECT ", kDeviceColumns, " FROM device_requests WHERE device_code_sha256 = ?"));
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, device_code_sha256);
  return ReadDeviceRequest(*stmt);
}

absl::StatusOr<bool> Store::DecideDeviceRequest(std::string_view user_code, std::string_view status,
                                                std::string_view org_id, std::string_view approver,
                                                int64_t now_ms) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "UPDATE device_requests SET status = ?, org_id = ?, approver = ? "
      "WHERE user_code = ? AND status = 'pending' AND expires_at_ms > ?");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, status).Bind(2, org_id).Bind(3, approver).Bind(4, user_code).Bind(5, now_ms);
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  return db_->Changes() == 1;
}

absl::StatusOr<int64_t> Store::RecordDevicePoll(std::string_view device_code_sha256, int64_t now_ms) {
  int64_t previous = 0;
  absl::Status s = InTransaction(*db_, [&]() -> absl::Status {
    absl::StatusOr<Statement> read =
        db_->Prepare("SELECT last_poll_ms FROM device_requests WHERE device_code_sha256 = ?");
    if (!read.ok()) return read.status();
    read->Bind(1, device_code_sha256);
    absl::StatusOr<bool> row = read->Step();
    if (!row.ok()) return row.status();
    if (*row) previous = read->Int(0);
    absl::StatusOr<Statement> write =
        db_->Prepare("UPDATE device_requests SET last_poll_ms = ? WHERE device_code_sha256 = ?");
    if (!write.ok()) return write.status();
    write->Bind(1, now_ms).Bind(2, device_code_sha256);
    return write->Run();
  });
  if (!s.ok()) return s;
  return previous;
}

absl::StatusOr<bool> Store::MarkDeviceTokenIssued(std::string_view device_code_sha256) {
  absl::StatusOr<Statement> stmt = db_->Prepare(
      "UPDATE device_requests SET status = 'issued' WHERE device_code_sha256 = ? AND status = 'approved'");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, device_code_sha256);
  if (absl::Status s = stmt->Run(); !s.ok()) return s;
  return db_->Changes() == 1;
}

}  // namespace edge::platform::store
