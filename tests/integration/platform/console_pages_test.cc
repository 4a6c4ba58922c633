// The admin console's pages as the real edge-platform serves them (docs/console.md section 2.1): the routes,
// the embedded files' bytes, the security headers, and the console API staying an API.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "platform_env.h"

namespace edge::testing {
namespace {

std::string WwwFile(const std::string& name) {
  std::ifstream in(std::string(EDGE_CONSOLE_WWW_DIR) + "/" + name, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ConsolePagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data";
    org_ = AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    server_ = std::make_unique<PlatformServer>(dir_);
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override {
    if (server_) server_->Stop();
    RemoveTree(root_);
  }
  std::string Url(const std::string& path) const { return server_->api_url() + path; }

  std::string root_, dir_, org_;
  std::unique_ptr<PlatformServer> server_;
};

void ExpectPageHeaders(const HttpResult& r, const std::string& what) {
  EXPECT_EQ(r.headers.count("content-security-policy"), 1u) << what;
  if (r.headers.count("content-security-policy")) {
    EXPECT_NE(r.headers.at("content-security-policy").find("default-src 'self'"), std::string::npos) << what;
  }
  auto header = [&](const char* name) { return r.headers.count(name) ? r.headers.at(name) : std::string(); };
  EXPECT_EQ(header("x-frame-options"), "DENY") << what;
  EXPECT_EQ(header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(header("cache-control"), "no-store") << what;
}

TEST_F(ConsolePagesTest, EachRouteServesItsPageWithTheSecurityHeaders) {
  const std::pair<const char*, const char*> routes[] = {
      {"/console/", "index.html"},          {"/console/signin?token=abc", "signin.html"},
      {"/console/deployments/dep_42", "deployment.html"}, {"/console/deployment.html?id=dep_42", "deployment.html"},
      {"/console/bundles.html", "bundles.html"}, {"/console/tools.html", "tools.html"},
      {"/console/device.html?code=BCDF-GHJK", "device.html"},
  };
  for (const auto& [path, file] : routes) {
    HttpResult r = Http("GET", Url(path));  // no cookie: the pages themselves are public, their data is not
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.body, WwwFile(file)) << path << " should serve " << file;
    ExpectPageHeaders(r, path);
  }
  HttpResult css = Http("GET", Url("/console/console.css"));
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.headers["content-type"], "text/css; charset=utf-8");
  EXPECT_EQ(css.body, WwwFile("console.css"));
  HttpResult js = Http("GET", Url("/console/api.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, WwwFile("api.js"));
}

TEST_F(ConsolePagesTest, BareConsoleRedirectsAndUnknownFilesAre404Pages) {
  HttpResult r = Http("GET", Url("/console"));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers["location"], "/console/");

  for (const char* path : {"/console/nope.html", "/console/deployments", "/console/a/b/c",
                           "/console/.hidden"}) {
    HttpResult missing = Http("GET", Url(path));
    EXPECT_EQ(missing.status, 404) << path;
    EXPECT_EQ(missing.headers["content-type"], "text/html; charset=utf-8") << path;
    EXPECT_EQ(missing.body, WwwFile("notfound.html")) << path;
    ExpectPageHeaders(missing, path);
  }
}

TEST_F(ConsolePagesTest, PagesAnswerGetOnly) {
  HttpResult r = Http("POST", Url("/console/"), "x=1", {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
  EXPECT_NE(r.body.find("GET only"), std::string::npos) << r.body;
}

TEST_F(ConsolePagesTest, TheConsoleApiIsNotShadowedAndServingTheSigninPageUsesNoToken) {
  HttpResult session = Http("GET", Url("/console/api/session"));
  EXPECT_EQ(session.status, 401) << session.body;
  EXPECT_EQ(JsonAt(session.Json(), "/error/code"), "signed_out");

  // Link scanners fetch the link: the page must not spend the one-time token (docs/console.md section 1).
  const std::string link = AdminOk(dir_, {"console-link", "--org", org_});
  const std::string token = link.substr(link.find("token=") + 6);
  EXPECT_EQ(Http("GET", link).status, 200);
  EXPECT_EQ(Http("GET", link).status, 200);
  HttpResult signin = Http("POST", Url("/console/api/session"), R"({"token":")" + token + R"("})");
  EXPECT_EQ(signin.status, 200) << signin.body;
}

}  // namespace
}  // namespace edge::testing
