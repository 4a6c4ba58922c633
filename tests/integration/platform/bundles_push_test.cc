// bundle.updated pushes from the real edge-platform: a test connector (tests/unit/platform/test_connector.h,
// an lws client speaking Tool RPC) connects with deployment credentials, and the test changes what the
// deployment should run through the REST API (assignment, new uploads, pins, the org default, rename).
#include <gtest/gtest.h>
#include <libwebsockets.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bundle_fixtures.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "platform_env.h"
#include "test_connector.h"

namespace edge::testing {
namespace {

using platform::testing::ConnectorOptions;
using platform::testing::HubTestEnv;
using platform::testing::TestConnector;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A client-only lws context serviced by the test thread.
class ClientLoop {
 public:
  ClientLoop() {
    lws_set_log_level(LLL_ERR, nullptr);
    lws_context_creation_info info{};
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.port = CONTEXT_PORT_NO_LISTEN;
    context_ = lws_create_context(&info);
    if (context_ == nullptr) return;
    lws_context_creation_info client{};
    client.port = CONTEXT_PORT_NO_LISTEN;
    client.vhost_name = "client";
    client.protocols = TestConnector::Protocols();
    vhost_ = lws_create_vhost(context_, &client);
    tick_.loop = this;
    lws_sul_schedule(context_, 0, &tick_.sul, &ClientLoop::OnTick, 10 * LWS_US_PER_MS);
  }
  ~ClientLoop() {
    if (context_ == nullptr) return;
    lws_sul_cancel(&tick_.sul);
    lws_context_destroy(context_);
  }
  lws_context* context() const { return context_; }
  lws_vhost* vhost() const { return vhost_; }

  bool RunUntil(const std::function<bool()>& done, int64_t timeout_ms = 10000) {
    const int64_t deadline = SteadyMs() + timeout_ms;
    while (!done()) {
      if (SteadyMs() > deadline || context_ == nullptr) return false;
      lws_service(context_, 0);
    }
    return true;
  }

 private:
  struct Tick {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back
    ClientLoop* loop;
  };
  // Keeps lws_service returning often, so RunUntil sees its deadline.
  static void OnTick(lws_sorted_usec_list_t* sul) {
    auto* tick = reinterpret_cast<Tick*>(sul);
    lws_sul_schedule(tick->loop->context_, 0, &tick->sul, &ClientLoop::OnTick, 10 * LWS_US_PER_MS);
  }

  lws_context* context_ = nullptr;
  lws_vhost* vhost_ = nullptr;
  Tick tick_{};
};

class PlatformBundlePushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    dir_ = root_ + "/data";
    AdminOk(dir_, {"create-org", "--name", "Acme", "--id", "org_acme"});
    token_ = AdminOk(dir_, {"issue-token", "--org", "org_acme"});
    server_ = std::make_unique<PlatformServer>(dir_, std::vector<std::string>{"--log-level", "warn"});
    ASSERT_TRUE(server_->Start());
    api_ = server_->api_url();
    rpc_port_ = std::stoi(server_->rpc_url().substr(server_->rpc_url().rfind(':') + 1));
  }
  void TearDown() override {
    connectors_.clear();
    loop_.reset();
    if (server_) {
      EXPECT_EQ(server_->Stop().exit_code, 0);
    }
    RemoveTree(root_);
  }

  HttpResult Send(const std::string& method, const std::string& path, const std::string& body = "") {
    return Http(method, api_ + path, body, Bearer(token_));
  }
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
    ConnectorOptions options;
    options.authorization = protocol::BasicAuthorization(*id, JsonAt(created.Json(), "/secret"));
    auto c = std::make_unique<TestConnector>(loop_->context(), loop_->vhost(), rpc_port_, options);
    TestConnector* raw = c.get();
    connectors_.push_back(std::move(c));
    EXPECT_TRUE(loop_->RunUntil([&] { return raw->established || raw->failed; }) && raw->established)
        << raw->error;
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

  std::string root_, dir_, token_, api_;
  int rpc_port_ = 0;
  std::unique_ptr<PlatformServer> server_;
  std::unique_ptr<ClientLoop> loop_ = std::make_unique<ClientLoop>();
  std::vector<std::unique_ptr<TestConnector>> connectors_;
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
