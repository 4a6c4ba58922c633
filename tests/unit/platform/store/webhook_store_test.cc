// store/webhook_store.cc: deliveries are stored once per (deployment, deliveryId), and only the newest keep
// their headers and body, while older ids still count as duplicates.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store_fixture.h"

namespace edge::platform::store {
namespace {

class WebhookStoreTest : public testing::StoreFixture {
 protected:
  WebhookStoreTest() : StoreFixture("webhook-store") {}

  WebhookDelivery Delivery(const std::string& id, const std::string& body) {
    WebhookDelivery d;
    d.delivery_id = id;
    d.deployment_id = deployment_;
    d.webhook_id = "wh_1";
    d.org_id = "org_acme";
    d.integration_id = "github";
    d.via = "edge-relay";
    d.method = "POST";
    d.path = "/hooks/wh_1/{token}";
    d.headers_json = R"([["x-github-event","push"]])";
    d.body = body;
    d.signature = "none";
    return d;
  }
};

TEST_F(WebhookStoreTest, ADeliveryIdIsStoredOncePerDeployment) {
  EXPECT_EQ(*store_->AddWebhookDelivery(Delivery("01A", "one")), true);
  EXPECT_EQ(*store_->AddWebhookDelivery(Delivery("01A", "one again")), false);
  absl::StatusOr<std::vector<WebhookDelivery>> list = store_->ListWebhookDeliveries("org_acme", "github", 10);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].body, "one");
  EXPECT_EQ((*list)[0].body_bytes, 3);
  EXPECT_FALSE((*list)[0].body_pruned);
}

TEST_F(WebhookStoreTest, OlderBodiesArePrunedButTheirIdsStayDuplicates) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(*store_->AddWebhookDelivery(Delivery("id" + std::to_string(i), "body" + std::to_string(i)), 2));
  }
  absl::StatusOr<std::vector<WebhookDelivery>> list = store_->ListWebhookDeliveries("org_acme", "github", 10);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 5u);  // newest first
  EXPECT_EQ((*list)[0].body, "body4");
  EXPECT_EQ((*list)[1].body, "body3");
  for (size_t i = 2; i < list->size(); ++i) {
    EXPECT_TRUE((*list)[i].body_pruned) << (*list)[i].delivery_id;
    EXPECT_EQ((*list)[i].body, "");
    EXPECT_EQ((*list)[i].headers_json, "[]");
    EXPECT_EQ((*list)[i].body_bytes, 5);
  }
  EXPECT_EQ(*store_->AddWebhookDelivery(Delivery("id0", "late resend"), 2), false);
}

}  // namespace
}  // namespace edge::platform::store
