// Acceptance 3, 4 and the message limit of 6: platform crash and restart, a frozen platform, duplicate
// deployments, the installation lock, and an oversize frame.
#include <signal.h>

#include <thread>

#include "e2e_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::milliseconds;

int Reconnects(Connector& c) {
  std::string v = JsonField(c.Statusz(), "/link/reconnects");
  return v.empty() ? -1 : std::stoi(v);
}

TEST_F(E2ETest, PlatformKilledAndRestartedConnectorReconnectsAndServes) {
  Connector& c = StartConnector();
  ASSERT_EQ(Invoke("echo", R"({"text":"before"})").status, 200);
  platform_->process().Signal(SIGKILL);
  platform_->process().WaitExit(milliseconds(5000));
  // Not ready while the platform is gone (the health server itself stays up).
  bool went_unready = false;
  for (int i = 0; i < 200 && !went_unready; ++i) {
    went_unready = Http("GET", c.health_url() + "/healthz").status == 503;
    if (!went_unready) std::this_thread::sleep_for(milliseconds(25));
  }
  EXPECT_TRUE(went_unready);
  EXPECT_EQ(Http("GET", c.health_url() + "/livez").status, 200);
  StartPlatform(/*same_ports=*/true);
  ASSERT_TRUE(platform_->started());
  ASSERT_TRUE(c.WaitReady(milliseconds(20000))) << c.process().Log();
  HttpResponse r = Invoke("echo", R"({"text":"after"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GE(Reconnects(c), 1);
}

TEST_F(E2ETest, FrozenPlatformIsDetectedAndTheLinkRecovers) {
  Connector& c = StartConnector();
  platform_->process().Signal(SIGSTOP);
  // heartbeatTimeoutMs is 1.5 s (raised to 2 x 200 ms + 5 s = 5.4 s at most by the peer-interval rule).
  auto frozen_at = std::chrono::steady_clock::now();
  bool detected = false;
  while (!detected && std::chrono::steady_clock::now() - frozen_at < std::chrono::seconds(15)) {
    detected = Http("GET", c.health_url() + "/healthz", "", "", milliseconds(2000)).status == 503;
    if (!detected) std::this_thread::sleep_for(milliseconds(50));
  }
  auto detect_time = std::chrono::steady_clock::now() - frozen_at;
  platform_->process().Signal(SIGCONT);
  ASSERT_TRUE(detected) << c.process().Log();
  EXPECT_LT(detect_time, std::chrono::seconds(8));
  ASSERT_TRUE(c.WaitReady(milliseconds(20000))) << c.process().Log();
  HttpResponse r = Invoke("echo", R"({"text":"thawed"})");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(E2ETest, DuplicateDeploymentIsRefusedAndTheFirstKeepsServing) {
  StartConnector("first");
  Connector& second = StartConnector("second", /*wait_ready=*/false);
  EXPECT_NE(second.process().WaitLog("Deployment already connected", milliseconds(20000)), std::string::npos)
      << second.process().Log();
  EXPECT_FALSE(second.WaitReady(milliseconds(200)));
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = Invoke("echo", R"({"text":"first"})");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

TEST_F(E2ETest, SecondInstanceInTheSameDirectoryIsRefusedAndAStaleLockIsRecovered) {
  Connector& first = StartConnector("same");
  Connector& second = StartConnector("same", /*wait_ready=*/false);
  EXPECT_EQ(second.process().WaitExit(milliseconds(20000)), 1);
  std::string expected = "Edge runtime already running (pid " + std::to_string(first.process().pid()) + ")";
  EXPECT_NE(second.process().Log().find(expected), std::string::npos) << second.process().Log();
  // A crash leaves the lock file behind; it must not block the restart.
  first.process().Signal(SIGKILL);
  first.process().WaitExit(milliseconds(5000));
  ASSERT_TRUE(std::filesystem::exists(root_ + "/same/edge-runtime.lock"));
  Connector& third = StartConnector("same");
  EXPECT_TRUE(third.WaitReady(milliseconds(20000))) << third.process().Log();
}

TEST_F(E2ETest, OversizeFrameClosesWith1009AndTheConnectorReconnects) {
  Connector& c = StartConnector();
  HttpResponse hook = Http("POST", platform_->api_url() + "/api/v1/test/oversize-frame",
                           "{\"deploymentId\":\"" + deployment_ + "\",\"bytes\":5242880}", token_);
  ASSERT_EQ(hook.status / 100, 2) << hook.body;
  EXPECT_NE(c.process().WaitLog("1009", milliseconds(20000)), std::string::npos) << c.process().Log();
  bool reconnected = false;
  for (int i = 0; i < 400 && !reconnected; ++i) {
    reconnected = Reconnects(c) >= 1 && c.WaitReady(milliseconds(50));
    if (!reconnected) std::this_thread::sleep_for(milliseconds(25));
  }
  EXPECT_TRUE(reconnected) << c.Statusz() << "\n" << c.process().Log() << platform_->process().Log();
  EXPECT_EQ(Invoke("echo", R"({"text":"after 1009"})").status, 200);
}

}  // namespace
}  // namespace edge::e2e
