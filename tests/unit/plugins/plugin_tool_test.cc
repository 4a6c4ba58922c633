// Tests for runtime/src/plugins/plugin_tool.cc: argument validation, status mapping and output checks.
#include "plugins/plugin_tool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "plugin_test_util.h"

namespace edge::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Call;
using testutil::TestHost;
using testutil::Text;

std::string Message(const absl::StatusOr<ToolResult>& r) { return std::string(r.status().message()); }

class PluginToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto echo = t_.host->Load(EDGE_FIXTURE_ECHO_A);
    ASSERT_TRUE(echo.ok()) << echo.status();
    echo_ = *echo;
    auto writers = t_.host->Load(EDGE_FIXTURE_WRITERS);
    ASSERT_TRUE(writers.ok()) << writers.status();
    writers_ = *writers;
  }
  TestHost t_;
  std::shared_ptr<LoadedPlugin> echo_, writers_;
};

TEST_F(PluginToolTest, HappyPathReturnsTheWrittenResult) {
  auto r = Call(*echo_, "fixture.echo", R"({"text":"ab","repeat":2})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->text, ElementsAre("abab"));
  EXPECT_EQ(r->structured_json, std::optional<std::string>(R"({"text":"abab"})"));
  EXPECT_FALSE(r->is_error);
}

TEST_F(PluginToolTest, DescriptorAndSourceComeFromThePlugin) {
  EXPECT_EQ(echo_->name(), "echo_a");
  EXPECT_EQ(echo_->version(), "1.0.0");
  EXPECT_EQ(echo_->sha256().size(), 64u);
  EXPECT_EQ(echo_->path().parent_path().filename().string(), echo_->sha256());
  auto echo = testutil::FindTool(*echo_, "fixture.echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->source(), absl::StrCat("echo_a 1.0.0 (", echo_->path().string(), ")"));
  const ToolDescriptor& d = echo->descriptor();
  EXPECT_EQ(d.title, "Echo");
  EXPECT_EQ(d.read_only_hint, std::optional<bool>(true));
  EXPECT_EQ(d.idempotent_hint, std::optional<bool>(true));
  EXPECT_EQ(d.default_timeout, absl::Milliseconds(1500));
  EXPECT_EQ(d.examples, std::vector<std::string>{R"({"text":"hi"})"});
  EXPECT_TRUE(d.concurrent);
  EXPECT_FALSE(testutil::FindTool(*echo_, "fixture.throws")->descriptor().concurrent);
}

TEST_F(PluginToolTest, InvalidArgumentsNameTheFieldAndCarryItAsPayload) {
  auto r = Call(*echo_, "fixture.echo", R"({"text":"x","repeat":0})");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r), "invalid params for tool 'fixture.echo': /repeat: value 0 is less than minimum 1");
  EXPECT_EQ(std::string(*r.status().GetPayload(plugins::kInvalidParamsFieldPayload)), "/repeat");
}

TEST_F(PluginToolTest, ThePluginIsNeverCalledWithInvalidArguments) {
  for (const char* bad : {R"({"n":0})", R"({})", R"({"n":"1"})", R"({"n":1,"x":2})", "[1]", "{"}) {
    EXPECT_EQ(Call(*writers_, "w.count", bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Text(Call(*writers_, "w.count", R"({"n":1})")), "calls=1");  // the first call to reach it
}

TEST_F(PluginToolTest, WithoutValidationArgumentsGoStraightToThePlugin) {
  PluginHostOptions options;
  options.validate_arguments = false;
  TestHost t(options);
  auto writers = t.host->Load(EDGE_FIXTURE_WRITERS);
  ASSERT_TRUE(writers.ok()) << writers.status();
  // Another store, so another file and library image, with its own call counter.
  EXPECT_EQ(Text(Call(**writers, "w.count", R"({"n":0})")), "calls=1");
}

TEST_F(PluginToolTest, BlankArgumentsAreAnEmptyObject) {
  EXPECT_EQ(Text(Call(*writers_, "w.good_output", "")), "good output");
}

TEST_F(PluginToolTest, AThrowingHandlerBecomesAToolErrorAndTheHostSurvives) {
  auto r = Call(*echo_, "fixture.throws", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->is_error);
  EXPECT_THAT(r->text, ElementsAre("tool 'fixture.throws' failed: boom"));
  EXPECT_EQ(Text(Call(*echo_, "fixture.echo", R"({"text":"ok"})")), "ok");
}

TEST_F(PluginToolTest, StructuredContentIsCheckedAgainstTheOutputSchema) {
  auto bad = Call(*writers_, "w.bad_output", "{}");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Message(bad),
            "tool 'w.bad_output' returned structuredContent that violates its outputSchema: /ok: expected boolean, "
            "got string \"yes\": fix the tool or its outputSchema");
  EXPECT_TRUE(Call(*writers_, "w.good_output", "{}").ok());

  PluginHostOptions options;
  options.validate_output = false;
  TestHost lenient(options);
  auto writers = lenient.host->Load(EDGE_FIXTURE_WRITERS);
  ASSERT_TRUE(writers.ok());
  EXPECT_TRUE(Call(**writers, "w.bad_output", "{}").ok());
}

TEST_F(PluginToolTest, AnEmptyResultIsAHostLevelError) {
  auto r = Call(*writers_, "w.empty", "{}");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(Message(r), HasSubstr("tool 'w.empty' returned EDGE_STATUS_OK without writing a result: write at least "
                                    "one text item or structuredContent"));
}

TEST_F(PluginToolTest, FailureStatusesQuoteTheSetErrorMessage) {
  auto failed = Call(*writers_, "w.fail", "{}");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(Message(failed), "tool 'w.fail' failed with EDGE_STATUS_INTERNAL: disk on fire");
  auto cancelled = Call(*writers_, "w.cancel", "{}");
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(Message(cancelled), "tool 'w.cancel' stopped because the call was cancelled: stopped at row 7");
}

TEST(EdgeStatusNameTest, NamesKnownAndUnknownCodes) {
  EXPECT_EQ(plugins::EdgeStatusName(EDGE_STATUS_BAD_STATE), "EDGE_STATUS_BAD_STATE");
  EXPECT_EQ(plugins::EdgeStatusName(42), "status 42");
}

}  // namespace
}  // namespace edge::runtime
