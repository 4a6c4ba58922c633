// Issue 5, acceptance point 1: a cloud connector's whole lifecycle through `edge-connector cloud` alone
// (docs/cloud-connectors.md §1 and §7): provision, start (a real connector process comes up with the
// deployment's bundle and serves calls), status with the last heartbeat, stop during a slow call (the call
// completes), delete; and every illegal transition refused with its message.
#include <signal.h>

#include <chrono>
#include <future>
#include <string>

#include "cloud_fixture.h"

namespace edge::e2e {
namespace {

using std::chrono::seconds;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(CloudCliTest, FullLifecycleThroughTheCli) {
  // The deployment runs a bundle with echo and the slow tool: the cloud connector installs it by bundle sync.
  auto [bundle_id, version] = Upload(Build("v1", {"echo", "slow"}));
  ASSERT_FALSE(bundle_id.empty());
  Assign(bundle_id, "");

  // No cloud connector yet: status says so, with the way to get one.
  CommandResult none = Cloud("status");
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_TRUE(Contains(none.err, "no cloud connector")) << none.err;
  EXPECT_TRUE(Contains(none.err, "rovision")) << none.err;
  ExpectRefused("start", "no cloud connector", "provision");

  // provision --wait: Stopped.
  std::string out = CloudOk("provision", {"--wait", "--timeout", "30"});
  EXPECT_TRUE(Contains(out, "is Stopped")) << out;
  const std::string id = JsonField(Connector(), "/id");
  ASSERT_EQ(id.rfind("cc_", 0), 0u) << Connector();
  EXPECT_TRUE(std::filesystem::exists(InstallDir(id) + "/deployment-credentials.json"));
  ExpectRefused("provision", "Stopped", "start, delete");
  ExpectRefused("stop", "Stopped", "start, delete");
  ExpectRefused("force-complete", "Stopped", "start, delete");

  // start --wait: Running once the link registered the bundle's tools.
  out = CloudOk("start", {"--wait", "--timeout", "60"});
  ASSERT_TRUE(Contains(out, "is Running")) << out << PlatformLog();
  ExpectRefused("start", "Running", "stop");
  ExpectRefused("delete", "Running", "stop");
  ExpectRefused("force-complete", "Running", "stop");
  ExpectRefused("provision", "Running", "stop");

  // status, text and JSON: state, last heartbeat (a time and its age), the process, bundle and tools.
  ASSERT_TRUE(WaitUntil([&] { return JsonField(Connector(), "/lastHeartbeatAtMs") != "null"; }, seconds(10)));
  out = CloudOk("status");
  EXPECT_TRUE(Contains(out, "State:          Running for ")) << out;
  EXPECT_TRUE(Contains(out, "Last heartbeat: 20")) << out;
  EXPECT_TRUE(Contains(out, " ago)")) << out;
  EXPECT_TRUE(Contains(out, bundle_id + " version 1")) << out;
  EXPECT_TRUE(Contains(out, "slow.count")) << out;
  EXPECT_TRUE(Contains(out, "Allowed now:    stop")) << out;
  const std::string json = CloudOk("status", {"--json"});
  EXPECT_EQ(JsonField(json, "/state"), "Running") << json;
  EXPECT_EQ(JsonField(json, "/stuck"), "false") << json;
  EXPECT_EQ(JsonField(json, "/bundle/id"), bundle_id) << json;
  EXPECT_GT(std::stoll("0" + JsonField(json, "/lastHeartbeatAtMs")), 0) << json;
  const pid_t pid = static_cast<pid_t>(std::stol("0" + JsonField(json, "/pid")));
  ASSERT_GT(pid, 0) << json;
  EXPECT_EQ(ProcessesOf(id), std::vector<pid_t>{pid}) << "one process, running from the install dir";

  // A Running cloud connector counts as an active connector and serves calls.
  HttpResponse list =
      Http("GET", platform_->api_url() + "/api/v1/deployments/" + deployment_ + "/connectors", "", token_);
  EXPECT_EQ(JsonField(list.body, "/activeConnectorCount"), "1") << list.body;
  out = CliOk({"call", "echo", "--args", R"({"text":"hello cloud"})", "--deployment", deployment_});
  EXPECT_TRUE(Contains(out, "hello cloud")) << out;

  // stop --wait while a slow call (3 s) runs: the call completes, then the connector is Stopped.
  const int health_port = HealthPort(id);
  ASSERT_GT(health_port, 0);
  auto slow = std::async(std::launch::async, [&] {
    return Cli({"call", "slow.count", "--args", R"({"steps":30,"step_ms":100})", "--deployment", deployment_});
  });
  const std::string statusz = "http://127.0.0.1:" + std::to_string(health_port) + "/statusz";
  ASSERT_TRUE(WaitUntil([&] { return JsonField(Http("GET", statusz).body, "/calls/running") == "1"; }, seconds(10)))
      << "the slow call never started on the cloud connector";
  CommandResult stop = Cloud("stop", {"--wait", "--timeout", "60"});
  CommandResult call = slow.get();
  EXPECT_EQ(stop.exit_code, 0) << stop.out << stop.err << PlatformLog();
  EXPECT_TRUE(Contains(stop.out, "is Stopped")) << stop.out;
  EXPECT_TRUE(Contains(stop.err, "Stopping")) << "progress on stderr: " << stop.err;
  EXPECT_EQ(call.exit_code, 0) << "the call in flight completes during the stop:\n" << call.out << call.err;
  EXPECT_TRUE(Contains(call.out, "completed 30 steps")) << call.out;
  EXPECT_TRUE(ProcessesOf(id).empty()) << "the process exited";
  EXPECT_EQ(JsonField(Connector(), "/pid"), "null") << Connector();

  // delete: gone for good, with its install dir.
  out = CloudOk("delete");
  EXPECT_TRUE(Contains(out, "deleted")) << out;
  EXPECT_FALSE(std::filesystem::exists(InstallDir(id)));
  CommandResult gone = Cloud("status", {"--json"});
  EXPECT_EQ(gone.exit_code, 1) << gone.out << gone.err;
  EXPECT_EQ(JsonField(gone.out, "/error/code"), "cloud_connector_not_found") << gone.out;
  EXPECT_TRUE(Contains(gone.err, "no cloud connector")) << gone.err;
  ExpectRefused("delete", "no cloud connector", "provision");
}

TEST_F(CloudCliTest, StoppedConnectorRestartsWithoutReprovisioning) {
  CloudOk("provision", {"--wait"});
  const std::string id = JsonField(Connector(), "/id");
  const std::string json = CloudOk("start", {"--wait", "--timeout", "60", "--json"});
  EXPECT_EQ(JsonField(json, "/state"), "Running") << json;  // --json --wait prints the final connector
  CloudOk("stop", {"--wait", "--timeout", "60"});
  const std::string again = CloudOk("start", {"--wait", "--timeout", "60", "--json"});
  EXPECT_EQ(JsonField(again, "/state"), "Running") << again;
  EXPECT_EQ(JsonField(again, "/id"), id) << "the same connector, its configuration kept";
  // Without --wait, start answers at once with the transitional state.
  CloudOk("stop", {"--wait", "--timeout", "60"});
  const std::string out = CloudOk("start");
  EXPECT_TRUE(Contains(out, "is Starting")) << out;
  EXPECT_TRUE(Contains(out, "--wait")) << out;
  ExpectRefused("delete", "Starting", "stop");
  EXPECT_TRUE(WaitField("/state", "Running", seconds(60))) << Connector() << PlatformLog();
  CloudOk("stop", {"--wait", "--timeout", "60"});
  CloudOk("delete");
}

TEST_F(CloudCliTest, UsageAndConfigurationErrors) {
  CommandResult r = Cli({"cloud", "start"});  // no --deployment
  EXPECT_EQ(r.exit_code, 64) << r.out << r.err;
  r = Cli({"cloud", "status", "--deployment", deployment_, "--wait"});  // status does not wait
  EXPECT_EQ(r.exit_code, 64) << r.out << r.err;
  r = RunCommand({EDGE_CONNECTOR_BIN, "cloud", "status", "--deployment", deployment_, "--api",
                  platform_->api_url()});  // no token anywhere
  EXPECT_EQ(r.exit_code, 78) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "--token")) << r.err;
  // Another org's deployment is not found (not forbidden: its existence is not disclosed).
  std::string other_org = Platform::Admin(data_, {"create-org", "--name", "other"});
  std::string other = JsonField(
      Platform::Admin(data_, {"create-deployment", "--org", other_org, "--name", "b", "--json"}), "/id");
  r = Cli({"cloud", "provision", "--deployment", other});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "deployment_not_found")) << r.err;
}

}  // namespace
}  // namespace edge::e2e
