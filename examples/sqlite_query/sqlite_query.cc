// The sqlite_query example: read-only SQL against the one SQLite database named in the plugin config.
//
//   sqlite.query   one read-only statement with bound parameters -> column names and rows (capped)
//   sqlite.tables  the tables and views of the database, with their columns
//
// Config: {"database": "/abs/path.db", "maxRows": 1000, "busyTimeoutMs": 2000}
//
// Read-only is enforced three ways: the file is opened with SQLITE_OPEN_READONLY, every statement must be
// sqlite3_stmt_readonly(), and an authorizer refuses ATTACH (which would let a query read other files).
// Each call opens its own connection (cheap for SQLite), so concurrent calls and their cancellation (a progress
// handler polling ctx.cancelled()) never interfere.
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <edge/sdk.hpp>
#include <string>
#include <string_view>

namespace {

struct Config {
  std::string database;
  int64_t max_rows = 1000;
  int busy_timeout_ms = 2000;
};

// Reads an optional positive integer config key, with an error naming the key and the fix.
int64_t PositiveConfigInt(const rapidjson::Value& cfg, const char* key, int64_t fallback, int64_t max) {
  auto it = cfg.FindMember(key);
  if (it == cfg.MemberEnd()) return fallback;
  if (!it->value.IsInt64() || it->value.GetInt64() < 1 || it->value.GetInt64() > max) {
    throw std::runtime_error(std::string("sqlite_query: config key '") + key + "' must be an integer from 1 to " +
                             std::to_string(max) + "; fix it in the plugin's config");
  }
  return it->value.GetInt64();
}

Config ParseConfig(const edge::Json& json) {
  const rapidjson::Value& cfg = json.value();
  if (!cfg.IsObject()) throw std::runtime_error("sqlite_query: the plugin config must be a JSON object");
  Config c;
  auto db = cfg.FindMember("database");
  if (db == cfg.MemberEnd() || !db->value.IsString() || db->value.GetStringLength() == 0) {
    throw std::runtime_error(
        "sqlite_query: config key 'database' is missing or not a string: set it to the absolute path of an "
        "existing SQLite database file, e.g. {\"database\": \"/var/lib/app/data.db\"}");
  }
  c.database.assign(db->value.GetString(), db->value.GetStringLength());
  if (c.database.front() != '/') {
    throw std::runtime_error("sqlite_query: config key 'database' must be an absolute path, got '" + c.database +
                             "'; the connector's working directory is not a stable base");
  }
  c.max_rows = PositiveConfigInt(cfg, "maxRows", 1000, 1000000);
  c.busy_timeout_ms = static_cast<int>(PositiveConfigInt(cfg, "busyTimeoutMs", 2000, 600000));
  return c;
}

// One read-only connection; the authorizer remembers why it refused, for a clear message.
class Connection {
 public:
  explicit Connection(const Config& config) {
    int rc = sqlite3_open_v2(config.database.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw edge::ToolError("cannot open database '" + config.database + "' (config key 'database'): " + why +
                            "; check that the file exists and is readable by the connector");
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, config.busy_timeout_ms);
    sqlite3_set_authorizer(db_, &Authorize, this);
  }
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& refusal() const { return refusal_; }
  std::string Error() const { return refusal_.empty() ? std::string(sqlite3_errmsg(db_)) : refusal_; }

 private:
  static int Authorize(void* self, int action, const char*, const char*, const char*, const char*) {
    if (action == SQLITE_ATTACH || action == SQLITE_DETACH) {
      static_cast<Connection*>(self)->refusal_ =
          "ATTACH and DETACH are not allowed: this tool reads only the database named in its config";
      return SQLITE_DENY;
    }
    return SQLITE_OK;
  }

  sqlite3* db_ = nullptr;
  std::string refusal_;
};

class Statement {
 public:
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Prepares exactly one read-only statement or throws a ToolError saying what to change.
void PrepareReadOnly(Connection& db, std::string_view sql, Statement& stmt) {
  const char* tail = nullptr;
  if (sqlite3_prepare_v3(db.get(), sql.data(), static_cast<int>(sql.size()), 0, stmt.out(), &tail) != SQLITE_OK) {
    throw edge::ToolError("SQL error: " + db.Error());
  }
  if (stmt.get() == nullptr) throw edge::ToolError("'sql' contains no statement (only whitespace or comments)");
  Statement rest;
  std::string_view remaining(tail, static_cast<size_t>(sql.data() + sql.size() - tail));
  if (sqlite3_prepare_v3(db.get(), remaining.data(), static_cast<int>(remaining.size()), 0, rest.out(), nullptr) !=
          SQLITE_OK ||
      rest.get() != nullptr) {
    throw edge::ToolError("'sql' must hold exactly one statement: remove everything after the first ';'");
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    throw edge::ToolError(
        "refused: this tool is read-only and the statement would modify the database (INSERT, UPDATE, DELETE, "
        "CREATE, DROP, ...); use a SELECT");
  }
}

void BindValue(sqlite3_stmt* stmt, int index, const rapidjson::Value& v, const std::string& what) {
  int rc;
  if (v.IsNull()) {
    rc = sqlite3_bind_null(stmt, index);
  } else if (v.IsBool()) {
    rc = sqlite3_bind_int(stmt, index, v.GetBool() ? 1 : 0);
  } else if (v.IsInt64()) {
    rc = sqlite3_bind_int64(stmt, index, v.GetInt64());
  } else if (v.IsNumber()) {
    rc = sqlite3_bind_double(stmt, index, v.GetDouble());
  } else if (v.IsString()) {
    rc = sqlite3_bind_text64(stmt, index, v.GetString(), v.GetStringLength(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } else {
    throw edge::ToolError(what + " must be a string, number, boolean or null");
  }
  if (rc != SQLITE_OK) throw edge::ToolError("cannot bind " + what + ": " + sqlite3_errstr(rc));
}

// Binds `params`: an array binds by position (?, ?1, :name in order), an object by name (:name, @name, $name).
void BindParams(sqlite3_stmt* stmt, const rapidjson::Value* params) {
  const int count = sqlite3_bind_parameter_count(stmt);
  if (params == nullptr || params->IsNull()) {
    if (count > 0) throw edge::ToolError("the statement has " + std::to_string(count) + " parameter(s): pass their values in 'params'");
    return;
  }
  if (params->IsArray()) {
    if (static_cast<int>(params->Size()) != count) {
      throw edge::ToolError("the statement has " + std::to_string(count) + " parameter(s) but 'params' has " +
                            std::to_string(params->Size()) + " value(s)");
    }
    for (int i = 1; i <= count; ++i) BindValue(stmt, i, (*params)[i - 1], "params[" + std::to_string(i - 1) + "]");
    return;
  }
  if (!params->IsObject()) throw edge::ToolError("'params' must be an array (positional) or an object (named)");
  for (const auto& m : params->GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    int index = 0;
    for (const char* prefix : {":", "@", "$"}) {
      if (index == 0) index = sqlite3_bind_parameter_index(stmt, (prefix + key).c_str());
    }
    if (index == 0) throw edge::ToolError("'params' has '" + key + "' but the statement has no parameter :" + key);
    BindValue(stmt, index, m.value, "params." + key);
  }
  for (int i = 1; i <= count; ++i) {
    const char* name = sqlite3_bind_parameter_name(stmt, i);
    if (name == nullptr) throw edge::ToolError("the statement mixes '?' with named parameters: pass 'params' as an array");
    if (!params->HasMember(name + 1)) throw edge::ToolError(std::string("parameter ") + name + " has no value in 'params'");
  }
}

rapidjson::Value Cell(sqlite3_stmt* stmt, int col, rapidjson::Document::AllocatorType& a) {
  switch (sqlite3_column_type(stmt, col)) {
    case SQLITE_INTEGER: return rapidjson::Value(static_cast<int64_t>(sqlite3_column_int64(stmt, col)));
    case SQLITE_FLOAT: {
      double d = sqlite3_column_double(stmt, col);
      if (std::isfinite(d)) return rapidjson::Value(d);
      return rapidjson::Value(d > 0 ? "Infinity" : "-Infinity", a);  // JSON has no infinities
    }
    case SQLITE_TEXT: {
      const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, col));
      return rapidjson::Value(text, static_cast<rapidjson::SizeType>(sqlite3_column_bytes(stmt, col)), a);
    }
    case SQLITE_BLOB: {
      static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt, col));
      size_t n = static_cast<size_t>(sqlite3_column_bytes(stmt, col));
      std::string out;
      for (size_t i = 0; i < n; i += 3) {
        uint32_t chunk = (uint32_t{p[i]} << 16) | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out += kB64[(chunk >> 18) & 63];
        out += kB64[(chunk >> 12) & 63];
        out += i + 1 < n ? kB64[(chunk >> 6) & 63] : '=';
        out += i + 2 < n ? kB64[chunk & 63] : '=';
      }
      rapidjson::Value blob(rapidjson::kObjectType);
      blob.AddMember("base64", rapidjson::Value(out.c_str(), static_cast<rapidjson::SizeType>(out.size()), a), a);
      return blob;
    }
    default: return rapidjson::Value();
  }
}

// Polled by SQLite every few thousand VM steps; a non-zero return interrupts the statement.
int CancelCheck(void* ctx) { return static_cast<edge::Context*>(ctx)->cancelled() ? 1 : 0; }

edge::Result Query(const Config& config, const edge::Args& args, edge::Context& ctx) {
  const std::string sql = args.get<std::string>("sql");
  const int64_t max_rows = std::min(config.max_rows, args.get_or<int64_t>("maxRows", config.max_rows));
  Connection db(config);
  sqlite3_progress_handler(db.get(), 4000, &CancelCheck, &ctx);
  Statement stmt;
  PrepareReadOnly(db, sql, stmt);
  BindParams(stmt.get(), args.find("params"));

  edge::Json out = edge::Json::object();
  rapidjson::Document& doc = out.document();
  auto& a = doc.GetAllocator();
  rapidjson::Value columns(rapidjson::kArrayType), rows(rapidjson::kArrayType);
  const int ncols = sqlite3_column_count(stmt.get());
  for (int c = 0; c < ncols; ++c) {
    rapidjson::Value col(rapidjson::kObjectType);
    col.AddMember("name", rapidjson::Value(sqlite3_column_name(stmt.get(), c), a), a);
    const char* decl = sqlite3_column_decltype(stmt.get(), c);
    col.AddMember("declaredType", decl != nullptr ? rapidjson::Value(decl, a) : rapidjson::Value(), a);
    columns.PushBack(col, a);
  }
  bool truncated = false;
  int64_t count = 0;
  for (;;) {
    int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_INTERRUPT) throw edge::Cancelled();
    if (rc != SQLITE_ROW) throw edge::ToolError("SQL error: " + db.Error());
    if (count == max_rows) {
      truncated = true;
      break;
    }
    rapidjson::Value row(rapidjson::kArrayType);
    for (int c = 0; c < ncols; ++c) row.PushBack(Cell(stmt.get(), c, a), a);
    rows.PushBack(row, a);
    if (++count % 1000 == 0) ctx.progress(static_cast<double>(count), 0, std::to_string(count) + " rows read");
  }
  doc.AddMember("columns", columns, a).AddMember("rows", rows, a);
  doc.AddMember("rowCount", count, a).AddMember("truncated", truncated, a);
  std::string summary = std::to_string(count) + (count == 1 ? " row" : " rows") +
                        (truncated ? " (truncated at maxRows=" + std::to_string(max_rows) + "; narrow the query or "
                                     "use LIMIT/OFFSET to page)" : "");
  return edge::Result::structured(out).add_text(summary);
}

edge::Result Tables(const Config& config, edge::Context& ctx) {
  Connection db(config);
  sqlite3_progress_handler(db.get(), 4000, &CancelCheck, &ctx);
  Statement list, info;
  PrepareReadOnly(db, "SELECT name, type FROM sqlite_schema WHERE type IN ('table','view') "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", list);
  PrepareReadOnly(db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", info);
  edge::Json out = edge::Json::array();
  std::string text;
  int rc;
  while ((rc = sqlite3_step(list.get())) == SQLITE_ROW) {
    std::string name = reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 0));
    edge::Json columns = edge::Json::array();
    sqlite3_reset(info.get());
    sqlite3_bind_text(info.get(), 1, name.c_str(), -1, SQLITE_TRANSIENT);
    text += name + "(";
    int irc;
    for (int i = 0; (irc = sqlite3_step(info.get())) == SQLITE_ROW; ++i) {
      std::string col = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0));
      std::string type = reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1));
      columns.push(edge::Json::object().set("name", col).set("type", type)
                       .set("notNull", sqlite3_column_int(info.get(), 2) != 0)
                       .set("primaryKey", sqlite3_column_int(info.get(), 3) != 0));
      text += (i ? ", " : "") + col + (type.empty() ? "" : " " + type);
    }
    if (irc == SQLITE_INTERRUPT) throw edge::Cancelled();
    if (irc != SQLITE_DONE) throw edge::ToolError("cannot read the columns of '" + name + "': " + db.Error());
    text += ")\n";
    out.push(edge::Json::object().set("name", name)
                 .set("type", reinterpret_cast<const char*>(sqlite3_column_text(list.get(), 1)))
                 .set("columns", std::move(columns)));
  }
  if (rc == SQLITE_INTERRUPT) throw edge::Cancelled();
  if (rc != SQLITE_DONE) throw edge::ToolError("cannot list tables: " + db.Error());
  return edge::Result::structured(edge::Json::object().set("tables", std::move(out)),
                                  text.empty() ? "the database has no tables or views" : text);
}

constexpr const char* kQueryInput = R"schema({"type":"object","properties":{
  "sql":{"type":"string","minLength":1,"maxLength":100000,
         "description":"one read-only SQL statement (SELECT, WITH ... SELECT, read-only PRAGMA); use ?, ?NNN or :name placeholders for values"},
  "params":{"description":"values for the placeholders: an array binds by position, an object by name (key 'id' binds :id, @id or $id)",
            "oneOf":[{"type":"array","maxItems":999,"items":{"type":["string","number","boolean","null"]}},
                     {"type":"object","additionalProperties":{"type":["string","number","boolean","null"]}}]},
  "maxRows":{"type":"integer","minimum":1,"description":"return at most this many rows (never more than the configured maxRows)"}},
  "required":["sql"],"additionalProperties":false})schema";

constexpr const char* kQueryOutput = R"schema({"type":"object","properties":{
  "columns":{"type":"array","items":{"type":"object","properties":{
    "name":{"type":"string"},"declaredType":{"type":["string","null"]}},"required":["name","declaredType"]}},
  "rows":{"type":"array","items":{"type":"array","items":{"anyOf":[
    {"type":["string","number","null"]},
    {"type":"object","properties":{"base64":{"type":"string"}},"required":["base64"],"description":"a BLOB"}]}}},
  "rowCount":{"type":"integer","minimum":0},
  "truncated":{"type":"boolean","description":"true when more rows were available than returned"}},
  "required":["columns","rows","rowCount","truncated"]})schema";

constexpr const char* kTablesOutput = R"schema({"type":"object","properties":{
  "tables":{"type":"array","items":{"type":"object","properties":{
    "name":{"type":"string"},"type":{"type":"string","enum":["table","view"]},
    "columns":{"type":"array","items":{"type":"object","properties":{
      "name":{"type":"string"},"type":{"type":"string"},"notNull":{"type":"boolean"},"primaryKey":{"type":"boolean"}},
      "required":["name","type","notNull","primaryKey"]}}},
    "required":["name","type","columns"]}}},
  "required":["tables"]})schema";

}  // namespace

EDGE_PLUGIN("sqlite_query", "1.0.0") {
  auto config = std::make_shared<const Config>(ParseConfig(plugin.config()));
  try {
    // Fail at load, not at the first call, when the file is missing or is not a database.
    Connection probe(*config);
    Statement check;
    if (sqlite3_prepare_v2(probe.get(), "SELECT count(*) FROM sqlite_schema", -1, check.out(), nullptr) != SQLITE_OK ||
        sqlite3_step(check.get()) != SQLITE_ROW) {
      throw edge::ToolError("config key 'database' = '" + config->database + "' is not a readable SQLite database (" +
                            probe.Error() + "); point it at an existing SQLite 3 file");
    }
  } catch (const edge::ToolError& e) {
    throw std::runtime_error(std::string("sqlite_query: ") + e.what());
  }

  plugin.tool("sqlite.query")
      .title("SQLite query (read-only)")
      .description("Runs one read-only SQL statement against the configured SQLite database and returns the column "
                   "names and rows. Pass values through 'params' rather than pasting them into the SQL. Statements "
                   "that would modify the database, several statements, and ATTACH are refused. At most 'maxRows' "
                   "rows are returned ('truncated' says when there were more). BLOBs come back as {\"base64\": ...}.")
      .input_schema(kQueryInput)
      .output_schema(kQueryOutput)
      .example(R"({"sql":"SELECT sqlite_version() AS version"})")
      .example(R"({"sql":"SELECT ?1 + ?2 AS sum","params":[1,2]})")
      .read_only()
      .idempotent()
      .destructive(false)
      .open_world(false)
      .handler([config](const edge::Args& args, edge::Context& ctx) { return Query(*config, args, ctx); });

  plugin.tool("sqlite.tables")
      .title("SQLite tables")
      .description("Lists the tables and views of the configured SQLite database with their columns (name, "
                   "declared type, NOT NULL, primary key), so you can write queries for sqlite.query.")
      .input_schema(R"({"type":"object","properties":{},"additionalProperties":false})")
      .output_schema(kTablesOutput)
      .example("{}")
      .read_only()
      .idempotent()
      .destructive(false)
      .open_world(false)
      .handler([config](const edge::Args&, edge::Context& ctx) { return Tables(*config, ctx); });
}
