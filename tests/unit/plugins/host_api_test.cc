// Tests for runtime/src/plugins/host_api.cc: the host API as a plugin sees it (through the writers fixture)
// and directly.
#include "plugins/host_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin_test_util.h"

namespace edge::runtime {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Call;
using testutil::TestHost;
using testutil::Text;

#define S(lit) (edge_str{lit, sizeof(lit) - 1})

// Records what reaches the CallControl; reports a fixed deadline.
class RecordingControl : public CallControl {
 public:
  bool IsCancelled() const override { return cancelled; }
  void OnProgress(const Progress& p) override { progress.push_back(p); }
  std::optional<absl::Duration> DeadlineRemaining() const override { return deadline; }
  void OnLog(int level, std::string_view message) override {
    logs.push_back(absl::StrCat(level, " ", ToAbsl(message)));
  }

  bool cancelled = false;
  std::optional<absl::Duration> deadline = absl::Seconds(5);
  std::vector<Progress> progress;
  std::vector<std::string> logs;
};

class HostApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = t_.host->Load(EDGE_FIXTURE_WRITERS);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    plugin_ = *loaded;
  }
  TestHost t_;
  std::shared_ptr<LoadedPlugin> plugin_;
};

TEST_F(HostApiTest, StructuredContentMustBeAJsonObject) {
  auto r = Call(*plugin_, "w.structured_array", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Text(r), "array=2 broken=2");  // EDGE_STATUS_INVALID_ARGUMENT for both
  EXPECT_FALSE(r->structured_json.has_value());
}

TEST_F(HostApiTest, ResultsBeyondTheSizeLimitAreRefusedAndNeverDelivered) {
  PluginHostOptions options;
  options.max_result_bytes = 100;
  TestHost small(options);
  auto plugin = small.host->Load(EDGE_FIXTURE_WRITERS);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  auto r = Call(**plugin, "w.big", "{}");  // writes 1000 bytes, then returns OK anyway
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("tool 'w.big' produced a result larger than the limit of 100 bytes (max_result_bytes): "
                        "return less data"));
  // The default limit lets the same result through, and the plugin saw OK for its write.
  EXPECT_EQ(Call(*plugin_, "w.big", "{}")->text.back(), "big=0");
}

TEST_F(HostApiTest, WritesAfterTheCallCompletedGetBadState) {
  auto stashed = Call(*plugin_, "w.stash", "{}");
  ASSERT_TRUE(stashed.ok()) << stashed.status();
  auto late = Call(*plugin_, "w.late", "{}");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(Text(late), "text=9 structured=9 is_error=9 progress=9 cancelled=1 deadline=0");
  EXPECT_THAT(stashed->text, ElementsAre("stashed"));  // the completed result is untouched
  EXPECT_TRUE(t_.log.Contains("set_error on a call that already completed (ignored): late error"));
}

TEST_F(HostApiTest, CallControlReachesTheExecutorsControl) {
  RecordingControl control;
  auto r = Call(*plugin_, "w.control", "{}", &control);
  ASSERT_TRUE(r.ok()) << r.status();
  // The capturing logger is at info: debug is off, warn on.
  EXPECT_EQ(Text(r), "progress=0 cancelled=0 deadline=5000 debug_enabled=0 warn_enabled=1");
  ASSERT_EQ(control.progress.size(), 1u);
  EXPECT_EQ(control.progress[0].progress, 1);
  EXPECT_EQ(control.progress[0].total, 2);
  EXPECT_EQ(control.progress[0].message, "half");
  EXPECT_THAT(control.logs, ElementsAre("3 writers_plugin.c:42: hello from the plugin"));
  EXPECT_TRUE(t_.log.Contains("WARN [plugin:writers] writers_plugin.c:42: hello from the plugin"));

  RecordingControl cancelled;
  cancelled.cancelled = true;
  cancelled.deadline = std::nullopt;
  EXPECT_THAT(Text(Call(*plugin_, "w.control", "{}", &cancelled)), HasSubstr("cancelled=1 deadline=-1"));
}

TEST_F(HostApiTest, WritersWorkFromAnotherThreadDuringTheCall) {
  auto r = Call(*plugin_, "w.threaded", "{}");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->text, ElementsAre("from another thread", "thread=0"));
}

TEST(HostCallTest, DirectUseFollowsTheContract) {
  const edge_host_api_v1* api = plugins::HostApiTable();
  EXPECT_EQ(api->struct_size, sizeof(edge_host_api_v1));
  EXPECT_EQ(api->abi_minor, static_cast<uint32_t>(EDGE_ABI_MINOR));
  plugins::HostContext host(nullptr, "direct");
  SimpleCallControl control;
  plugins::HostCall call(&host, &control, 12);
  EXPECT_EQ(api->result_add_text(call.handle(), S("hello")), EDGE_STATUS_OK);
  EXPECT_EQ(api->result_add_text(call.handle(), S("\xc3\x28")), EDGE_STATUS_INVALID_ARGUMENT);  // bad UTF-8
  EXPECT_EQ(api->result_add_text(call.handle(), edge_str{nullptr, 4}), EDGE_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(api->result_set_structured(call.handle(), S(R"({"a":1})")), EDGE_STATUS_OK);  // 5 + 7 = 12 bytes
  EXPECT_EQ(api->result_set_structured(call.handle(), S(R"({"a":12})")), EDGE_STATUS_RESULT_TOO_LARGE);
  EXPECT_EQ(api->result_set_structured(call.handle(), S(R"({"b":2})")), EDGE_STATUS_OK);  // replaces: still 12
  EXPECT_EQ(api->result_set_is_error(call.handle(), 1), EDGE_STATUS_OK);
  api->set_error(host.handle(), call.handle(), S("why"));
  api->set_error(host.handle(), nullptr, S("plugin-level"));
  EXPECT_EQ(api->report_progress(call.handle(), 1, 0, S("")), EDGE_STATUS_OK);
  call.Complete();
  EXPECT_EQ(api->result_add_text(call.handle(), S("x")), EDGE_STATUS_BAD_STATE);
  EXPECT_EQ(api->is_cancelled(call.handle()), 1);
  EXPECT_EQ(call.result().text, std::vector<std::string>{"hello"});
  EXPECT_EQ(call.result().structured_json, std::optional<std::string>(R"({"b":2})"));
  EXPECT_TRUE(call.result().is_error);
  EXPECT_TRUE(call.overflowed());
  EXPECT_EQ(call.error(), "why");
  EXPECT_EQ(host.TakeError(), "plugin-level");
  EXPECT_EQ(host.TakeError(), "");
  EXPECT_EQ(control.progress().size(), 1u);
  EXPECT_EQ(api->result_add_text(nullptr, S("x")), EDGE_STATUS_BAD_STATE);
}

// The thread running a call reaches it without the call table; a handle of another call, or of this call
// once it completed, still gets BAD_STATE on that path.
TEST(HostCallTest, TheRunningThreadsCallIsFoundWithoutTheTableAndStillEnds) {
  const edge_host_api_v1* api = plugins::HostApiTable();
  plugins::HostContext host(nullptr, "direct");
  SimpleCallControl control;
  plugins::HostCall earlier(&host, &control, 1024);
  earlier.Complete();
  plugins::HostCall call(&host, &control, 1024);
  {
    plugins::CurrentCallScope scope(&call);
    EXPECT_EQ(api->result_add_text(call.handle(), S("mine")), EDGE_STATUS_OK);
    EXPECT_EQ(api->result_add_text(earlier.handle(), S("stale")), EDGE_STATUS_BAD_STATE);
    call.Complete();
    EXPECT_EQ(api->result_add_text(call.handle(), S("late")), EDGE_STATUS_BAD_STATE);
  }
  EXPECT_EQ(call.result().text, std::vector<std::string>{"mine"});
  EXPECT_TRUE(earlier.result().text.empty());
}

}  // namespace
}  // namespace edge::runtime
