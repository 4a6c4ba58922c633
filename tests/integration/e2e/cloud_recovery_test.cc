// Issue 5, acceptance point 3: supervision and reconciliation (docs/cloud-connectors.md §1). kill -9 of a
// running cloud connector's process: the platform restarts it and it is Running again. kill -9 of the platform
// during Starting, then a restart on the same data dir: the state is reconciled, the connector ends Running,
// and exactly one process runs from its install dir (none after delete).
#include <signal.h>

#include <chrono>
#include <string>

#include "cloud_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::seconds;

TEST_F(CloudCliTest, KilledConnectorProcessIsRestarted) {
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");
  CloudOk("start", {"--wait", "--timeout", "60"});
  const std::string first = CloudOk("status", {"--json"});
  const std::string old_pid = JsonField(first, "/pid");
  ASSERT_GT(std::stol("0" + old_pid), 0) << first;
  ASSERT_EQ(kill(static_cast<pid_t>(std::stol(old_pid)), SIGKILL), 0);

  // The platform notices, restarts it after its (short) backoff, and it registers again: Running, new pid.
  std::string now;
  EXPECT_TRUE(WaitUntil(
      [&] {
        now = Connector();
        return JsonField(now, "/state") == "Running" && JsonField(now, "/pid") != old_pid &&
               JsonField(now, "/pid") != "null";
      },
      seconds(30)))
      << now << PlatformLog();
  EXPECT_GE(std::stol("0" + JsonField(now, "/restarts")), 1) << now;
  EXPECT_NE(JsonField(now, "/lastError").find("signal 9"), std::string::npos) << now;
  const std::string out = CloudOk("status");
  EXPECT_NE(out.find("State:          Running"), std::string::npos) << out;
  EXPECT_NE(out.find("signal 9"), std::string::npos) << "status shows the last error:\n" << out;
  EXPECT_EQ(ProcessesOf(id).size(), 1u);

  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
  EXPECT_TRUE(ProcessesOf(id).empty());
}

TEST_F(CloudCliTest, PlatformKilledDuringStartingIsReconciled) {
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");
  const std::string started = CloudOk("start", {"--json"});  // no --wait: the platform dies while Starting
  ASSERT_EQ(JsonField(started, "/state"), "Starting") << started;
  platform_->process().Signal(SIGKILL);
  ASSERT_NE(platform_->process().WaitExit(milliseconds(10000)), -1);

  // Same data dir, same ports (the instance's config names them): reconciliation adopts the process, or
  // starts one; either way the connector ends Running with exactly one process.
  RestartCloudPlatform();
  EXPECT_TRUE(WaitField("/state", "Running", seconds(30))) << Connector() << PlatformLog();
  const std::string json = CloudOk("status", {"--json"});
  const std::vector<pid_t> running = ProcessesOf(id);
  ASSERT_EQ(running.size(), 1u) << "exactly one connector process after reconciliation";
  EXPECT_EQ(JsonField(json, "/pid"), std::to_string(running[0])) << json;

  // It serves: a stop drains it, and after delete nothing runs from its install dir.
  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
  EXPECT_TRUE(ProcessesOf(id).empty()) << "no orphan process";
}

TEST_F(CloudCliTest, PlatformRestartAdoptsARunningConnector) {
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");
  CloudOk("start", {"--wait", "--timeout", "60"});
  const std::string pid = JsonField(Connector(), "/pid");
  platform_->process().Signal(SIGKILL);
  ASSERT_NE(platform_->process().WaitExit(milliseconds(10000)), -1);
  RestartCloudPlatform();
  // Adopted, not restarted: the same process registers again.
  EXPECT_TRUE(WaitField("/state", "Running", seconds(30))) << Connector() << PlatformLog();
  EXPECT_EQ(JsonField(Connector(), "/pid"), pid) << Connector();
  EXPECT_EQ(ProcessesOf(id), std::vector<pid_t>{static_cast<pid_t>(std::stol(pid))});
  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
  EXPECT_TRUE(ProcessesOf(id).empty());
}

}  // namespace
}  // namespace edge::e2e
