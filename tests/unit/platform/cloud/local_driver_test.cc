// The local cloud driver with harmless programs instead of edge-connector (shell scripts given as the
// connector binary): the instance files and their modes, processes in their own session, exit statuses, SIGTERM,
// SIGKILL to the group, adoption by pid and start time, the stray scan, and release.
#include "cloud/local_driver.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cloud/proc.h"

namespace edge::platform::cloud {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

template <typename F>
bool WaitFor(F done, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return done();
}

class LocalDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "edge-cloud-driver-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    for (const ProcessHandle& h : started_) {
      driver_->Kill(h);     // skips a child already reaped: its pid may be another test's process by now
      driver_->Observe(h);  // reap
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // A driver whose "connector" is a shell script with `body`.
  void MakeDriver(const std::string& body, const std::string& extra_config = "") {
    const std::string script = root_ + "/connector.sh";
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
    LocalDriverOptions o;
    o.cloud_root = root_ + "/cloud";
    o.connector_bin = script;
    o.tool_rpc_url = "ws://127.0.0.1:3001";
    o.platform_api_url = "http://127.0.0.1:3000";
    o.extra_config_json = extra_config;
    driver_ = std::make_unique<LocalDriver>(o);
  }

  InstanceSpec Spec(const std::string& id = "cc_test1") {
    InstanceSpec s;
    s.connector_id = id;
    s.deployment_id = "dep_42";
    s.secret = "ccs_" + id + "_secret";
    return s;
  }

  ProcessHandle StartOk(const std::string& id = "cc_test1") {
    EXPECT_TRUE(driver_->Provision(Spec(id)).ok());
    absl::StatusOr<std::optional<ProcessHandle>> h = driver_->Start(Spec(id));
    EXPECT_TRUE(h.ok()) << h.status();
    if (!h.ok() || !*h) return {};
    started_.push_back(**h);
    return **h;
  }

  std::string root_;
  std::unique_ptr<LocalDriver> driver_;
  std::vector<ProcessHandle> started_;
};

TEST_F(LocalDriverTest, ProvisionWritesTheInstanceWithPrivateModes) {
  MakeDriver("exit 0", R"({"heartbeatIntervalMs":200,"healthPort":9999})");
  absl::StatusOr<StepResult> r = driver_->Provision(Spec());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->completed);
  const std::string dir = root_ + "/cloud/cc_test1";
  EXPECT_EQ(driver_->InstallDir("cc_test1"), dir);
  EXPECT_EQ(Mode(root_ + "/cloud"), 0700u);
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(dir + "/deployment-credentials.json"), 0600u);
  EXPECT_EQ(Mode(dir + "/config.json"), 0600u);

  rapidjson::Document creds;
  creds.Parse(Read(dir + "/deployment-credentials.json").c_str());
  ASSERT_TRUE(creds.IsObject());
  EXPECT_STREQ(creds["deploymentId"].GetString(), "dep_42");
  EXPECT_STREQ(creds["deploymentSecret"].GetString(), "ccs_cc_test1_secret");

  rapidjson::Document config;
  config.Parse(Read(dir + "/config.json").c_str());
  ASSERT_TRUE(config.IsObject());
  EXPECT_STREQ(config["toolRpcUrl"].GetString(), "ws://127.0.0.1:3001");
  EXPECT_STREQ(config["platformApiUrl"].GetString(), "http://127.0.0.1:3000");
  EXPECT_STREQ(config["connectorType"].GetString(), "SERVER");
  EXPECT_FALSE(config["webhookRelayEnabled"].GetBool());
  EXPECT_EQ(config["heartbeatIntervalMs"].GetInt(), 200);  // added by --cloud-connector-config
  EXPECT_EQ(config["healthPort"].GetInt(), 9999);          // and merged over the default 0

  // Idempotent: a second provision (after a platform restart) rewrites the same instance.
  InstanceSpec again = Spec();
  again.secret = "ccs_cc_test1_another";
  EXPECT_TRUE(driver_->Provision(again).ok());
  EXPECT_NE(Read(dir + "/deployment-credentials.json").find("ccs_cc_test1_another"), std::string::npos);
  EXPECT_EQ(Mode(dir), 0700u);
}

TEST_F(LocalDriverTest, ExtraConfigMustBeAnObject) {
  EXPECT_TRUE(ValidateExtraConfig("{}").ok());
  EXPECT_FALSE(ValidateExtraConfig("[1]").ok());
  absl::Status bad = ValidateExtraConfig("{\"a\":");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.message()).find("not valid JSON"), std::string::npos) << bad;
}

TEST_F(LocalDriverTest, StartRunsTheProgramInItsOwnSessionWithTheInstallDirAndACleanEnvironment) {
  MakeDriver("echo \"args: $*\"; echo \"cwd: $(pwd)\"; env | sort > env.txt; exec sleep 30");
  setenv("DEPLOYMENT_ID", "dep_from_the_platform_env", 1);
  setenv("TOOL_RPC_URL", "ws://wrong:1", 1);
  ProcessHandle h = StartOk();
  unsetenv("DEPLOYMENT_ID");
  unsetenv("TOOL_RPC_URL");
  ASSERT_GT(h.pid, 0);
  EXPECT_TRUE(h.own_child);
  EXPECT_GT(h.start_time, 0u);
  EXPECT_EQ(getsid(h.pid), h.pid);   // a session of its own
  EXPECT_EQ(getpgid(h.pid), h.pid);  // and its own process group
  EXPECT_TRUE(driver_->Observe(h).running);

  const std::string dir = root_ + "/cloud/cc_test1";
  ASSERT_TRUE(WaitFor([&] { return Read(dir + "/connector.log").find("cwd:") != std::string::npos; }));
  const std::string log = Read(dir + "/connector.log");
  EXPECT_NE(log.find("args: run --install-dir " + dir), std::string::npos) << log;
  EXPECT_NE(log.find("cwd: " + dir), std::string::npos) << log;
  ASSERT_TRUE(WaitFor([&] { return !Read(dir + "/env.txt").empty(); }));
  const std::string env = Read(dir + "/env.txt");
  EXPECT_EQ(env.find("DEPLOYMENT_ID"), std::string::npos) << env;
  EXPECT_EQ(env.find("TOOL_RPC_URL"), std::string::npos) << env;
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
}

TEST_F(LocalDriverTest, ObserveReportsTheExitStatus) {
  MakeDriver("exit 3");
  ProcessHandle h = StartOk();
  Observation o;
  ASSERT_TRUE(WaitFor([&] { return !(o = driver_->Observe(h)).running; }));
  EXPECT_EQ(o.exit_description, "process exited with status 3");
}

TEST_F(LocalDriverTest, StopSendsSigterm) {
  MakeDriver("exec sleep 30");
  ProcessHandle h = StartOk();
  ASSERT_TRUE(driver_->Stop(h).ok());
  Observation o;
  ASSERT_TRUE(WaitFor([&] { return !(o = driver_->Observe(h)).running; }));
  EXPECT_EQ(o.exit_description, "process killed by signal 15");
}

TEST_F(LocalDriverTest, KillEndsTheWholeProcessGroup) {
  MakeDriver("sleep 30 & echo $! > child.pid; wait");
  ProcessHandle h = StartOk();
  const std::string pid_file = root_ + "/cloud/cc_test1/child.pid";
  ASSERT_TRUE(WaitFor([&] { return !Read(pid_file).empty(); }));
  const pid_t child = static_cast<pid_t>(std::stol(Read(pid_file)));
  ASSERT_TRUE(ReadProcStat(child).has_value());
  driver_->Kill(h);
  Observation o;
  ASSERT_TRUE(WaitFor([&] { return !(o = driver_->Observe(h)).running; }));
  EXPECT_EQ(o.exit_description, "process killed by signal 9");
  // The grandchild got the SIGKILL too (it may linger as a zombie until init reaps it).
  EXPECT_TRUE(WaitFor([&] {
    std::optional<ProcStat> s = ReadProcStat(child);
    return !s || s->state == 'Z';
  }));
}

TEST_F(LocalDriverTest, StopAndKillNeverSignalAReusedPid) {
  MakeDriver("exit 0");
  ProcessHandle h = StartOk();
  Observation o;
  ASSERT_TRUE(WaitFor([&] { return !(o = driver_->Observe(h)).running; }));  // reaped: the pid is free
  // Stand-in for the pid's next owner: another process, with its own start time, under the old handle.
  pid_t other = fork();
  if (other == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(other, 0);
  ASSERT_TRUE(WaitFor([&] { std::optional<ProcStat> s = ReadProcStat(other); return s && s->start_time != 0; }));
  ProcessHandle stale = h;  // own_child, as the reaped child's handle was
  stale.pid = other;
  stale.start_time = ReadProcStat(other)->start_time + 7;  // the reaped child's start time, not `other`'s
  ASSERT_TRUE(driver_->Stop(stale).ok());
  driver_->Kill(stale);
  std::this_thread::sleep_for(milliseconds(100));
  int status = 0;
  EXPECT_EQ(waitpid(other, &status, WNOHANG), 0) << "the other process was signalled";
  kill(other, SIGKILL);
  waitpid(other, &status, 0);
}

TEST_F(LocalDriverTest, AdoptsOnlyTheSameProcess) {
  MakeDriver("exec sleep 30");
  ProcessHandle h = StartOk();
  std::optional<ProcessHandle> adopted = driver_->Adopt(h.pid, h.start_time);
  ASSERT_TRUE(adopted.has_value());
  EXPECT_FALSE(adopted->own_child);
  EXPECT_TRUE(driver_->Observe(*adopted).running);
  // Another start time: the pid was reused by something else.
  EXPECT_FALSE(driver_->Adopt(h.pid, h.start_time + 1).has_value());
  driver_->Kill(*adopted);
  ASSERT_TRUE(WaitFor([&] { return !driver_->Observe(h).running; }));  // reaped through the own handle
  Observation gone = driver_->Observe(*adopted);
  EXPECT_FALSE(gone.running);
  EXPECT_NE(gone.exit_description.find("is gone"), std::string::npos) << gone.exit_description;
  EXPECT_FALSE(driver_->Adopt(h.pid, h.start_time).has_value());
}

TEST_F(LocalDriverTest, KillStraysKillsUnknownProcessesOfCloudInstallDirsOnly) {
  // The shell keeps "run --install-dir <dir>" on its command line, as edge-connector would.
  MakeDriver("trap 'exit 0' TERM; while :; do sleep 0.05; done");
  ProcessHandle known = StartOk("cc_known");
  ProcessHandle stray = StartOk("cc_stray");
  // A freshly spawned process shows its command line only once its exec is complete.
  for (const ProcessHandle& h : {known, stray}) {
    ASSERT_TRUE(WaitFor([&] { return ReadCmdline(h.pid).size() > 2; }));
  }
  std::vector<std::string> killed = driver_->KillStrays({known});
  // The stray's shell (and possibly a child it forked this instant, with the same command line); never the
  // known process or its children.
  ASSERT_GE(killed.size(), 1u);
  bool named = false;
  for (const std::string& line : killed) {
    EXPECT_NE(line.find("cc_stray"), std::string::npos) << line;
    named = named || line.find("process " + std::to_string(stray.pid) + " ") != std::string::npos;
  }
  EXPECT_TRUE(named) << killed[0];
  Observation o;
  ASSERT_TRUE(WaitFor([&] { return !(o = driver_->Observe(stray)).running; }));
  EXPECT_EQ(o.exit_description, "process killed by signal 9");
  EXPECT_TRUE(driver_->Observe(known).running);
}

TEST_F(LocalDriverTest, ReleaseRemovesTheInstallDir) {
  MakeDriver("exit 0");
  ASSERT_TRUE(driver_->Provision(Spec()).ok());
  ASSERT_TRUE(fs::exists(root_ + "/cloud/cc_test1/config.json"));
  ASSERT_TRUE(driver_->Release(Spec()).ok());
  EXPECT_FALSE(fs::exists(root_ + "/cloud/cc_test1"));
  EXPECT_TRUE(driver_->Release(Spec()).ok());  // nothing left: still fine
  InstanceSpec evil = Spec("../x");
  EXPECT_FALSE(driver_->Release(evil).ok());
}

TEST_F(LocalDriverTest, StartFailsWithoutAProvisionedInstanceOrAProgram) {
  MakeDriver("exit 0");
  absl::StatusOr<std::optional<ProcessHandle>> r = driver_->Start(Spec());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("provision it again"), std::string::npos) << r.status();

  LocalDriverOptions o;
  o.cloud_root = root_ + "/cloud";
  o.connector_bin = root_ + "/no-such-program";
  LocalDriver missing(o);
  ASSERT_TRUE(missing.Provision(Spec()).ok());
  r = missing.Start(Spec());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("--cloud-connector-bin"), std::string::npos) << r.status();
}

TEST(CloudProc, ParsesStatLinesWithAwkwardCommandNames) {
  std::string fields;
  for (int i = 4; i <= 21; ++i) fields += " " + std::to_string(i);
  std::optional<ProcStat> s = ParseProcStat("4242 (a (b) c) S" + fields + " 987654 23 24");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->state, 'S');
  EXPECT_EQ(s->process_group, 5);
  EXPECT_EQ(s->start_time, 987654u);
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2").has_value());
  std::optional<ProcStat> self = ReadProcStat(getpid());
  ASSERT_TRUE(self.has_value());
  EXPECT_EQ(self->state, 'R');
  EXPECT_EQ(self->process_group, getpgrp());
}

}  // namespace
}  // namespace edge::platform::cloud
