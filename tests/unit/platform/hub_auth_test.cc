// Upgrade authentication (§2): 401 with X-Edge-Auth-Error, JWT connections, the 4003 fallback.
#include <gtest/gtest.h>

#include <chrono>

#include "edge/protocol/auth.h"
#include "hub_test_util.h"

namespace edge::platform::testing {
namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HubAuthTest : public ::testing::Test {
 protected:
  HubAuthTest() : env_(TestOptions(&log_.logger)) {
    env_.directory().Add("dep_1", "org_a", "s3cret-value");
    env_.directory().Add("dep_2", "org_b", "other-secret");
  }
  std::string Token(int64_t exp_offset_s, const std::string& org = "org_a", const std::string& role = "connector") {
    protocol::JwtClaims c;
    c.subject = "u_1";
    c.org_id = org;
    c.role = role;
    c.issued_at = NowSeconds() - 10;
    c.expires_at = NowSeconds() + exp_offset_s;
    return protocol::SignJwt(env_.signing_key(), c);
  }
  LogCapture log_;
  HubTestEnv env_;
};

TEST_F(HubAuthTest, WrongBasicSecretIs401InvalidCredentials) {
  ConnectorOptions o;
  o.authorization = protocol::BasicAuthorization("dep_1", "wrong-secret");
  auto c = env_.Connect(o);
  ASSERT_TRUE(env_.RunUntil([&] { return c->failed || c->established; }));
  EXPECT_TRUE(c->failed);
  EXPECT_NE(c->error.find("unauthorized"), std::string::npos) << c->error;

  const std::string answer = RawUpgrade(env_, "Authorization: " + o.authorization + "\r\n");
  EXPECT_EQ(answer.rfind("http/1.", 0), 0u) << answer;
  EXPECT_EQ(answer.find(" 401 "), 8u) << answer;
  EXPECT_NE(answer.find("x-edge-auth-error: invalid_credentials"), std::string::npos) << answer;
  EXPECT_NE(answer.find("www-authenticate: basic realm=\"edge\""), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"reason\":\"invalid_credentials\""), std::string::npos) << answer;
  EXPECT_TRUE(env_.directory().connected.empty());
  EXPECT_TRUE(log_.Contains("invalid_credentials"));
  EXPECT_FALSE(log_.Contains("wrong-secret"));
}

TEST_F(HubAuthTest, UnknownDeploymentLooksLikeWrongSecret) {
  const std::string answer =
      RawUpgrade(env_, "Authorization: " + protocol::BasicAuthorization("dep_nope", "x") + "\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: invalid_credentials"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, MissingAuthorizationIs401CredentialsMissing) {
  const std::string answer = RawUpgrade(env_, "");
  EXPECT_EQ(answer.rfind("http/1.", 0), 0u) << answer;
  EXPECT_EQ(answer.find(" 401 "), 8u) << answer;
  EXPECT_NE(answer.find("x-edge-auth-error: credentials_missing"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, UnknownSchemeIs401CredentialsMalformed) {
  const std::string answer = RawUpgrade(env_, "Authorization: Digest abc\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: credentials_malformed"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, ExpiredJwtIs401TokenExpired) {
  ConnectorOptions o;
  o.authorization = "Bearer " + Token(-60);
  o.deployment_header = "dep_1";
  auto c = env_.Connect(o);
  ASSERT_TRUE(env_.RunUntil([&] { return c->failed || c->established; }));
  EXPECT_TRUE(c->failed);
  EXPECT_NE(c->error.find("unauthorized"), std::string::npos) << c->error;

  const std::string answer =
      RawUpgrade(env_, "Authorization: " + o.authorization + "\r\nX-Edge-Deployment-Id: dep_1\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: token_expired"), std::string::npos) << answer;
  EXPECT_NE(answer.find("www-authenticate: bearer error=\"invalid_token\""), std::string::npos) << answer;
}

TEST_F(HubAuthTest, BadSignatureIsTokenInvalid) {
  std::string token = Token(600);
  token.back() = token.back() == 'A' ? 'B' : 'A';
  const std::string answer =
      RawUpgrade(env_, "Authorization: Bearer " + token + "\r\nX-Edge-Deployment-Id: dep_1\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: token_invalid"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, JwtNeedsTheDeploymentHeader) {
  const std::string answer = RawUpgrade(env_, "Authorization: Bearer " + Token(600) + "\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: deployment_required"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, JwtOfAnotherOrgIsDeploymentForbidden) {
  const std::string answer =
      RawUpgrade(env_, "Authorization: Bearer " + Token(600) + "\r\nX-Edge-Deployment-Id: dep_2\r\n");
  EXPECT_NE(answer.find("x-edge-auth-error: deployment_forbidden"), std::string::npos) << answer;
}

TEST_F(HubAuthTest, ValidJwtConnectsAndHelloNamesTheDeployment) {
  ConnectorOptions o;
  o.authorization = "Bearer " + Token(600, "org_a", "admin");
  o.deployment_header = "dep_1";
  auto c = env_.Connect(o);
  ASSERT_TRUE(env_.RunUntil([&] { return c->failed || c->established; }));
  ASSERT_TRUE(c->established) << c->error;
  const std::string id = c->Request(protocol::method::kHello, HubTestEnv::HelloJson(100));
  ASSERT_TRUE(env_.RunUntil([&] { return c->Response(id).has_value(); }));
  auto r = protocol::ParseHelloResult(c->Response(id)->result);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->org_id, "org_a");
  EXPECT_EQ(r->deployment_id, "dep_1");
  EXPECT_EQ(r->heartbeat.interval_ms, 200);
  EXPECT_EQ(r->platform_version, "0.0.0-test");
  EXPECT_FALSE(r->session_id.empty());
  auto info = env_.hub().Connection("dep_1");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->auth, "token:u_1");
  EXPECT_EQ(info->hostname, "test-host");
  EXPECT_EQ(env_.directory().connected["dep_1"], 1);
  EXPECT_FALSE(log_.Contains(o.authorization.substr(7)));
}

TEST_F(HubAuthTest, UnsupportedVersionGetsTheFallbackAnd4003) {
  ConnectorOptions o = env_.Basic("dep_1");
  o.subprotocols = "edge-tool-rpc.v2, edge-tool-rpc";
  auto c = env_.Connect(o);
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed || c->failed; }));
  EXPECT_TRUE(c->established);
  EXPECT_EQ(c->close_code, 4003);
  EXPECT_EQ(c->close_reason, "Unsupported protocol version; supported=edge-tool-rpc.v1");
  EXPECT_FALSE(env_.hub().Connection("dep_1").has_value());
}

}  // namespace
}  // namespace edge::platform::testing
