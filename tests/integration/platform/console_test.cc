// The admin console's sign-in against the real edge-platform (docs/console.md section 1): one-time links,
// the session cookie, cookie authentication of the REST API, the CSRF rule, sign-out, and persistence.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "platform_env.h"

namespace edge::testing {
namespace {

struct Session {
  std::string cookie;  // "edge_console=<id>"
  std::string csrf;
};

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data";
    org_ = AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    StartServer();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    RemoveTree(root_);
  }
  void StartServer() {
    server_ = std::make_unique<PlatformServer>(dir_);
    ASSERT_TRUE(server_->Start());
  }
  // The token part of a fresh console-link.
  std::string LinkToken(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"console-link", "--org", org_};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string url = AdminOk(dir_, args);
    const size_t at = url.find("/console/signin?token=");
    EXPECT_NE(at, std::string::npos) << url;
    return at == std::string::npos ? "" : url.substr(at + 22);
  }
  HttpResult SignIn(const std::string& token) {
    return Http("POST", server_->api_url() + "/console/api/session", R"({"token":")" + token + R"("})");
  }
  Session SignInOk() {
    HttpResult r = SignIn(LinkToken({"--subject", "alice"}));
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string set_cookie = r.headers["set-cookie"];
    Session s;
    s.cookie = set_cookie.substr(0, set_cookie.find(';'));
    s.csrf = JsonAt(r.Json(), "/csrfToken");
    return s;
  }
  std::string Url(const std::string& path) const { return server_->api_url() + path; }
  std::string Origin() const { return server_->api_url(); }

  std::string root_, dir_, org_;
  std::unique_ptr<PlatformServer> server_;
};

TEST_F(ConsoleTest, SigninLinkStartsAStrictHttpOnlySessionAndWorksOnce) {
  const std::string url = AdminOk(dir_, {"console-link", "--org", org_});
  EXPECT_EQ(url.rfind(server_->api_url() + "/console/signin?token=", 0), 0u)
      << "the link is based on the running platform's URL: " << url;
  const std::string token = url.substr(url.find("token=") + 6);

  HttpResult r = SignIn(token);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = r.headers["set-cookie"];
  EXPECT_EQ(cookie.rfind("edge_console=", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Max-Age=28800"), std::string::npos) << "default --console-session-ttl 8h: " << cookie;
  rapidjson::Document doc = r.Json();
  EXPECT_EQ(JsonAt(doc, "/orgId"), org_);
  EXPECT_EQ(JsonAt(doc, "/subject"), "admin");
  EXPECT_GE(JsonAt(doc, "/csrfToken").size(), 40u);

  HttpResult again = SignIn(token);
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_EQ(JsonAt(again.Json(), "/error/code"), "signin_link_invalid");
  EXPECT_NE(again.body.find("edge-platform admin console-link --org"), std::string::npos) << again.body;

  HttpResult unknown = SignIn("not-a-real-token");
  EXPECT_EQ(unknown.status, 401) << unknown.body;
}

TEST_F(ConsoleTest, AnExpiredLinkIsRefused) {
  const std::string token = LinkToken({"--ttl", "1s"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  HttpResult r = SignIn(token);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(JsonAt(r.Json(), "/error/code"), "signin_link_invalid");

  ProcessResult too_long = Admin(dir_, {"console-link", "--org", org_, "--ttl", "25h"});
  EXPECT_EQ(too_long.exit_code, 1);
  EXPECT_NE(too_long.err.find("24h"), std::string::npos) << too_long.err;
}

TEST_F(ConsoleTest, ASessionExpiresAfterItsTtl) {
  server_->Stop();
  server_ = std::make_unique<PlatformServer>(dir_, std::vector<std::string>{"--console-session-ttl", "1s"});
  ASSERT_TRUE(server_->Start());
  Session s = SignInOk();
  EXPECT_EQ(Http("GET", Url("/api/v1/deployments"), "", {"Cookie: " + s.cookie}).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  HttpResult me = Http("GET", Url("/console/api/session"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(me.status, 401) << me.body;
  EXPECT_EQ(JsonAt(me.Json(), "/error/code"), "signed_out");
  HttpResult list = Http("GET", Url("/api/v1/deployments"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(list.status, 401) << "an expired session is no admin: " << list.body;
  HttpResult create = Http("POST", Url("/api/v1/deployments"), R"({"name":"late"})",
                           {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf, "Content-Type: application/json"});
  EXPECT_EQ(create.status, 401) << create.body;
}

TEST_F(ConsoleTest, TheCookieAuthenticatesTheRestApiAndSignedOutIs401) {
  Session s = SignInOk();
  HttpResult me = Http("GET", Url("/console/api/session"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(JsonAt(me.Json(), "/subject"), "alice");
  EXPECT_EQ(JsonAt(me.Json(), "/csrfToken"), s.csrf);

  HttpResult list = Http("GET", Url("/api/v1/deployments"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Http("GET", Url("/api/v1/deployments")).status, 401);
  HttpResult forged = Http("GET", Url("/api/v1/deployments"), "", {"Cookie: edge_console=forged"});
  EXPECT_EQ(forged.status, 401) << forged.body;
  EXPECT_EQ(Http("GET", Url("/console/api/session")).status, 401);
}

TEST_F(ConsoleTest, StateChangingRequestsNeedTheCsrfTokenAndTheOwnOrigin) {
  Session s = SignInOk();
  const std::string create = Url("/api/v1/deployments");
  auto count = [&] {
    rapidjson::Document d = Http("GET", create, "", {"Cookie: " + s.cookie}).Json();
    return d.IsObject() && d.HasMember("deployments") ? d["deployments"].Size() : 999u;
  };

  HttpResult no_token = Http("POST", create, R"({"name":"a"})", {"Cookie: " + s.cookie});
  EXPECT_EQ(no_token.status, 403) << no_token.body;
  EXPECT_EQ(JsonAt(no_token.Json(), "/error/code"), "csrf_rejected");

  HttpResult wrong_token =
      Http("POST", create, R"({"name":"a"})", {"Cookie: " + s.cookie, "X-CSRF-Token: wrong"});
  EXPECT_EQ(wrong_token.status, 403) << wrong_token.body;

  // What a cross-site HTML form can send: the cookie (if the browser attached it) and its own Origin.
  HttpResult form = Http("POST", create, "name=a",
                         {"Cookie: " + s.cookie, "Content-Type: application/x-www-form-urlencoded",
                          "Origin: http://evil.example"});
  EXPECT_EQ(form.status, 403) << form.body;
  HttpResult foreign_origin = Http("POST", create, R"({"name":"a"})",
                                   {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf, "Origin: http://evil.example"});
  EXPECT_EQ(foreign_origin.status, 403) << foreign_origin.body;
  EXPECT_EQ(count(), 0u) << "refused requests change nothing";

  HttpResult ok = Http("POST", create, R"({"name":"a"})",
                       {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf, "Origin: " + Origin()});
  EXPECT_EQ(ok.status, 201) << ok.body;
  HttpResult no_origin = Http("POST", create, R"({"name":"b"})", {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf});
  EXPECT_EQ(no_origin.status, 201) << no_origin.body;
  EXPECT_EQ(count(), 2u);
}

TEST_F(ConsoleTest, SignOutEndsTheSessionAndClearsTheCookie) {
  Session s = SignInOk();
  HttpResult no_csrf = Http("DELETE", Url("/console/api/session"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(no_csrf.status, 403) << no_csrf.body;
  HttpResult out = Http("DELETE", Url("/console/api/session"), "", {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf});
  EXPECT_EQ(out.status, 200) << out.body;
  EXPECT_NE(out.headers["set-cookie"].find("Max-Age=0"), std::string::npos) << out.headers["set-cookie"];
  EXPECT_EQ(Http("GET", Url("/api/v1/deployments"), "", {"Cookie: " + s.cookie}).status, 401);
  HttpResult me = Http("GET", Url("/console/api/session"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(me.status, 401);
  EXPECT_EQ(JsonAt(me.Json(), "/error/code"), "signed_out");
}

TEST_F(ConsoleTest, SessionsSurviveARestart) {
  Session s = SignInOk();
  server_->Stop();
  StartServer();
  HttpResult list = Http("GET", Url("/api/v1/deployments"), "", {"Cookie: " + s.cookie});
  EXPECT_EQ(list.status, 200) << list.body;
}

TEST_F(ConsoleTest, ADeploymentSecretIsShownOnlyAtCreate) {
  Session s = SignInOk();
  const std::vector<std::string> write = {"Cookie: " + s.cookie, "X-CSRF-Token: " + s.csrf};
  HttpResult created = Http("POST", Url("/api/v1/deployments"), R"({"name":"db-gw"})", write);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = JsonAt(created.Json(), "/id");
  const std::string secret = JsonAt(created.Json(), "/secret");
  ASSERT_GE(secret.size(), 40u) << created.body;
  for (const std::string& path : {std::string("/api/v1/deployments"), "/api/v1/deployments/" + id}) {
    HttpResult r = Http("GET", Url(path), "", {"Cookie: " + s.cookie});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    EXPECT_EQ(r.body.find(secret), std::string::npos) << path << ": " << r.body;
  }
}

}  // namespace
}  // namespace edge::testing
