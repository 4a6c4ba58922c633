// ResolveCredentials, SaveToken and WriteFileAtomically against real signed tokens and real files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "edge/protocol/auth.h"
#include "edge/runtime/auth.h"
#include "edge/runtime/log.h"

namespace edge::runtime {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kNow = 1'800'000'000;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "edge-auth-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.install_dir = dir_;
    config_.auth_token_path = dir_ + "/auth-token.json";
    auto key = protocol::SigningKey::Generate();
    ASSERT_TRUE(key.ok()) << key.status();
    key_ = std::make_unique<protocol::SigningKey>(std::move(*key));
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Token(int64_t exp = kNow + 3600, std::string org = "org_1", std::string deployment = "dep_tok") {
    protocol::JwtClaims c;
    c.subject = "user_1";
    c.org_id = std::move(org);
    c.role = "connector";
    c.issued_at = kNow - 60;
    c.expires_at = exp;
    c.deployment_id = std::move(deployment);
    return protocol::SignJwt(*key_, c);
  }
  void WriteTokenFile(const std::string& contents) { std::ofstream(config_.auth_token_path) << contents; }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  static int Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return static_cast<int>(st.st_mode & 07777);
  }
  static protocol::AuthFailure FailureOf(const absl::Status& s) {
    protocol::AuthFailure f = protocol::AuthFailure::kCredentialsMissing;
    EXPECT_TRUE(protocol::AuthFailureOf(s, &f)) << s;
    return f;
  }

  std::string dir_;
  ConnectorConfig config_;
  std::unique_ptr<protocol::SigningKey> key_;
};

TEST_F(AuthTest, DeploymentCredentialsWinOverToken) {
  WriteTokenFile("{\"token\": \"" + Token() + "\"}");
  config_.deployment_id = "dep_42";
  config_.deployment_secret = "secret-42";
  config_.deployment_id_source = "env DEPLOYMENT_ID";
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->authorization, protocol::BasicAuthorization("dep_42", "secret-42"));
  EXPECT_THAT(creds->authorization, StartsWith("Basic "));
  EXPECT_EQ(creds->deployment_id, "dep_42");
  EXPECT_EQ(creds->description, "deployment credentials for dep_42 (from env DEPLOYMENT_ID)");
  EXPECT_EQ(creds->expires_at, 0);
  EXPECT_THAT(creds->description, ::testing::Not(HasSubstr("secret-42")));
}

TEST_F(AuthTest, ValidTokenFile) {
  const std::string token = Token();
  WriteTokenFile("{\"token\": \"" + token + "\"}\n");
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->authorization, "Bearer " + token);
  EXPECT_EQ(creds->deployment_id, "dep_tok");
  EXPECT_EQ(creds->description, "token file " + config_.auth_token_path + " (org org_1)");
  EXPECT_EQ(creds->expires_at, kNow + 3600);
}

TEST_F(AuthTest, DeploymentIdFallsBackToConfigThenFails) {
  WriteTokenFile("{\"token\": \"" + Token(kNow + 3600, "org_1", "") + "\"}");
  config_.deployment_id = "dep_cfg";  // no secret: the token is used, the id comes from the config
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->deployment_id, "dep_cfg");
  EXPECT_THAT(creds->authorization, StartsWith("Bearer "));

  config_.deployment_id.clear();
  creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()),
              HasSubstr("the token names no deployment: set DEPLOYMENT_ID (or deploymentId in config.json)"));
}

TEST_F(AuthTest, MissingTokenFile) {
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(creds.status().message(),
            "No authentication token found: expected " + config_.auth_token_path +
                ". Run `edge-connector auth --token <jwt>`, or set DEPLOYMENT_ID and DEPLOYMENT_SECRET.");
}

TEST_F(AuthTest, HalfConfiguredDeploymentCredentialsAreNamed) {
  config_.deployment_id = "dep_1";
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr("DEPLOYMENT_ID is set but DEPLOYMENT_SECRET is missing"));
  config_.deployment_id.clear();
  config_.deployment_secret = "s";
  creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr("DEPLOYMENT_SECRET is set but DEPLOYMENT_ID is missing"));
}

TEST_F(AuthTest, MalformedTokenFile) {
  WriteTokenFile("not json");
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.status().message(), "Token validation failed: " + config_.auth_token_path +
                                          " is not valid JSON ({\"token\": ...} expected)");
  EXPECT_EQ(FailureOf(creds.status()), protocol::AuthFailure::kTokenInvalid);

  WriteTokenFile("{\"jwt\": \"x\"}");
  creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), StartsWith("Token validation failed: "));

  WriteTokenFile("{\"token\": \"abc.def.ghi\"}");
  creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), StartsWith("Token validation failed: "));
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr(config_.auth_token_path));
  EXPECT_EQ(FailureOf(creds.status()), protocol::AuthFailure::kTokenInvalid);
}

TEST_F(AuthTest, ExpiredToken) {
  WriteTokenFile("{\"token\": \"" + Token(kNow - 10) + "\"}");
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), StartsWith("Token has expired"));
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr(config_.auth_token_path));
  EXPECT_EQ(FailureOf(creds.status()), protocol::AuthFailure::kTokenExpired);
}

TEST_F(AuthTest, TokenWithoutOrg) {
  WriteTokenFile("{\"token\": \"" + Token(kNow + 3600, "") + "\"}");
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr("orgId"));
  EXPECT_THAT(std::string(creds.status().message()), HasSubstr("orgs"));
  EXPECT_EQ(FailureOf(creds.status()), protocol::AuthFailure::kOrgMissing);
}

TEST_F(AuthTest, SaveTokenWritesJsonWithMode0600) {
  const std::string token = Token();
  const std::string path = dir_ + "/new/nested/auth-token.json";
  ASSERT_TRUE(SaveToken(token, path, kNow).ok());
  EXPECT_EQ(Read(path), "{\"token\":\"" + token + "\"}\n");
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(dir_ + "/new"), 0700);
  EXPECT_EQ(Mode(dir_ + "/new/nested"), 0700);
  // No temporary file left behind.
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ + "/new/nested")) ++files;
  EXPECT_EQ(files, 1);

  // The saved file is what ResolveCredentials reads.
  config_.auth_token_path = path;
  auto creds = ResolveCredentials(config_, kNow);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(creds->authorization, "Bearer " + token);
}

TEST_F(AuthTest, SaveTokenReplacesALooserFile) {
  const std::string path = dir_ + "/auth-token.json";
  std::ofstream(path) << "old";
  chmod(path.c_str(), 0644);
  const mode_t old_umask = umask(0);  // a permissive umask must not leak into the mode either
  absl::Status s = SaveToken(Token(), path, kNow);
  umask(old_umask);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_THAT(Read(path), StartsWith("{\"token\":"));
}

TEST_F(AuthTest, SaveTokenFromFiles) {
  const std::string token = Token();
  const std::string json_path = dir_ + "/download.json";
  std::ofstream(json_path) << "{\"token\": \"" << token << "\", \"expiresAt\": 1}\n";
  const std::string out = dir_ + "/auth-token.json";
  ASSERT_TRUE(SaveToken(json_path, out, kNow).ok());
  EXPECT_EQ(Read(out), "{\"token\":\"" + token + "\"}\n");

  const std::string raw_path = dir_ + "/raw.txt";
  std::ofstream(raw_path) << token << "\n";
  fs::remove(out);
  ASSERT_TRUE(SaveToken(raw_path, out, kNow).ok());
  EXPECT_EQ(Read(out), "{\"token\":\"" + token + "\"}\n");

  std::ofstream(json_path) << "{broken";
  absl::Status s = SaveToken(json_path, out, kNow);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is not valid JSON"));
}

TEST_F(AuthTest, SaveTokenRejectsBadTokensAndWritesNothing) {
  const std::string out = dir_ + "/auth-token.json";
  absl::Status s = SaveToken(Token(kNow - 1), out, kNow);
  EXPECT_THAT(std::string(s.message()), StartsWith("Token has expired"));
  s = SaveToken(Token(kNow + 60, ""), out, kNow);
  EXPECT_THAT(std::string(s.message()), HasSubstr("orgId"));
  s = SaveToken("abc.def.ghi", out, kNow);
  EXPECT_THAT(std::string(s.message()), StartsWith("Token validation failed"));
  s = SaveToken(dir_ + "/no-such-file.json", out, kNow);
  EXPECT_THAT(std::string(s.message()), HasSubstr("is neither a JWT"));
  s = SaveToken("  ", out, kNow);
  EXPECT_THAT(std::string(s.message()), HasSubstr("--token is empty"));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(AuthTest, WriteFileAtomicallyFailsCleanly) {
  fs::create_directories(dir_ + "/target-is-a-dir");
  fs::create_directories(dir_ + "/target-is-a-dir/sub");
  absl::Status s = WriteFileAtomically(dir_ + "/target-is-a-dir", "x", 0600);
  EXPECT_FALSE(s.ok());
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/plain.txt", "hello", 0644).ok());
  EXPECT_EQ(Read(dir_ + "/plain.txt"), "hello");
  EXPECT_EQ(Mode(dir_ + "/plain.txt"), 0644);
}

}  // namespace
}  // namespace edge::runtime
