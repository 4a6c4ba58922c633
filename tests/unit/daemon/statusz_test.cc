// The /statusz document (runtime/src/daemon/statusz.cc): its fields, and no secrets.
#include "daemon/statusz.h"

#include <rapidjson/document.h>

#include "gtest/gtest.h"

namespace edge::runtime {
namespace {

TEST(StatuszTest, ReportsLinkToolsAndCalls) {
  ToolCatalog catalog;
  StatuszInputs in;
  in.state = "serving";
  in.ready = true;
  in.version = "9.9.9";
  in.instance_id = "inst-1";
  in.started_at = absl::Now() - absl::Seconds(5);
  in.link.state = LinkState::kServing;
  in.link.registered = true;
  in.link.deployment_id = "dep_1";
  in.link.reconnects = 3;
  in.link.last_heartbeat_ack = absl::FromUnixMillis(1718000000000);
  in.link.in_flight = 2;
  in.catalog = &catalog;
  in.calls.completed = 7;
  in.calls.timed_out = 1;
  std::string json = StatuszJson(in);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_STREQ(doc["state"].GetString(), "serving");
  EXPECT_TRUE(doc["ready"].GetBool());
  EXPECT_GE(doc["uptimeMs"].GetInt64(), 5000);
  EXPECT_GT(doc["rssBytes"].GetInt64(), 0);
  EXPECT_STREQ(doc["link"]["state"].GetString(), "serving");
  EXPECT_STREQ(doc["link"]["deploymentId"].GetString(), "dep_1");
  EXPECT_EQ(doc["link"]["reconnects"].GetInt64(), 3);
  EXPECT_EQ(doc["link"]["lastHeartbeatAckMs"].GetInt64(), 1718000000000);
  EXPECT_TRUE(doc["link"]["connectedSinceMs"].IsNull());
  EXPECT_EQ(doc["tools"]["count"].GetInt64(), 0);
  EXPECT_TRUE(doc["bundle"].IsNull());
  EXPECT_EQ(doc["calls"]["inFlight"].GetInt64(), 2);
  EXPECT_EQ(doc["calls"]["completed"].GetUint64(), 7u);
  EXPECT_EQ(doc["calls"]["timedOut"].GetUint64(), 1u);
}

TEST(StatuszTest, ReportsTheBundleAndItsSync) {
  StatuszInputs in;
  in.started_at = absl::Now();
  BundleStatusz b;
  b.serving.source = "bundle";
  b.serving.generation = std::string(64, 'a');
  b.serving.identity = bundles::BundleIdentity{"b_7", 3, "sha256:" + std::string(64, 'a')};
  b.serving.retiring.push_back({std::string(64, 'b'), absl::FromUnixMillis(1718000000000)});
  b.serving.unloaded = 2;
  b.sync_enabled = true;
  b.sync.state = "idle";
  b.sync.last_check_at = absl::FromUnixMillis(1718000001000);
  b.sync.swaps = 4;
  b.sync.failures = 1;
  b.sync.last_swap_ms = 12;
  b.sync.last_error = "download: bundle download stalled";
  in.bundle = b;
  std::string json = StatuszJson(in);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  const auto& bundle = doc["bundle"];
  EXPECT_STREQ(bundle["id"].GetString(), "b_7");
  EXPECT_EQ(bundle["version"].GetInt64(), 3);
  EXPECT_EQ(bundle["checksum"].GetString(), "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(bundle["generation"].GetString(), std::string(64, 'a'));
  EXPECT_STREQ(bundle["source"].GetString(), "bundle");
  const auto& sync = bundle["sync"];
  EXPECT_STREQ(sync["state"].GetString(), "idle");
  EXPECT_EQ(sync["lastCheckAtMs"].GetInt64(), 1718000001000);
  EXPECT_TRUE(sync["lastSyncAtMs"].IsNull());
  EXPECT_TRUE(sync["nextCheckAtMs"].IsNull());
  EXPECT_EQ(sync["swaps"].GetUint64(), 4u);
  EXPECT_EQ(sync["failures"].GetUint64(), 1u);
  EXPECT_EQ(sync["lastSwapMs"].GetInt64(), 12);
  EXPECT_STREQ(sync["lastError"].GetString(), "download: bundle download stalled");
  ASSERT_EQ(sync["retiringGenerations"].Size(), 1u);
  EXPECT_EQ(sync["retiringGenerations"][0]["generation"].GetString(), std::string(64, 'b'));
  EXPECT_EQ(sync["unloadedGenerations"].GetUint64(), 2u);
}

TEST(StatuszTest, ADisabledSyncSaysWhy) {
  StatuszInputs in;
  in.started_at = absl::Now();
  BundleStatusz b;
  b.serving.source = "local";
  b.serving.generation = "local";
  b.sync_disabled_reason = "customImplementationsPath is set (/srv/tools)";
  in.bundle = b;
  std::string json = StatuszJson(in);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_TRUE(doc["bundle"]["id"].IsNull());
  EXPECT_TRUE(doc["bundle"]["version"].IsNull());
  EXPECT_STREQ(doc["bundle"]["source"].GetString(), "local");
  EXPECT_STREQ(doc["bundle"]["sync"]["state"].GetString(), "disabled");
  EXPECT_STREQ(doc["bundle"]["sync"]["disabledReason"].GetString(), "customImplementationsPath is set (/srv/tools)");
}

TEST(StatuszTest, CarriesNoCredentialFields) {
  StatuszInputs in;
  in.started_at = absl::Now();
  in.link.last_error = "Authentication failed: invalid_credentials (deployment credentials for dep_1)";
  std::string json = StatuszJson(in);
  for (const char* word : {"secret", "token", "authorization", "Authorization", "password"}) {
    EXPECT_EQ(json.find(word), std::string::npos) << word << " in " << json;
  }
}

TEST(StatuszTest, ReportsTheWebhookRelay) {
  StatuszInputs in;
  in.started_at = absl::Now();
  {
    rapidjson::Document doc;
    const std::string json = StatuszJson(in);
    doc.Parse(json.c_str());
    ASSERT_FALSE(doc.HasParseError()) << json;
    const auto& relay = doc["relay"];
    EXPECT_FALSE(relay["enabled"].GetBool());
    EXPECT_TRUE(relay["mode"].IsNull());
    EXPECT_TRUE(relay["listen"].IsNull());
    EXPECT_TRUE(relay["url"].IsNull());
    EXPECT_EQ(relay["queue"]["deliveries"].GetInt64(), 0);
  }
  in.relay.enabled = true;
  in.relay.mode = "loopback";
  in.relay.listen = "127.0.0.1:8787";
  in.relay.url = "http://127.0.0.1:8787";
  in.relay.queue_deliveries = 3;
  in.relay.queue_bytes = 1200;
  in.relay.delivered = 9;
  in.relay.dead_lettered = 1;
  in.relay.last_error = "the link to the platform is not serving";
  const std::string json = StatuszJson(in);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  const auto& relay = doc["relay"];
  EXPECT_TRUE(relay["enabled"].GetBool());
  EXPECT_STREQ(relay["mode"].GetString(), "loopback");
  EXPECT_STREQ(relay["listen"].GetString(), "127.0.0.1:8787");
  EXPECT_STREQ(relay["url"].GetString(), "http://127.0.0.1:8787");
  EXPECT_EQ(relay["queue"]["deliveries"].GetInt64(), 3);
  EXPECT_EQ(relay["queue"]["bytes"].GetInt64(), 1200);
  EXPECT_EQ(relay["delivered"].GetUint64(), 9u);
  EXPECT_EQ(relay["deadLettered"].GetInt64(), 1);
  EXPECT_STREQ(relay["lastError"].GetString(), "the link to the platform is not serving");
}

}  // namespace
}  // namespace edge::runtime
