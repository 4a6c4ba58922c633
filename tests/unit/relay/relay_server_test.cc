// The relay's HTTP listener (runtime/src/relay/relay_server.h): real requests with libcurl to 127.0.0.1.
#include "relay/relay_server.h"

#include <curl/curl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using ::testing::HasSubstr;
using testing::kSecret;
using testing::kToken;
using testing::TempDir;

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

class RelayServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.Replace(testing::TwoWebhooks());
    auto q = DiskQueue::Open(dir_.path(), {}, nullptr);
    ASSERT_TRUE(q.ok()) << q.status();
    queue_ = *std::move(q);
    RelayHandlerOptions o;
    o.max_body_bytes = 64 * 1024;
    o.forward_headers = {"x-github-event", "x-request-id"};
    handler_ = std::make_unique<RelayHandler>(std::move(o), &registry_, queue_.get(), nullptr);
    server_ = std::make_unique<RelayServer>(RelayServerOptions{"127.0.0.1", 0, nullptr}, handler_.get());
    ASSERT_TRUE(server_->Start().ok());
    curl_ = curl_easy_init();
  }
  void TearDown() override {
    curl_easy_cleanup(curl_);
    server_.reset();
  }

  std::string Url(const std::string& path) { return absl::StrCat("http://127.0.0.1:", server_->port(), path); }
  static std::string Hook(const std::string& id, const std::string& token = kToken) {
    return "/hooks/" + id + "/" + token;
  }

  HttpResult Request(const std::string& method, const std::string& path, const std::string& body,
                     std::vector<std::string> headers = {}) {
    HttpResult r;
    curl_easy_reset(curl_);  // keeps the connection cache: keep-alive is exercised too
    curl_easy_setopt(curl_, CURLOPT_URL, Url(path).c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &Append);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &Append);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r.headers);
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method != "GET") {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_slist* list = nullptr;
    for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(curl_);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    r.headers = absl::AsciiStrToLower(r.headers);
    return r;
  }

  protocol::WebhookRelayParams OnlyQueued() {
    std::vector<QueuedDelivery> queued = queue_->Oldest(10, {});
    EXPECT_EQ(queued.size(), 1u);
    if (queued.empty()) return {};
    auto params = protocol::ParseWebhookRelayParams(*queue_->Read(queued[0]));
    EXPECT_TRUE(params.ok()) << params.status();
    return params.ok() ? *params : protocol::WebhookRelayParams{};
  }

  TempDir dir_;
  WebhookRegistry registry_{dir_.path() / "webhooks.json"};
  std::unique_ptr<DiskQueue> queue_;
  std::unique_ptr<RelayHandler> handler_;
  std::unique_ptr<RelayServer> server_;
  CURL* curl_ = nullptr;
};

TEST_F(RelayServerTest, AcceptsAWebhookWithSelectedHeadersQueryAndBodyIntact) {
  std::string body = R"({"ref":"refs/heads/main"})";
  body.push_back('\0');
  body += "\xff binary tail";
  HttpResult r = Request("POST", Hook("wh_plain") + "?a=1&b=t%26w+o&c", body,
                         {"Content-Type: application/json", "User-Agent: GitHub-Hookshot/abc",
                          "X-GitHub-Event: push", "X-Request-Id: r-1", "X-Unlisted: no",
                          "Authorization: Bearer secret", "Cookie: c=1"});
  ASSERT_EQ(r.status, 202) << r.body << r.error;
  EXPECT_THAT(r.body, HasSubstr(R"("status":"queued")"));
  EXPECT_THAT(r.headers, HasSubstr("content-type: application/json"));
  const protocol::WebhookRelayParams p = OnlyQueued();
  EXPECT_THAT(r.body, HasSubstr(p.delivery_id));
  EXPECT_EQ(p.webhook_id, "wh_plain");
  EXPECT_EQ(p.method, "POST");
  EXPECT_EQ(p.path, "/hooks/wh_plain/{token}");
  EXPECT_EQ(p.query, "a=1&b=t%26w%20o&c") << "the same arguments, encoded again";
  EXPECT_EQ(p.body, body);
  EXPECT_EQ(p.headers, (std::vector<std::pair<std::string, std::string>>{{"content-type", "application/json"},
                                                                         {"user-agent", "GitHub-Hookshot/abc"},
                                                                         {"x-github-event", "push"},
                                                                         {"x-request-id", "r-1"}}));
  EXPECT_EQ(p.signature, "none");
}

TEST_F(RelayServerTest, VerifiesTheSignatureHeader) {
  const std::string body = R"({"action":"opened"})";
  HttpResult bad = Request("POST", Hook("wh_signed"), body, {"X-Hub-Signature-256: sha256=0123"});
  EXPECT_EQ(bad.status, 401);
  EXPECT_THAT(bad.body, HasSubstr(R"("code":"invalid_signature")"));
  HttpResult good = Request("PUT", Hook("wh_signed"), body,
                            {"X-Hub-Signature-256: sha256=" + protocol::HmacSha256Hex(kSecret, body)});
  ASSERT_EQ(good.status, 202) << good.body;
  const protocol::WebhookRelayParams p = OnlyQueued();
  EXPECT_EQ(p.method, "PUT");
  EXPECT_EQ(p.signature, "verified");
  const std::string signature = "sha256=" + protocol::HmacSha256Hex(kSecret, body);
  EXPECT_EQ(p.headers.back(), (std::pair<std::string, std::string>{"x-hub-signature-256", signature}));
}

TEST_F(RelayServerTest, RefusalsCarryTheDocumentedStatusAndCode) {
  HttpResult unknown_path = Request("POST", "/webhooks/x", "{}");
  EXPECT_EQ(unknown_path.status, 404);
  EXPECT_THAT(unknown_path.body, HasSubstr(R"({"error":{"code":"not_found")"));
  HttpResult get = Request("GET", Hook("wh_plain"), "");
  EXPECT_EQ(get.status, 405);
  EXPECT_THAT(get.headers, HasSubstr("allow: post, put"));
  HttpResult token = Request("POST", Hook("wh_plain", "not-the-token"), "{}");
  EXPECT_EQ(token.status, 401);
  EXPECT_THAT(token.body, HasSubstr(R"("code":"invalid_token")"));
  HttpResult large = Request("POST", Hook("wh_plain"), std::string(64 * 1024 + 1, 'x'));
  EXPECT_EQ(large.status, 413);
  EXPECT_THAT(large.body, HasSubstr(R"("code":"body_too_large")"));
  HttpResult chunked = Request("POST", Hook("wh_plain"), "{}", {"Transfer-Encoding: chunked"});
  EXPECT_EQ(chunked.status, 411);
  EXPECT_THAT(chunked.body, HasSubstr(R"("code":"length_required")"));
  EXPECT_EQ(queue_->Stats().deliveries, 0);
  // The connection (or a new one) still serves.
  EXPECT_EQ(Request("POST", Hook("wh_plain"), "{}").status, 202);
}

TEST_F(RelayServerTest, AnswersExpectContinueAndTakesALargeBody) {
  const std::string body(64 * 1024, 'b');
  HttpResult r = Request("POST", Hook("wh_plain"), body, {"Expect: 100-continue"});
  ASSERT_EQ(r.status, 202) << r.body << r.error;
  EXPECT_EQ(OnlyQueued().body, body);
  HttpResult refused = Request("POST", Hook("wh_plain", "bad"), body, {"Expect: 100-continue"});
  EXPECT_EQ(refused.status, 401);
}

TEST_F(RelayServerTest, ABusyPortIsReportedWithTheFix) {
  RelayServer second(RelayServerOptions{"127.0.0.1", server_->port(), nullptr}, handler_.get());
  absl::Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr(absl::StrCat("cannot listen on 127.0.0.1:", server_->port())));
  EXPECT_THAT(std::string(s.message()), HasSubstr("WEBHOOK_RELAY_PORT"));
}

}  // namespace
}  // namespace edge::runtime::relay
