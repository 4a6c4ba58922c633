// edge-platform REST API against the real server process: auth failures, deployments, invoke without a
// connector, request validation, limits, routes, and state across a restart.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <string>

#include "edge/protocol/auth.h"
#include "platform_env.h"

namespace edge::testing {
namespace {

class PlatformApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data";
    org_ = AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    token_ = AdminOk(dir_, {"issue-token", "--org", org_});
    server_ = std::make_unique<PlatformServer>(dir_);
    ASSERT_TRUE(server_->Start()) << "edge-platform did not print its listening line";
    api_ = server_->api_url();
  }
  void TearDown() override {
    if (server_) {
      ProcessResult r = server_->Stop();
      EXPECT_EQ(r.exit_code, 0) << "edge-platform did not stop cleanly on SIGTERM: " << r.err;
    }
    RemoveTree(root_);
  }
  HttpResult Get(const std::string& path) { return Http("GET", api_ + path, "", Bearer(token_)); }
  HttpResult Post(const std::string& path, const std::string& body) {
    return Http("POST", api_ + path, body, Bearer(token_));
  }

  std::string root_, dir_, org_, token_, api_;
  std::unique_ptr<PlatformServer> server_;
};

void ExpectUnauthorized(const HttpResult& r, const std::string& reason, const std::string& message_part) {
  EXPECT_EQ(r.status, 401) << r.body;
  rapidjson::Document doc = r.Json();
  EXPECT_EQ(JsonAt(doc, "/error/code"), "unauthorized") << r.body;
  EXPECT_EQ(JsonAt(doc, "/error/reason"), reason) << r.body;
  EXPECT_NE(JsonAt(doc, "/error/message").find(message_part), std::string::npos) << r.body;
  EXPECT_EQ(r.headers.count("www-authenticate"), 1u);
}

TEST_F(PlatformApiTest, ListeningLineAndPlatformJsonAgree) {
  std::ifstream in(dir_ + "/platform.json");
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  ASSERT_FALSE(doc.HasParseError()) << text.str();
  EXPECT_EQ(JsonAt(doc, "/apiUrl"), server_->api_url());
  EXPECT_EQ(JsonAt(doc, "/rpcUrl"), server_->rpc_url());
  EXPECT_FALSE(JsonAt(doc, "/pid").empty());
  EXPECT_EQ(server_->rpc_url().rfind("ws://127.0.0.1:", 0), 0u);
}

TEST_F(PlatformApiTest, PublicEndpointsAndRouting) {
  HttpResult health = Http("GET", api_ + "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(JsonAt(health.Json(), "/status"), "ok");
  EXPECT_NE(health.headers["content-type"].find("application/json"), std::string::npos);

  HttpResult key = Http("GET", api_ + "/api/v1/auth/public-key");
  ASSERT_EQ(key.status, 200) << key.body;
  rapidjson::Document k = key.Json();
  EXPECT_EQ(JsonAt(k, "/alg"), "EdDSA");
  EXPECT_EQ(JsonAt(k, "/kid").size(), 16u);
  std::string pem = JsonAt(k, "/publicKeyPem");
  EXPECT_EQ(pem.rfind("-----BEGIN PUBLIC KEY-----", 0), 0u) << pem;
  // The published key verifies the tokens this platform issues.
  absl::StatusOr<protocol::VerifyingKey> vk = protocol::VerifyingKey::FromPublicPem(pem);
  ASSERT_TRUE(vk.ok()) << vk.status();
  EXPECT_TRUE(protocol::VerifyJwt(*vk, token_, time(nullptr)).ok());

  HttpResult unknown = Get("/api/v1/nothing-here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(JsonAt(unknown.Json(), "/error/code"), "not_found");

  HttpResult wrong_method = Http("PUT", api_ + "/api/v1/deployments", "{}", Bearer(token_));
  EXPECT_EQ(wrong_method.status, 405) << wrong_method.body;
  EXPECT_EQ(wrong_method.headers["allow"], "GET, POST");

  // Test hooks do not exist without --enable-test-hooks.
  HttpResult hook = Post("/api/v1/test/oversize-frame", R"({"deploymentId":"dep_x","bytes":10})");
  EXPECT_EQ(hook.status, 404) << hook.body;

  HttpResult connectors = Get("/api/v1/connectors");
  EXPECT_EQ(connectors.status, 200);
  EXPECT_EQ(connectors.body, R"({"connectors":[]})");
  HttpResult tools = Get("/api/v1/tools");
  EXPECT_EQ(tools.status, 200);
  EXPECT_EQ(tools.body, R"({"tools":[]})");
}

TEST_F(PlatformApiTest, RejectsMissingInvalidExpiredForeignAndNonAdminTokens) {
  const std::string url = api_ + "/api/v1/deployments";
  ExpectUnauthorized(Http("GET", url), "credentials_missing", "Authorization header missing");
  ExpectUnauthorized(Http("GET", url, "", Bearer("garbage")), "token_invalid", "Token validation failed");
  ExpectUnauthorized(Http("GET", url, "", {"Authorization: Basic ZGVwOnNlY3JldA=="}), "credentials_malformed",
                     "Bearer");

  std::string expired = AdminOk(dir_, {"issue-token", "--org", org_, "--ttl", "-60"});
  ExpectUnauthorized(Http("GET", url, "", Bearer(expired)), "token_expired", "Token has expired");

  // Signed by another data dir's key: same claims, wrong signature.
  std::string other_dir = root_ + "/other";
  AdminOk(other_dir, {"create-org", "--name", "Acme", "--id", "org_acme"});
  std::string foreign = AdminOk(other_dir, {"issue-token", "--org", "org_acme"});
  ExpectUnauthorized(Http("GET", url, "", Bearer(foreign)), "token_invalid", "Token validation failed");

  std::string connector = AdminOk(dir_, {"issue-token", "--org", org_, "--role", "connector"});
  HttpResult forbidden = Http("GET", url, "", Bearer(connector));
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_EQ(JsonAt(forbidden.Json(), "/error/reason"), "role_forbidden");

  std::vector<std::string> other_org = Bearer(token_);
  other_org.push_back("X-Edge-Org: org_other");
  HttpResult wrong_org = Http("GET", url, "", other_org);
  EXPECT_EQ(wrong_org.status, 403) << wrong_org.body;
  EXPECT_EQ(JsonAt(wrong_org.Json(), "/error/reason"), "org_forbidden");

  // The good token works, and naming its own org explicitly is fine.
  std::vector<std::string> own_org = Bearer(token_);
  own_org.push_back("X-Edge-Org: " + org_);
  EXPECT_EQ(Http("GET", url, "", own_org).status, 200);
}

TEST_F(PlatformApiTest, DeploymentLifecycle) {
  HttpResult created = Post("/api/v1/deployments", R"({"name":"db-gw"})");
  ASSERT_EQ(created.status, 201) << created.body;
  rapidjson::Document c = created.Json();
  const std::string id = JsonAt(c, "/id");
  const std::string secret = JsonAt(c, "/secret");
  EXPECT_EQ(id.rfind("dep_", 0), 0u);
  EXPECT_EQ(JsonAt(c, "/orgId"), org_);
  ASSERT_GE(secret.size(), 40u);

  HttpResult list = Get("/api/v1/deployments");
  ASSERT_EQ(list.status, 200);
  rapidjson::Document l = list.Json();
  EXPECT_EQ(JsonAt(l, "/deployments/0/id"), id);
  EXPECT_EQ(JsonAt(l, "/deployments/0/status"), "offline");
  EXPECT_EQ(JsonAt(l, "/deployments/0/activeConnectors"), "0");
  EXPECT_EQ(JsonAt(l, "/deployments/0/toolCount"), "0");
  EXPECT_EQ(list.body.find(secret), std::string::npos) << "the secret is shown once only";

  HttpResult detail = Get("/api/v1/deployments/" + id);
  ASSERT_EQ(detail.status, 200) << detail.body;
  rapidjson::Document d = detail.Json();
  EXPECT_EQ(JsonAt(d, "/name"), "db-gw");
  EXPECT_EQ(JsonAt(d, "/connection"), "null");
  EXPECT_EQ(JsonAt(d, "/tools"), "[]");
  EXPECT_EQ(detail.body.find(secret), std::string::npos);

  HttpResult rotated = Post("/api/v1/deployments/" + id + "/rotate-secret", "");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_secret = JsonAt(rotated.Json(), "/secret");
  EXPECT_NE(new_secret, secret);
  EXPECT_GE(new_secret.size(), 40u);

  // The database holds a hash that verifies only the new secret.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/platform.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT secret_hash FROM deployments WHERE id = ?", -1, &stmt, nullptr), SQLITE_OK);
  sqlite3_bind_text(stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  std::string hash = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_EQ(hash.find(new_secret), std::string::npos);
  EXPECT_TRUE(protocol::VerifySecret(new_secret, hash));
  EXPECT_FALSE(protocol::VerifySecret(secret, hash));

  // Validation and scoping.
  HttpResult no_name = Post("/api/v1/deployments", R"({"nom":"x"})");
  EXPECT_EQ(no_name.status, 400);
  EXPECT_EQ(JsonAt(no_name.Json(), "/error/details/field"), "/name");
  HttpResult bad_json = Post("/api/v1/deployments", R"({"name":)");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(JsonAt(bad_json.Json(), "/error/code"), "invalid_json");
  AdminOk(dir_, {"create-org", "--name", "Other", "--id", "org_other"});
  std::string other_token = AdminOk(dir_, {"issue-token", "--org", "org_other"});
  EXPECT_EQ(Http("GET", api_ + "/api/v1/deployments/" + id, "", Bearer(other_token)).status, 404);

  HttpResult deleted = Http("DELETE", api_ + "/api/v1/deployments/" + id, "", Bearer(token_));
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  HttpResult gone = Get("/api/v1/deployments/" + id);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(JsonAt(gone.Json(), "/error/code"), "deployment_not_found");
}

TEST_F(PlatformApiTest, InvokeWithoutConnectorIsUnavailableAndLogged) {
  HttpResult r = Post("/api/v1/tools/echo/invoke", R"({"arguments":{"text":"hi"},"callId":"c-1"})");
  ASSERT_EQ(r.status, 503) << r.body;
  rapidjson::Document doc = r.Json();
  EXPECT_EQ(JsonAt(doc, "/error/code"), "connector_unavailable");
  EXPECT_EQ(JsonAt(doc, "/error/rpcCode"), "-32006");
  EXPECT_NE(JsonAt(doc, "/error/message").find("connector unavailable"), std::string::npos) << r.body;
  EXPECT_EQ(JsonAt(doc, "/callId"), "c-1");

  HttpResult calls = Get("/api/v1/calls?limit=5");
  ASSERT_EQ(calls.status, 200) << calls.body;
  rapidjson::Document log = calls.Json();
  EXPECT_EQ(JsonAt(log, "/calls/0/callId"), "c-1");
  EXPECT_EQ(JsonAt(log, "/calls/0/tool"), "echo");
  EXPECT_EQ(JsonAt(log, "/calls/0/outcome"), "connector_unavailable");
  EXPECT_EQ(JsonAt(log, "/calls/0/httpStatus"), "503");
  EXPECT_EQ(Get("/api/v1/calls?limit=0").status, 400);

  HttpResult cancel = Post("/api/v1/calls/c-1/cancel", "");
  EXPECT_EQ(cancel.status, 404) << cancel.body;
  EXPECT_EQ(JsonAt(cancel.Json(), "/error/code"), "call_not_found");
}

TEST_F(PlatformApiTest, InvokeValidatesTheBodyBeforeRouting) {
  HttpResult not_object = Post("/api/v1/tools/echo/invoke", R"({"arguments":[1,2]})");
  EXPECT_EQ(not_object.status, 400) << not_object.body;
  EXPECT_EQ(JsonAt(not_object.Json(), "/error/details/field"), "/arguments");
  HttpResult not_json = Post("/api/v1/tools/echo/invoke", "{arguments");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(JsonAt(not_json.Json(), "/error/code"), "invalid_json");
  HttpResult bad_timeout = Post("/api/v1/tools/echo/invoke", R"({"arguments":{},"timeoutMs":-5})");
  EXPECT_EQ(bad_timeout.status, 400);
  EXPECT_EQ(JsonAt(bad_timeout.Json(), "/error/details/field"), "/timeoutMs");
  HttpResult unknown_dep = Post("/api/v1/tools/echo/invoke", R"({"arguments":{},"deploymentId":"dep_nope"})");
  EXPECT_EQ(unknown_dep.status, 404);

  // Arguments over the link's 4 MiB message limit never reach the hub.
  std::string big = R"({"arguments":{"blob":")" + std::string(5 * 1024 * 1024, 'a') + R"("}})";
  HttpResult too_big = Post("/api/v1/tools/echo/invoke", big);
  EXPECT_EQ(too_big.status, 413) << too_big.body.substr(0, 300);
  EXPECT_EQ(JsonAt(too_big.Json(), "/error/code"), "arguments_too_large");
  // Bodies over 8 MiB are refused as such.
  std::string huge = R"({"arguments":{"blob":")" + std::string(9 * 1024 * 1024, 'a') + R"("}})";
  HttpResult too_huge = Post("/api/v1/tools/echo/invoke", huge);
  EXPECT_EQ(too_huge.status, 413);
  EXPECT_EQ(JsonAt(too_huge.Json(), "/error/code"), "body_too_large");
  // Neither was recorded as a call.
  EXPECT_EQ(Get("/api/v1/calls").body, R"({"calls":[]})");
  // The server is still healthy after the large bodies.
  EXPECT_EQ(Http("GET", api_ + "/healthz").status, 200);
}

TEST_F(PlatformApiTest, StateAndKeySurviveARestart) {
  HttpResult created = Post("/api/v1/deployments", R"({"name":"keep-me"})");
  ASSERT_EQ(created.status, 201);
  const std::string id = JsonAt(created.Json(), "/id");
  const std::string kid = JsonAt(Http("GET", api_ + "/api/v1/auth/public-key").Json(), "/kid");

  ProcessResult stopped = server_->Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  server_ = std::make_unique<PlatformServer>(dir_);
  ASSERT_TRUE(server_->Start());
  api_ = server_->api_url();

  EXPECT_EQ(JsonAt(Http("GET", api_ + "/api/v1/auth/public-key").Json(), "/kid"), kid);
  HttpResult list = Get("/api/v1/deployments");  // the old token is still valid
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(JsonAt(list.Json(), "/deployments/0/id"), id);
}

TEST_F(PlatformApiTest, BusyPortFailsNamingTheAddressAndFlag) {
  const std::string port = api_.substr(api_.rfind(':') + 1);
  Subprocess second({EDGE_PLATFORM_BIN, "serve", "--data-dir", root_ + "/second", "--api-listen",
                     "127.0.0.1:" + port, "--rpc-listen", "127.0.0.1:0"});
  ProcessResult r = second.Wait(std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("127.0.0.1:" + port + " (--api-listen)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("already in use"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace edge::testing
