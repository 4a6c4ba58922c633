// Tests for runtime/src/plugins/simple_schema.cc: which schemas get the quick check, and that it never
// accepts what valijson rejects (compared on generated documents).
#include "plugins/simple_schema.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugins/schema.h"
#include "simdjson.h"

namespace edge::runtime::plugins {
namespace {

rapidjson::Document Parse(std::string_view json) {
  rapidjson::Document doc;
  absl::Status s = ParseJson(json, doc);
  EXPECT_TRUE(s.ok()) << s << ": " << json;
  return doc;
}

bool QuickAccepts(std::string_view schema_json, std::string_view value_json) {
  rapidjson::Document schema = Parse(schema_json);
  std::unique_ptr<const SimpleSchema> quick = SimpleSchema::From(schema);
  EXPECT_NE(quick, nullptr) << schema_json;
  return quick != nullptr && quick->Accepts(Parse(value_json));
}

constexpr char kToolSchema[] =
    R"({"$schema":"http://json-schema.org/draft-07/schema#","title":"t","type":"object",)"
    R"("properties":{"text":{"type":"string","minLength":1,"maxLength":5,"description":"d"},)"
    R"("repeat":{"type":"integer","minimum":1,"maximum":10,"default":1},)"
    R"("mode":{"enum":["loud","quiet"]},"tags":{"type":"array","items":{"type":"string"},"maxItems":2},)"
    R"("ratio":{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1},"a/b":{"type":["boolean","null"]}},)"
    R"("required":["text"],"additionalProperties":false})";

TEST(SimpleSchemaTest, TakesSchemasMadeOfTheCommonKeywords) {
  for (const char* schema : {kToolSchema, "{}", "true", R"({"type":"object"})",
                             R"({"properties":{"x":true,"y":false},"additionalProperties":{"type":"integer"}})",
                             R"({"type":"array","items":{"const":3},"minItems":1})",
                             R"({"minProperties":1,"maxProperties":2,"$comment":"c","examples":[{}]})"}) {
    rapidjson::Document doc = Parse(schema);
    EXPECT_NE(SimpleSchema::From(doc), nullptr) << schema;
  }
}

TEST(SimpleSchemaTest, LeavesOtherSchemasToValijson) {
  for (const char* schema : {R"({"$ref":"#/definitions/a","definitions":{"a":{}}})", R"({"pattern":"^a"})",
                             R"({"format":"date"})", R"({"allOf":[{}]})", R"({"items":[{"type":"string"}]})",
                             R"({"enum":[{"a":1}]})", R"({"const":[1]})", R"({"enum":[]})",
                             R"({"minimum":1,"exclusiveMinimum":true})", R"({"required":"x"})",
                             R"({"type":"any"})", R"({"type":[]})", R"({"minLength":-1})", R"({"minLength":1.5})",
                             R"({"properties":{"a":{"multipleOf":2}}})", R"({"items":{"uniqueItems":true}})",
                             R"({"properties":{"a":{},"a":{"type":"string"}}})", "[]", "1"}) {
    rapidjson::Document doc = Parse(schema);
    EXPECT_EQ(SimpleSchema::From(doc), nullptr) << schema;
  }
}

TEST(SimpleSchemaTest, AcceptsValidDocuments) {
  EXPECT_TRUE(QuickAccepts(kToolSchema, R"({"text":"héllo"})"));  // 5 characters, 6 bytes
  EXPECT_TRUE(QuickAccepts(kToolSchema, R"({"text":"a","repeat":1,"mode":"quiet","tags":["x","y"],)"
                                        R"("ratio":0.5,"a/b":null})"));
  EXPECT_TRUE(QuickAccepts(kToolSchema, R"({"text":"a","repeat":10,"a/b":true})"));
  EXPECT_TRUE(QuickAccepts(R"({"type":"number","minimum":-1})", "-1"));
  EXPECT_TRUE(QuickAccepts(R"({"type":"number"})", "7"));  // an integer is a number
  EXPECT_TRUE(QuickAccepts(R"({"type":"integer"})", "18446744073709551615"));
  EXPECT_TRUE(QuickAccepts(R"({"properties":{"x":true},"additionalProperties":{"type":"integer"}})",
                           R"({"x":[],"y":1})"));
  EXPECT_TRUE(QuickAccepts(R"({"minLength":2})", "3"));  // keywords only constrain their own type
}

TEST(SimpleSchemaTest, DeclinesInvalidOrUncertainDocuments) {
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"toolong"})"));
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"repeat":1})"));                   // required
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","extra":1})"));         // additionalProperties
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","repeat":11})"));       // maximum
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","ratio":1})"));         // exclusiveMaximum
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","mode":"LOUD"})"));     // enum
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","tags":["a",1]})"));    // items
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"({"text":"a","tags":["a","b","c"]})"));  // maxItems
  EXPECT_FALSE(QuickAccepts(kToolSchema, R"([])"));
  // Where valijson could judge differently, the quick check leaves the call to it.
  EXPECT_FALSE(QuickAccepts(R"({"type":"integer"})", "1.0"));
  EXPECT_FALSE(QuickAccepts(R"({"enum":[1]})", "1.0"));
  EXPECT_FALSE(QuickAccepts(R"({"minLength":3})", R"("a\u0000bc")"));  // valijson stops counting at NUL
  EXPECT_FALSE(QuickAccepts(R"({"properties":{"y":false}})", R"({"y":1})"));
}

TEST(SimpleSchemaTest, JsonSchemaUsesItForSimpleSchemasOnly) {
  auto simple = JsonSchema::Compile(kToolSchema);
  ASSERT_TRUE(simple.ok()) << simple.status();
  EXPECT_TRUE((*simple)->has_quick_check());
  auto complex = JsonSchema::Compile(R"({"type":"object","properties":{"a":{"pattern":"^x"}}})");
  ASSERT_TRUE(complex.ok()) << complex.status();
  EXPECT_FALSE((*complex)->has_quick_check());
  // The quick path settles valid documents only; a violation still gets valijson's explanation.
  rapidjson::Document doc = Parse(R"({"text":"a","repeat":0})");
  std::optional<SchemaViolation> v = (*simple)->Check(doc);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->ToString(), "/repeat: value 0 is less than minimum 1");
}

// Random JSON built from values that sit on and around the schemas' limits.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string Value(int depth) {
    switch (Pick(depth > 0 ? 9 : 7)) {
      case 0: return "null";
      case 1: return Pick(2) ? "true" : "false";
      case 2: return Choose({"-1", "0", "-0", "1", "3", "5", "10", "11", "9007199254740993", "18446744073709551615"});
      case 3: return Choose({"1.0", "0.5", "10.0", "-0.0", "1e1", "0.999", "1e300"});
      case 4:
        return Choose({R"("")", R"("a")", R"("loud")", R"("quiet")", R"("héllo")", R"("héllo!")",
                       R"("a\u0000b")", R"("toolong")"});
      case 5: return Choose({"1", "3", R"("a")", "true", "null"});  // enum and const candidates
      case 6: return Choose({"0", "2", "5", R"("ab")", R"("abcd")"});
      case 7: {
        std::string out = "[";
        for (int i = 0, n = Pick(4); i < n; ++i) out += (i ? "," : "") + Value(depth - 1);
        return out + "]";
      }
      default: {
        std::string out = "{";
        for (int i = 0, n = Pick(5); i < n; ++i) out += (i ? ",\"" : "\"") + Key() + "\":" + Value(depth - 1);
        return out + "}";
      }
    }
  }

  std::string Key() {
    return Choose({"text", "repeat", "mode", "tags", "ratio", "a/b", "n", "s", "c", "x", "y", "other"});
  }

  // `doc` with one or two random edits: a value replaced, or an object member removed or added. Starting from
  // valid documents, this yields valid ones and ones just across a limit.
  void Mutate(rapidjson::Document& doc) {
    for (int round = 0, rounds = 1 + Pick(2); round < rounds; ++round) {
      std::vector<rapidjson::Value*> nodes;
      Collect(doc, nodes);
      rapidjson::Value& target = *nodes[Pick(static_cast<int>(nodes.size()))];
      int action = target.IsObject() ? Pick(3) : 0;
      if (action == 1 && target.MemberCount() > 0) {
        target.EraseMember(target.MemberBegin() + Pick(static_cast<int>(target.MemberCount())));
      } else if (action == 2) {
        rapidjson::Document value = Parse(Value(1));
        target.AddMember(rapidjson::Value(Key().c_str(), doc.GetAllocator()),
                         rapidjson::Value(value, doc.GetAllocator()), doc.GetAllocator());
      } else {
        rapidjson::Document value = Parse(Value(1));
        target.CopyFrom(value, doc.GetAllocator());
      }
    }
  }

 private:
  static void Collect(rapidjson::Value& v, std::vector<rapidjson::Value*>& out) {
    out.push_back(&v);
    if (v.IsObject()) {
      for (auto& m : v.GetObject()) Collect(m.value, out);
    } else if (v.IsArray()) {
      for (auto& e : v.GetArray()) Collect(e, out);
    }
  }
  std::string Choose(std::initializer_list<const char*> options) { return *(options.begin() + Pick(options.size())); }
  std::mt19937 rng_;
};

struct DifferentialCase {
  const char* schema;
  std::vector<const char*> valid_seeds;
};

TEST(SimpleSchemaTest, NeverAcceptsWhatValijsonRejects) {
  const DifferentialCase cases[] = {
      {kToolSchema,
       {R"({"text":"a"})", R"({"text":"héllo","repeat":3,"mode":"loud","tags":["a"],"ratio":0.5,"a/b":true})"}},
      {R"({"type":"object","properties":{"n":{"type":["integer","null"],"exclusiveMinimum":0,"maximum":10},)"
       R"("s":{"type":"string","minLength":1,"maxLength":3},"c":{"const":5}},)"
       R"("additionalProperties":{"type":"boolean"},"minProperties":1,"maxProperties":3})",
       {R"({"n":5,"s":"ab"})", R"({"c":5,"other":true,"n":null})"}},
      {R"({"type":"array","items":{"enum":[1,"a",true,null]},"minItems":1,"maxItems":3})", {R"([1,"a"])", "[null]"}},
      {R"({"properties":{"x":true,"y":false,"text":{"type":"number","minimum":0.5}},"required":["x"]})",
       {R"({"x":{"y":1},"text":3})", R"({"x":null})"}},
      {R"({"type":["object","array"],"items":{"type":"object","properties":{"s":{"maxLength":2}}}})",
       {R"([{"s":"ab"},{}])", R"({"s":"toolong"})"}},
  };
  Generator gen(20261206);
  for (const DifferentialCase& c : cases) {
    rapidjson::Document schema = Parse(c.schema);
    std::unique_ptr<const SimpleSchema> quick = SimpleSchema::From(schema);
    ASSERT_NE(quick, nullptr) << c.schema;
    // Wrapped in a one-element allOf, the same schema is checked by valijson alone.
    auto valijson_only = JsonSchema::Compile(absl::StrCat(R"({"allOf":[)", c.schema, "]}"));
    ASSERT_TRUE(valijson_only.ok()) << valijson_only.status();
    ASSERT_FALSE((*valijson_only)->has_quick_check());
    int valid = 0, accepted = 0, simd_parsed = 0, simd_accepted = 0;
    simdjson::dom::parser simd;
    for (int i = 0; i < 6000; ++i) {
      rapidjson::Document doc;
      if (i % 2 == 0) {
        doc = Parse(c.valid_seeds[gen.Pick(static_cast<int>(c.valid_seeds.size()))]);
        gen.Mutate(doc);
      } else {
        doc = Parse(gen.Value(3));
      }
      const bool valijson_valid = !(*valijson_only)->Check(doc).has_value();
      const bool quick_valid = quick->Accepts(doc);
      ASSERT_TRUE(valijson_valid || !quick_valid) << c.schema << "\naccepted, valijson rejects: " << JsonToString(doc);
      // The same check over simdjson's parse of the same text (the workers' quick path): it accepts only what
      // valijson and the RapidJSON check accept, and declines more only for decimals on a bound.
      const std::string text = JsonToString(doc);
      simdjson::dom::element root;
      if (simd.parse(text).get(root) == simdjson::SUCCESS) {
        const bool simd_valid = quick->Accepts(root);
        ASSERT_TRUE(quick_valid || !simd_valid) << c.schema << "\naccepted on simdjson only: " << text;
        ASSERT_TRUE(valijson_valid || !simd_valid) << c.schema << "\naccepted, valijson rejects: " << text;
        ++simd_parsed;
        simd_accepted += simd_valid;
      }
      valid += valijson_valid;
      accepted += quick_valid;
    }
    EXPECT_GT(simd_parsed, 5000) << c.schema;  // only integers beyond 64 bits are refused by simdjson
    EXPECT_GE(simd_accepted * 10, accepted * 9) << c.schema << ": " << simd_accepted << " of " << accepted;
    // The quick path must also be worth having: it recognizes nearly every valid document.
    EXPECT_GT(valid, 200) << c.schema;
    EXPECT_GE(accepted * 10, valid * 8) << c.schema << ": " << accepted << " of " << valid;
  }
}

}  // namespace
}  // namespace edge::runtime::plugins
