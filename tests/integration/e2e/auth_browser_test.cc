// `edge-connector auth --browser` against a real edge-platform (docs/console.md section 3): the CLI runs as a
// child process; an operator's console session (cookie + CSRF) approves or denies its code through the API.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "edge/protocol/auth.h"
#include "platform_env.h"

namespace edge::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class AuthBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    data_ = root_ + "/data";
    install_ = root_ + "/install";
    ASSERT_EQ(mkdir(install_.c_str(), 0700), 0);
    AdminOk(data_, {"create-org", "--name", "Acme", "--id", "org_acme"});
  }
  void TearDown() override {
    cli_.reset();  // kills a CLI still waiting
    if (server_) server_->Stop();
    RemoveTree(root_);
  }
  void StartServer(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<PlatformServer>(data_, std::move(flags));
    ASSERT_TRUE(server_->Start());
  }
  // An operator's console session: the cookie line and the CSRF token.
  void SignIn() {
    const std::string url = AdminOk(data_, {"console-link", "--org", "org_acme", "--subject", "alice"});
    HttpResult r = Http("POST", server_->api_url() + "/console/api/session",
                        R"({"token":")" + url.substr(url.find("token=") + 6) + R"("})");
    ASSERT_EQ(r.status, 200) << r.body;
    cookie_ = "Cookie: " + r.headers["set-cookie"].substr(0, r.headers["set-cookie"].find(';'));
    csrf_ = "X-CSRF-Token: " + JsonAt(r.Json(), "/csrfToken");
  }
  // Starts the CLI and answers the user code it prints.
  std::string StartCli(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {EDGE_CONNECTOR_BIN, "auth",          "--browser",
                                     "--api",            server_->api_url(), "--install-dir", install_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    cli_ = std::make_unique<Subprocess>(argv);
    std::string code;
    const std::regex pattern("code ([A-Z]{4}-[A-Z]{4})");
    cli_->ReadUntil(
        [&](const std::string& out, const std::string&) {
          std::smatch m;
          if (!std::regex_search(out, m, pattern)) return false;
          code = m[1];
          return true;
        },
        seconds(15));
    EXPECT_FALSE(code.empty()) << "the CLI printed no user code";
    return code;
  }
  HttpResult Decide(const std::string& code, const std::string& decision) {
    return Http("POST", server_->api_url() + "/console/api/device/" + code + "/" + decision, "", {cookie_, csrf_});
  }

  std::string root_, data_, install_, cookie_, csrf_;
  std::unique_ptr<PlatformServer> server_;
  std::unique_ptr<Subprocess> cli_;
};

TEST_F(AuthBrowserTest, ApprovalSavesAConnectorTokenForTheSessionsOrg) {
  StartServer();
  SignIn();
  const std::string code = StartCli();
  ASSERT_FALSE(code.empty());

  HttpResult shown = Http("GET", server_->api_url() + "/console/api/device/" + code, "", {cookie_});
  ASSERT_EQ(shown.status, 200) << shown.body;
  EXPECT_EQ(JsonAt(shown.Json(), "/status"), "pending");
  EXPECT_EQ(JsonAt(shown.Json(), "/orgId"), "org_acme");
  EXPECT_NE(JsonAt(shown.Json(), "/clientName").find("edge-connector"), std::string::npos) << shown.body;

  HttpResult no_csrf = Http("POST", server_->api_url() + "/console/api/device/" + code + "/approve", "", {cookie_});
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  HttpResult approved = Decide(code, "approve");
  ASSERT_EQ(approved.status, 200) << approved.body;

  ProcessResult r = cli_->Wait(seconds(20));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string token_path = install_ + "/auth-token.json";
  EXPECT_NE(r.out.find("Signed in to org org_acme; token saved to " + token_path + " (expires "), std::string::npos)
      << r.out;
  struct stat st {};
  ASSERT_EQ(stat(token_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The saved token is a connector token of the org that the platform's own key verifies.
  HttpResult key = Http("GET", server_->api_url() + "/api/v1/auth/public-key");
  ASSERT_EQ(key.status, 200);
  rapidjson::Document saved;
  {
    FILE* f = std::fopen(token_path.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    std::string text(4096, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), f));
    std::fclose(f);
    saved.Parse(text.c_str());
  }
  ASSERT_TRUE(saved.IsObject() && saved.HasMember("token"));
  absl::StatusOr<protocol::JwtClaims> claims = protocol::DecodeJwtUnverified(saved["token"].GetString());
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, "connector");
  EXPECT_EQ(claims->org_id, "org_acme");
  EXPECT_EQ(claims->subject, "device:console:alice");

  // A second approval of the same code is refused: the request is closed.
  EXPECT_EQ(Decide(code, "approve").status, 409);
}

TEST_F(AuthBrowserTest, DenialEndsWithTheDeniedMessage) {
  StartServer();
  SignIn();
  const std::string code = StartCli();
  ASSERT_FALSE(code.empty());
  ASSERT_EQ(Decide(code, "deny").status, 200);
  ProcessResult r = cli_->Wait(seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("Sign-in was denied in the console (code " + code +
                       "). Run 'edge-connector auth --browser' again if that was a mistake."),
            std::string::npos)
      << r.err;
}

TEST_F(AuthBrowserTest, AnUnapprovedCodeExpires) {
  StartServer({"--device-code-ttl", "3s"});
  const std::string code = StartCli();
  ASSERT_FALSE(code.empty());
  ProcessResult r = cli_->Wait(seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("The sign-in code " + code +
                       " expired before it was approved (codes last 3 seconds). Run 'edge-connector auth "
                       "--browser' again."),
            std::string::npos)
      << r.err;
}

TEST_F(AuthBrowserTest, TimeoutGivesUp) {
  StartServer();
  const std::string code = StartCli({"--timeout", "3"});
  ASSERT_FALSE(code.empty());
  ProcessResult r = cli_->Wait(seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("Gave up waiting for approval after 3 s. Approve the code in the console sooner, or raise "
                       "--timeout."),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace edge::testing
