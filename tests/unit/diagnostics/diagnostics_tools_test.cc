// Tests for runtime/src/diagnostics: each built-in tool answers within its own schemas.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "absl/time/clock.h"
#include "edge/runtime/diagnostics.h"
#include "plugins/schema.h"

namespace edge::runtime {
namespace {

using ::testing::HasSubstr;

class DiagnosticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tools_ = BuiltinDiagnosticsTools([this] { return status_json_; });
    auto registry = ToolRegistry::Create(tools_);
    ASSERT_TRUE(registry.ok()) << registry.status();
    registry_ = *registry;
  }

  absl::StatusOr<ToolResult> Call(std::string_view tool, std::string_view args) {
    std::shared_ptr<const Tool> t = registry_->Find(tool);
    if (t == nullptr) return absl::NotFoundError("no such builtin");
    SimpleCallControl control;
    return t->Invoke(args, CallContext{}, control);
  }

  // Checks a successful result against the tool's own outputSchema, independently of the tool.
  rapidjson::Document CheckedStructured(std::string_view tool, const absl::StatusOr<ToolResult>& r) {
    rapidjson::Document doc;
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return doc;
    EXPECT_FALSE(r->is_error);
    EXPECT_FALSE(r->text.empty());
    EXPECT_TRUE(r->structured_json.has_value());
    if (!r->structured_json) return doc;
    EXPECT_TRUE(plugins::ParseJson(*r->structured_json, doc).ok());
    auto schema = plugins::JsonSchema::Compile(registry_->Find(tool)->descriptor().output_schema);
    EXPECT_TRUE(schema.ok()) << schema.status();
    if (schema.ok()) {
      std::optional<plugins::SchemaViolation> v = (*schema)->Check(doc);
      EXPECT_FALSE(v.has_value()) << tool << ": " << v->ToString() << " in " << *r->structured_json;
    }
    return doc;
  }

  std::string status_json_ = R"({"tools":3,"callsInFlight":0})";
  std::vector<std::shared_ptr<const Tool>> tools_;
  std::shared_ptr<const ToolRegistry> registry_;
};

TEST_F(DiagnosticsTest, ProvidesThreeReadOnlyBuiltins) {
  ASSERT_EQ(tools_.size(), 3u);
  for (const auto& t : tools_) {
    const ToolDescriptor& d = t->descriptor();
    EXPECT_EQ(t->source(), "builtin");
    EXPECT_EQ(d.read_only_hint, std::optional<bool>(true)) << d.name;
    EXPECT_EQ(d.idempotent_hint, std::optional<bool>(true)) << d.name;
    EXPECT_EQ(d.destructive_hint, std::optional<bool>(false)) << d.name;
    EXPECT_FALSE(d.description.empty());
    EXPECT_FALSE(d.output_schema.empty());
    for (const auto& example : d.examples) EXPECT_TRUE(Call(d.name, example).ok()) << d.name << " " << example;
  }
}

TEST_F(DiagnosticsTest, PingEchoesTheMessageWithTheTime) {
  const int64_t before = absl::ToUnixMillis(absl::Now());
  auto r = Call("edge.ping", R"({"message":"hello"})");
  rapidjson::Document doc = CheckedStructured("edge.ping", r);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["message"].GetString(), "hello");
  EXPECT_GE(doc["unixTimeMs"].GetInt64(), before);
  EXPECT_EQ(r->text.front(), "pong: hello");
  CheckedStructured("edge.ping", Call("edge.ping", ""));
}

TEST_F(DiagnosticsTest, PingValidatesItsArguments) {
  auto r = Call("edge.ping", R"({"msg":"typo"})");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(r.status().message()),
            "invalid params for tool 'edge.ping': /msg: property is not allowed by the schema (unknown property)");
  EXPECT_THAT(std::string(Call("edge.ping", R"({"message":7})").status().message()),
              HasSubstr("/message: expected string, got integer 7"));
}

TEST_F(DiagnosticsTest, SystemInfoDescribesThisMachine) {
  rapidjson::Document doc = CheckedStructured("edge.system_info", Call("edge.system_info", "{}"));
  ASSERT_TRUE(doc.IsObject());
  EXPECT_GT(doc["hostname"].GetStringLength(), 0u);
  EXPECT_STREQ(doc["os"]["sysname"].GetString(), "Linux");
  EXPECT_GE(doc["cpuCount"].GetInt(), 1);
  EXPECT_GT(doc["memory"]["totalBytes"].GetUint64(), 0u);
}

TEST_F(DiagnosticsTest, RuntimeStatusReturnsTheProvidersJson) {
  auto r = Call("edge.runtime_status", "{}");
  CheckedStructured("edge.runtime_status", r);
  EXPECT_EQ(r->structured_json, std::optional<std::string>(status_json_));

  status_json_ = "[1]";
  auto bad = Call("edge.runtime_status", "{}");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("the runtime status provider returned JSON that is not an object"));
}

TEST(DiagnosticsWithoutProviderTest, RuntimeStatusSaysItIsUnknown) {
  auto tools = BuiltinDiagnosticsTools(nullptr);
  auto registry = ToolRegistry::Create(tools);
  ASSERT_TRUE(registry.ok());
  SimpleCallControl control;
  auto r = (*registry)->Find("edge.runtime_status")->Invoke("{}", CallContext{}, control);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(*r->structured_json, HasSubstr("no runtime status provider is configured"));
}

}  // namespace
}  // namespace edge::runtime
