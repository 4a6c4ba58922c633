// Tests for the sqlite_query example, through the real host, against a database each test creates.
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdio>
#include <edge/testing.hpp>
#include <filesystem>
#include <string>

namespace {

using ::edge::testing::CallOptions;
using ::edge::testing::CallReport;
using ::edge::testing::IsHostError;
using ::edge::testing::IsToolError;
using ::edge::testing::PluginOptions;
using ::edge::testing::PluginUnderTest;
using ::edge::testing::StructuredOf;
using ::testing::HasSubstr;

class SqliteQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (std::filesystem::path(::testing::TempDir()) / "sqlite-query-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    db_path_ = (dir_ / "test.db").string();
    Exec(R"(
      CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER, score REAL, photo BLOB);
      INSERT INTO people VALUES (1, 'Ada', 36, 9.5, x'00ff10'), (2, 'Brian', 29, NULL, NULL), (3, 'Cleo', 41, 7.25, NULL);
      CREATE VIEW seniors AS SELECT name FROM people WHERE age > 40;
      CREATE TABLE numbers(n INTEGER);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50) INSERT INTO numbers SELECT x FROM c;
    )");
  }
  void TearDown() override {
    plugin_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
  }
  int64_t CountPeople() {
    sqlite3* db = nullptr;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_open_v2(db_path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_prepare_v2(db, "SELECT count(*) FROM people", -1, &stmt, nullptr);
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return n;
  }

  std::string Config(const std::string& extra = "") {
    return R"({"database":")" + db_path_ + "\"" + extra + "}";
  }
  PluginUnderTest& Load(const std::string& config_json) {
    auto loaded = PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(config_json));
    EXPECT_TRUE(loaded.ok()) << loaded.status();
    if (loaded.ok()) plugin_ = *std::move(loaded);
    return *plugin_;
  }
  CallReport Query(const std::string& args_json) { return plugin_->Call("sqlite.query", args_json); }

  std::filesystem::path dir_;
  std::string db_path_;
  std::unique_ptr<PluginUnderTest> plugin_;
};

TEST_F(SqliteQueryTest, ReturnsColumnsAndRows) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  CallReport r = Query(R"({"sql":"SELECT id, name, score FROM people ORDER BY id"})");
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  ASSERT_EQ(out["columns"].Size(), 3u);
  EXPECT_STREQ(out["columns"][1]["name"].GetString(), "name");
  EXPECT_STREQ(out["columns"][1]["declaredType"].GetString(), "TEXT");
  ASSERT_EQ(out["rowCount"].GetInt64(), 3);
  EXPECT_FALSE(out["truncated"].GetBool());
  EXPECT_EQ(out["rows"][0][0].GetInt64(), 1);
  EXPECT_STREQ(out["rows"][0][1].GetString(), "Ada");
  EXPECT_DOUBLE_EQ(out["rows"][0][2].GetDouble(), 9.5);
  EXPECT_TRUE(out["rows"][1][2].IsNull());
  EXPECT_STREQ(out["rows"][2][1].GetString(), "Cleo");
}

TEST_F(SqliteQueryTest, BlobsComeBackAsBase64) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  CallReport r = Query(R"({"sql":"SELECT photo FROM people WHERE id = 1"})");
  ASSERT_TOOL_OK(r);
  EXPECT_STREQ(StructuredOf(r)["rows"][0][0]["base64"].GetString(), "AP8Q");
}

TEST_F(SqliteQueryTest, BindsPositionalAndNamedParameters) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  CallReport positional = Query(R"({"sql":"SELECT name FROM people WHERE age > ? ORDER BY id","params":[30]})");
  ASSERT_TOOL_OK(positional);
  rapidjson::Document out = StructuredOf(positional);
  ASSERT_EQ(out["rowCount"].GetInt64(), 2);
  EXPECT_STREQ(out["rows"][1][0].GetString(), "Cleo");

  CallReport named = Query(R"({"sql":"SELECT age FROM people WHERE name = :who","params":{"who":"Brian"}})");
  ASSERT_TOOL_OK(named);
  EXPECT_EQ(StructuredOf(named)["rows"][0][0].GetInt64(), 29);

  // A value that looks like SQL stays a value.
  CallReport injection = Query(R"({"sql":"SELECT count(*) FROM people WHERE name = ?","params":["x' OR '1'='1"]})");
  ASSERT_TOOL_OK(injection);
  EXPECT_EQ(StructuredOf(injection)["rows"][0][0].GetInt64(), 0);
}

TEST_F(SqliteQueryTest, ParameterMistakesAreToolErrorsThatSayWhatToFix) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  EXPECT_THAT(Query(R"({"sql":"SELECT ?1 + ?2","params":[1]})"),
              IsToolError(HasSubstr("the statement has 2 parameter(s) but 'params' has 1 value(s)")));
  EXPECT_THAT(Query(R"({"sql":"SELECT :a","params":{"b":1}})"), IsToolError(HasSubstr("no parameter :b")));
  EXPECT_THAT(Query(R"({"sql":"SELECT * FROM nowhere"})"), IsToolError(HasSubstr("no such table: nowhere")));
}

TEST_F(SqliteQueryTest, RefusesStatementsThatWrite) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  for (const char* sql : {"INSERT INTO people(name) VALUES ('Eve')", "DELETE FROM people", "DROP TABLE people",
                          "UPDATE people SET age = 0", "CREATE TABLE t(x)"}) {
    EXPECT_THAT(Query(std::string(R"({"sql":")") + sql + "\"}"), IsToolError(HasSubstr("read-only"))) << sql;
  }
  EXPECT_THAT(Query(R"({"sql":"SELECT 1; DROP TABLE people"})"), IsToolError(HasSubstr("exactly one statement")));
  std::string attach = R"({"sql":"ATTACH DATABASE ')" + (dir_ / "other.db").string() + R"(' AS other"})";
  EXPECT_THAT(Query(attach), IsToolError(HasSubstr("ATTACH and DETACH are not allowed")));
  EXPECT_EQ(CountPeople(), 3);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "other.db"));
}

TEST_F(SqliteQueryTest, CapsRowsAtTheConfiguredAndRequestedLimits) {
  Load(Config(R"(,"maxRows":10)"));
  ASSERT_TRUE(plugin_);
  CallReport capped = Query(R"({"sql":"SELECT n FROM numbers ORDER BY n"})");
  ASSERT_TOOL_OK(capped);
  rapidjson::Document out = StructuredOf(capped);
  EXPECT_EQ(out["rows"].Size(), 10u);
  EXPECT_TRUE(out["truncated"].GetBool());
  EXPECT_EQ(out["rows"][9][0].GetInt64(), 10);

  EXPECT_EQ(StructuredOf(Query(R"({"sql":"SELECT n FROM numbers","maxRows":4})"))["rows"].Size(), 4u);
  EXPECT_EQ(StructuredOf(Query(R"({"sql":"SELECT n FROM numbers","maxRows":1000})"))["rows"].Size(), 10u)
      << "a call cannot raise the operator's limit";
  rapidjson::Document exact = StructuredOf(Query(R"({"sql":"SELECT n FROM numbers WHERE n <= 10"})"));
  EXPECT_FALSE(exact["truncated"].GetBool()) << "exactly maxRows rows is not truncated";
}

TEST_F(SqliteQueryTest, ListsTablesAndViewsWithColumns) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  CallReport r = plugin_->Call("sqlite.tables");
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  const auto& tables = out["tables"];
  ASSERT_EQ(tables.Size(), 3u);
  EXPECT_STREQ(tables[0]["name"].GetString(), "numbers");
  EXPECT_STREQ(tables[1]["name"].GetString(), "people");
  EXPECT_STREQ(tables[2]["name"].GetString(), "seniors");
  EXPECT_STREQ(tables[2]["type"].GetString(), "view");
  const auto& id = tables[1]["columns"][0];
  EXPECT_STREQ(id["name"].GetString(), "id");
  EXPECT_TRUE(id["primaryKey"].GetBool());
  EXPECT_TRUE(tables[1]["columns"][1]["notNull"].GetBool());
}

TEST_F(SqliteQueryTest, CancellationInterruptsARunawayQuery) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  CallOptions options;
  options.cancel_after = absl::Milliseconds(100);
  CallReport r = plugin_->Call(
      "sqlite.query", R"({"sql":"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"})",
      options);
  EXPECT_TRUE(r.cancel_sent);
  EXPECT_THAT(r, IsHostError(absl::StatusCode::kCancelled));
  EXPECT_LT(r.elapsed, absl::Seconds(5));
}

TEST_F(SqliteQueryTest, ExamplesSucceed) {
  Load(Config());
  ASSERT_TRUE(plugin_);
  for (const std::string& name : plugin_->ToolNames()) {
    for (const std::string& example : plugin_->Find(name)->examples) {
      EXPECT_TOOL_OK(plugin_->Call(name, example)) << name << " " << example;
    }
  }
}

TEST_F(SqliteQueryTest, InitFailsWithMessagesNamingTheConfigKey) {
  auto missing = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("config key 'database' is missing"));

  std::string absent = (dir_ / "absent.db").string();
  auto unopenable = PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(R"({"database":")" + absent + "\"}"));
  ASSERT_FALSE(unopenable.ok());
  EXPECT_THAT(std::string(unopenable.status().message()), HasSubstr("cannot open database '" + absent + "'"));

  std::string garbage = (dir_ / "garbage.db").string();
  FILE* f = fopen(garbage.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("this is not a database, just some text that is long enough to fill a header page ................", f);
  fclose(f);
  auto not_db = PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(R"({"database":")" + garbage + "\"}"));
  ASSERT_FALSE(not_db.ok());
  EXPECT_THAT(std::string(not_db.status().message()), HasSubstr("is not a readable SQLite database"));

  auto bad_rows = PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(Config(R"(,"maxRows":0)")));
  ASSERT_FALSE(bad_rows.ok());
  EXPECT_THAT(std::string(bad_rows.status().message()), HasSubstr("config key 'maxRows' must be an integer"));
}

}  // namespace
