// Tests for plugin-sdk/include/edge/json.hpp: Args and Json keep their values across moves and past their
// first pool chunk, and Json serializes exactly (escapes, deep nesting beyond the writer's first buffer).
#include "edge/json.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace edge {
namespace {

TEST(SdkArgsTest, ReadsTypedValuesAndSurvivesAMove) {
  const std::string text = R"({"text":"héllo \"q\"","n":7,"ok":true,"ratio":0.5,"nested":{"a":[1,2]}})";
  Args parsed(text);
  Args args = std::move(parsed);
  EXPECT_EQ(args.get<std::string>("text"), "héllo \"q\"");
  EXPECT_EQ(args.get<int>("n"), 7);
  EXPECT_TRUE(args.get<bool>("ok"));
  EXPECT_DOUBLE_EQ(args.get<double>("ratio"), 0.5);
  EXPECT_EQ(args.get<Json>("nested").dump(), R"({"a":[1,2]})");
  EXPECT_EQ(args.get_or<int>("missing", 3), 3);
  EXPECT_EQ(args.raw(), text);
}

TEST(SdkArgsTest, LargeArgumentsOutgrowTheFirstChunk) {
  std::string text = "{";
  for (int i = 0; i < 500; ++i) text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":\"" + std::string(40, 'x') + "\"";
  text += "}";
  Args args(text);
  EXPECT_EQ(args.get<std::string>("k0"), std::string(40, 'x'));
  EXPECT_EQ(args.get<std::string>("k499"), std::string(40, 'x'));
  EXPECT_EQ(args.json().MemberCount(), 500u);
}

TEST(SdkArgsTest, BadArgumentsBecomeToolErrors) {
  EXPECT_THROW(Args("{\"a\":"), ToolError);
  EXPECT_THROW(Args("[1]"), ToolError);
  Args args(R"({"n":"seven"})");
  EXPECT_THROW(args.get<int>("n"), ToolError);
  EXPECT_THROW(args.get<std::string>("absent"), ToolError);
}

TEST(SdkJsonTest, DumpsExactlyWhatWasBuilt) {
  Json out = Json::object();
  out.set("text", "line\n\"quoted\" \\ tab\t").set("n", -3).set("big", uint64_t{18446744073709551615u});
  out.set("list", Json::array().push("a").push(1.5).push(nullptr).push(false));
  Json moved = std::move(out);
  EXPECT_EQ(moved.dump(),
            R"({"text":"line\n\"quoted\" \\ tab\t","n":-3,"big":18446744073709551615,"list":["a",1.5,null,false]})");
  EXPECT_EQ(Json::parse(moved.dump()).dump(), moved.dump());
}

TEST(SdkJsonTest, DeepNestingIsSerialized) {
  // Deeper than the writer's first level buffer holds, so its stack must grow.
  std::string text;
  for (int i = 0; i < 200; ++i) text += "[";
  for (int i = 0; i < 200; ++i) text += "]";
  EXPECT_EQ(Json::parse(text).dump(), text);
}

// The writer's sink grows its string by reservation (PutReserve) and writes unchecked: results of every size
// must match RapidJSON's own StringBuffer byte for byte, across the growth points.
TEST(SdkJsonTest, DumpMatchesRapidJsonsStringBufferAtEverySize) {
  for (size_t n : {0u, 1u, 20u, 31u, 63u, 64u, 65u, 127u, 128u, 1000u, 70000u}) {
    Json out = Json::object();
    std::string text(n, 'a');
    for (size_t i = 0; i < n; i += 7) text[i] = "\"\\\n\x01\xc3"[i % 5];
    if (n > 0 && static_cast<unsigned char>(text.back()) == 0xc3) text.back() = 'z';
    for (size_t i = 0; i + 1 < n; ++i) {  // keep the UTF-8 valid: 0xc3 is followed by a continuation byte
      if (static_cast<unsigned char>(text[i]) == 0xc3) text[i + 1] = static_cast<char>(0xbc);
    }
    out.set("s", text).set("n", static_cast<int64_t>(n)).set("list", Json::array().push(text).push(-1.25));
    rapidjson::StringBuffer expected;
    rapidjson::Writer<rapidjson::StringBuffer> writer(expected);
    Json copy = Json::parse(out.dump());
    out.value().Accept(writer);
    EXPECT_EQ(out.dump(), std::string(expected.GetString(), expected.GetSize())) << n << " bytes";
    EXPECT_EQ(copy.dump(), out.dump()) << n << " bytes";
  }
}

}  // namespace
}  // namespace edge
