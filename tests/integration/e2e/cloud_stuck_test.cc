// Issue 5, acceptance point 2: a stuck start and a stuck stop (the driver told to hang by the test hook
// POST /api/v1/test/cloud-driver-fault) are reported as stuck once their limit passes; `force-complete` moves
// each to Stopped, and retry and delete work afterwards (docs/cloud-connectors.md §1 "Stuck and failed
// operations"). Also the --wait failure path: `start --wait` fails as soon as the start is stuck.
#include <signal.h>

#include <chrono>
#include <string>

#include "cloud_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr int kLimitMs = 3000;

TEST_F(CloudCliTest, StuckStartIsForceCompletedThenRetried) {
  StartCloudPlatform({kLimitMs, kLimitMs});
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");

  // The driver's next start does nothing: no process. `start --wait` fails once the limit passes, naming the
  // state and the fix, instead of waiting out its own --timeout.
  Fault("start", "hang", 1);
  const auto began = std::chrono::steady_clock::now();
  CommandResult wait = Cloud("start", {"--wait", "--timeout", "60"});
  const auto waited = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(wait.exit_code, 1) << wait.out << wait.err;
  EXPECT_TRUE(Contains(wait.err, "stuck in Starting")) << wait.err;
  EXPECT_TRUE(Contains(wait.err, "cloud force-complete --deployment " + deployment_)) << wait.err;
  EXPECT_LT(waited, seconds(30)) << "--wait gave up at the stuck report, not at its timeout";
  EXPECT_TRUE(ProcessesOf(id).empty()) << "the hung start started nothing";

  // status reports it, as text and JSON; stop stays allowed, and force-complete is offered.
  std::string out = CloudOk("status");
  EXPECT_TRUE(Contains(out, "Starting for ")) << out;
  EXPECT_TRUE(Contains(out, ", stuck (limit 3.0 s)")) << out;
  EXPECT_TRUE(Contains(out, "force-complete")) << out;
  std::string json = CloudOk("status", {"--json"});
  EXPECT_EQ(JsonField(json, "/stuck"), "true") << json;
  EXPECT_EQ(JsonField(json, "/operation"), "start") << json;
  EXPECT_EQ(JsonField(json, "/limitMs"), std::to_string(kLimitMs)) << json;
  ExpectRefused("delete", "Starting", "stop");

  // force-complete --wait: Stopped at once; then the retry starts for real, and delete works after a stop.
  out = CloudOk("force-complete", {"--wait"});
  EXPECT_TRUE(Contains(out, "is Stopped")) << out;
  ExpectRefused("force-complete", "Stopped", "start, delete");
  out = CloudOk("start", {"--wait", "--timeout", "60"});
  EXPECT_TRUE(Contains(out, "is Running")) << out << PlatformLog();
  EXPECT_EQ(ProcessesOf(id).size(), 1u);
  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
  EXPECT_TRUE(ProcessesOf(id).empty());
  EXPECT_FALSE(std::filesystem::exists(InstallDir(id)));
}

TEST_F(CloudCliTest, StuckStopIsForceCompletedThenRetried) {
  StartCloudPlatform({kLimitMs, kLimitMs});
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");
  std::string out = CloudOk("start", {"--wait", "--timeout", "60"});
  ASSERT_TRUE(Contains(out, "is Running")) << out << PlatformLog();
  const std::vector<pid_t> before = ProcessesOf(id);
  ASSERT_EQ(before.size(), 1u);

  // The driver's next stop sends no signal: the connector keeps running, Stopping until stuck.
  Fault("stop", "hang", 1);
  CommandResult wait = Cloud("stop", {"--wait", "--timeout", "60"});
  EXPECT_EQ(wait.exit_code, 1) << wait.out << wait.err;
  EXPECT_TRUE(Contains(wait.err, "stuck in Stopping")) << wait.err;
  EXPECT_TRUE(Contains(wait.err, "force-complete")) << wait.err;
  out = CloudOk("status");
  EXPECT_TRUE(Contains(out, "Stopping for ")) << out;
  EXPECT_TRUE(Contains(out, ", stuck")) << out;
  EXPECT_EQ(ProcessesOf(id), before) << "the hung stop signalled nothing";
  ExpectRefused("start", "Stopping", "force-complete");

  // force-complete kills the process and ends Stopped; then start (retry), stop and delete work.
  out = CloudOk("force-complete", {"--wait"});
  EXPECT_TRUE(Contains(out, "is Stopped")) << out;
  EXPECT_TRUE(WaitUntil([&] { return ProcessesOf(id).empty(); }, seconds(10))) << "force-complete killed it";
  out = CloudOk("start", {"--wait", "--timeout", "60"});
  EXPECT_TRUE(Contains(out, "is Running")) << out << PlatformLog();
  out = CloudOk("stop", {"--wait", "--timeout", "60"});
  EXPECT_TRUE(Contains(out, "is Stopped")) << out;
  CloudOk("delete");
  EXPECT_TRUE(ProcessesOf(id).empty());
}

TEST_F(CloudCliTest, FailedStartIsOfferedForceCompleteAtOnce) {
  CloudOk("provision", {"--wait"});
  Fault("start", "fail", 1);
  CommandResult wait = Cloud("start", {"--wait", "--timeout", "60"});
  EXPECT_EQ(wait.exit_code, 1) << wait.out << wait.err;
  EXPECT_TRUE(Contains(wait.err, "failed in Starting")) << wait.err;
  EXPECT_TRUE(Contains(wait.err, "force-complete")) << wait.err;
  const std::string json = Connector();
  EXPECT_EQ(JsonField(json, "/failed"), "true") << json;
  EXPECT_NE(JsonField(json, "/lastError"), "") << json;
  CloudOk("force-complete", {"--wait"});
  const std::string out = CloudOk("start", {"--wait", "--timeout", "60"});
  EXPECT_TRUE(Contains(out, "is Running")) << out << PlatformLog();
  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
}

}  // namespace
}  // namespace edge::e2e
