// cloud_fixture.h: the set-up of the cloud connector end-to-end tests (cloud_cli_test.cc, cloud_stuck_test.cc,
// cloud_recovery_test.cc, the issue-5 acceptance points 1-3): a platform with the local cloud driver, short
// limits and test hooks; the real `edge-connector cloud` CLI to drive it; and a /proc scan for the connector
// processes the platform runs, so teardown kills every one of them (they run in their own session and would
// outlive the platform).
#ifndef EDGE_TESTS_INTEGRATION_E2E_CLOUD_FIXTURE_H_
#define EDGE_TESTS_INTEGRATION_E2E_CLOUD_FIXTURE_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bundles_fixture.h"

namespace edge::e2e {

// The pids whose command line contains `needle` (zombies have none, so they do not count).
inline std::vector<pid_t> ProcessesWithArgument(const std::string& needle) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string cmdline = buffer.str();
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find(needle) != std::string::npos) found.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return found;
}

// The limits of the transitional states. Generous by default so a loaded machine never turns a normal start
// stuck; the stuck tests shorten them.
struct CloudLimits {
  int start_ms = 30000;
  int stop_ms = 30000;
};

class CloudCliTest : public BundlesE2ETest {
 protected:

  void SetUp() override {
    BundlesE2ETest::SetUp();
    if (HasFatalFailure()) return;
    // Every instance's config.json gets these: fast heartbeats and retries, the health server on loopback.
    std::ofstream(root_ + "/cloud-connector.json")
        << R"({"healthHost":"127.0.0.1","heartbeatIntervalMs":200,"heartbeatTimeoutMs":1500,)"
           R"("reconnectInitialMs":100,"reconnectMaxMs":500,"stablePeriodMs":1000,"slowBackoffInitialMs":500,)"
           R"("slowBackoffMaxMs":1000,"connectTimeoutMs":3000,"drainGraceMs":10000,)"
           R"("bundleRetryInitialMs":200,"bundleRetryMaxMs":1000})";
    StartCloudPlatform();
  }

  void TearDown() override {
    // The platform first, so it restarts nothing; then its connectors, which outlive it by design.
    platform_.reset();
    KillCloudProcesses();
    BundlesE2ETest::TearDown();
  }

  // (Re)starts the platform with the local driver; `same_ports` keeps the ports, so the instances' config
  // (which names them) stays right across a restart.
  void StartCloudPlatform(CloudLimits limits = {}, bool same_ports = false) {
    limits_ = limits;
    StartPlatform(same_ports, {"--cloud-connector-bin", EDGE_CONNECTOR_BIN, "--cloud-connector-config",
                               root_ + "/cloud-connector.json", "--cloud-start-timeout-ms",
                               std::to_string(limits.start_ms), "--cloud-stop-timeout-ms",
                               std::to_string(limits.stop_ms), "--cloud-provision-timeout-ms", "10000",
                               "--cloud-restart-initial-ms", "200", "--cloud-restart-max-ms", "1000"});
    ASSERT_TRUE(platform_->started());
  }
  void RestartCloudPlatform() { StartCloudPlatform(limits_, /*same_ports=*/true); }

  // `edge-connector cloud <verb> --deployment <this deployment> <extra>`.
  CommandResult Cloud(const std::string& verb, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"cloud", verb, "--deployment", deployment_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }
  // The same, expecting exit 0.
  std::string CloudOk(const std::string& verb, std::vector<std::string> extra = {}) {
    CommandResult r = Cloud(verb, extra);
    EXPECT_EQ(r.exit_code, 0) << "cloud " << verb << " failed:\n" << r.out << r.err << PlatformLog();
    return r.out;
  }
  // Refused as an illegal transition: exit 1, and the message names the state and the allowed actions.
  void ExpectRefused(const std::string& verb, const std::string& state, const std::string& allowed) {
    CommandResult r = Cloud(verb);
    EXPECT_EQ(r.exit_code, 1) << "cloud " << verb << " in " << state << ":\n" << r.out << r.err;
    EXPECT_NE(r.err.find(state), std::string::npos) << "cloud " << verb << ": " << r.err;
    EXPECT_NE(r.err.find("Allowed now: " + allowed), std::string::npos) << "cloud " << verb << ": " << r.err;
    EXPECT_NE(r.err.find("illegal_transition"), std::string::npos) << "cloud " << verb << ": " << r.err;
  }

  // The connector's JSON from the REST API ("" when there is none).
  std::string Connector() {
    HttpResponse r = Http("GET", platform_->api_url() + "/api/v1/deployments/" + deployment_ + "/cloud-connector",
                          "", token_, milliseconds(5000));
    return r.status == 200 ? r.body : "";
  }
  // Polls the REST API until `field` (a JSON pointer) of the connector reads `value`.
  bool WaitField(const std::string& field, const std::string& value, milliseconds timeout) {
    return WaitUntil([&] { return JsonField(Connector(), field) == value; }, timeout);
  }

  // Makes the next `count` driver calls of `operation` hang (or fail), through the test hook.
  void Fault(const std::string& operation, const std::string& mode, int count) {
    HttpResponse r = Http("POST", platform_->api_url() + "/api/v1/test/cloud-driver-fault",
                          R"({"operation":")" + operation + R"(","mode":")" + mode +
                              R"(","count":)" + std::to_string(count) + "}",
                          token_);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::string InstallDir(const std::string& connector_id) { return data_ + "/cloud/" + connector_id; }
  std::vector<pid_t> ProcessesOf(const std::string& connector_id) {
    return ProcessesWithArgument(InstallDir(connector_id));
  }
  // The health port of the connector's newest process, from its log ("health server on http://host:port (").
  int HealthPort(const std::string& connector_id) {
    std::ifstream in(InstallDir(connector_id) + "/connector.log");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string log = buffer.str();
    const size_t at = log.rfind("health server on http://");
    if (at == std::string::npos) return 0;
    const size_t colon = log.find(':', at + 24);
    return colon == std::string::npos ? 0 : std::atoi(log.c_str() + colon + 1);
  }

  std::string PlatformLog() { return platform_ ? "\n--- platform log:\n" + platform_->process().Log() : ""; }

  // SIGKILL to every process running from this test's cloud install dirs; waits until they are gone.
  void KillCloudProcesses() {
    if (data_.empty()) return;  // SetUp failed before there was one
    const std::string dir = data_ + "/cloud/";
    WaitUntil(
        [&] {
          std::vector<pid_t> left = ProcessesWithArgument(dir);
          for (pid_t pid : left) kill(pid, SIGKILL);
          return left.empty();
        },
        milliseconds(10000));
  }

  CloudLimits limits_;
};

}  // namespace edge::e2e

#endif  // EDGE_TESTS_INTEGRATION_E2E_CLOUD_FIXTURE_H_
