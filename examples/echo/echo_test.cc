// Tests for the echo example: through FakeHost (echo.cc is compiled into this test) and through the real host.
#include <edge/testing.hpp>
#include <string>

namespace {

using ::edge::testing::FakeHost;
using ::edge::testing::HasText;
using ::edge::testing::IsHostError;
using ::edge::testing::PluginUnderTest;
using ::edge::testing::StructuredOf;
using ::testing::HasSubstr;

TEST(EchoFakeHostTest, EchoesTextAsTextAndStructuredContent) {
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  edge::testing::FakeCallResult r = host.Invoke("echo", R"({"text":"héllo \"world\""})");
  ASSERT_TOOL_OK(r);
  EXPECT_THAT(r, HasText("héllo \"world\""));
  EXPECT_STREQ(StructuredOf(r)["text"].GetString(), "héllo \"world\"");
}

TEST(EchoFakeHostTest, RepeatsText) {
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  EXPECT_THAT(host.Invoke("echo", R"({"text":"ab","repeat":3})"), HasText("ababab"));
}

TEST(EchoFakeHostTest, MissingTextIsAToolErrorNamingTheArgument) {
  // FakeHost skips schema validation, so this reaches the plugin and shows the SDK's own argument checks.
  FakeHost host(&edge_plugin_negotiate);
  ASSERT_EQ(host.Init(), EDGE_STATUS_OK) << host.init_error();
  EXPECT_THAT(host.Invoke("echo", "{}"), edge::testing::IsToolError(HasSubstr("missing required argument 'text'")));
}

TEST(EchoRealHostTest, EchoesThroughTheRuntime) {
  auto plugin = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_EQ((*plugin)->plugin().name(), "echo");
  EXPECT_THAT((*plugin)->ToolNames(), ::testing::ElementsAre("echo"));
  edge::testing::CallReport r = (*plugin)->Call("echo", R"({"text":"hi","repeat":2})");
  ASSERT_TOOL_OK(r);
  EXPECT_EQ(r.text(), "hihi");
  EXPECT_STREQ(StructuredOf(r)["text"].GetString(), "hihi");
}

TEST(EchoRealHostTest, TheHostRejectsArgumentsThatBreakTheSchema) {
  auto plugin = PluginUnderTest::Load(EDGE_PLUGIN_FILE);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  EXPECT_THAT((*plugin)->Call("echo", R"({"text":"x","repeat":0})"),
              IsHostError(absl::StatusCode::kInvalidArgument, HasSubstr("repeat")));
  EXPECT_THAT((*plugin)->Call("echo", "{}"), IsHostError(absl::StatusCode::kInvalidArgument, HasSubstr("text")));
  EXPECT_THAT((*plugin)->Call("no.such.tool", "{}"), IsHostError(absl::StatusCode::kNotFound));
}

}  // namespace
