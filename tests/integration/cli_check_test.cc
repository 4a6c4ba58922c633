// Integration tests of `edge-connector test --check`: passes on every example plugin and on the probe, and
// reports a crash, an ignored cancellation and a load failure as failed checks (exit 1) with the reason.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>

#include "absl/strings/str_split.h"
#include "cli_test_util.h"
#include "example_setup.h"

namespace edge::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(CliCheck, PassesOnEchoWithOneLinePerCheck) {
  ProcessResult r = RunCli({"test", "--plugin", EDGE_ECHO_PLUGIN, "--check"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  for (const char* line : {"PASS  load ", "PASS  descriptors ", "PASS  examples echo ", "PASS  invalid-args echo ",
                           "PASS  cancel echo ", "PASS  reload ", "PASS  shutdown "}) {
    EXPECT_THAT(r.out, HasSubstr(line)) << Dump(r);
  }
  EXPECT_THAT(r.out, HasSubstr("missing required 'text'"));
  EXPECT_THAT(r.out, HasSubstr("'repeat' is a string"));
  EXPECT_THAT(r.out, HasSubstr("\nPASS: 7 passed, 0 failed, 0 skipped"));
}

TEST(CliCheck, JsonReport) {
  ProcessResult r = RunCli({"test", "--plugin", EDGE_ECHO_PLUGIN, "--check", "--json"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  rapidjson::Document doc = ParseJson(r.out);
  ASSERT_FALSE(doc.HasParseError()) << Dump(r);
  EXPECT_TRUE(doc["ok"].GetBool());
  EXPECT_EQ(doc["failed"].GetInt(), 0);
  ASSERT_TRUE(doc["checks"].IsArray());
  EXPECT_STREQ(doc["checks"][0]["name"].GetString(), "load");
  EXPECT_STREQ(doc["checks"][0]["status"].GetString(), "PASS");
}

TEST(CliCheck, PassesOnProbeAndSkipsToolsWithoutExamples) {
  ProcessResult r = RunCli({"test", "--plugin", CLI_PROBE_PLUGIN, "--check"});
  ASSERT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("SKIP  examples probe.fail "));
  EXPECT_THAT(r.out, HasSubstr("add .example("));
  // probe.wait runs 200 ms: the check cancels it and the plugin stops.
  EXPECT_THAT(r.out, HasSubstr("PASS  cancel probe.wait "));
  EXPECT_THAT(r.out, HasSubstr("ended with CANCELLED"));
  EXPECT_THAT(r.out, HasSubstr("unexpected property"));  // additionalProperties: false
}

TEST(CliCheck, CrashIsReportedWithSignalAndStep) {
  ProcessResult r = RunCli({"test", "--plugin", CLI_CRASH_PLUGIN, "--check"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_EQ(r.signal, 0) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PASS  load "));
  EXPECT_THAT(r.out, HasSubstr("FAIL  examples crash.segv"));
  EXPECT_THAT(r.out, HasSubstr("plugin crashed with SIGSEGV (Segmentation fault) during examples crash.segv"));
  EXPECT_THAT(r.out, HasSubstr("\nFAIL: "));
}

TEST(CliCheck, IgnoredCancellationFailsTheBound) {
  ProcessResult r =
      RunCli({"test", "--plugin", CLI_STUBBORN_PLUGIN, "--check", "--cancel-bound", "100ms"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PASS  examples stubborn.sleep "));
  EXPECT_THAT(r.out, HasSubstr("FAIL  cancel stubborn.sleep"));
  EXPECT_THAT(r.out, HasSubstr("invoke was still running 100ms after the cancel"));
  EXPECT_THAT(r.out, HasSubstr("SKIP  reload "));
  EXPECT_THAT(r.out, HasSubstr("SKIP  shutdown "));
}

TEST(CliCheck, SilentStepIsReportedAsHang) {
  // The example sleeps a minute without a word: with a 2 s step timeout the harness kills the child. The
  // timeout is generous because it also bounds the load step, which took over 150 ms on a busy CI machine.
  ProcessResult r = RunCli({"test", "--plugin", CLI_SILENT_PLUGIN, "--check", "--step-timeout", "2s"});
  EXPECT_EQ(r.exit_code, 1) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PASS  load "));
  EXPECT_THAT(r.out, HasSubstr("FAIL  examples stubborn.sleep"));
  EXPECT_THAT(r.out, HasSubstr("plugin hung: no progress for 2s during examples stubborn.sleep")) << Dump(r);
}

TEST(CliCheck, LoadFailureFailsAndSkipsTheRest) {
  ProcessResult r = RunCli({"test", "--plugin", "/nonexistent/plugin.so", "--check"});
  EXPECT_EQ(r.exit_code, 3) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("FAIL  load "));
  EXPECT_THAT(r.out, HasSubstr("/nonexistent/plugin.so"));
  EXPECT_THAT(r.out, HasSubstr("SKIP  other checks"));
  EXPECT_THAT(r.out, Not(HasSubstr("PASS")));
}

// --check must pass on every example plugin (issue 2, acceptance 2). The list is every MODULE library under
// examples/, collected by CMake as "target|path"; ExampleSetup supplies the config an example needs.
struct ExamplePlugin {
  std::string name, path;
};

void PrintTo(const ExamplePlugin& p, std::ostream* os) { *os << p.name << " (" << p.path << ")"; }

std::vector<ExamplePlugin> ExamplePlugins() {
  std::vector<ExamplePlugin> out;
  for (absl::string_view entry : absl::StrSplit(EDGE_EXAMPLE_PLUGINS, ',', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(entry, '|');
    parts.resize(2);
    out.push_back({parts[0], parts[1]});
  }
  return out;
}

class ExampleCheck : public ::testing::TestWithParam<ExamplePlugin> {};

TEST_P(ExampleCheck, PassesConformanceChecks) {
  const ExamplePlugin& p = GetParam();
  ExampleSetup setup;
  std::vector<std::string> args{"test", "--plugin", p.path, "--check"};
  std::string config = setup.ConfigFor(p.name);
  if (!config.empty()) {
    args.push_back("--config");
    args.push_back(config);
  }
  ProcessResult r = RunCli(args, std::chrono::seconds(110));
  EXPECT_EQ(r.exit_code, 0) << Dump(r);
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL"))) << Dump(r);
  EXPECT_THAT(r.out, HasSubstr("PASS  reload ")) << Dump(r);
}

INSTANTIATE_TEST_SUITE_P(Examples, ExampleCheck, ::testing::ValuesIn(ExamplePlugins()),
                         [](const ::testing::TestParamInfo<ExamplePlugin>& param_info) { return param_info.param.name; });

TEST(ExamplePluginList, IncludesEcho) {
  bool found = false;
  for (const auto& p : ExamplePlugins()) found |= p.name == "echo";
  EXPECT_TRUE(found) << "EDGE_EXAMPLE_PLUGINS=" << EDGE_EXAMPLE_PLUGINS;
}

}  // namespace
}  // namespace edge::testing
