// The webhook list and its cache on disk (runtime/src/relay/webhook_registry.h).
#include "relay/webhook_registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "relay_test_util.h"

namespace edge::runtime::relay {
namespace {

using testing::TempDir;

TEST(WebhookRegistryTest, NotReadyWithoutAListAndReadyWithAnEmptyOne) {
  TempDir dir;
  WebhookRegistry registry(dir.path() / "webhooks.json");
  ASSERT_TRUE(registry.Load().ok());
  EXPECT_FALSE(registry.ready());
  EXPECT_FALSE(registry.Find("wh_plain").has_value());
  registry.Replace({});
  EXPECT_TRUE(registry.ready());
  EXPECT_EQ(registry.size(), 0u);
}

TEST(WebhookRegistryTest, ReplaceTakesEffectAtOnceAndReplacesEverything) {
  TempDir dir;
  WebhookRegistry registry(dir.path() / "webhooks.json");
  registry.Replace(testing::TwoWebhooks());
  ASSERT_TRUE(registry.Find("wh_signed").has_value());
  EXPECT_EQ(registry.Find("wh_signed")->hmac->secret, testing::kSecret);
  protocol::WebhooksConfigParams one;
  one.webhooks.push_back({"wh_new", "gitlab", protocol::Sha256Hex("x"), std::nullopt});
  registry.Replace(one);
  EXPECT_FALSE(registry.Find("wh_signed").has_value());
  EXPECT_TRUE(registry.Find("wh_new").has_value());
  EXPECT_EQ(registry.size(), 1u);
}

TEST(WebhookRegistryTest, SavedListIsPrivateAndLoadsAfterARestart) {
  TempDir dir;
  const auto file = dir.path() / "relay" / "webhooks.json";
  {
    WebhookRegistry registry(file);
    registry.Replace(testing::TwoWebhooks());
    ASSERT_TRUE(registry.Save().ok());
  }
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "it holds HMAC secrets";
  WebhookRegistry restarted(file);
  ASSERT_TRUE(restarted.Load().ok());
  EXPECT_TRUE(restarted.ready());
  ASSERT_TRUE(restarted.Find("wh_signed").has_value());
  EXPECT_EQ(restarted.Find("wh_signed")->hmac->secret, testing::kSecret);
  EXPECT_EQ(restarted.Find("wh_plain")->token_sha256, protocol::Sha256Hex(testing::kToken));
}

TEST(WebhookRegistryTest, ACorruptCacheIsReportedAndLeavesTheRelayWaitingForTheList) {
  TempDir dir;
  const auto file = dir.path() / "webhooks.json";
  std::ofstream(file) << R"({"webhooks":[{"webhookId":"x"}]})";
  WebhookRegistry registry(file);
  absl::Status s = registry.Load();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("webhooks.json"), absl::string_view::npos) << s;
  EXPECT_FALSE(registry.ready());
}

}  // namespace
}  // namespace edge::runtime::relay
