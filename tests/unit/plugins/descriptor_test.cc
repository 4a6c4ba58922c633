// Tests for runtime/src/plugins/descriptor.cc: descriptor copying, and every descriptor refusal's message.
#include "plugins/descriptor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "plugin_test_util.h"

namespace edge::runtime {
namespace {

using ::testing::HasSubstr;
using testutil::TestHost;

#define S(lit) (edge_str{lit, sizeof(lit) - 1})

std::string LoadError(const char* fixture) {
  TestHost t;
  return std::string(t.host->Load(fixture).status().message());
}

edge_tool_descriptor_v1 Valid() {
  edge_tool_descriptor_v1 d{};
  d.struct_size = sizeof(d);
  d.flags = EDGE_TOOL_FLAG_CONCURRENT;
  d.name = S("t.ok");
  d.title = S("Title");
  d.description = S("does things");
  d.input_schema_json = S(R"({"type":"object","properties":{"n":{"type":"integer"}}})");
  d.read_only_hint = EDGE_HINT_TRUE;
  d.destructive_hint = EDGE_HINT_FALSE;
  d.default_timeout_ms = 2500;
  return d;
}

TEST(DescriptorTest, CopiesEveryField) {
  edge_tool_descriptor_v1 d = Valid();
  d.output_schema_json = S(R"({"type":"object"})");
  d.examples_json = S(R"([{"n":1},{}])");
  auto tool = plugins::CheckDescriptor("p", 3, &d);
  ASSERT_TRUE(tool.ok()) << tool.status();
  EXPECT_EQ(tool->index, 3u);
  const ToolDescriptor& out = tool->descriptor;
  EXPECT_EQ(out.name, "t.ok");
  EXPECT_EQ(out.title, "Title");
  EXPECT_EQ(out.description, "does things");
  EXPECT_EQ(out.output_schema, R"({"type":"object"})");
  EXPECT_EQ(out.examples, (std::vector<std::string>{R"({"n":1})", "{}"}));
  EXPECT_EQ(out.read_only_hint, std::optional<bool>(true));
  EXPECT_EQ(out.destructive_hint, std::optional<bool>(false));
  EXPECT_EQ(out.idempotent_hint, std::nullopt);
  EXPECT_EQ(out.default_timeout, absl::Milliseconds(2500));
  EXPECT_TRUE(out.concurrent);
  EXPECT_NE(tool->output_schema, nullptr);
}

TEST(DescriptorTest, RefusesMalformedFields) {
  auto error = [](edge_tool_descriptor_v1 d) {
    return std::string(plugins::CheckDescriptor("p", 0, &d).status().message());
  };
  edge_tool_descriptor_v1 d = Valid();
  d.title = edge_str{nullptr, 3};
  EXPECT_THAT(error(d), HasSubstr("plugin 'p' tool #0: title has a NULL pointer with length 3"));
  d = Valid();
  d.read_only_hint = 7;
  EXPECT_THAT(error(d), HasSubstr("plugin 'p' tool 't.ok' has read_only_hint = 7: use EDGE_HINT_UNSET"));
  d = Valid();
  d.output_schema_json = S(R"({"type":"string"})");
  EXPECT_THAT(error(d), HasSubstr("outputSchema must have \"type\":\"object\" at its root"));
  d = Valid();
  d.examples_json = S(R"({"n":1})");
  EXPECT_THAT(error(d), HasSubstr("examples must be a JSON array of argument objects"));
  d = Valid();
  d.examples_json = S(R"([1])");
  EXPECT_THAT(error(d), HasSubstr("example #0 is not a JSON object"));
  d = Valid();
  d.input_schema_json = edge_str{nullptr, 0};
  EXPECT_THAT(error(d), HasSubstr("has no inputSchema: declare one"));
  d = Valid();
  d.name = S("\xff");
  EXPECT_THAT(error(d), HasSubstr("name is not valid UTF-8"));
  std::string long_name(129, 'a');
  d = Valid();
  d.name = edge_str{long_name.data(), long_name.size()};
  EXPECT_THAT(error(d), HasSubstr("has an invalid name '"));
  EXPECT_THAT(std::string(plugins::CheckDescriptor("p", 1, nullptr).status().message()),
              HasSubstr("plugin 'p' tool #1: tool_at returned NULL"));
}

TEST(DescriptorTest, RefusesALargerDescriptorWithANonZeroTail) {
  const size_t known = sizeof(edge_tool_descriptor_v1);
  EXPECT_THAT(LoadError(EDGE_FIXTURE_DESC_TAIL_NONZERO),
              HasSubstr(absl::StrCat("plugin 'desc_tail_nonzero' tool #0: edge_tool_descriptor_v1 has struct_size ",
                                     known + 16, " > ", known, " known to this host and non-zero bytes beyond ", known,
                                     ": the plugin needs a newer host")));
}

TEST(DescriptorTest, AcceptsALargerDescriptorWithAZeroTail) {
  TestHost t;
  auto plugin = t.host->Load(EDGE_FIXTURE_DESC_TAIL_ZERO);
  ASSERT_TRUE(plugin.ok()) << plugin.status();
  ASSERT_EQ((*plugin)->tools().size(), 1u);
  EXPECT_EQ((*plugin)->tools()[0]->descriptor().name, "raw.ok");
}

TEST(DescriptorTest, RefusesAnInputSchemaWithAnUnknownType) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_SCHEMA_NONSENSE_TYPE),
              HasSubstr("plugin 'bad_descriptor' tool 'bad.tool': inputSchema is not a valid JSON Schema (draft 7): "
                        "Unrecognised JSON type name 'nonsense': fix the schema in the tool's descriptor"));
}

TEST(DescriptorTest, RefusesAnInputSchemaThatIsNotJson) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_SCHEMA_INVALID_JSON),
              HasSubstr("plugin 'bad_descriptor' tool 'bad.tool': inputSchema is not valid JSON: "));
}

TEST(DescriptorTest, RefusesDuplicateNamesWithinAPlugin) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_DUP_NAMES),
              HasSubstr("plugin 'bad_descriptor' declares tool 'bad.tool' twice (tools #0 and #1): tool names must "
                        "be unique"));
}

TEST(DescriptorTest, RefusesAnInvalidName) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_BAD_NAME),
              HasSubstr("plugin 'bad_descriptor' tool #0 has an invalid name 'bad name!': use 1 to 128 characters "
                        "from [A-Za-z0-9_.-]"));
}

TEST(DescriptorTest, RefusesAMissingDescription) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_NO_DESCRIPTION),
              HasSubstr("plugin 'bad_descriptor' tool 'bad.tool' has no description: describe what the tool does"));
}

TEST(DescriptorTest, RefusesAnInputSchemaWhoseRootIsNotAnObject) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_ROOT_NOT_OBJECT),
              HasSubstr("inputSchema must have \"type\":\"object\" at its root (MCP passes an object), found "
                        "\"type\":\"array\""));
}

TEST(DescriptorTest, RefusesAnExampleThatViolatesTheInputSchema) {
  EXPECT_THAT(LoadError(EDGE_FIXTURE_BAD_EXAMPLE),
              HasSubstr("tool 'bad.tool': example #0 does not match the inputSchema: /n: expected integer, got "
                        "string \"seven\": fix the example or the schema"));
}

TEST(DescriptorTest, DuplicateNamesAcrossPluginsAreRefusedByTheRegistry) {
  TestHost t;
  auto a = t.host->Load(EDGE_FIXTURE_ECHO_A);
  auto b = t.host->Load(EDGE_FIXTURE_ECHO_B);
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<std::shared_ptr<const Tool>> tools = (*a)->tools();
  tools.insert(tools.end(), (*b)->tools().begin(), (*b)->tools().end());
  auto registry = ToolRegistry::Create(tools);
  EXPECT_EQ(registry.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(registry.status().message()),
              HasSubstr(absl::StrCat("duplicate tool name 'fixture.echo': provided by echo_a 1.0.0 (",
                                     (*a)->path().string(), ") and by echo_b 1.0.0 (", (*b)->path().string(), ")")));
}

}  // namespace
}  // namespace edge::runtime
