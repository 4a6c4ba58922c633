// edge-platform admin: output formats scripts rely on, errors that name the fix, and data dir permissions.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "edge/protocol/auth.h"
#include "platform_env.h"

namespace edge::testing {
namespace {

class PlatformAdminTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir() + "/data"; }
  void TearDown() override { RemoveTree(dir_.substr(0, dir_.rfind('/'))); }
  std::string dir_;
};

TEST_F(PlatformAdminTest, CreateOrgPrintsTheIdAndRefusesDuplicates) {
  std::string id = AdminOk(dir_, {"create-org", "--name", "Acme"});
  EXPECT_EQ(id.rfind("org_", 0), 0u) << id;
  EXPECT_EQ(id.find('\n'), std::string::npos) << "only the id, for scripts: " << id;

  std::string json = AdminOk(dir_, {"create-org", "--name", "Beta", "--id", "org_beta", "--json"});
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_EQ(JsonAt(doc, "/id"), "org_beta");
  EXPECT_EQ(JsonAt(doc, "/name"), "Beta");

  ProcessResult dup = Admin(dir_, {"create-org", "--name", "Again", "--id", "org_beta"});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("org 'org_beta' already exists"), std::string::npos) << dup.err;

  ProcessResult bad = Admin(dir_, {"create-org", "--name", "X", "--id", "has space"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("is invalid"), std::string::npos) << bad.err;
}

TEST_F(PlatformAdminTest, CreateDeploymentShowsTheSecretOnceAndStoresOnlyAHash) {
  std::string org = AdminOk(dir_, {"create-org", "--name", "Acme"});
  std::string json = AdminOk(dir_, {"create-deployment", "--org", org, "--name", "db-gw", "--json"});
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  const std::string id = JsonAt(doc, "/id");
  const std::string secret = JsonAt(doc, "/secret");
  EXPECT_EQ(id.rfind("dep_", 0), 0u) << id;
  EXPECT_EQ(JsonAt(doc, "/orgId"), org);
  EXPECT_EQ(JsonAt(doc, "/name"), "db-gw");
  EXPECT_GE(secret.size(), 40u);  // 32 random bytes, base64url

  // The listing never shows secrets.
  std::string list = AdminOk(dir_, {"list-deployments", "--org", org, "--json"});
  EXPECT_NE(list.find(id), std::string::npos) << list;
  EXPECT_EQ(list.find(secret), std::string::npos) << list;
  EXPECT_EQ(list.find("secret"), std::string::npos) << list;

  // Rotation: a new secret, and only the new one verifies against the stored hash.
  std::string rotated_json = AdminOk(dir_, {"rotate-secret", "--deployment", id, "--json"});
  rapidjson::Document rotated;
  rotated.Parse(rotated_json.c_str());
  ASSERT_FALSE(rotated.HasParseError()) << rotated_json;
  const std::string new_secret = JsonAt(rotated, "/secret");
  EXPECT_NE(new_secret, secret);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/platform.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT secret_hash FROM deployments WHERE id = ?", -1, &stmt, nullptr), SQLITE_OK);
  sqlite3_bind_text(stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::string hash = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(hash.find(secret), std::string::npos);
  EXPECT_EQ(hash.find(new_secret), std::string::npos);
  EXPECT_EQ(hash.rfind("scrypt$", 0), 0u) << hash;
  EXPECT_TRUE(protocol::VerifySecret(new_secret, hash));
  EXPECT_FALSE(protocol::VerifySecret(secret, hash));

  // Plain output names the id and the secret on their own lines.
  std::string text = AdminOk(dir_, {"create-deployment", "--org", org, "--name", "second"});
  EXPECT_NE(text.find("id: dep_"), std::string::npos) << text;
  EXPECT_NE(text.find("secret: "), std::string::npos) << text;
}

TEST_F(PlatformAdminTest, IssueTokenPrintsOnlyAVerifiableJwt) {
  std::string org = AdminOk(dir_, {"create-org", "--name", "Acme"});
  std::string token = AdminOk(dir_, {"issue-token", "--org", org, "--subject", "alice", "--ttl", "2h"});
  ASSERT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
  EXPECT_EQ(token.find_first_of(" \n"), std::string::npos) << token;

  absl::StatusOr<protocol::JwtClaims> claims = protocol::DecodeJwtUnverified(token);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->org_id, org);
  EXPECT_EQ(claims->role, "admin");
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_NEAR(static_cast<double>(claims->expires_at - claims->issued_at), 7200.0, 1.0);

  // The signing key was created on first use, private to the owner; so was the data dir.
  struct stat st{};
  ASSERT_EQ(stat((dir_ + "/signing-key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  ProcessResult unknown_org = Admin(dir_, {"issue-token", "--org", "org_nope"});
  EXPECT_EQ(unknown_org.exit_code, 1);
  EXPECT_NE(unknown_org.err.find("org 'org_nope' does not exist"), std::string::npos) << unknown_org.err;
  ProcessResult bad_role = Admin(dir_, {"issue-token", "--org", org, "--role", "root"});
  EXPECT_EQ(bad_role.exit_code, 1);
  EXPECT_NE(bad_role.err.find("use admin or connector"), std::string::npos) << bad_role.err;
  ProcessResult bad_ttl = Admin(dir_, {"issue-token", "--org", org, "--ttl", "soon"});
  EXPECT_EQ(bad_ttl.exit_code, 1);
  EXPECT_NE(bad_ttl.err.find("--ttl 'soon'"), std::string::npos) << bad_ttl.err;
  ProcessResult missing = Admin(dir_, {"create-deployment", "--org", "org_nope", "--name", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("create-org"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace edge::testing
