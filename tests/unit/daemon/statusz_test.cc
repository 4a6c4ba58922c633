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

TEST(StatuszTest, CarriesNoCredentialFields) {
  StatuszInputs in;
  in.started_at = absl::Now();
  in.link.last_error = "Authentication failed: invalid_credentials (deployment credentials for dep_1)";
  std::string json = StatuszJson(in);
  for (const char* word : {"secret", "token", "authorization", "Authorization", "password"}) {
    EXPECT_EQ(json.find(word), std::string::npos) << word << " in " << json;
  }
}

}  // namespace
}  // namespace edge::runtime
