// Cloud connectors through the REST API (docs/cloud-connectors.md section 6) against a real edge-platform whose
// local driver runs real edge-connector processes on loopback: the lifecycle with a tool call, illegal
// transitions, a self-hosted and a cloud connector serving one deployment, stuck and failed operations with
// force-complete, a crashed connector restarted, a crashed platform reconciled, and --cloud-stop-on-exit.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "e2e_env.h"

namespace edge::e2e {
namespace {

namespace fs = std::filesystem;

bool WaitFor(const std::function<bool()>& done, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return done();
}

// The live pids whose command line holds `needle` (zombies have an empty one).
std::vector<pid_t> ProcessesWith(const std::string& needle) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string cmdline = buffer.str();
    for (char& c : cmdline) c = c == '\0' ? ' ' : c;
    if (cmdline.find(needle) != std::string::npos) found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

std::string At(const rapidjson::Value& doc, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(doc);
  if (v == nullptr) return "<absent>";
  if (v->IsString()) return v->GetString();
  if (v->IsNull()) return "null";
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsArray()) {
    std::string out;
    for (const auto& item : v->GetArray()) {
      out += (out.empty() ? "" : ",") + std::string(item.IsString() ? item.GetString() : "?");
    }
    return "[" + out + "]";
  }
  return "<object>";
}

rapidjson::Document Parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

class CloudPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir("edge-cloud");
    data_ = root_ + "/platform";
    fs::create_directories(data_);
    org_ = Platform::Admin(data_, {"create-org", "--name", "cloud"});
    token_ = Platform::Admin(data_, {"issue-token", "--org", org_, "--ttl", "3600"});
    const std::string dep = Platform::Admin(data_, {"create-deployment", "--org", org_, "--name", "site", "--json"});
    deployment_ = JsonField(dep, "/id");
    secret_ = JsonField(dep, "/secret");
    ASSERT_FALSE(deployment_.empty()) << dep;
    // Fast heartbeats and reconnects for every instance (merged into its config.json).
    std::ofstream(root_ + "/cloud-config.json")
        << R"({"heartbeatIntervalMs":200,"heartbeatTimeoutMs":1500,"reconnectInitialMs":100,"reconnectMaxMs":500,)"
           R"("stablePeriodMs":1000,"slowBackoffInitialMs":500,"slowBackoffMaxMs":1000,"connectTimeoutMs":3000,)"
           R"("drainGraceMs":5000,"logLevel":"debug"})";
  }

  void TearDown() override {
    platform_.reset();  // SIGKILL: it restarts nothing; its connectors outlive it by design
    const std::string cloud_dir = data_ + "/cloud/";
    WaitFor(
        [&] {
          std::vector<pid_t> left = ProcessesWith(cloud_dir);
          for (pid_t pid : left) kill(pid, SIGKILL);
          return left.empty();
        },
        milliseconds(10000));
    if (HasFailure()) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(data_ + "/cloud", ec)) {
        std::ifstream in(entry.path() / "connector.log");
        std::stringstream log;
        log << in.rdbuf();
        std::cerr << "--- " << entry.path() << "/connector.log:\n" << log.str().substr(0, 20000) << "\n";
      }
    }
    fs::remove_all(root_);
  }

  // Starts (or restarts, on the same ports) the platform with the local driver and short limits.
  void StartPlatform(int64_t start_limit_ms = 20000, int64_t stop_limit_ms = 20000,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--heartbeat-interval-ms", "200", "--heartbeat-timeout-ms", "1500",
                                      "--enable-test-hooks", "--cloud-connector-bin", EDGE_CONNECTOR_BIN,
                                      "--cloud-connector-config", root_ + "/cloud-config.json",
                                      "--cloud-start-timeout-ms", std::to_string(start_limit_ms),
                                      "--cloud-stop-timeout-ms", std::to_string(stop_limit_ms),
                                      "--cloud-provision-timeout-ms", "10000", "--cloud-restart-initial-ms", "200",
                                      "--cloud-restart-max-ms", "1000"};
    if (!api_listen_.empty()) {
      flags.push_back("--api-listen=" + api_listen_);
      flags.push_back("--rpc-listen=" + rpc_listen_);
    }
    flags.insert(flags.end(), extra.begin(), extra.end());
    platform_ = std::make_unique<Platform>(data_, flags);
    ASSERT_TRUE(platform_->started());
    api_listen_ = platform_->api_url().substr(platform_->api_url().find("://") + 3);
    rpc_listen_ = platform_->rpc_url().substr(platform_->rpc_url().find("://") + 3);
  }

  HttpResponse Api(const std::string& method, const std::string& path, const std::string& body = "") {
    return Http(method, platform_->api_url() + path, body, token_, milliseconds(10000));
  }
  std::string CloudPath(const std::string& suffix = "") {
    return "/api/v1/deployments/" + deployment_ + "/cloud-connector" + suffix;
  }
  rapidjson::Document CloudJson() { return Parse(Api("GET", CloudPath()).body); }
  bool WaitState(const std::string& state, milliseconds timeout = milliseconds(15000)) {
    return WaitFor([&] { return At(CloudJson(), "/state") == state; }, timeout);
  }
  std::string InstallDir() { return data_ + "/cloud/" + connector_id_; }
  std::vector<pid_t> Processes() { return ProcessesWith(InstallDir()); }

  // Provision and wait for Stopped; remembers the connector id.
  void Provision() {
    HttpResponse r = Api("POST", CloudPath());
    ASSERT_EQ(r.status, 202) << r.body;
    connector_id_ = At(Parse(r.body), "/id");
    ASSERT_TRUE(WaitState("Stopped")) << Api("GET", CloudPath()).body;
  }
  void StartAndWaitRunning() {
    HttpResponse r = Api("POST", CloudPath("/start"));
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(WaitState("Running")) << Api("GET", CloudPath()).body << PlatformLog();
  }
  void StopAndDelete() {
    HttpResponse r = Api("POST", CloudPath("/stop"));
    ASSERT_EQ(r.status, 202) << r.body;
    ASSERT_TRUE(WaitState("Stopped")) << Api("GET", CloudPath()).body;
    r = Api("DELETE", CloudPath());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(WaitFor([&] { return Processes().empty(); }, milliseconds(5000)));
  }
  // A refusal: 409 illegal_transition with exactly this message (or, with `prefix_only`, one that starts with
  // it) and these details.
  void ExpectRefused(const std::string& method, const std::string& suffix, const std::string& message,
                     const std::string& state, const std::string& allowed, bool prefix_only = false) {
    HttpResponse r = Api(method, CloudPath(suffix));
    EXPECT_EQ(r.status, 409) << method << " " << suffix << ": " << r.body;
    rapidjson::Document doc = Parse(r.body);
    EXPECT_EQ(At(doc, "/error/code"), "illegal_transition") << r.body;
    if (prefix_only) {
      EXPECT_EQ(At(doc, "/error/message").rfind(message, 0), 0u) << r.body;
    } else {
      EXPECT_EQ(At(doc, "/error/message"), message) << r.body;
    }
    EXPECT_EQ(At(doc, "/error/details/state"), state) << r.body;
    EXPECT_EQ(At(doc, "/error/details/allowedActions"), allowed) << r.body;
  }
  HttpResponse Ping(const std::string& message = "hi") {
    return Api("POST", "/api/v1/tools/edge.ping/invoke",
               R"({"deploymentId":")" + deployment_ + R"(","arguments":{"message":")" + message + R"("}})");
  }
  void Fault(const std::string& operation, const std::string& mode) {
    HttpResponse r = Api("POST", "/api/v1/test/cloud-driver-fault",
                         R"({"operation":")" + operation + R"(","mode":")" + mode + R"(","count":1})");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string PlatformLog() { return platform_ ? "\n--- platform log:\n" + platform_->process().Log() : ""; }

  std::string root_, data_, org_, token_, deployment_, secret_, connector_id_;
  std::string api_listen_, rpc_listen_;
  std::unique_ptr<Platform> platform_;
};

TEST_F(CloudPlatformTest, LifecycleWithAToolCallAndEveryRefusal) {
  StartPlatform();
  HttpResponse none = Api("GET", CloudPath());
  EXPECT_EQ(none.status, 404) << none.body;
  EXPECT_EQ(At(Parse(none.body), "/error/code"), "cloud_connector_not_found");
  ExpectRefused("POST", "/start", "Deployment " + deployment_ + " has no cloud connector. Allowed now: provision.",
                "null", "[provision]");
  ExpectRefused("DELETE", "", "Deployment " + deployment_ + " has no cloud connector. Allowed now: provision.",
                "null", "[provision]");

  HttpResponse provisioned = Api("POST", CloudPath());
  ASSERT_EQ(provisioned.status, 202) << provisioned.body;
  rapidjson::Document p = Parse(provisioned.body);
  EXPECT_EQ(At(p, "/state"), "Provisioning");
  EXPECT_EQ(At(p, "/kind"), "cloud");
  EXPECT_EQ(At(p, "/operation"), "provision");
  EXPECT_EQ(At(p, "/limitMs"), "10000");
  EXPECT_EQ(At(p, "/pid"), "null");
  connector_id_ = At(p, "/id");
  ASSERT_EQ(connector_id_.rfind("cc_", 0), 0u) << provisioned.body;
  ASSERT_TRUE(WaitState("Stopped"));
  struct stat st {};
  ASSERT_EQ(stat((InstallDir() + "/deployment-credentials.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(InstallDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  ExpectRefused("POST", "", "Cannot provision a cloud connector for " + deployment_ + ": it already has one (" +
                                connector_id_ + ", Stopped). Allowed now: start, delete.",
                "Stopped", "[start,delete]");
  ExpectRefused("POST", "/stop",
                "Cannot stop the cloud connector of " + deployment_ + ": it is Stopped. Allowed now: start, delete.",
                "Stopped", "[start,delete]");
  // A deployment with a cloud connector is not deleted underneath it.
  HttpResponse del_dep = Api("DELETE", "/api/v1/deployments/" + deployment_);
  EXPECT_EQ(del_dep.status, 409) << del_dep.body;
  EXPECT_EQ(At(Parse(del_dep.body), "/error/code"), "cloud_connector_exists");

  HttpResponse started = Api("POST", CloudPath("/start"));
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(At(Parse(started.body), "/state"), "Starting");
  EXPECT_NE(At(Parse(started.body), "/pid"), "null");
  ASSERT_TRUE(WaitState("Running")) << Api("GET", CloudPath()).body << PlatformLog();
  rapidjson::Document running = CloudJson();
  EXPECT_NE(At(running, "/lastHeartbeatAtMs"), "null");
  EXPECT_EQ(At(running, "/sessionId").rfind("s_", 0), 0u);
  EXPECT_EQ(At(running, "/allowedActions"), "[stop]");
  EXPECT_EQ(At(running, "/operation"), "null");
  EXPECT_EQ(At(running, "/stuck"), "false");
  EXPECT_NE(At(running, "/tools").find("edge.ping"), std::string::npos);
  EXPECT_EQ(Processes().size(), 1u);

  ExpectRefused("POST", "/start",
                "Cannot start the cloud connector of " + deployment_ + ": it is Running. Allowed now: stop.",
                "Running", "[stop]");
  ExpectRefused("DELETE", "",
                "Cannot delete the cloud connector of " + deployment_ +
                    ": it is Running. Allowed now: stop. Delete needs Stopped.",
                "Running", "[stop]");
  ExpectRefused("POST", "/force-complete",
                "Cannot force-complete the cloud connector of " + deployment_ +
                    ": it is Running. Allowed now: stop. Force-complete ends a stuck or failed operation only.",
                "Running", "[stop]");

  // A tool call reaches the cloud connector.
  HttpResponse call = Ping("through the cloud");
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_EQ(JsonField(call.body, "/deploymentId"), deployment_);
  EXPECT_NE(call.body.find("through the cloud"), std::string::npos) << call.body;

  HttpResponse list = Api("GET", "/api/v1/deployments/" + deployment_ + "/connectors");
  ASSERT_EQ(list.status, 200) << list.body;
  rapidjson::Document l = Parse(list.body);
  ASSERT_TRUE(l["connectors"].IsArray());
  ASSERT_EQ(l["connectors"].Size(), 1u) << list.body;  // no self-hosted connector was ever seen
  EXPECT_EQ(At(l, "/connectors/0/kind"), "cloud");
  EXPECT_EQ(At(l, "/connectors/0/id"), connector_id_);
  EXPECT_NE(At(l, "/connectors/0/lastHeartbeatAtMs"), "null");
  EXPECT_EQ(At(l, "/activeConnectorCount"), "1");
  rapidjson::Document d = Parse(Api("GET", "/api/v1/deployments/" + deployment_).body);
  EXPECT_EQ(At(d, "/activeConnectorCount"), "1");
  EXPECT_EQ(At(d, "/cloudConnector/id"), connector_id_);
  EXPECT_EQ(At(d, "/cloudConnector/state"), "Running");
  EXPECT_EQ(At(d, "/cloudConnector/stuck"), "false");
  // The org's tool list and live connections include what only the cloud connector serves.
  rapidjson::Document tools = Parse(Api("GET", "/api/v1/tools").body);
  bool ping_listed = false;
  for (const rapidjson::Value& t : tools["tools"].GetArray()) {
    if (std::string(t["name"].GetString()) != "edge.ping") continue;
    ping_listed = true;
    EXPECT_TRUE(t["connected"].GetBool());
    ASSERT_EQ(t["deployments"].Size(), 1u);
    EXPECT_EQ(std::string(t["deployments"][0]["id"].GetString()), deployment_);
  }
  EXPECT_TRUE(ping_listed);
  rapidjson::Document connections = Parse(Api("GET", "/api/v1/connectors").body);
  ASSERT_EQ(connections["connectors"].Size(), 1u);
  EXPECT_EQ(At(connections, "/connectors/0/kind"), "cloud");
  EXPECT_EQ(At(connections, "/connectors/0/connectorId"), connector_id_);

  HttpResponse stopping = Api("POST", CloudPath("/stop"));
  ASSERT_EQ(stopping.status, 202) << stopping.body;
  EXPECT_EQ(At(Parse(stopping.body), "/state"), "Stopping");
  ASSERT_TRUE(WaitState("Stopped"));
  EXPECT_EQ(At(CloudJson(), "/pid"), "null");
  EXPECT_TRUE(Processes().empty());
  EXPECT_EQ(At(Parse(Api("GET", "/api/v1/deployments/" + deployment_).body), "/activeConnectorCount"), "0");

  HttpResponse deleted = Api("DELETE", CloudPath());
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(JsonField(deleted.body, "/id"), connector_id_);
  EXPECT_EQ(JsonField(deleted.body, "/deleted"), "true");
  EXPECT_FALSE(fs::exists(InstallDir()));
  EXPECT_EQ(Api("GET", CloudPath()).status, 404);
  EXPECT_EQ(Api("DELETE", "/api/v1/deployments/" + deployment_).status, 200);
}

TEST_F(CloudPlatformTest, SelfHostedAndCloudConnectorServeOneDeploymentTogether) {
  StartPlatform();
  Provision();
  StartAndWaitRunning();
  auto config = FastConnectorConfig(platform_->rpc_url(), platform_->api_url());
  config["customImplementationsPath"] = "\"" + root_ + "/self/impl\"";
  fs::create_directories(root_ + "/self/impl");
  auto self = std::make_unique<e2e::Connector>(root_ + "/self", config,
                                          std::map<std::string, std::string>{{"DEPLOYMENT_ID", deployment_},
                                                                             {"DEPLOYMENT_SECRET", secret_}});
  ASSERT_TRUE(WaitFor(
      [&] {
        return At(Parse(Api("GET", "/api/v1/deployments/" + deployment_ + "/connectors").body),
                  "/activeConnectorCount") == "2";
      },
      milliseconds(10000)))
      << PlatformLog();
  rapidjson::Document l = Parse(Api("GET", "/api/v1/deployments/" + deployment_ + "/connectors").body);
  ASSERT_EQ(l["connectors"].Size(), 2u);
  EXPECT_EQ(At(l, "/connectors/0/id"), "self");
  EXPECT_EQ(At(l, "/connectors/0/kind"), "self-hosted");
  EXPECT_EQ(At(l, "/connectors/0/state"), "Connected");
  EXPECT_EQ(At(l, "/connectors/0/allowedActions"), "[]");
  EXPECT_EQ(At(l, "/connectors/1/kind"), "cloud");
  EXPECT_EQ(At(l, "/connectors/1/state"), "Running");
  // The cloud connector was not refused as a duplicate, and neither was the self-hosted one.
  EXPECT_EQ(platform_->process().Log().find("refused duplicate"), std::string::npos) << PlatformLog();
  for (int i = 0; i < 4; ++i) {
    HttpResponse call = Ping("call " + std::to_string(i));
    EXPECT_EQ(call.status, 200) << call.body;
  }

  // Rotating the deployment secret closes the self-hosted connection only: the cloud connector has its own.
  HttpResponse rotated = Api("POST", "/api/v1/deployments/" + deployment_ + "/rotate-secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  ASSERT_TRUE(WaitFor(
      [&] {
        return At(Parse(Api("GET", "/api/v1/deployments/" + deployment_ + "/connectors").body),
                  "/connectors/0/state") == "Offline";
      },
      milliseconds(5000)));
  EXPECT_EQ(At(CloudJson(), "/state"), "Running");
  HttpResponse call = Ping("cloud only");
  EXPECT_EQ(call.status, 200) << call.body;
  self.reset();
  StopAndDelete();
}

TEST_F(CloudPlatformTest, StuckStartAndStuckStopAreForceCompletedThenRetryAndDeleteWork) {
  StartPlatform(/*start_limit_ms=*/1500, /*stop_limit_ms=*/1500);
  Provision();
  Fault("start", "hang");
  HttpResponse started = Api("POST", CloudPath("/start"));
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(At(Parse(started.body), "/pid"), "null");  // the driver did nothing
  ExpectRefused("POST", "/force-complete",
                "Cannot force-complete the cloud connector of " + deployment_ +
                    ": it is Starting and not stuck (limit 1.5 s, ",
                "Starting", "[stop]", /*prefix_only=*/true);
  ASSERT_TRUE(WaitFor([&] { return At(CloudJson(), "/stuck") == "true"; }, milliseconds(5000)));
  rapidjson::Document stuck = CloudJson();
  EXPECT_EQ(At(stuck, "/state"), "Starting");
  EXPECT_EQ(At(stuck, "/allowedActions"), "[stop,force-complete]");
  EXPECT_EQ(At(Parse(Api("GET", "/api/v1/deployments/" + deployment_).body), "/cloudConnector/stuck"), "true");
  HttpResponse forced = Api("POST", CloudPath("/force-complete"));
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(At(Parse(forced.body), "/state"), "Stopped");

  // Retry: a normal start now (Running may come after the short limit: stuck does not block it).
  StartAndWaitRunning();
  const std::vector<pid_t> pids = Processes();
  ASSERT_EQ(pids.size(), 1u);

  Fault("stop", "hang");
  ASSERT_EQ(Api("POST", CloudPath("/stop")).status, 202);
  ASSERT_TRUE(WaitFor([&] { return At(CloudJson(), "/stuck") == "true"; }, milliseconds(5000)));
  EXPECT_EQ(At(CloudJson(), "/state"), "Stopping");
  EXPECT_EQ(Processes(), pids);  // no signal was sent
  forced = Api("POST", CloudPath("/force-complete"));
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(At(Parse(forced.body), "/state"), "Stopped");
  EXPECT_TRUE(WaitFor([&] { return Processes().empty(); }, milliseconds(5000)));  // killed
  HttpResponse deleted = Api("DELETE", CloudPath());
  EXPECT_EQ(deleted.status, 200) << deleted.body;
}

TEST_F(CloudPlatformTest, FailedProvisionIsForceCompletedAndDeleted) {
  StartPlatform();
  Fault("provision", "fail");
  HttpResponse r = Api("POST", CloudPath());
  ASSERT_EQ(r.status, 202) << r.body;
  connector_id_ = At(Parse(r.body), "/id");
  ASSERT_TRUE(WaitFor([&] { return At(CloudJson(), "/failed") == "true"; }, milliseconds(5000)));
  rapidjson::Document failed = CloudJson();
  EXPECT_EQ(At(failed, "/state"), "Provisioning");
  EXPECT_EQ(At(failed, "/allowedActions"), "[force-complete]");  // at once, no limit to wait for
  EXPECT_NE(At(failed, "/lastError").find("cloud-driver-fault"), std::string::npos);
  ASSERT_EQ(Api("POST", CloudPath("/force-complete")).status, 200);
  // Nothing was provisioned: the start fails, and says what to do.
  ASSERT_EQ(Api("POST", CloudPath("/start")).status, 202);
  rapidjson::Document start_failed = CloudJson();
  EXPECT_EQ(At(start_failed, "/failed"), "true");
  EXPECT_NE(At(start_failed, "/lastError").find("provision it again"), std::string::npos);
  ASSERT_EQ(Api("POST", CloudPath("/force-complete")).status, 200);
  EXPECT_EQ(Api("DELETE", CloudPath()).status, 200);
}

TEST_F(CloudPlatformTest, AKilledConnectorIsRestartedAndRunsAgain) {
  StartPlatform();
  Provision();
  StartAndWaitRunning();
  const std::string first_pid = At(CloudJson(), "/pid");
  ASSERT_EQ(kill(static_cast<pid_t>(std::stol(first_pid)), SIGKILL), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        rapidjson::Document c = CloudJson();
        return At(c, "/state") == "Running" && At(c, "/pid") != first_pid;
      },
      milliseconds(15000)))
      << Api("GET", CloudPath()).body << PlatformLog();
  rapidjson::Document c = CloudJson();
  EXPECT_EQ(At(c, "/restarts"), "1");
  EXPECT_EQ(At(c, "/lastError"), "process killed by signal 9");
  EXPECT_EQ(Processes().size(), 1u);
  EXPECT_EQ(Ping().status, 200);
  StopAndDelete();
}

TEST_F(CloudPlatformTest, APlatformKilledDuringStartingIsReconciledWithoutOrphans) {
  StartPlatform();
  Provision();
  HttpResponse started = Api("POST", CloudPath("/start"));
  ASSERT_EQ(started.status, 202) << started.body;
  ASSERT_EQ(At(Parse(started.body), "/state"), "Starting");
  platform_->process().Signal(SIGKILL);
  platform_->process().WaitExit(milliseconds(5000));
  StartPlatform();  // same data dir, same ports
  ASSERT_TRUE(WaitState("Running")) << Api("GET", CloudPath()).body << PlatformLog();
  // Exactly one connector process for the install dir: adopted or restarted, never both.
  EXPECT_TRUE(WaitFor([&] { return Processes().size() == 1; }, milliseconds(3000)));
  EXPECT_EQ(Processes().size(), 1u);
  EXPECT_EQ(At(CloudJson(), "/pid"), std::to_string(Processes().empty() ? 0 : Processes()[0]));
  EXPECT_EQ(Ping().status, 200);
  StopAndDelete();
  EXPECT_TRUE(Processes().empty());
}

TEST_F(CloudPlatformTest, StopOnExitStopsConnectorsAndTheNextStartRunsThemAgain) {
  StartPlatform(20000, 20000, {"--cloud-stop-on-exit"});
  Provision();
  StartAndWaitRunning();
  platform_->process().Signal(SIGTERM);
  EXPECT_EQ(platform_->process().WaitExit(milliseconds(15000)), 0) << PlatformLog();
  EXPECT_TRUE(Processes().empty());
  StartPlatform(20000, 20000, {"--cloud-stop-on-exit"});
  ASSERT_TRUE(WaitState("Running")) << Api("GET", CloudPath()).body << PlatformLog();
  EXPECT_EQ(Processes().size(), 1u);
  StopAndDelete();
}

}  // namespace
}  // namespace edge::e2e
