// Tests for the http_request example: the allow-list rules on their own, then the plugin through the real host
// against a loopback HTTP server started by each test.
#include <edge/testing.hpp>
#include <memory>
#include <string>

#include "http_util.h"
#include "test_http_server.h"

namespace {

using ::edge::testing::CallOptions;
using ::edge::testing::CallReport;
using ::edge::testing::IsHostError;
using ::edge::testing::IsToolError;
using ::edge::testing::PluginOptions;
using ::edge::testing::PluginUnderTest;
using ::edge::testing::StructuredOf;
using ::testing::HasSubstr;
using http_example::AllowList;

TEST(AllowListTest, MatchesHostsPortsAndSubdomainWildcards) {
  AllowList list;
  ASSERT_TRUE(list.Add("API.example.com"));
  ASSERT_TRUE(list.Add("127.0.0.1:8080"));
  ASSERT_TRUE(list.Add("*.example.org"));
  ASSERT_TRUE(list.Add("[::1]:9000"));
  EXPECT_TRUE(list.Allows("api.example.com", 443));
  EXPECT_TRUE(list.Allows("api.example.com.", 80)) << "a trailing dot names the same host";
  EXPECT_FALSE(list.Allows("example.com", 443));
  EXPECT_FALSE(list.Allows("api.example.com.evil.net", 443));
  EXPECT_TRUE(list.Allows("127.0.0.1", 8080));
  EXPECT_FALSE(list.Allows("127.0.0.1", 8081));
  EXPECT_TRUE(list.Allows("a.b.example.org", 443));
  EXPECT_FALSE(list.Allows("example.org", 443)) << "a wildcard covers subdomains only";
  EXPECT_FALSE(list.Allows("badexample.org", 443));
  EXPECT_TRUE(list.Allows("[::1]", 9000));
  EXPECT_FALSE(list.Allows("[::1]", 9001));
  EXPECT_EQ(list.ExampleHost(), "api.example.com");
}

TEST(AllowListTest, RejectsEntriesThatAreNotHosts) {
  AllowList list;
  for (const char* bad : {"", "http://a.com", "a.com/path", "user@a.com", "a.com:", "a.com:99999", "*", "[::1"}) {
    EXPECT_FALSE(list.Add(bad)) << bad;
  }
}

TEST(HttpUtilTest, ValidatesUtf8AndEncodesBase64) {
  EXPECT_TRUE(http_example::IsValidUtf8("plain ascii, é, 日本, 😀"));
  EXPECT_FALSE(http_example::IsValidUtf8(std::string("\xc0\xaf", 2))) << "overlong";
  EXPECT_FALSE(http_example::IsValidUtf8(std::string("\xed\xa0\x80", 3))) << "surrogate";
  EXPECT_FALSE(http_example::IsValidUtf8(std::string("\xe6\x97", 2))) << "truncated";
  EXPECT_EQ(http_example::Base64("hello"), "aGVsbG8=");
  EXPECT_EQ(http_example::Base64(std::string("\x00\xff\xfe", 3)), "AP/+");
}

class HttpRequestTest : public ::testing::Test {
 protected:
  void Load(const std::string& extra_config = "", const std::string& hosts = "") {
    std::string allowed = hosts.empty() ? "\"127.0.0.1:" + std::to_string(server_.port()) + "\"" : hosts;
    auto loaded = PluginUnderTest::Load(
        EDGE_PLUGIN_FILE, PluginOptions::WithConfig(R"({"allowedHosts":[)" + allowed + "]" + extra_config + "}"));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    plugin_ = *std::move(loaded);
  }
  CallReport Request(const std::string& args_json, CallOptions options = {}) {
    return plugin_->Call("http.request", args_json, std::move(options));
  }
  std::string Get(const std::string& path, const std::string& host = "127.0.0.1") {
    return R"({"url":")" + server_.url(path, host) + "\"}";
  }

  TestHttpServer server_;
  std::unique_ptr<PluginUnderTest> plugin_;
};

TEST_F(HttpRequestTest, GetReturnsStatusHeadersAndBody) {
  Load();
  CallReport r = Request(Get("/hello"));
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  EXPECT_EQ(out["status"].GetInt(), 200);
  EXPECT_STREQ(out["statusText"].GetString(), "OK");
  EXPECT_STREQ(out["body"].GetString(), "hello");
  EXPECT_STREQ(out["bodyEncoding"].GetString(), "utf-8");
  EXPECT_FALSE(out["truncated"].GetBool());
  EXPECT_STREQ(out["headers"]["x-test"].GetString(), "yes");
  EXPECT_STREQ(out["headers"]["x-multi"].GetString(), "a, b");
  EXPECT_EQ(out["redirects"].Size(), 0u);
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].method, "GET");
}

TEST_F(HttpRequestTest, PostSendsBodyAndHeaders) {
  Load();
  CallReport r = Request(R"({"method":"POST","url":")" + server_.url("/echo") +
                         R"(","body":"ping","headers":{"Authorization":"Bearer t0k"}})");
  ASSERT_TOOL_OK(r);
  EXPECT_STREQ(StructuredOf(r)["body"].GetString(), "POST ping auth=Bearer t0k");
}

TEST_F(HttpRequestTest, HttpErrorStatusIsAResultNotAToolError) {
  Load();
  CallReport r = Request(Get("/missing"));
  ASSERT_TOOL_OK(r);
  EXPECT_EQ(StructuredOf(r)["status"].GetInt(), 404);
  EXPECT_STREQ(StructuredOf(r)["body"].GetString(), "nope");
}

TEST_F(HttpRequestTest, DisallowedHostsPortsAndSchemesAreRefusedBeforeConnecting) {
  Load();
  EXPECT_THAT(Request(Get("/hello", "localhost")),
              IsToolError(HasSubstr("host 'localhost' (port " + std::to_string(server_.port()) + ") is not allowed")));
  EXPECT_THAT(Request(R"({"url":"http://127.0.0.1:1/"})"), IsToolError(HasSubstr("not allowed")));
  std::string userinfo_trick = "http://127.0.0.1:" + std::to_string(server_.port()) + "@localhost:" +
                               std::to_string(server_.port()) + "/hello";
  EXPECT_THAT(Request(R"({"url":")" + userinfo_trick + "\"}"), IsToolError(HasSubstr("host 'localhost'")));
  EXPECT_THAT(Request(R"({"url":"ftp://127.0.0.1:)" + std::to_string(server_.port()) + "/\"}"),
              IsToolError(HasSubstr("scheme 'ftp' is not allowed")));
  EXPECT_THAT(Request(R"({"url":"not a url"})"), IsToolError(HasSubstr("not a valid absolute http(s) URL")));
  EXPECT_TRUE(server_.requests().empty()) << "a refused request must never reach the network";
}

TEST_F(HttpRequestTest, RedirectsAreFollowedOnlyToAllowedHosts) {
  Load();
  CallReport local = Request(Get("/redirect-local"));
  ASSERT_TOOL_OK(local);
  rapidjson::Document out = StructuredOf(local);
  EXPECT_STREQ(out["body"].GetString(), "hello");
  ASSERT_EQ(out["redirects"].Size(), 1u);
  EXPECT_EQ(std::string(out["redirects"][0].GetString()), server_.url("/hello"));
  EXPECT_EQ(std::string(out["url"].GetString()), server_.url("/hello"));

  size_t before = server_.requests().size();
  EXPECT_THAT(Request(Get("/redirect-away")), IsToolError(HasSubstr("refused: host 'localhost'")));
  EXPECT_EQ(server_.requests().size(), before + 1) << "the refused hop was never requested";

  CallReport unfollowed = Request(R"({"url":")" + server_.url("/redirect-local") + R"(","followRedirects":false})");
  ASSERT_TOOL_OK(unfollowed);
  EXPECT_EQ(StructuredOf(unfollowed)["status"].GetInt(), 302);
  EXPECT_STREQ(StructuredOf(unfollowed)["headers"]["location"].GetString(), "/hello");
}

TEST_F(HttpRequestTest, RedirectsStopAtMaxRedirects) {
  Load(R"(,"maxRedirects":2)");
  EXPECT_THAT(Request(Get("/loop")), IsToolError(HasSubstr("too many redirects (more than maxRedirects=2)")));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(HttpRequestTest, SeeOtherAfterPostContinuesAsGetWithoutBody) {
  Load();
  CallReport r = Request(R"({"method":"POST","url":")" + server_.url("/see-other") + R"(","body":"data"})");
  ASSERT_TOOL_OK(r);
  EXPECT_STREQ(StructuredOf(r)["body"].GetString(), "GET  auth=");
}

TEST_F(HttpRequestTest, CredentialsAreDroppedOnRedirectToAnotherHost) {
  std::string port = std::to_string(server_.port());
  Load("", "\"127.0.0.1:" + port + "\",\"localhost:" + port + "\"");
  CallReport r = Request(R"({"url":")" + server_.url("/redirect-away") +
                         R"(","headers":{"Authorization":"Bearer secret","X-Keep":"1"}})");
  ASSERT_TOOL_OK(r);
  EXPECT_STREQ(StructuredOf(r)["body"].GetString(), "GET  auth=");
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].headers.count("authorization"), 0u);
  EXPECT_EQ(server_.requests()[1].headers.at("x-keep"), "1");
}

TEST_F(HttpRequestTest, BodyIsCappedAtMaxResponseBytes) {
  Load(R"(,"maxResponseBytes":1000)");
  for (const char* path : {"/big", "/big-chunked"}) {
    CallReport r = Request(Get(path));
    ASSERT_TOOL_OK(r) << path;
    rapidjson::Document out = StructuredOf(r);
    EXPECT_TRUE(out["truncated"].GetBool()) << path;
    EXPECT_EQ(out["bodyBytes"].GetInt(), 1000) << path;
    EXPECT_EQ(out["body"].GetStringLength(), 1000u) << path;
  }
  CallReport utf8 = Request(Get("/big-utf8"));  // 1000 bytes would end inside a two-byte character
  ASSERT_TOOL_OK(utf8);
  EXPECT_STREQ(StructuredOf(utf8)["bodyEncoding"].GetString(), "utf-8");
  EXPECT_EQ(StructuredOf(utf8)["body"].GetStringLength(), 1000u);
  Load(R"(,"maxResponseBytes":999)");
  CallReport odd = Request(Get("/big-utf8"));
  ASSERT_TOOL_OK(odd);
  EXPECT_STREQ(StructuredOf(odd)["bodyEncoding"].GetString(), "utf-8") << "the partial character is dropped";
  EXPECT_EQ(StructuredOf(odd)["body"].GetStringLength(), 998u);
  EXPECT_EQ(StructuredOf(odd)["bodyBytes"].GetInt(), 999);
  CallReport small = Request(Get("/hello"));
  ASSERT_TOOL_OK(small);
  EXPECT_FALSE(StructuredOf(small)["truncated"].GetBool());
}

TEST_F(HttpRequestTest, BinaryBodyComesBackAsBase64) {
  Load();
  CallReport r = Request(Get("/binary"));
  ASSERT_TOOL_OK(r);
  EXPECT_STREQ(StructuredOf(r)["bodyEncoding"].GetString(), "base64");
  EXPECT_STREQ(StructuredOf(r)["body"].GetString(), "AP/+");
}

TEST_F(HttpRequestTest, BadRequestsAreToolErrorsThatSayWhatToFix) {
  Load();
  EXPECT_THAT(Request(R"({"url":")" + server_.url("/echo") + R"(","headers":{"X-A":"b\r\nX-Injected: 1"}})"),
              IsToolError(HasSubstr("contains a line break")));
  EXPECT_THAT(Request(R"({"url":")" + server_.url("/echo") + R"(","headers":{"Host":"evil"}})"),
              IsToolError(HasSubstr("'Host' cannot be set")));
  EXPECT_THAT(Request(R"({"url":")" + server_.url("/echo") + R"(","body":"x"})"),
              IsToolError(HasSubstr("GET request cannot have a body")));
  EXPECT_THAT(Request(R"({"url":")" + server_.url("/") + R"(","method":"TRACE"})"),
              IsHostError(absl::StatusCode::kInvalidArgument, HasSubstr("method")));
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(HttpRequestTest, CancellationStopsAStalledTransfer) {
  Load();
  CallOptions options;
  options.cancel_after_progress = 1;  // the first body bytes arrived; the server then never finishes
  CallReport r = Request(Get("/stall"), options);
  EXPECT_TRUE(r.cancel_sent);
  EXPECT_THAT(r, IsHostError(absl::StatusCode::kCancelled));
  EXPECT_LT(r.elapsed, absl::Seconds(5));
  EXPECT_TRUE(plugin_->executor().Drain(absl::Seconds(5)).ok()) << "the plugin really returned";
}

TEST_F(HttpRequestTest, TimeoutIsAToolErrorNamingTheTimeout) {
  Load();
  CallReport r = Request(R"({"url":")" + server_.url("/stall") + R"(","timeoutMs":200})");
  EXPECT_THAT(r, IsToolError(HasSubstr("the timeout is 200 ms")));
  EXPECT_LT(r.elapsed, absl::Seconds(5));
}

TEST_F(HttpRequestTest, ExamplesSucceed) {
  Load();
  for (const std::string& example : plugin_->Find("http.request")->examples) {
    EXPECT_TOOL_OK(Request(example)) << example;
  }
}

TEST_F(HttpRequestTest, InitFailsWithMessagesNamingTheConfigKey) {
  auto missing = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("config key 'allowedHosts' is missing or empty"));
  auto bad = PluginUnderTest::Load(EDGE_PLUGIN_FILE, PluginOptions::WithConfig(R"({"allowedHosts":["http://x.com"]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("no scheme or path"));
}

}  // namespace
