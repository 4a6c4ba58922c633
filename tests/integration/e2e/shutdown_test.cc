// Acceptance 5: SIGTERM during a slow call: /healthz goes 503 first, the call completes, new calls get
// "connector unavailable", and the process exits 0 after closing the link.
#include <signal.h>

#include <future>
#include <thread>

#include "e2e_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::milliseconds;

TEST_F(E2ETest, SigtermDrainsTheSlowCallAndExitsZero) {
  Connector& c = StartConnector();
  auto slow = std::async(std::launch::async, [&] { return Invoke("slow.count", R"({"steps":15,"step_ms":100})"); });
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = JsonField(c.Statusz(), "/calls/running") == "1";
    if (!running) std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(running) << c.Statusz();

  c.process().Signal(SIGTERM);
  bool unready = false;
  for (int i = 0; i < 100 && !unready; ++i) {
    HttpResponse h = Http("GET", c.health_url() + "/healthz", "", "", milliseconds(1000));
    unready = h.status == 503 && h.body.find("draining") != std::string::npos;
    if (!unready) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(unready) << "/healthz must go 503 (draining) while the call still runs";

  HttpResponse refused = Invoke("echo", R"({"text":"too late"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  // Either the platform already knows the connector is draining, or the connector refuses the call itself.
  EXPECT_EQ(JsonField(refused.body, "/error/code"), "connector_unavailable") << refused.body;
  EXPECT_NE(refused.body.find("connector unavailable"), std::string::npos) << refused.body;

  HttpResponse done = slow.get();
  EXPECT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(JsonField(done.body, "/result/structuredContent/steps"), "15");
  EXPECT_EQ(c.process().WaitExit(milliseconds(20000)), 0) << c.process().Log();
  std::string log = c.process().Log();
  EXPECT_NE(log.find("all calls drained"), std::string::npos) << log;
}

TEST_F(E2ETest, SecondSignalForcesTheExit) {
  Connector& c = StartConnector();
  auto slow = std::async(std::launch::async, [&] { return Invoke("slow.count", R"({"steps":100,"step_ms":100})"); });
  bool running = false;
  for (int i = 0; i < 200 && !running; ++i) {
    running = JsonField(c.Statusz(), "/calls/running") == "1";
    if (!running) std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(running);
  c.process().Signal(SIGTERM);
  ASSERT_NE(c.process().WaitLog("draining in-flight calls", milliseconds(5000)), std::string::npos);
  c.process().Signal(SIGINT);
  EXPECT_EQ(c.process().WaitExit(milliseconds(5000)), 2) << c.process().Log();
  HttpResponse r = slow.get();
  EXPECT_EQ(r.status, 503) << r.body;  // the connection went away with the call in flight
}

}  // namespace
}  // namespace edge::e2e
