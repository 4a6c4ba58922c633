// The relay's answers (runtime/src/relay/relay_handler.h): every row of the status table in
// docs/webhook-relay.md §2, and what a queued delivery holds.
#include "relay/relay_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "edge/protocol/auth.h"
#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using ::testing::HasSubstr;
using testing::kSecret;
using testing::kToken;
using testing::TempDir;

class RelayHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(QueueLimits{}); }

  void Make(QueueLimits limits, int64_t rate_per_minute = 600) {
    handler_.reset();
    auto q = DiskQueue::Open(dir_.path(), limits, nullptr);
    ASSERT_TRUE(q.ok()) << q.status();
    queue_ = *std::move(q);
    RelayHandlerOptions o;
    o.max_body_bytes = 100;
    o.rate_limit_per_minute = rate_per_minute;
    o.forward_headers = {"x-github-event"};
    o.now = [this] { return now_; };
    handler_ = std::make_unique<RelayHandler>(std::move(o), &registry_, queue_.get(), [this] { ++queued_; });
  }

  static RequestHead Post(std::string path, std::optional<int64_t> length = 2) {
    RequestHead h;
    h.method = "POST";
    h.path = std::move(path);
    h.content_length = length;
    return h;
  }
  static std::string HookPath(const std::string& id, const std::string& token = kToken) {
    return "/hooks/" + id + "/" + token;
  }

  HttpResponse Refused(const RequestHead& head) {
    auto decision = handler_->Admit(head);
    EXPECT_TRUE(std::holds_alternative<HttpResponse>(decision)) << head.path;
    return std::holds_alternative<HttpResponse>(decision) ? std::get<HttpResponse>(decision) : HttpResponse{};
  }
  std::optional<Admitted> Admit(const RequestHead& head) {
    auto decision = handler_->Admit(head);
    if (auto* a = std::get_if<Admitted>(&decision)) return *a;
    ADD_FAILURE() << "refused: " << std::get<HttpResponse>(decision).body;
    return std::nullopt;
  }
  static std::string Header(const HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }

  TempDir dir_;
  WebhookRegistry registry_{dir_.path() / "webhooks.json"};
  std::unique_ptr<DiskQueue> queue_;
  std::unique_ptr<RelayHandler> handler_;
  absl::Time now_ = absl::FromUnixMillis(1718000040000);
  int queued_ = 0;
};

TEST_F(RelayHandlerTest, NotReadyUntilTheWebhookListArrives) {
  HttpResponse r = Refused(Post(HookPath("wh_plain")));
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr(R"("code":"relay_not_ready")"));
  registry_.Replace(testing::TwoWebhooks());
  EXPECT_TRUE(Admit(Post(HookPath("wh_plain"))).has_value());
}

TEST_F(RelayHandlerTest, PathsMethodsTokensAndSizesAreChecked) {
  registry_.Replace(testing::TwoWebhooks());
  EXPECT_EQ(Refused(Post("/other")).status, 404);
  HttpResponse unknown = Refused(Post(HookPath("wh_nope")));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr(R"("code":"not_found")"));
  RequestHead get = Post(HookPath("wh_plain"));
  get.method = "GET";
  HttpResponse method = Refused(get);
  EXPECT_EQ(method.status, 405);
  EXPECT_THAT(method.body, HasSubstr(R"("code":"method_not_allowed")"));
  EXPECT_EQ(Header(method, "allow"), "POST, PUT");
  HttpResponse token = Refused(Post(HookPath("wh_plain", "wrong-token")));
  EXPECT_EQ(token.status, 401);
  EXPECT_THAT(token.body, HasSubstr(R"("code":"invalid_token")"));
  EXPECT_THAT(token.body, ::testing::Not(HasSubstr(kToken)));
  HttpResponse large = Refused(Post(HookPath("wh_plain"), 101));
  EXPECT_EQ(large.status, 413);
  EXPECT_THAT(large.body, HasSubstr(R"("code":"body_too_large")"));
  RequestHead put = Post(HookPath("wh_plain"), 100);
  put.method = "PUT";
  EXPECT_TRUE(Admit(put).has_value());
  EXPECT_EQ(handler_->BodyTooLarge().status, 413);
}

TEST_F(RelayHandlerTest, TheRateLimitAnswers429WithRetryAfter) {
  Make(QueueLimits{}, 60);  // one a second, burst 10
  registry_.Replace(testing::TwoWebhooks());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Admit(Post(HookPath("wh_plain"))).has_value()) << i;
  HttpResponse limited = Refused(Post(HookPath("wh_plain")));
  EXPECT_EQ(limited.status, 429);
  EXPECT_THAT(limited.body, HasSubstr(R"("code":"rate_limited")"));
  EXPECT_EQ(Header(limited, "retry-after"), "1");
  EXPECT_TRUE(Admit(Post(HookPath("wh_signed"))).has_value()) << "another webhook is not limited";
  now_ += absl::Seconds(1);
  EXPECT_TRUE(Admit(Post(HookPath("wh_plain"))).has_value());
}

TEST_F(RelayHandlerTest, AnAcceptedDeliveryIsQueuedWithTheRelayParamsBeforeThe202) {
  registry_.Replace(testing::TwoWebhooks());
  RequestHead head = Post(HookPath("wh_plain"));
  head.query = "a=1&b=2";
  std::optional<Admitted> a = Admit(head);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->header_names, (std::vector<std::string>{"content-type", "user-agent", "x-github-event"}));
  HttpResponse r = handler_->Finish(*a, head, {{"content-type", "application/json"}, {"x-github-event", "push"}}, "{}");
  EXPECT_EQ(r.status, 202);
  EXPECT_THAT(r.body, HasSubstr(R"("status":"queued")"));
  EXPECT_EQ(queued_, 1);
  std::vector<QueuedDelivery> queued = queue_->Oldest(10, {});
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_THAT(r.body, HasSubstr(queued[0].delivery_id));
  absl::StatusOr<std::string> json = queue_->Read(queued[0]);
  ASSERT_TRUE(json.ok());
  auto params = protocol::ParseWebhookRelayParams(*json);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->delivery_id, queued[0].delivery_id);
  EXPECT_EQ(params->delivery_id.size(), 26u);
  EXPECT_EQ(params->webhook_id, "wh_plain");
  EXPECT_EQ(params->received_at_ms, 1718000040000);
  EXPECT_EQ(params->method, "POST");
  EXPECT_EQ(params->path, "/hooks/wh_plain/{token}");
  EXPECT_EQ(params->query, "a=1&b=2");
  EXPECT_EQ(params->headers, (std::vector<std::pair<std::string, std::string>>{
                                 {"content-type", "application/json"}, {"x-github-event", "push"}}));
  EXPECT_EQ(params->body, "{}");
  EXPECT_EQ(params->signature, "none");
  EXPECT_EQ(json->find(kToken), std::string::npos) << "the URL token never leaves the relay";
}

TEST_F(RelayHandlerTest, HmacIsVerifiedWhenTheHeaderIsPresent) {
  registry_.Replace(testing::TwoWebhooks());
  const RequestHead head = Post(HookPath("wh_signed"));
  std::optional<Admitted> a = Admit(head);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->header_names.back(), "x-hub-signature-256");
  const std::string body = R"({"zen":"ok"})";
  const std::string good = "sha256=" + protocol::HmacSha256Hex(kSecret, body);
  HttpResponse bad = handler_->Finish(*a, head, {{"x-hub-signature-256", "sha256=00"}}, body);
  EXPECT_EQ(bad.status, 401);
  EXPECT_THAT(bad.body, HasSubstr(R"("code":"invalid_signature")"));
  EXPECT_EQ(queue_->Stats().deliveries, 0) << "a failed HMAC is not stored";
  EXPECT_EQ(handler_->Finish(*a, head, {{"x-hub-signature-256", good}}, body).status, 202);
  EXPECT_EQ(handler_->Finish(*a, head, {}, body).status, 202);
  std::vector<QueuedDelivery> queued = queue_->Oldest(10, {});
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(protocol::ParseWebhookRelayParams(*queue_->Read(queued[0]))->signature, "verified");
  EXPECT_EQ(protocol::ParseWebhookRelayParams(*queue_->Read(queued[1]))->signature, "absent");
}

TEST_F(RelayHandlerTest, AFullQueueAnswers503WithRetryAfterAndStoresNothing) {
  Make(QueueLimits{1, 1 << 20});
  registry_.Replace(testing::TwoWebhooks());
  const RequestHead head = Post(HookPath("wh_plain"));
  EXPECT_EQ(handler_->Finish(*Admit(head), head, {}, "{}").status, 202);
  HttpResponse full = handler_->Finish(*Admit(head), head, {}, "{}");
  EXPECT_EQ(full.status, 503);
  EXPECT_THAT(full.body, HasSubstr(R"("code":"relay_queue_full")"));
  EXPECT_THAT(full.body, HasSubstr("webhookQueueMaxDeliveries is 1"));
  EXPECT_THAT(full.body, HasSubstr("down or slow"));
  EXPECT_EQ(Header(full, "retry-after"), "30");
  EXPECT_EQ(queue_->Stats().deliveries, 1);
  EXPECT_EQ(queued_, 1);
}

}  // namespace
}  // namespace edge::runtime::relay
