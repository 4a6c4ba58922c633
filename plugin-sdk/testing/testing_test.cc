// Tests for the author testing API itself: FakeHost's side of the host contract, and the matchers' verdicts
// and messages. The plugin under test is defined here, so FakeHost drives it without dlopen.
#include <edge/sdk.hpp>
#include <edge/testing.hpp>
#include <string>

EDGE_PLUGIN("testing_probe", "0.1.0") {
  if (plugin.config().value().HasMember("fail")) throw std::runtime_error("asked to fail: remove 'fail' from the config");
  plugin.info("probe initialised");
  plugin.tool("probe.context")
      .description("Returns what the plugin sees of its call.")
      .handler([](const edge::Args&, edge::Context& ctx) {
        ctx.warn("a warning from the call");
        edge::Json out = edge::Json::object();
        out.set("callId", ctx.call_id()).set("tool", ctx.tool_name()).set("userId", ctx.user_id());
        out.set("remainingMs", ctx.remaining() ? static_cast<int64_t>(ctx.remaining()->count()) : -1);
        return edge::Result::structured(out);
      });
  plugin.tool("probe.text")
      .description("Returns `n` bytes of text.")
      .handler([](const edge::Args& args, edge::Context&) {
        return edge::Result::text(std::string(args.get<size_t>("n"), 'x'));
      });
  plugin.tool("probe.array")
      .description("Sets structured content that is not an object (a host must refuse it).")
      .handler([](const edge::Args&, edge::Context&) { return edge::Result::structured(edge::Json::array().push(1)); });
  plugin.tool("probe.fail")
      .description("Fails with a tool error.")
      .handler([](const edge::Args&, edge::Context&) -> edge::Result { throw edge::ToolError("no such file: x"); });
}

namespace {

using ::edge::testing::FakeCallOptions;
using ::edge::testing::FakeCallResult;
using ::edge::testing::FakeHost;
using ::edge::testing::HasText;
using ::edge::testing::IsHostError;
using ::edge::testing::IsToolError;
using ::edge::testing::IsToolOk;
using ::edge::testing::StructuredOf;
using ::testing::HasSubstr;

class FakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(host_.Init(), EDGE_STATUS_OK) << host_.init_error(); }
  FakeHost host_{&edge_plugin_negotiate};
};

TEST_F(FakeHostTest, PassesTheCallContextAndDeadline) {
  FakeCallOptions options;
  options.call_id = "c-42";
  options.user_id = "u-7";
  options.deadline_remaining_ms = 1500;
  FakeCallResult r = host_.Invoke("probe.context", "{}", options);
  ASSERT_TOOL_OK(r);
  rapidjson::Document out = StructuredOf(r);
  EXPECT_STREQ(out["callId"].GetString(), "c-42");
  EXPECT_STREQ(out["tool"].GetString(), "probe.context");
  EXPECT_STREQ(out["userId"].GetString(), "u-7");
  EXPECT_EQ(out["remainingMs"].GetInt64(), 1500);
  EXPECT_EQ(StructuredOf(host_.Invoke("probe.context", "{}"))["remainingMs"].GetInt64(), -1);
}

TEST_F(FakeHostTest, RecordsLogsAtOrAboveTheLevel) {
  ASSERT_EQ(host_.logs().size(), 1u);
  EXPECT_EQ(host_.logs()[0].message, "probe initialised");
  EXPECT_EQ(host_.logs()[0].level, EDGE_LOG_INFO);
  host_.set_log_level(EDGE_LOG_ERROR);
  ASSERT_TOOL_OK(host_.Invoke("probe.context", "{}"));
  EXPECT_EQ(host_.logs().size(), 1u) << "the warning is below the level";
  host_.set_log_level(EDGE_LOG_WARN);
  ASSERT_TOOL_OK(host_.Invoke("probe.context", "{}"));
  ASSERT_EQ(host_.logs().size(), 2u);
  EXPECT_EQ(host_.logs()[1].message, "a warning from the call");
}

TEST_F(FakeHostTest, EnforcesTheHostSideOfTheResultContract) {
  EXPECT_THAT(host_.Invoke("probe.array", "{}"), IsHostError(absl::StatusCode::kInvalidArgument, HasSubstr("refused")));
  FakeCallOptions small;
  small.max_result_bytes = 10;
  EXPECT_THAT(host_.Invoke("probe.text", R"({"n":11})", small), IsHostError(absl::StatusCode::kInternal));
  EXPECT_THAT(host_.Invoke("probe.text", R"({"n":10})", small), HasText("xxxxxxxxxx"));
  EXPECT_THAT(host_.Invoke("no.such.tool", "{}"), IsHostError(absl::StatusCode::kNotFound, HasSubstr("no.such.tool")));
}

TEST(FakeHostInitTest, ReportsTheInitFailureMessage) {
  FakeHost host(&edge_plugin_negotiate);
  EXPECT_EQ(host.Init(R"({"fail":true})"), EDGE_STATUS_INIT_FAILED);
  EXPECT_EQ(host.init_error(), "asked to fail: remove 'fail' from the config");
  EXPECT_FALSE(host.initialized());
  EXPECT_THAT(host.Invoke("probe.text", R"({"n":1})"), IsHostError(absl::StatusCode::kNotFound, HasSubstr("Init")));
}

TEST_F(FakeHostTest, MatchersGiveVerdictsAndShortExplanations) {
  FakeCallResult ok = host_.Invoke("probe.text", R"({"n":2})");
  FakeCallResult tool_error = host_.Invoke("probe.fail", "{}");
  EXPECT_THAT(ok, IsToolOk());
  EXPECT_THAT(tool_error, IsToolError(HasSubstr("no such file: x")));
  EXPECT_THAT(tool_error, ::testing::Not(IsToolOk()));
  EXPECT_THAT(ok, ::testing::Not(IsToolError()));

  ::testing::StringMatchResultListener listener;
  EXPECT_FALSE(::testing::ExplainMatchResult(IsToolOk(), tool_error, &listener));
  EXPECT_EQ(listener.str(), "which is a tool error");
  EXPECT_EQ(::testing::DescribeMatcher<FakeCallResult>(IsHostError(absl::StatusCode::kCancelled)),
            "is a host-level failure CANCELLED whose message is anything");
}

}  // namespace
