// Acceptance 2: each authentication failure produces its message, and secrets never appear in logs or
// /statusz.
#include <sys/stat.h>

#include <thread>

#include "e2e_fixture.h"
#include "edge/protocol/auth.h"

namespace edge::e2e {
namespace {

using std::chrono::milliseconds;

std::string WriteTokenFile(const std::string& dir, const std::string& token) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/auth-token.json";
  std::ofstream(path) << "{\"token\":\"" << token << "\"}";
  chmod(path.c_str(), 0600);
  return path;
}

// A token signed by a key the platform does not know: enough for the connector's local checks.
std::string LocalToken(const std::string& org, int64_t exp_offset_s, const std::string& deployment) {
  auto key = protocol::SigningKey::Generate();
  EXPECT_TRUE(key.ok());
  protocol::JwtClaims claims;
  claims.subject = "e2e";
  claims.org_id = org;
  claims.role = "connector";
  claims.deployment_id = deployment;
  claims.issued_at = absl::ToUnixSeconds(absl::Now());
  claims.expires_at = claims.issued_at + exp_offset_s;
  return protocol::SignJwt(*key, claims);
}

TEST_F(E2ETest, MissingCredentialsStopStartupWithTheMessage) {
  Connector& c = StartConnector("none", /*wait_ready=*/false, {}, {{"EDGE_UNUSED", "1"}});
  EXPECT_EQ(c.process().WaitExit(milliseconds(20000)), 1);
  EXPECT_NE(c.process().Log().find("No authentication token found"), std::string::npos) << c.process().Log();
}

TEST_F(E2ETest, ExpiredTokenSaysTokenHasExpired) {
  WriteTokenFile(root_ + "/expired", LocalToken(org_, -60, deployment_));
  Connector& c = StartConnector("expired", false, {}, {{"EDGE_UNUSED", "1"}});
  EXPECT_EQ(c.process().WaitExit(milliseconds(20000)), 1);
  EXPECT_NE(c.process().Log().find("Token has expired"), std::string::npos) << c.process().Log();
}

TEST_F(E2ETest, MalformedTokenSaysTokenValidationFailed) {
  WriteTokenFile(root_ + "/garbage", "not-a-jwt");
  Connector& c = StartConnector("garbage", false, {}, {{"EDGE_UNUSED", "1"}});
  EXPECT_EQ(c.process().WaitExit(milliseconds(20000)), 1);
  EXPECT_NE(c.process().Log().find("Token validation failed"), std::string::npos) << c.process().Log();
}

TEST_F(E2ETest, TokenWithoutOrgNamesTheClaims) {
  WriteTokenFile(root_ + "/noorg", LocalToken("", 3600, deployment_));
  Connector& c = StartConnector("noorg", false, {}, {{"EDGE_UNUSED", "1"}});
  EXPECT_EQ(c.process().WaitExit(milliseconds(20000)), 1);
  std::string log = c.process().Log();
  EXPECT_NE(log.find("orgId"), std::string::npos) << log;
  EXPECT_NE(log.find("orgs"), std::string::npos) << log;
}

TEST_F(E2ETest, TokenFromAnotherIssuerIsRejectedByThePlatform) {
  WriteTokenFile(root_ + "/foreign", LocalToken(org_, 3600, deployment_));
  Connector& c = StartConnector("foreign", false, {}, {{"EDGE_UNUSED", "1"}});
  EXPECT_NE(c.process().WaitLog("Authentication failed", milliseconds(20000)), std::string::npos)
      << c.process().Log();
  EXPECT_FALSE(c.WaitReady(milliseconds(300)));
}

TEST_F(E2ETest, WrongSecretIsRejectedAndNeverLogged) {
  const std::string wrong = "wrong-secret-0123456789abcdef";
  Connector& c = StartConnector("wrong", false, {}, {{"DEPLOYMENT_ID", deployment_}, {"DEPLOYMENT_SECRET", wrong}});
  EXPECT_NE(c.process().WaitLog("Authentication failed", milliseconds(20000)), std::string::npos)
      << c.process().Log();
  std::string log = c.process().Log();
  EXPECT_NE(log.find(deployment_), std::string::npos) << "the log names the credential used";
  EXPECT_EQ(log.find(wrong), std::string::npos) << "the secret leaked into the log";
  std::string statusz = c.Statusz();
  EXPECT_NE(statusz.find("Authentication failed"), std::string::npos) << statusz;
  EXPECT_EQ(statusz.find(wrong), std::string::npos);
}

TEST_F(E2ETest, PlatformIssuedTokenConnectsAndSecretsStayOutOfLogsAndStatus) {
  std::string token = Platform::Admin(data_, {"issue-token", "--org", org_, "--role", "connector", "--deployment",
                                              deployment_, "--ttl", "3600"});
  WriteTokenFile(root_ + "/tok", token);
  Connector& c = StartConnector("tok", true, {}, {{"EDGE_UNUSED", "1"}});
  HttpResponse r = Invoke("echo", R"({"text":"via token"})");
  EXPECT_EQ(r.status, 200) << r.body;
  std::string statusz = c.Statusz();
  EXPECT_EQ(JsonField(statusz, "/link/deploymentId"), deployment_);
  EXPECT_EQ(statusz.find(token), std::string::npos);
  EXPECT_EQ(c.process().Log().find(token), std::string::npos);
}

TEST_F(E2ETest, DeploymentSecretStaysOutOfLogsAndStatus) {
  Connector& c = StartConnector();
  HttpResponse r = Invoke("echo", R"({"text":"via credentials"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(c.Statusz().find(secret_), std::string::npos);
  EXPECT_EQ(c.process().Log().find(secret_), std::string::npos);
  EXPECT_EQ(platform_->process().Log().find(secret_), std::string::npos);
}

TEST_F(E2ETest, RotatingTheSecretDisconnectsTheConnectorWithAuthFailed) {
  Connector& c = StartConnector();
  HttpResponse rotated =
      Http("POST", platform_->api_url() + "/api/v1/deployments/" + deployment_ + "/rotate-secret", "", token_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(c.process().WaitLog("Authentication failed", milliseconds(20000)), std::string::npos)
      << c.process().Log();
  bool unready = false;
  for (int i = 0; i < 200 && !unready; ++i) {
    unready = Http("GET", c.health_url() + "/healthz").status == 503;
    if (!unready) std::this_thread::sleep_for(milliseconds(25));
  }
  EXPECT_TRUE(unready);
  EXPECT_EQ(Invoke("echo", R"({"text":"x"})").status, 503);
}

}  // namespace
}  // namespace edge::e2e
