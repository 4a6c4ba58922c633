// The text of `edge-connector cloud`: the status summary, the --wait verdicts and the progress output.
#include "commands/cloud_view.h"

#include <rapidjson/document.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edge::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

// The example of docs/cloud-connectors.md §6, with `fields` (",\"key\":value...") replacing its values.
rapidjson::Document Connector(const std::string& state, const std::string& fields = "") {
  rapidjson::Document doc = Parse(
      R"({"id":"cc_7Hq2xK","deploymentId":"dep_42","kind":"cloud","state":")" + state +
      R"(","stateSinceMs":1718000000000,"inStateMs":5230,"stuck":false,"failed":false,"operation":null,
          "limitMs":null,"lastHeartbeatAtMs":1718000004900,"sessionId":"s_1","instanceId":"6f1c","pid":4242,
          "restarts":0,"restartAtMs":null,"lastError":"","createdAtMs":1717999990000,"allowedActions":["stop"],
          "bundle":{"id":"b_7Qx2","version":4,"checksum":"sha256:3f1c2a9b0e7d5566778899aabbccddeeff"},
          "tools":["echo","diagnostics.ping"]})");
  rapidjson::Document overrides = Parse("{" + (fields.empty() ? "" : fields.substr(1)) + "}");
  for (auto& m : overrides.GetObject()) {
    doc[m.name.GetString()].CopyFrom(m.value, doc.GetAllocator());
  }
  return doc;
}

// What a CloudWaitProgress wrote.
std::string Written(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  for (int ch; (ch = std::fgetc(f)) != EOF;) text.push_back(static_cast<char>(ch));
  return text;
}

TEST(FormatDurationTest, PicksAReadableUnit) {
  EXPECT_EQ(FormatDuration(850), "850 ms");
  EXPECT_EQ(FormatDuration(3200), "3.2 s");
  EXPECT_EQ(FormatDuration(125'000), "2 min 05 s");
  EXPECT_EQ(FormatDuration((3 * 60 + 7) * 60'000), "3 h 07 min");
  EXPECT_EQ(FormatDuration(-5), "0 ms");  // a clock a little ahead of the platform's
}

TEST(FormatCloudStatusTest, RunningShowsEverythingTheDocPromises) {
  const std::string text = FormatCloudStatus(Connector("Running"), 1718000005000);
  EXPECT_THAT(text, HasSubstr("Cloud connector cc_7Hq2xK of deployment dep_42\n"));
  EXPECT_THAT(text, HasSubstr("State:          Running for 5.2 s\n"));
  EXPECT_THAT(text, HasSubstr("Last heartbeat: 2024-06-10 06:13:24Z (100 ms ago)\n"));
  EXPECT_THAT(text, HasSubstr("Pid:            4242\n"));
  EXPECT_THAT(text, HasSubstr("Restarts:       0\n"));
  EXPECT_THAT(text, HasSubstr("Bundle:         b_7Qx2 version 4 (3f1c2a9b0e7d)\n"));
  EXPECT_THAT(text, HasSubstr("Tools:          echo, diagnostics.ping (2)\n"));
  EXPECT_THAT(text, HasSubstr("Last error:     -\n"));
  EXPECT_THAT(text, HasSubstr("Allowed now:    stop\n"));
  EXPECT_THAT(text, Not(HasSubstr("stuck")));
  EXPECT_THAT(text, Not(HasSubstr("Fix:")));
}

TEST(FormatCloudStatusTest, StoppedWithoutProcessHeartbeatOrBundle) {
  const std::string text = FormatCloudStatus(
      Connector("Stopped", R"(,"pid":null,"lastHeartbeatAtMs":null,"bundle":null,"tools":[],)"
                           R"("allowedActions":["start","delete"])"),
      1718000005000);
  EXPECT_THAT(text, HasSubstr("Last heartbeat: never\n"));
  EXPECT_THAT(text, HasSubstr("Pid:            -\n"));
  EXPECT_THAT(text, HasSubstr("Bundle:         none\n"));
  EXPECT_THAT(text, HasSubstr("Tools:          none registered\n"));
  EXPECT_THAT(text, HasSubstr("Allowed now:    start, delete\n"));
}

TEST(FormatCloudStatusTest, StuckNamesTheLimitAndTheFix) {
  const std::string text = FormatCloudStatus(
      Connector("Starting", R"(,"stuck":true,"inStateMs":3400,"limitMs":3000,"operation":"start")"
                            R"(,"allowedActions":["stop","force-complete"])"),
      1718000005000);
  EXPECT_THAT(text, HasSubstr("State:          Starting for 3.4 s, stuck (limit 3.0 s)\n"));
  EXPECT_THAT(text, HasSubstr("edge-connector cloud force-complete --deployment dep_42"));
  EXPECT_THAT(text, HasSubstr("then retry or delete"));
}

TEST(FormatCloudStatusTest, FailedShowsTheErrorAndPendingRestart) {
  const std::string text = FormatCloudStatus(
      Connector("Starting", R"(,"failed":true,"lastError":"process exited with status 1","restarts":2,)"
                            R"("restartAtMs":1718000006500)"),
      1718000005000);
  EXPECT_THAT(text, HasSubstr("Starting for 5.2 s, failed\n"));
  EXPECT_THAT(text, HasSubstr("Restarts:       2 (next restart in 1.5 s)\n"));
  EXPECT_THAT(text, HasSubstr("Last error:     process exited with status 1\n"));
  EXPECT_THAT(text, HasSubstr("Fix:"));
}

TEST(CloudProgressLineTest, StateTimeAndPid) {
  EXPECT_EQ(CloudProgressLine(Connector("Starting", R"(,"inStateMs":3200)")), "Starting… 3.2 s (pid 4242)");
  EXPECT_EQ(CloudProgressLine(Connector("Stopping", R"(,"pid":null,"inStateMs":40,"stuck":true)")),
            "Stopping… 40 ms, stuck");
  EXPECT_THAT(CloudProgressLine(Connector("Starting", R"(,"lastError":"process killed by signal 9")")),
              HasSubstr(", last error: process killed by signal 9"));
}

TEST(JudgeCloudWaitTest, TransitionalStatesOnTheWayKeepWaiting) {
  EXPECT_EQ(JudgeCloudWait(Connector("Starting"), "Running", "dep_42").verdict, WaitVerdict::kWaiting);
  EXPECT_EQ(JudgeCloudWait(Connector("Provisioning"), "Stopped", "dep_42").verdict, WaitVerdict::kWaiting);
  EXPECT_EQ(JudgeCloudWait(Connector("Stopping"), "Stopped", "dep_42").verdict, WaitVerdict::kWaiting);
  // A crash loop is still on its way until the platform calls it stuck.
  EXPECT_EQ(JudgeCloudWait(Connector("Starting", R"(,"lastError":"process exited with status 1")"), "Running",
                           "dep_42")
                .verdict,
            WaitVerdict::kWaiting);
}

TEST(JudgeCloudWaitTest, TheTargetIsDone) {
  EXPECT_EQ(JudgeCloudWait(Connector("Running"), "Running", "dep_42").verdict, WaitVerdict::kDone);
  EXPECT_EQ(JudgeCloudWait(Connector("Stopped"), "Stopped", "dep_42").verdict, WaitVerdict::kDone);
}

TEST(JudgeCloudWaitTest, StuckFailsNamingTheStateAndForceComplete) {
  WaitDecision d = JudgeCloudWait(Connector("Starting", R"(,"stuck":true,"inStateMs":3100,"limitMs":3000)"),
                                  "Running", "dep_42");
  EXPECT_EQ(d.verdict, WaitVerdict::kFailed);
  EXPECT_THAT(d.message, HasSubstr("is stuck in Starting (3.1 s so far, limit 3.0 s)"));
  EXPECT_THAT(d.message, HasSubstr("`edge-connector cloud force-complete --deployment dep_42`"));
  EXPECT_THAT(d.message, HasSubstr("then retry or delete"));
}

TEST(JudgeCloudWaitTest, FailedFailsWithTheLastError) {
  WaitDecision d = JudgeCloudWait(
      Connector("Provisioning", R"(,"failed":true,"lastError":"cannot create the install dir")"), "Stopped",
      "dep_42");
  EXPECT_EQ(d.verdict, WaitVerdict::kFailed);
  EXPECT_THAT(d.message, HasSubstr("failed in Provisioning"));
  EXPECT_THAT(d.message, HasSubstr("Last error: cannot create the install dir."));
  EXPECT_THAT(d.message, HasSubstr("force-complete"));
}

TEST(JudgeCloudWaitTest, AStateThatDoesNotLeadToTheTargetFails) {
  WaitDecision d = JudgeCloudWait(Connector("Stopped", R"(,"allowedActions":["start","delete"])"), "Running",
                                  "dep_42");
  EXPECT_EQ(d.verdict, WaitVerdict::kFailed);
  EXPECT_THAT(d.message, HasSubstr("is Stopped, not Running"));
  EXPECT_THAT(d.message, HasSubstr("Allowed now: start, delete."));
  EXPECT_EQ(JudgeCloudWait(Connector("Starting"), "Stopped", "dep_42").verdict, WaitVerdict::kFailed);
  EXPECT_EQ(JudgeCloudWait(Connector("Stopping"), "Running", "dep_42").verdict, WaitVerdict::kFailed);
}

TEST(CloudWaitProgressTest, PlainOutputPrintsOneLinePerChange) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  CloudWaitProgress progress(/*tty=*/false, out);
  progress.Update(Connector("Starting", R"(,"inStateMs":100,"pid":null)"));
  progress.Update(Connector("Starting", R"(,"inStateMs":300,"pid":null)"));  // only the time moved
  progress.Update(Connector("Starting", R"(,"inStateMs":500)"));             // a process now
  progress.Update(Connector("Running", R"(,"inStateMs":0)"));
  progress.Finish();
  EXPECT_EQ(Written(out), "Starting… 100 ms\nStarting… 500 ms (pid 4242)\nRunning… 0 ms (pid 4242)\n");
  std::fclose(out);
}

TEST(CloudWaitProgressTest, TerminalOutputRedrawsOneLine) {
  FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  CloudWaitProgress progress(/*tty=*/true, out);
  progress.Update(Connector("Starting", R"(,"inStateMs":100)"));
  progress.Update(Connector("Starting", R"(,"inStateMs":300)"));
  progress.Unreachable("connection refused");
  progress.Finish();
  EXPECT_EQ(Written(out),
            "\rStarting… 100 ms (pid 4242)\033[K\rStarting… 300 ms (pid 4242)\033[K"
            "\rplatform not reachable, retrying: connection refused\033[K\n");
  std::fclose(out);
}

}  // namespace
}  // namespace edge::cli
