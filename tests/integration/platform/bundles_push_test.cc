// bundle.updated pushes from the real edge-platform: a test connector (tests/unit/platform/test_connector.h,
// an lws client speaking Tool RPC) connects with deployment credentials, and the test changes what the
// deployment should run through the REST API (assignment, new uploads, pins, the org default, rename).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bundle_fixtures.h"
#include "edge/protocol/messages.h"
#include "platform_env.h"
#include "platform_link.h"
#include "test_connector.h"

namespace edge::testing {
namespace {

using platform::testing::HubTestEnv;
using platform::testing::TestConnector;

class PlatformBundlePushTest : public PlatformLinkTest {
 protected:
  std::string Upload(const std::string& marker, const std::string& query) {
    BundleSpec spec;
    spec.files["tools/echo.json"] = R"({"greeting":")" + marker + R"("})";
    RawResult r = HttpRaw("POST", api_ + "/api/v1/bundles" + query, MakeBundle(root_, spec).bytes, Bearer(token_));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.body;
  }
  // A deployment with a serving test connector.
  TestConnector* Serving(const std::string& name, std::string* id) {
    HttpResult created = Send("POST", "/api/v1/deployments", R"({"name":")" + name + R"("})");
    EXPECT_EQ(created.status, 201) << created.body;
    *id = JsonAt(created.Json(), "/id");
    TestConnector* raw = Link(*id, JsonAt(created.Json(), "/secret"));
    const std::string hello = raw->Request(protocol::method::kHello, HubTestEnv::HelloJson(30000));
    const std::string reg = raw->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(1, {"echo"}));
    EXPECT_TRUE(loop_->RunUntil([&] { return raw->Response(reg).has_value() || raw->closed; }));
    auto r = raw->Response(reg);
    EXPECT_TRUE(r && r->kind == protocol::MessageKind::kResult);
    return raw;
  }
  // Services the connection until `c` has received `n` bundle.updated notifications; returns their params.
  std::vector<protocol::BundleUpdatedParams> Pushes(TestConnector* c, size_t n) {
    loop_->RunUntil([&] { return c->Received(protocol::method::kBundleUpdated).size() >= n; });
    std::vector<protocol::BundleUpdatedParams> out;
    for (const protocol::Envelope& e : c->Received(protocol::method::kBundleUpdated)) {
      absl::StatusOr<protocol::BundleUpdatedParams> p = protocol::ParseBundleUpdatedParams(e.params);
      EXPECT_TRUE(p.ok()) << e.params;
      if (p.ok()) out.push_back(*p);
    }
    return out;
  }
};

TEST_F(PlatformBundlePushTest, ChangesOfTheResolvedTargetArePushed) {
  std::string d1, d2;
  TestConnector* c1 = Serving("d1", &d1);
  TestConnector* c2 = Serving("d2", &d2);
  ASSERT_TRUE(c1 != nullptr && c2 != nullptr);

  // An upload nobody runs pushes nothing; assigning it does (following: "assigned").
  const std::string up1 = Upload("v1", "?name=x");
  rapidjson::Document first;
  first.Parse(up1.c_str());
  const std::string x = JsonAt(first, "/bundle/id");
  const std::string checksum1 = JsonAt(first, "/version/checksum");
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"("})").status, 200);
  // A new version moves the follower ("assigned" again).
  Upload("v2", "?bundleId=" + x);
  // A rename changes no target.
  ASSERT_EQ(Send("PATCH", "/api/v1/bundles/" + x, R"({"name":"renamed"})").status, 200);
  // Pinning back to version 1 is a rollback.
  ASSERT_EQ(Send("PUT", "/api/v1/deployments/" + d1 + "/bundle", R"({"bundleId":")" + x + R"(","version":1})")
                .status,
            200);
  // Version 3 does not move the pin.
  Upload("v3", "?bundleId=" + x);
  // The org default reaches d2 (no assignment) but not d1 (its own assignment wins)...
  ASSERT_EQ(Send("POST", "/api/v1/bundles/" + x + "/default").status, 200);
  // ...until d1's assignment goes: then d1 falls back to it.
  ASSERT_EQ(Send("DELETE", "/api/v1/deployments/" + d1 + "/bundle").status, 200);

  std::vector<protocol::BundleUpdatedParams> p1 = Pushes(c1, 4);
  ASSERT_EQ(p1.size(), 4u);
  EXPECT_EQ(p1[0].bundle_id, x);
  EXPECT_EQ(p1[0].version, 1);
  EXPECT_EQ(p1[0].checksum, checksum1);
  EXPECT_EQ(p1[0].reason, "assigned");
  EXPECT_EQ(p1[1].version, 2);
  EXPECT_EQ(p1[1].reason, "assigned");
  EXPECT_EQ(p1[2].version, 1);
  EXPECT_EQ(p1[2].reason, "rollback");
  EXPECT_EQ(p1[3].version, 3);  // nothing in between: version 3 reached d1 only through the default
  EXPECT_EQ(p1[3].reason, "default");

  std::vector<protocol::BundleUpdatedParams> p2 = Pushes(c2, 1);
  ASSERT_EQ(p2.size(), 1u);
  EXPECT_EQ(p2[0].bundle_id, x);
  EXPECT_EQ(p2[0].version, 3);
  EXPECT_EQ(p2[0].reason, "default");
  // A pinned default version for d2: lower than what it runs, so a rollback.
  ASSERT_EQ(Send("POST", "/api/v1/bundles/" + x + "/default", R"({"version":2})").status, 200);
  p2 = Pushes(c2, 2);
  ASSERT_EQ(p2.size(), 2u);
  EXPECT_EQ(p2[1].version, 2);
  EXPECT_EQ(p2[1].reason, "rollback");
}

}  // namespace
}  // namespace edge::testing
