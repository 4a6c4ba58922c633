// Tests for runtime/src/common/tool.cc: result/descriptor JSON, registry uniqueness, catalog swaps.
#include "edge/runtime/tool.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace edge::runtime {
namespace {

class NamedTool : public Tool {
 public:
  NamedTool(std::string name, std::string source) : source_(std::move(source)) { desc_.name = std::move(name); }
  const ToolDescriptor& descriptor() const override { return desc_; }
  std::string source() const override { return source_; }
  absl::StatusOr<ToolResult> Invoke(std::string_view, const CallContext&, CallControl&) const override {
    return ToolResult{};
  }

 private:
  ToolDescriptor desc_;
  std::string source_;
};

TEST(ToolResultTest, SerializesMcpShapeWithEscaping) {
  ToolResult r;
  r.text = {"line \"one\"\n\ttab\x01"};
  r.structured_json = R"({"n":1})";
  r.is_error = true;
  rapidjson::Document d;
  d.Parse(r.ToJson().c_str());
  ASSERT_FALSE(d.HasParseError()) << r.ToJson();
  ASSERT_EQ(d["content"].Size(), 1u);
  EXPECT_STREQ(d["content"][0]["type"].GetString(), "text");
  EXPECT_EQ(std::string(d["content"][0]["text"].GetString(), d["content"][0]["text"].GetStringLength()),
            "line \"one\"\n\ttab\x01");
  EXPECT_EQ(d["structuredContent"]["n"].GetInt(), 1);
  EXPECT_TRUE(d["isError"].GetBool());
}

TEST(ToolDescriptorTest, SerializesAnnotationsOnlyWhenSet) {
  ToolDescriptor t;
  t.name = "x";
  t.description = "d";
  t.input_schema = R"({"type":"object"})";
  t.read_only_hint = true;
  rapidjson::Document d;
  d.Parse(t.ToJson().c_str());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_TRUE(d["annotations"]["readOnlyHint"].GetBool());
  EXPECT_FALSE(d["annotations"].HasMember("destructiveHint"));
  EXPECT_FALSE(d.HasMember("outputSchema"));
  EXPECT_STREQ(d["inputSchema"]["type"].GetString(), "object");
}

TEST(ToolRegistryTest, RejectsDuplicateNamesNamingBothSources) {
  auto r = ToolRegistry::Create({std::make_shared<NamedTool>("a", "plugin one"), std::make_shared<NamedTool>("a", "plugin two")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(r.status().message().find("plugin one"), absl::string_view::npos);
  EXPECT_NE(r.status().message().find("plugin two"), absl::string_view::npos);
}

TEST(ToolCatalogTest, PublishSwapsWhileOldSnapshotStaysUsable) {
  ToolCatalog catalog;
  auto v1 = *ToolRegistry::Create({std::make_shared<NamedTool>("a", "v1")});
  catalog.Publish(v1);
  auto held = catalog.Current();
  catalog.Publish(*ToolRegistry::Create({std::make_shared<NamedTool>("b", "v2")}));
  EXPECT_EQ(catalog.generation(), 2u);
  EXPECT_NE(held->Find("a"), nullptr);
  EXPECT_EQ(catalog.Current()->Find("a"), nullptr);
  EXPECT_NE(catalog.Current()->Find("b"), nullptr);
}

}  // namespace
}  // namespace edge::runtime
