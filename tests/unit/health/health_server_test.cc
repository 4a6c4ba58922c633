// HealthServer: real HTTP requests with libcurl against a server on 127.0.0.1 (port 0).
#include "edge/runtime/health.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace edge::runtime {
namespace {

using ::testing::HasSubstr;

struct HttpResult {
  long status = 0;
  std::string body;
  std::string headers;  // lower-cased
  std::string error;
};

size_t Append(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpResult Request(CURL* h, const std::string& url, const std::string& method = "GET", const char* body = nullptr) {
  HttpResult r;
  curl_easy_reset(h);  // keeps the connection cache, so keep-alive is still exercised
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &Append);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r.headers);
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (body != nullptr) curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  r.headers = absl::AsciiStrToLower(r.headers);
  return r;
}

HttpResult Fetch(const std::string& url, const std::string& method = "GET", const char* body = nullptr) {
  CURL* h = curl_easy_init();
  HttpResult r = Request(h, url, method, body);
  curl_easy_cleanup(h);
  return r;
}

class HealthServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HealthOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.ready = [this](std::string* reason) {
      if (ready_.load()) return true;
      *reason = "not connected: \"platform\" down";
      return false;
    };
    o.statusz = [] { return std::string(R"({"state":"serving","tools":{"count":7}})"); };
    o.logger = &logger_;
    server_ = std::make_unique<HealthServer>(o);
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_GT(server_->port(), 0);
    base_ = absl::StrCat("http://127.0.0.1:", server_->port());
  }

  Logger logger_{[](LogLevel, std::string_view, std::string_view) {}};
  std::atomic<bool> ready_{true};
  std::unique_ptr<HealthServer> server_;
  std::string base_;
};

TEST_F(HealthServerTest, Livez) {
  HttpResult r = Fetch(base_ + "/livez");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"alive"})");
  EXPECT_THAT(r.headers, HasSubstr("content-type: application/json"));
  EXPECT_THAT(r.headers, HasSubstr("cache-control: no-store"));
  EXPECT_THAT(r.headers, HasSubstr("content-length: 18"));
}

TEST_F(HealthServerTest, HealthzFollowsReadiness) {
  HttpResult r = Fetch(base_ + "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
  ready_ = false;
  r = Fetch(base_ + "/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, R"({"status":"not_ready","reason":"not connected: \"platform\" down"})");
  EXPECT_THAT(r.headers, HasSubstr("cache-control: no-store"));
  ready_ = true;
  EXPECT_EQ(Fetch(base_ + "/healthz?verbose=1").status, 200);
}

TEST_F(HealthServerTest, Statusz) {
  HttpResult r = Fetch(base_ + "/statusz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"state":"serving","tools":{"count":7}})");
  EXPECT_THAT(r.headers, HasSubstr("content-type: application/json"));
}

TEST_F(HealthServerTest, UnknownPathIs404WithEndpoints) {
  HttpResult r = Fetch(base_ + "/metrics");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"not found","endpoints":["/livez","/healthz","/statusz"]})");
  EXPECT_EQ(Fetch(base_ + "/").status, 404);
  EXPECT_EQ(Fetch(base_ + "/livez/x").status, 404);
}

TEST_F(HealthServerTest, OnlyGetAndHead) {
  HttpResult r = Fetch(base_ + "/livez", "POST", "{\"a\":1}");
  EXPECT_EQ(r.status, 405) << r.error;
  EXPECT_THAT(r.body, HasSubstr("method not allowed"));
  EXPECT_THAT(r.headers, HasSubstr("allow: get, head"));
  EXPECT_EQ(Fetch(base_ + "/healthz", "DELETE").status, 405);
  EXPECT_EQ(Fetch(base_ + "/statusz", "PUT", "x").status, 405);

  r = Fetch(base_ + "/livez", "HEAD");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_THAT(r.headers, HasSubstr("content-type: application/json"));
  // The server still answers afterwards.
  EXPECT_EQ(Fetch(base_ + "/livez").status, 200);
}

TEST_F(HealthServerTest, KeepAliveConnectionServesManyRequests) {
  CURL* h = curl_easy_init();
  for (int i = 0; i < 20; ++i) {
    HttpResult r = Request(h, base_ + (i % 2 ? "/livez" : "/statusz"));
    ASSERT_EQ(r.status, 200) << i << " " << r.error;
  }
  HttpResult post = Request(h, base_ + "/livez", "POST", "{\"x\":1}");  // the body is drained, not left unread
  EXPECT_EQ(post.status, 405) << post.error;
  HttpResult head = Request(h, base_ + "/healthz", "HEAD");
  EXPECT_EQ(head.status, 200) << head.error;
  HttpResult after = Request(h, base_ + "/livez");
  EXPECT_EQ(after.status, 200) << after.error;
  EXPECT_EQ(after.body, R"({"status":"alive"})");
  curl_easy_cleanup(h);
}

TEST_F(HealthServerTest, StopIsPromptAndIdempotent) {
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  HttpResult r = Fetch(base_ + "/livez");
  EXPECT_NE(r.error, "");  // nothing listens any more
  server_->Stop();
}

TEST(HealthServerBindTest, PortInUseIsNamed) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  std::vector<std::string> lines;
  std::mutex mu;
  Logger logger([&](LogLevel, std::string_view, std::string_view m) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(m);
  });
  HealthOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.logger = &logger;
  HealthServer server(o);
  absl::Status s = server.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), absl::StrCat("health server cannot listen on 127.0.0.1:", port,
                                      ": address in use; set HEALTH_PORT to a free port (or 0)"));
  EXPECT_EQ(server.port(), 0);
  server.Stop();  // harmless after a failed start
  close(fd);

  // A second health server on a taken port fails the same way.
  HealthOptions first_options;
  first_options.host = "127.0.0.1";
  first_options.port = 0;
  first_options.logger = &logger;
  HealthServer first(first_options);
  ASSERT_TRUE(first.Start().ok());
  o.port = first.port();
  HealthServer second(o);
  s = second.Start();
  EXPECT_THAT(s.message(), HasSubstr("address in use"));
  EXPECT_EQ(Fetch(absl::StrCat("http://127.0.0.1:", first.port(), "/livez")).status, 200);
}

TEST(HealthServerBindTest, AllInterfacesAndBadHost) {
  Logger quiet([](LogLevel, std::string_view, std::string_view) {});
  HealthOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  o.logger = &quiet;
  o.ready = [](std::string*) { return true; };
  HealthServer server(o);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_EQ(Fetch(absl::StrCat("http://127.0.0.1:", server.port(), "/healthz")).status, 200);

  o.host = "not-an-address";
  HealthServer bad(o);
  absl::Status s = bad.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("not-an-address"));
  EXPECT_THAT(s.message(), HasSubstr("HEALTH_HOST"));
}

}  // namespace
}  // namespace edge::runtime
