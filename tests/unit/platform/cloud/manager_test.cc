// The cloud manager with a scripted driver (no processes) and a real store, its timer on a real lws context
// serviced by the test thread: provision steps, start and crash restarts, the Starting -> Running rule with a
// bundle target, stop, force-complete, delete, and the reconciliation table of docs/cloud-connectors.md.
#include "cloud/manager.h"

#include <gtest/gtest.h>
#include <libwebsockets.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>

namespace edge::platform::cloud {
namespace {

namespace fs = std::filesystem;

// Processes are entries in a map: alive until the test (or Stop/Kill) ends them.
class ScriptedDriver : public Driver {
 public:
  absl::StatusOr<StepResult> Provision(const InstanceSpec& spec) override {
    provisioned[spec.connector_id] = spec.secret;
    return StepResult{};
  }
  absl::StatusOr<std::optional<ProcessHandle>> Start(const InstanceSpec&) override {
    ProcessHandle h;
    h.pid = next_pid++;
    h.start_time = 1000 + static_cast<uint64_t>(h.pid);
    h.own_child = true;
    alive[h.pid] = true;
    ++starts;
    return std::optional<ProcessHandle>(h);
  }
  absl::StatusOr<StepResult> Stop(const ProcessHandle& h) override {
    ++stops;
    if (exit_on_stop) Exit(h.pid, "process exited with status 0");
    return StepResult{};
  }
  void Kill(const ProcessHandle& h) override {
    ++kills;
    Exit(h.pid, "process killed by signal 9");
  }
  Observation Observe(const ProcessHandle& h) override {
    Observation o;
    o.running = alive.count(h.pid) != 0 && alive[h.pid];
    o.exit_description = exits[h.pid];
    return o;
  }
  absl::Status Release(const InstanceSpec& spec) override {
    released.push_back(spec.connector_id);
    return absl::OkStatus();
  }
  std::optional<ProcessHandle> Adopt(pid_t pid, uint64_t start_time) override {
    if (alive.count(pid) == 0 || !alive[pid] || start_time != 1000 + static_cast<uint64_t>(pid)) return std::nullopt;
    ProcessHandle h;
    h.pid = pid;
    h.start_time = start_time;
    return h;
  }
  std::vector<std::string> KillStrays(const std::vector<ProcessHandle>& known) override {
    strays_known = known.size();
    return {};
  }
  void Exit(pid_t pid, const std::string& why) {
    alive[pid] = false;
    exits[pid] = why;
  }

  pid_t next_pid = 100;
  std::map<pid_t, bool> alive;
  std::map<pid_t, std::string> exits;
  std::map<std::string, std::string> provisioned;
  std::vector<std::string> released;
  bool exit_on_stop = true;
  int starts = 0, stops = 0, kills = 0;
  size_t strays_known = 0;
};

class NoDirectory : public HubDirectory {
 public:
  absl::StatusOr<std::string> DeploymentOrg(std::string_view) override { return absl::NotFoundError("none"); }
  bool CheckDeploymentSecret(std::string_view, std::string_view) override { return false; }
  void RecordConnected(std::string_view, std::string_view, std::string_view, int64_t) override {}
  void RecordHeartbeat(std::string_view, int64_t, std::string_view) override {}
  void RecordTools(std::string_view, uint64_t, const std::vector<protocol::RegisteredTool>&) override {}
  void RecordDisconnected(std::string_view, int64_t, std::string_view) override {}
};

class CloudManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "edge-cloud-manager-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    absl::StatusOr<std::unique_ptr<store::Store>> s = store::Store::Open(dir_ + "/platform.db");
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
    ASSERT_TRUE(store_->CreateOrg("Acme", "org_acme").ok());
    absl::StatusOr<store::DeploymentSecret> d = store_->CreateDeployment("org_acme", "site");
    ASSERT_TRUE(d.ok());
    deployment_ = d->deployment;
    hub_ = std::make_unique<Hub>(HubOptions{}, &directory_, nullptr);
    lws_set_log_level(LLL_ERR | LLL_WARN, nullptr);
    lws_context_creation_info info{};
    info.port = CONTEXT_PORT_NO_LISTEN;
    context_ = lws_create_context(&info);
    ASSERT_NE(context_, nullptr);
    NewManager();
  }
  void TearDown() override {
    manager_.reset();
    if (context_ != nullptr) lws_context_destroy(context_);
    fs::remove_all(dir_);
  }

  void NewManager() {
    manager_.reset();
    ManagerOptions o;
    o.tick_ms = 5;
    o.restart_initial_ms = 10;
    o.restart_max_ms = 20;
    manager_ = std::make_unique<Manager>(o, store_.get(), hub_.get(), &driver_, nullptr);
    ASSERT_TRUE(manager_->LoadAndReconcile().ok());
    manager_->Attach(context_);
  }

  bool RunUntil(const std::function<bool()>& done, int timeout_ms = 3000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      lws_service(context_, 0);
    }
    return true;
  }
  CloudState State() { return manager_->Get(deployment_.id)->state; }
  bool WaitState(CloudState s) { return RunUntil([&] { return State() == s; }); }
  store::CloudConnector Record() { return **store_->FindCloudConnector(deployment_.id); }

  void Registered(std::optional<protocol::BundleRef> bundle = std::nullopt) {
    CloudSessionEvent e;
    e.kind = CloudSessionEvent::Kind::kRegistered;
    e.deployment_id = deployment_.id;
    e.connector_id = Record().id;
    e.session_id = "s_1";
    e.bundle = std::move(bundle);
    manager_->OnSessionEvent(e);
  }
  void ProvisionedAndRunning() {
    ASSERT_TRUE(manager_->Provision(deployment_).ok());
    ASSERT_TRUE(WaitState(CloudState::kStopped));
    ASSERT_TRUE(manager_->Start(deployment_.id).ok());
    Registered();
    ASSERT_EQ(State(), CloudState::kRunning);
  }

  std::string dir_;
  store::Deployment deployment_;
  std::unique_ptr<store::Store> store_;
  NoDirectory directory_;
  std::unique_ptr<Hub> hub_;
  lws_context* context_ = nullptr;
  ScriptedDriver driver_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(CloudManagerTest, ProvisionAnswersProvisioningAndTheNextTickRunsTheStep) {
  absl::StatusOr<CloudView> v = manager_->Provision(deployment_);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->state, CloudState::kProvisioning);
  EXPECT_TRUE(driver_.provisioned.empty());
  ASSERT_TRUE(WaitState(CloudState::kStopped));
  ASSERT_EQ(driver_.provisioned.count(v->record.id), 1u);
  // The instance got a fresh secret for this connector, and only its hash is stored.
  const std::string secret = driver_.provisioned[v->record.id];
  EXPECT_EQ(store::CloudConnectorIdOfSecret(secret), v->record.id);
  absl::StatusOr<std::optional<std::string>> verified = store_->VerifyCloudConnectorSecret(deployment_.id, secret);
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(*verified, std::optional<std::string>(v->record.id));
  EXPECT_EQ(Record().secret_hash.find(secret), std::string::npos);
}

TEST_F(CloudManagerTest, ACrashedProcessIsRestartedWithBackoffAndRunsAgain) {
  ProvisionedAndRunning();
  const pid_t first = static_cast<pid_t>(*Record().pid);
  driver_.Exit(first, "process killed by signal 9");
  ASSERT_TRUE(RunUntil([&] { return driver_.starts == 2; }));
  store::CloudConnector r = Record();
  EXPECT_EQ(r.state, "Starting");
  EXPECT_EQ(r.restarts, 1);
  EXPECT_EQ(r.last_error, "process killed by signal 9");
  EXPECT_NE(r.pid, std::optional<int64_t>(first));
  Registered();
  EXPECT_EQ(State(), CloudState::kRunning);
}

TEST_F(CloudManagerTest, RunningNeedsTheDeploymentsBundleTarget) {
  store::Bundle bundle;
  bundle.id = "b_1";
  bundle.org_id = "org_acme";
  bundle.name = "tools";
  store::BundleVersion version;
  version.bundle_id = "b_1";
  version.version = 1;
  version.checksum = "sha256:" + std::string(64, 'a');
  version.tools_json = "[]";
  ASSERT_TRUE(store_->AddBundleVersion(bundle, version).ok());
  ASSERT_TRUE(store_->SetDeploymentBundle(deployment_.id, store::BundleRef{"b_1", 1}).ok());
  ASSERT_TRUE(manager_->Provision(deployment_).ok());
  ASSERT_TRUE(WaitState(CloudState::kStopped));
  ASSERT_TRUE(manager_->Start(deployment_.id).ok());
  Registered();  // only the diagnostics tools, before the bundle is installed
  EXPECT_EQ(State(), CloudState::kStarting);
  Registered(protocol::BundleRef{"b_1", 1, "sha256:" + std::string(64, 'b')});  // another checksum
  EXPECT_EQ(State(), CloudState::kStarting);
  Registered(protocol::BundleRef{"b_1", 1, version.checksum});
  EXPECT_EQ(State(), CloudState::kRunning);
}

TEST_F(CloudManagerTest, StopWaitsForTheExitAndALostLinkMeansStartingAgain) {
  ProvisionedAndRunning();
  CloudSessionEvent lost;
  lost.kind = CloudSessionEvent::Kind::kDisconnected;
  lost.deployment_id = deployment_.id;
  lost.connector_id = Record().id;
  lost.reason = "connection lost (1006)";
  manager_->OnSessionEvent(lost);
  EXPECT_EQ(State(), CloudState::kStarting);
  EXPECT_EQ(Record().last_error, "link lost: connection lost (1006)");
  Registered();
  driver_.exit_on_stop = false;
  absl::StatusOr<CloudView> v = manager_->Stop(deployment_.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->state, CloudState::kStopping);
  EXPECT_EQ(driver_.stops, 1);
  for (int i = 0; i < 20; ++i) lws_service(context_, 0);
  EXPECT_EQ(State(), CloudState::kStopping);  // the process still drains
  driver_.Exit(static_cast<pid_t>(*Record().pid), "process exited with status 0");
  ASSERT_TRUE(WaitState(CloudState::kStopped));
  EXPECT_EQ(Record().pid, std::nullopt);
  EXPECT_EQ(driver_.kills, 0);
}

TEST_F(CloudManagerTest, RefusalsCarryTheStateAndTheAllowedActions) {
  absl::StatusOr<CloudView> none = manager_->Start(deployment_.id);
  ASSERT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_EQ(std::string(none.status().message()),
            "Deployment " + deployment_.id + " has no cloud connector. Allowed now: provision.");
  EXPECT_EQ(std::string(*none.status().GetPayload(kIllegalTransitionPayload)),
            R"({"state":null,"allowedActions":["provision"]})");
  ProvisionedAndRunning();
  absl::StatusOr<std::string> deleted = manager_->Delete(deployment_.id);
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(std::string(*deleted.status().GetPayload(kIllegalTransitionPayload)),
            R"({"state":"Running","allowedActions":["stop"]})");
  EXPECT_TRUE(absl::IsNotFound(manager_->Get("dep_other").status()));
}

TEST_F(CloudManagerTest, ForceCompleteKillsAndDeleteReleases) {
  ProvisionedAndRunning();
  driver_.exit_on_stop = false;
  ASSERT_TRUE(manager_->Stop(deployment_.id).ok());
  EXPECT_FALSE(manager_->ForceComplete(deployment_.id).ok());  // not stuck, not failed
  NewManager();  // a platform restart: a Stopping record whose process lives gets SIGTERM again
  EXPECT_EQ(driver_.stops, 2);
  EXPECT_EQ(State(), CloudState::kStopping);
  EXPECT_EQ(driver_.strays_known, 1u);
  // Make it stuck: in Stopping for longer than its limit.
  store::CloudConnector r = Record();
  r.state_since_ms -= 120000;
  ASSERT_TRUE(store_->UpdateCloudConnector(r).ok());
  NewManager();
  absl::StatusOr<CloudView> forced = manager_->ForceComplete(deployment_.id);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(forced->state, CloudState::kStopped);
  EXPECT_EQ(driver_.kills, 1);
  EXPECT_FALSE(driver_.alive[static_cast<pid_t>(*r.pid)]);
  absl::StatusOr<std::string> deleted = manager_->Delete(deployment_.id);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(driver_.released, std::vector<std::string>{*deleted});
  EXPECT_FALSE(store_->FindCloudConnector(deployment_.id)->has_value());
}

TEST_F(CloudManagerTest, ReconciliationAdoptsRestartsOrKills) {
  ProvisionedAndRunning();
  const pid_t pid = static_cast<pid_t>(*Record().pid);
  // A platform restart with the process alive: adopted, Running becomes Starting until it registers again.
  NewManager();
  EXPECT_EQ(State(), CloudState::kStarting);
  EXPECT_EQ(driver_.starts, 1);
  EXPECT_EQ(driver_.strays_known, 1u);
  Registered();
  EXPECT_EQ(State(), CloudState::kRunning);
  // A restart after the process died meanwhile: started again, with the backoff.
  driver_.Exit(pid, "gone");
  manager_.reset();
  NewManager();
  EXPECT_EQ(State(), CloudState::kStarting);
  EXPECT_EQ(driver_.strays_known, 0u);
  ASSERT_TRUE(RunUntil([&] { return driver_.starts == 2; }));
  // A Stopped record whose process still runs: it is killed.
  store::CloudConnector r = Record();
  r.state = "Stopped";
  ASSERT_TRUE(store_->UpdateCloudConnector(r).ok());
  const pid_t second = static_cast<pid_t>(*r.pid);
  ASSERT_TRUE(driver_.alive[second]);
  manager_.reset();
  NewManager();
  EXPECT_FALSE(driver_.alive[second]);
  EXPECT_EQ(Record().pid, std::nullopt);
  // A Provisioning record: the step runs again.
  r = Record();
  r.state = "Provisioning";
  ASSERT_TRUE(store_->UpdateCloudConnector(r).ok());
  driver_.provisioned.clear();
  NewManager();
  ASSERT_TRUE(WaitState(CloudState::kStopped));
  EXPECT_EQ(driver_.provisioned.size(), 1u);
}

}  // namespace
}  // namespace edge::platform::cloud
