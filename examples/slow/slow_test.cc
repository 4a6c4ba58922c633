// Tests for the slow example: progress and cancellation through FakeHost (slow.cc is compiled into this
// test), then timeouts, cancellation and serialization of the non-concurrent tool through the real executor.
#include <edge/testing.hpp>
#include <string>

namespace {

using ::edge::testing::CallOptions;
using ::edge::testing::CallReport;
using ::edge::testing::FakeCallOptions;
using ::edge::testing::FakeHost;
using ::edge::testing::IsHostError;
using ::edge::testing::PluginUnderTest;
using ::edge::testing::StructuredOf;

TEST(SlowFakeHostTest, ReportsProgressAfterEveryStep) {
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  edge::testing::FakeCallResult r = host.Invoke("slow.count", R"({"steps":4,"step_ms":0})");
  ASSERT_TOOL_OK(r);
  ASSERT_EQ(r.progress.size(), 4u);
  for (size_t i = 0; i < r.progress.size(); ++i) {
    EXPECT_EQ(r.progress[i].progress, static_cast<double>(i + 1));
    EXPECT_EQ(r.progress[i].total, 4.0);
    EXPECT_EQ(r.progress[i].message, "step " + std::to_string(i + 1) + " of 4");
  }
  rapidjson::Document out = StructuredOf(r);
  EXPECT_EQ(out["steps"].GetInt64(), 4);
  EXPECT_EQ(out["peakConcurrent"].GetInt64(), 1);
}

TEST(SlowFakeHostTest, StopsAtTheFirstCheckAfterCancellation) {
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  FakeCallOptions options;
  options.cancel_after_progress = 2;
  edge::testing::FakeCallResult r = host.Invoke("slow.count", R"({"steps":1000,"step_ms":1})", options);
  EXPECT_THAT(r, IsHostError(absl::StatusCode::kCancelled));
  EXPECT_EQ(r.progress.size(), 2u) << "no step may run after the cancellation is visible";
  EXPECT_THAT(r.error, ::testing::HasSubstr("cancelled"));
}

TEST(SlowFakeHostTest, DeclaresOnlyTheExclusiveToolNonConcurrent) {
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  EXPECT_NE(host.Descriptor("slow.count")->flags & EDGE_TOOL_FLAG_CONCURRENT, 0u);
  EXPECT_EQ(host.Descriptor("slow.exclusive")->flags & EDGE_TOOL_FLAG_CONCURRENT, 0u);
}

class SlowRealHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    plugin_ = *std::move(loaded);
  }
  std::unique_ptr<PluginUnderTest> plugin_;
};

TEST_F(SlowRealHostTest, ProgressReachesTheCaller) {
  CallReport r = plugin_->Call("slow.count", R"({"steps":5,"step_ms":1})");
  ASSERT_TOOL_OK(r);
  ASSERT_EQ(r.progress.size(), 5u);
  EXPECT_EQ(r.progress.back().progress, 5.0);
  EXPECT_EQ(r.progress.back().message, "step 5 of 5");
}

TEST_F(SlowRealHostTest, CancellationStopsALongCallPromptly) {
  CallOptions options;
  options.cancel_after_progress = 3;
  CallReport r = plugin_->Call("slow.count", R"({"steps":100000,"step_ms":20})", options);
  EXPECT_THAT(r, IsHostError(absl::StatusCode::kCancelled));
  EXPECT_GE(r.progress.size(), 3u);
  EXPECT_LT(r.elapsed, absl::Seconds(5)) << "the whole call would take more than half an hour";
  // The plugin must really stop, not just be abandoned: the executor drains to zero running calls.
  EXPECT_TRUE(plugin_->executor().Drain(absl::Seconds(5)).ok());
}

TEST_F(SlowRealHostTest, InactivityTimeoutStopsAStepThatNeverReportsProgress) {
  CallOptions options;
  options.inactivity_timeout = absl::Milliseconds(100);
  CallReport r = plugin_->Call("slow.count", R"({"steps":1,"step_ms":60000})", options);
  EXPECT_THAT(r, IsHostError(absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(r.elapsed, absl::Seconds(5));
  EXPECT_TRUE(plugin_->executor().Drain(absl::Seconds(5)).ok()) << "the plugin saw the timeout and returned";
}

TEST_F(SlowRealHostTest, ConcurrentToolOverlapsButExclusiveToolIsSerialized) {
  // A long call of each tool, then a short one started while it runs.
  auto long_count = plugin_->Start("slow.count", R"({"steps":100000,"step_ms":10})");
  ASSERT_TRUE(long_count->WaitForProgress(1));
  CallReport short_count = plugin_->Call("slow.count", R"({"steps":2,"step_ms":1})");
  ASSERT_TOOL_OK(short_count);
  EXPECT_EQ(StructuredOf(short_count)["peakConcurrent"].GetInt64(), 2) << "both slow.count calls ran at once";
  long_count->Cancel();

  auto long_exclusive = plugin_->Start("slow.exclusive", R"({"steps":100000,"step_ms":10})");
  ASSERT_TRUE(long_exclusive->WaitForProgress(1));
  auto short_exclusive = plugin_->Start("slow.exclusive", R"({"steps":2,"step_ms":1})");
  EXPECT_FALSE(short_exclusive->WaitForProgress(1, absl::Milliseconds(200)))
      << "the second slow.exclusive call must wait for the first";
  EXPECT_TRUE(long_exclusive->Cancel());
  CallReport second = short_exclusive->Wait();
  ASSERT_TOOL_OK(second);
  EXPECT_EQ(StructuredOf(second)["peakConcurrent"].GetInt64(), 1);
  EXPECT_THAT(long_exclusive->Wait(), IsHostError(absl::StatusCode::kCancelled));
}

}  // namespace
