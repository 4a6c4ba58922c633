// store/sqlite.h: a thin RAII layer over the SQLite C API for the platform store: one connection, prepared
// statements with typed binds and columns, and errors as absl::Status naming the statement that failed.
#ifndef EDGE_PLATFORM_STORE_SQLITE_H_
#define EDGE_PLATFORM_STORE_SQLITE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace edge::platform::store {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based, as in SQLite.
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);
  // True when a row is available, false when the statement is done.
  absl::StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  absl::Status Run();

  std::string Text(int column) const;  // "" for NULL
  int64_t Int(int column) const;       // 0 for NULL
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating) the file in WAL mode with a busy timeout, so the admin commands and a running server can
  // share it.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Statement> Prepare(std::string_view sql);
  int64_t Changes() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK when it fails).
template <typename Body>
absl::Status InTransaction(Database& db, Body&& body) {
  if (absl::Status s = db.Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  absl::Status s = body();
  if (!s.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return s;
  }
  return db.Exec("COMMIT");
}

}  // namespace edge::platform::store

#endif  // EDGE_PLATFORM_STORE_SQLITE_H_
