// Tests of the edge_harness library itself (what `package` will reuse): invalid-argument derivation, JSON
// option errors, and the conformance checks driven in-process and isolated against real plugins.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/conformance.h"
#include "harness/invalid_args.h"
#include "harness/json_util.h"
#include "harness/session.h"

namespace edge::harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DeriveInvalidArguments, BreaksOneRuleAtATimeStartingFromTheExample) {
  auto cases = DeriveInvalidArguments(
      R"({"type":"object","properties":{"text":{"type":"string"},"n":{"type":["integer","null"]}},
          "required":["text"],"additionalProperties":false})",
      R"({"text":"hi","n":1})");
  std::vector<std::string> labels, args;
  for (const auto& c : cases) {
    labels.push_back(c.label);
    args.push_back(c.arguments_json);
  }
  EXPECT_THAT(labels, ElementsAre("malformed JSON", "an array instead of an object", "a string instead of an object",
                                  "missing required 'text'", "'text' is a number (schema: string)",
                                  "'n' is a string (schema: integer|null)",
                                  "unexpected property 'edge_check_unexpected_property' (additionalProperties is false)"));
  EXPECT_EQ(args[3], R"({"n":1})");
  EXPECT_EQ(args[4], R"({"n":1,"text":12345})");
  EXPECT_EQ(args[5], R"({"text":"hi","n":"edge-check: wrong type"})");
  EXPECT_EQ(args[6], R"({"text":"hi","n":1,"edge_check_unexpected_property":1})");
  EXPECT_EQ(cases[3].field, "text");
}

TEST(DeriveInvalidArguments, UntypedPropertiesGetNoWrongTypeCase) {
  auto cases = DeriveInvalidArguments(R"({"type":"object","properties":{"any":{}}})", "");
  EXPECT_EQ(cases.size(), 3u);  // only the three whole-value cases
}

TEST(ReadJsonOption, PointsAtTheErrorOnTheRightLine) {
  auto r = ReadJsonOption("--args", "{\n  \"a\": 1,\n  \"b\" 2\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("at line 3, column 7"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("\n      \"b\" 2\n          ^"));
}

TEST(ReadJsonOption, ReadsAtFile) {
  std::filesystem::path file = std::filesystem::path(::testing::TempDir()) / "harness_args.json";
  std::ofstream(file) << R"({"x":1})";
  auto r = ReadJsonOption("--args", "@" + file.string());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, R"({"x":1})");
  std::filesystem::remove(file);
}

TEST(PrettyJson, IndentsEveryLine) {
  EXPECT_EQ(PrettyJson(R"({"a":[1]})", "> "), "> {\n>   \"a\": [\n>     1\n>   ]\n> }");
  EXPECT_EQ(PrettyJson("not json"), "not json");
}

class Collect : public ConformanceObserver {
 public:
  void OnStep(std::string_view step) override { steps.emplace_back(step); }
  void OnResult(const CheckResult& r) override { results.push_back(r); }
  std::vector<std::string> steps;
  std::vector<CheckResult> results;
};

TEST(Conformance, InProcessChecksPassOnEcho) {
  ConformanceOptions options;
  options.plugin = EDGE_ECHO_PLUGIN;
  Collect collect;
  EXPECT_TRUE(RunConformanceChecks(options, collect));
  EXPECT_THAT(collect.steps, ElementsAre("load", "descriptors", "examples echo", "invalid-args echo", "cancel echo",
                                         "reload", "shutdown"));
  EXPECT_TRUE(AllPassed(collect.results));
  EXPECT_EQ(collect.results.size(), 7u);
}

TEST(Conformance, IsolatedRunReportsTheCrashStep) {
  ConformanceOptions options;
  options.plugin = CLI_CRASH_PLUGIN;
  std::vector<CheckResult> streamed;
  auto results = RunConformanceIsolated(options, [&](const CheckResult& r) { streamed.push_back(r); });
  EXPECT_FALSE(AllPassed(results));
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(results.back().name, "examples crash.segv");
  EXPECT_THAT(results.back().detail, HasSubstr("SIGSEGV"));
  EXPECT_EQ(streamed.size(), results.size());
}

TEST(PluginSession, ReloadReleasesTheFirstGeneration) {
  auto session = PluginSession::Open(EDGE_ECHO_PLUGIN);
  ASSERT_TRUE(session.ok()) << session.status();
  // The same bytes again map to the same content-addressed path: the host must still give a working plugin.
  auto previous = (*session)->Reload(EDGE_ECHO_PLUGIN);
  ASSERT_TRUE(previous.ok()) << previous.status();
  EXPECT_TRUE(previous->expired());
  CallReport r = (*session)->Call("echo", R"({"text":"again"})");
  ASSERT_TRUE(r.outcome.result.ok()) << r.outcome.result.status();
  EXPECT_EQ(r.outcome.result->text.front(), "again");
  EXPECT_TRUE((*session)->Close(absl::Seconds(2)).ok());
}

}  // namespace
}  // namespace edge::harness
