// Tests for runtime/src/plugins/schema.cc: schema compilation errors and violation messages.
#include "plugins/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace edge::runtime::plugins {
namespace {

using ::testing::HasSubstr;

constexpr char kEchoSchema[] = R"({"type":"object","properties":{"text":{"type":"string","minLength":1},)"
                               R"("repeat":{"type":"integer","minimum":1,"maximum":10},)"
                               R"("mode":{"enum":["loud","quiet"]},)"
                               R"("tags":{"type":"array","items":{"type":"string"}},)"
                               R"("a/b":{"type":"boolean"}},)"
                               R"("required":["text"],"additionalProperties":false})";

std::shared_ptr<const JsonSchema> Compiled(const char* json) {
  auto schema = JsonSchema::Compile(json);
  EXPECT_TRUE(schema.ok()) << schema.status();
  return schema.ok() ? *schema : nullptr;
}

// The InvalidArgument message for `args` against kEchoSchema.
std::string Violation(const char* args) {
  auto schema = Compiled(kEchoSchema);
  rapidjson::Document doc;
  absl::Status s = ParseAndValidateArguments("echo", args, schema.get(), doc);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << args;
  return std::string(s.message());
}

TEST(SchemaTest, CompileRejectsBrokenSchemas) {
  EXPECT_THAT(std::string(JsonSchema::Compile(R"({"type":)").status().message()), HasSubstr("is not valid JSON: "));
  EXPECT_THAT(std::string(JsonSchema::Compile("[1]").status().message()),
              HasSubstr("must be a JSON object (a JSON Schema), not array"));
  EXPECT_THAT(
      std::string(
          JsonSchema::Compile(R"({"type":"object","properties":{"a":{"type":"nonsense"}}})").status().message()),
      HasSubstr("is not a valid JSON Schema (draft 7): Unrecognised JSON type name 'nonsense'"));
  EXPECT_THAT(std::string(JsonSchema::Compile(R"({"minimum":"one"})").status().message()),
              HasSubstr("is not a valid JSON Schema"));
  EXPECT_EQ(Compiled(kEchoSchema)->root_type(), "object");
}

TEST(SchemaTest, CompileRefusesRefCyclesThatWouldRecurseForever) {
  // Found by tests/fuzz/schema_fuzz.cc: these used to crash the host inside valijson's parser.
  for (const char* schema : {R"({"$ref":"#"})",
                             R"({"definitions":{"x":{"$ref":"#/definitions/y"},"y":{"$ref":"#/definitions/x"}},)"
                             R"("$ref":"#/definitions/x"})"}) {
    auto compiled = JsonSchema::Compile(schema);
    ASSERT_FALSE(compiled.ok()) << schema;
    EXPECT_THAT(std::string(compiled.status().message()), HasSubstr("$ref cycle")) << schema;
  }
  // Recursion through real structure stays allowed.
  auto tree = Compiled(R"({"type":"object","properties":{"children":{"type":"array","items":{"$ref":"#"}}}})");
  ASSERT_NE(tree, nullptr);
  rapidjson::Document doc;
  doc.Parse(R"({"children":[{"children":[]},{"children":[{"children":"no"}]}]})");
  auto violation = tree->Check(doc);
  ASSERT_TRUE(violation.has_value());
  EXPECT_EQ(violation->pointer, "/children/1/children/0/children");
}

TEST(SchemaTest, RefusesDocumentsNestedTooDeep) {
  std::string deep_schema;
  for (int i = 0; i < 200; ++i) deep_schema += R"({"items":)";
  deep_schema += "{}" + std::string(200, '}');
  auto compiled = JsonSchema::Compile(deep_schema);
  ASSERT_FALSE(compiled.ok());
  EXPECT_THAT(std::string(compiled.status().message()), HasSubstr("nests deeper than 128 levels"));

  auto schema = Compiled(kEchoSchema);
  rapidjson::Document parsed;
  std::string deep_args = R"({"text":"x","tags":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  absl::Status s = ParseAndValidateArguments("echo", deep_args, schema.get(), parsed);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("arguments nest deeper than 128 levels"));
}

TEST(SchemaTest, ViolationsNameTheFieldAndTheReason) {
  EXPECT_EQ(Violation(R"({"text":"x","repeat":0})"),
            "invalid params for tool 'echo': /repeat: value 0 is less than minimum 1");
  EXPECT_EQ(Violation(R"({"text":"x","repeat":11})"),
            "invalid params for tool 'echo': /repeat: value 11 is greater than maximum 10");
  EXPECT_EQ(Violation(R"({"text":5})"), "invalid params for tool 'echo': /text: expected string, got integer 5");
  EXPECT_EQ(Violation(R"({})"), "invalid params for tool 'echo': /text: required property is missing");
  EXPECT_EQ(Violation(R"({"text":"x","extra":1})"),
            "invalid params for tool 'echo': /extra: property is not allowed by the schema (unknown property)");
  EXPECT_EQ(
      Violation(R"({"text":"x","mode":"shout"})"),
      R"(invalid params for tool 'echo': /mode: value "shout" is not one of the allowed values ["loud","quiet"])");
  EXPECT_EQ(Violation(R"({"text":"x","tags":["a",2]})"),
            "invalid params for tool 'echo': /tags/1: expected string, got integer 2");
  EXPECT_EQ(Violation(R"({"text":"x","a/b":"no"})"),
            R"(invalid params for tool 'echo': /a~1b: expected boolean, got string "no")");
  EXPECT_THAT(Violation(R"({"text":""})"), HasSubstr("/text: string should be no fewer than 1 characters"));
}

TEST(SchemaTest, ArgumentsMustBeAJsonObject) {
  EXPECT_EQ(Violation("[1,2]"),
            "invalid params for tool 'echo': arguments must be a JSON object, got array: pass named arguments as "
            "{\"name\": value}");
  EXPECT_THAT(Violation(R"({"text":)"), HasSubstr("invalid params for tool 'echo': arguments are not valid JSON: "));
  EXPECT_THAT(Violation(R"({"text":"a"} trailing)"), HasSubstr("arguments are not valid JSON"));
}

// Encoding is checked by the SIMD validator before RapidJSON parses without its own check: invalid UTF-8
// must still be refused, inside strings and out, and the message must still say where.
TEST(SchemaTest, InvalidUtf8IsRefusedWithItsOffset) {
  EXPECT_THAT(Violation("{\"text\":\"ab\xc3\x28\"}"),
              HasSubstr("arguments are not valid JSON: Invalid encoding in string. at offset 11"));
  EXPECT_THAT(Violation("{\"text\":\"\xed\xa0\x80\"}"), HasSubstr("arguments are not valid JSON"));  // surrogate
  EXPECT_THAT(Violation("{\"te\xffxt\":\"a\"}"), HasSubstr("arguments are not valid JSON"));  // in a key
  rapidjson::Document doc;
  EXPECT_FALSE(ParseJson("{\"a\":\"\xc0\xaf\"}", doc).ok());  // overlong
  EXPECT_TRUE(ParseJson("{\"a\":\"gr\xc3\xbc\xc3\x9f\"}", doc).ok());
  EXPECT_EQ(std::string(doc["a"].GetString()), "gr\xc3\xbc\xc3\x9f");
}

TEST(SchemaTest, JsonObjectTextNeedsAnObjectOfValidUtf8) {
  EXPECT_TRUE(IsJsonObjectText(R"( {"a":[1,{"b":"\u00fc"}]} )"));
  EXPECT_TRUE(IsJsonObjectText("{\"a\":\"\xf0\x9f\x98\x80\"}"));
  EXPECT_FALSE(IsJsonObjectText("{\"a\":\"\xf0\x9f\x98\"}"));  // truncated sequence
  EXPECT_FALSE(IsJsonObjectText("{\"a\":\"\xed\xa0\x80\"}"));  // surrogate
  EXPECT_FALSE(IsJsonObjectText("[1]"));
  EXPECT_FALSE(IsJsonObjectText(R"({"a":1)"));
  EXPECT_FALSE(IsJsonObjectText(R"({"a":1} x)"));
}

// ValidateArguments settles most calls on simdjson's quick parse: its verdicts and messages must be
// ParseAndValidateArguments' for every kind of input, with or without a schema, near the nesting limit too.
TEST(SchemaTest, ValidateArgumentsAgreesWithTheFullParse) {
  auto nested = [](int levels) {  // an object whose innermost value sits `levels` deep
    std::string text;
    for (int i = 1; i < levels; ++i) text += i == 1 ? "{\"a\":" : "[";
    text += "1";
    for (int i = 1; i < levels; ++i) text += i == 1 ? "}" : "]";
    return text;
  };
  const std::vector<std::string> inputs = {
      R"({"text":"a"})", R"({"text":"héllo","repeat":10,"mode":"loud","tags":["x"],"a/b":true})",
      R"({"text":"a","repeat":0})", R"({"text":"a","repeat":1.0})", R"({"text":""})", R"({"repeat":1})",
      R"({"text":"a","extra":1})", R"({"text":"a","text":"b"})", R"({"text":"a","repeat":18446744073709551616})",
      "", "  ", "{}", "[1]", "7", R"({"text":)", "{\"text\":\"\xff\"}", R"({"text":"a"} x)", nested(127),
      nested(128), nested(129), nested(300)};
  auto schema = Compiled(kEchoSchema);
  for (const JsonSchema* s : {schema.get(), static_cast<const JsonSchema*>(nullptr)}) {
    for (const std::string& input : inputs) {
      rapidjson::Document doc;
      const absl::Status full = ParseAndValidateArguments("echo", input, s, doc);
      const absl::Status quick = ValidateArguments("echo", input, s);
      EXPECT_EQ(quick, full) << (s ? "with" : "without") << " a schema: " << input.substr(0, 80);
    }
  }
}

TEST(SchemaTest, BlankArgumentsCountAsAnEmptyObject) {
  auto schema = Compiled(R"({"type":"object"})");
  rapidjson::Document doc;
  EXPECT_TRUE(ParseAndValidateArguments("t", "", schema.get(), doc).ok());
  EXPECT_TRUE(doc.IsObject());
  EXPECT_TRUE(ParseAndValidateArguments("t", "  \n", schema.get(), doc).ok());
}

TEST(SchemaTest, InvalidParamsCarryTheFieldAsPayload) {
  auto schema = Compiled(kEchoSchema);
  rapidjson::Document doc;
  absl::Status s = ParseAndValidateArguments("echo", R"({"text":"x","repeat":0})", schema.get(), doc);
  auto field = s.GetPayload(kInvalidParamsFieldPayload);
  ASSERT_TRUE(field.has_value());
  EXPECT_EQ(std::string(*field), "/repeat");
}

TEST(SchemaTest, CheckIsSafeFromManyThreads) {
  auto schema = Compiled(kEchoSchema);
  rapidjson::Document good, bad;
  good.Parse(R"({"text":"x","repeat":2})");
  bad.Parse(R"({"text":"x","repeat":0})");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (schema->Check(good).has_value() || !schema->Check(bad).has_value()) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(SchemaTest, ValueAtPointerFollowsJsonPointers) {
  rapidjson::Document doc;
  doc.Parse(R"({"a":{"b":[10,20]},"x/y":1})");
  ASSERT_NE(ValueAtPointer(doc, "/a/b/1"), nullptr);
  EXPECT_EQ(ValueAtPointer(doc, "/a/b/1")->GetInt(), 20);
  EXPECT_EQ(ValueAtPointer(doc, "/x~1y")->GetInt(), 1);
  EXPECT_EQ(ValueAtPointer(doc, "/missing"), nullptr);
  EXPECT_EQ(ValueAtPointer(doc, ""), &doc);
}

}  // namespace
}  // namespace edge::runtime::plugins
