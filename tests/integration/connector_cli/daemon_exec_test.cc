// `edge-connector run` continues as edge-connector-daemon (tools/edge-connector/main.cc, daemon_main.cc):
// the same pid and argv, shown as edge-connector, and a plain in-process daemon when the binary is missing.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "subprocess.h"
#include "support/scratch_dir.h"

namespace edge::testing {
namespace {

namespace fs = std::filesystem;

class DaemonExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    fs::create_directories(dir_ + "/impl");
    // No platform listens on port 9: the link keeps retrying, which is all this test needs.
    std::ofstream(dir_ + "/config.json") << R"({"toolRpcUrl":"ws://127.0.0.1:9/","platformApiUrl":"http://127.0.0.1:9/",)"
                                         << R"("healthHost":"127.0.0.1"})";
  }

  // Starts `<binary> run` and returns its pid once the health server is up (-1 on failure).
  pid_t StartRun(Subprocess& p) {
    std::string log;
    bool up = p.ReadUntil(
        [&](const std::string& out, const std::string& err) {
          log = out + err;
          return log.find("health server on http://") != std::string::npos;
        },
        std::chrono::seconds(20));
    EXPECT_TRUE(up) << log;
    const size_t at = log.find(", pid ");
    if (!up || at == std::string::npos) return -1;
    return static_cast<pid_t>(std::atoi(log.c_str() + at + 6));
  }
  std::vector<std::string> RunArgv(const std::string& binary) const {
    return {"/usr/bin/env", "-i", "DEPLOYMENT_ID=dep_exec", "DEPLOYMENT_SECRET=exec-secret", binary, "run",
            "--install-dir", dir_, "--implementations", dir_ + "/impl", "--health-port", "0"};
  }
  static std::string Read(const std::string& path) {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }

  ScratchDir scratch_{"edge-daemon-exec"};
  const std::string dir_ = scratch_.path().string();
};

TEST_F(DaemonExecTest, RunContinuesInTheDaemonBinaryUnderTheSameNameAndArgv) {
  Subprocess p(RunArgv(EDGE_CONNECTOR_BIN));
  const pid_t pid = StartRun(p);
  ASSERT_GT(pid, 0);
  const std::string proc = "/proc/" + std::to_string(pid);
  EXPECT_EQ(fs::read_symlink(proc + "/exe").filename(), "edge-connector-daemon");
  EXPECT_EQ(Read(proc + "/comm"), "edge-connector\n");
  std::string cmdline = Read(proc + "/cmdline");
  EXPECT_EQ(cmdline.substr(0, cmdline.find('\0')), EDGE_CONNECTOR_BIN);
  const std::string nul(1, '\0');
  EXPECT_NE(cmdline.find(nul + "run" + nul + "--install-dir" + nul + dir_ + nul), std::string::npos);
  p.Signal(SIGTERM);
  ProcessResult r = p.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
}

// Operators (top -H, perf) and the link benchmark tell the daemon's threads apart by name; the process keeps its own.
TEST_F(DaemonExecTest, TheDaemonsThreadsAreNamedForWhatTheyDo) {
  Subprocess p(RunArgv(EDGE_CONNECTOR_BIN));
  const pid_t pid = StartRun(p);
  ASSERT_GT(pid, 0);
  std::multiset<std::string> names;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::string name = Read(task.path().string() + "/comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    names.insert(name);
  }
  std::string all;
  for (const std::string& n : names) all += n + " ";
  EXPECT_EQ(names.count("edge-connector"), 1u) << all;  // the main thread only
  EXPECT_EQ(names.count("ec-link"), 1u) << all;
  EXPECT_EQ(names.count("ec-health"), 1u) << all;
  EXPECT_EQ(names.count("ec-deadlines"), 1u) << all;
  EXPECT_GE(names.count("ec-worker"), 1u) << all;
  p.Signal(SIGTERM);
  ProcessResult r = p.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
}

TEST_F(DaemonExecTest, WithoutTheDaemonBinaryRunServesInProcess) {
  const std::string alone = dir_ + "/edge-connector";
  fs::copy_file(EDGE_CONNECTOR_BIN, alone);
  Subprocess p(RunArgv(alone));
  const pid_t pid = StartRun(p);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe").string(), alone);
  p.Signal(SIGTERM);
  ProcessResult r = p.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
}

TEST_F(DaemonExecTest, TheDaemonReadsTheEqualsFormAsCli11Does) {
  Subprocess p({"/usr/bin/env", "-i", "DEPLOYMENT_ID=dep_exec", "DEPLOYMENT_SECRET=exec-secret", EDGE_CONNECTOR_BIN,
                "run", "--install-dir=" + dir_, "--implementations=" + dir_ + "/impl", "--health-port=0",
                "--log-level=debug"});
  ASSERT_GT(StartRun(p), 0);
  p.Signal(SIGTERM);
  ProcessResult r = p.Wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_NE((r.out + r.err).find("DEBUG"), std::string::npos) << "--log-level=debug reached the daemon";
}

TEST_F(DaemonExecTest, TheDaemonBinaryAloneRefusesAnythingButRunsOptions) {
  const std::string daemon = fs::path(EDGE_CONNECTOR_BIN).parent_path() / "edge-connector-daemon";
  ProcessResult none = Subprocess({daemon}).Wait(std::chrono::seconds(10));
  EXPECT_EQ(none.exit_code, 64) << Dump(none);
  EXPECT_NE(none.err.find("edge-connector run"), std::string::npos) << Dump(none);
  ProcessResult unknown = Subprocess({daemon, "run", "--bogus"}).Wait(std::chrono::seconds(10));
  EXPECT_EQ(unknown.exit_code, 64) << Dump(unknown);
  EXPECT_NE(unknown.err.find("bogus"), std::string::npos) << Dump(unknown);
  ProcessResult extra = Subprocess({daemon, "run", "extra"}).Wait(std::chrono::seconds(10));
  EXPECT_EQ(extra.exit_code, 64) << Dump(extra);
  EXPECT_NE(extra.err.find("unexpected argument 'extra'"), std::string::npos) << Dump(extra);
}

TEST_F(DaemonExecTest, UsageErrorsAndHelpComeFromTheCommandLineWithoutStartingTheDaemon) {
  ProcessResult help = RunCli({"run", "--help"});
  EXPECT_EQ(help.exit_code, 0) << Dump(help);
  EXPECT_NE(help.out.find("--install-dir"), std::string::npos) << Dump(help);
  ProcessResult bad = RunCli({"run", "--no-such-flag"});
  EXPECT_EQ(bad.exit_code, 64) << Dump(bad);
  EXPECT_NE(bad.err.find("edge-connector --help"), std::string::npos) << Dump(bad);
}

}  // namespace
}  // namespace edge::testing
