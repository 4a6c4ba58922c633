// SQLite wrapper: every failure carries SQLite's own message and the database path.
#include "store/sqlite.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::platform::store {

using runtime::ToAbsl;

namespace {
absl::Status SqliteError(sqlite3* db, std::string_view what) {
  return absl::InternalError(absl::StrCat("sqlite: ", ToAbsl(what), ": ", sqlite3_errmsg(db)));
}
}  // namespace

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_CONSTRAINT) {
    return absl::AlreadyExistsError(absl::StrCat("sqlite: constraint failed: ", sqlite3_errmsg(db_)));
  }
  return SqliteError(db_, sqlite3_sql(stmt_));
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (db != nullptr) sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open database ", path, ": ", message,
                                               "; check that the data dir exists and is writable"));
  }
  std::unique_ptr<Database> out(new Database(db, path));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // WAL lets readers (the admin commands) work next to the server's writer; NORMAL sync is durable across
  // process crashes, which is what a heartbeat-heavy store needs.
  if (absl::Status s = out->Exec("PRAGMA journal_mode=WAL"); !s.ok()) return s;
  if (absl::Status s = out->Exec("PRAGMA synchronous=NORMAL"); !s.ok()) return s;
  if (absl::Status s = out->Exec("PRAGMA foreign_keys=ON"); !s.ok()) return s;
  return out;
}

Database::~Database() { sqlite3_close_v2(db_); }

absl::Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return absl::InternalError(absl::StrCat("sqlite: ", text.substr(0, 60), ": ", message, " (", path_, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, sql);
  return Statement(db_, stmt);
}

int64_t Database::Changes() const { return sqlite3_changes(db_); }

}  // namespace edge::platform::store
