// MemberSpan (protocol/src/raw_span.cc): decoded params, results and tool arguments are the bytes the peer
// sent, and the cases the scan does not handle fall back to the DOM's minified text.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "edge/protocol/messages.h"
#include "internal.h"

namespace edge::protocol {
namespace {

using internal::MemberSpan;

TEST(MemberSpanTest, FindsEachKindOfValueWithItsExactBytes) {
  const std::string json =
      R"( { "s" : "a \"}]{ b" , "n":-1.5e3,"t":true, "o":{"x":[1,{"y":"}"}],"z":null} ,"a":[ "]" ,{}] } )";
  std::string_view span;
  ASSERT_TRUE(MemberSpan(json, "s", &span));
  EXPECT_EQ(span, R"("a \"}]{ b")");
  ASSERT_TRUE(MemberSpan(json, "n", &span));
  EXPECT_EQ(span, "-1.5e3");
  ASSERT_TRUE(MemberSpan(json, "t", &span));
  EXPECT_EQ(span, "true");
  ASSERT_TRUE(MemberSpan(json, "o", &span));
  EXPECT_EQ(span, R"({"x":[1,{"y":"}"}],"z":null})");
  ASSERT_TRUE(MemberSpan(json, "a", &span));
  EXPECT_EQ(span, R"([ "]" ,{}])");
}

// Strings are skipped 8 bytes at a time: put the closing quote, an escaped quote and an escaped backslash at
// every offset relative to that stride.
TEST(MemberSpanTest, StringsOfEveryLengthWithEscapesAtEveryOffset) {
  for (size_t length = 0; length <= 40; ++length) {
    for (const std::string escape : {"", "\\\"", "\\\\"}) {
      for (size_t at = 0; at <= length; ++at) {
        if (escape.empty() && at > 0) break;
        std::string value = std::string(length, 'x');
        value.insert(at, escape);
        const std::string quoted = "\"" + value + "\"";
        const std::string json = "{\"s\":" + quoted + ",\"k\":[1," + quoted + "],\"z\":" + quoted + "}";
        SCOPED_TRACE(json);
        std::string_view span;
        ASSERT_TRUE(MemberSpan(json, "s", &span));
        EXPECT_EQ(span, quoted);
        ASSERT_TRUE(MemberSpan(json, "k", &span));
        EXPECT_EQ(span, "[1," + quoted + "]");
        ASSERT_TRUE(MemberSpan(json, "z", &span));
        EXPECT_EQ(span, quoted);
      }
    }
  }
}

TEST(MemberSpanTest, RefusesWhatItCannotAnswerExactly) {
  std::string_view span;
  EXPECT_FALSE(MemberSpan(R"({"a":1})", "b", &span));                 // absent
  EXPECT_FALSE(MemberSpan(R"({"a":1,"a":2})", "a", &span));           // duplicated: the DOM decides
  EXPECT_FALSE(MemberSpan(R"({"\u0061":1})", "a", &span));            // escaped key
  EXPECT_FALSE(MemberSpan(R"([{"a":1}])", "a", &span));               // not an object
  EXPECT_FALSE(MemberSpan("", "a", &span));
  EXPECT_TRUE(MemberSpan(R"({"b":"\u0061","a":{}})", "a", &span));   // escapes in values are fine
  EXPECT_EQ(span, "{}");
}

TEST(MemberSpanTest, DecodedParamsAndArgumentsAreTheSentBytes) {
  const std::string message =
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tool.invoke\",\"params\": {\"callId\":\"c1\",\"tool\":\"echo\","
      "\"arguments\": { \"text\" : \"caf\\u00e9 {x}\" },\"context\":{\"orgId\":\"o\",\"deploymentId\":\"d\"}} }";
  auto env = DecodeMessage(message);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->params.front(), '{');
  EXPECT_EQ(env->params.back(), '}');
  EXPECT_NE(message.find(env->params), std::string::npos) << env->params;
  auto invoke = ParseInvokeParams(env->params);
  ASSERT_TRUE(invoke.ok()) << invoke.status();
  EXPECT_EQ(invoke->arguments_json, R"({ "text" : "caf\u00e9 {x}" })");
  EXPECT_EQ(invoke->org_id, "o");
}

TEST(MemberSpanTest, DuplicatedMembersStillDecodeAsTheDomReadsThem) {
  // Duplicate "params": the last one wins (DecodeMessage's rule), through the minified fallback.
  auto env = DecodeMessage(R"({"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1},"params":{ "b" : 2 }})");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->params, R"({"b":2})");
  auto invoke = ParseInvokeParams(
      R"({"callId":"c","tool":"t","arguments":{"x":1},"arguments":{"y":2},"context":{"orgId":"o","deploymentId":"d"}})");
  ASSERT_TRUE(invoke.ok()) << invoke.status();
  EXPECT_TRUE(invoke->arguments_json == R"({"x":1})" || invoke->arguments_json == R"({"y":2})")
      << invoke->arguments_json;
}

TEST(MemberSpanTest, ResultIsTheSentBytes) {
  auto env = DecodeMessage(R"({"jsonrpc":"2.0","id":9,"result": {"content":[ ],"isError":false} })");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->result, R"({"content":[ ],"isError":false})");
}

// With the DOM's word that a key appears once (and whether it is last), the scan stops at that member and
// takes a last member's value up to the closing brace: the spans must be the same as a full scan's.
TEST(MemberSpanTest, AHintedScanFindsTheSameSpans) {
  using internal::MemberPlace;
  const std::vector<std::string> values = {R"("a \"}]{ b")", "-1.5e3", "true", "null", R"({"x":[1,{"y":"}"}],"z":null})",
                                           R"([ "]" ,{}])", R"("")", "{}", "[]", R"("\\")"};
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    const size_t members = 1 + rng() % 5;
    std::string json = rng() % 2 ? "{" : " { ";
    for (size_t m = 0; m < members; ++m) {
      if (m > 0) json += rng() % 2 ? "," : " , ";
      json += "\"k" + std::to_string(m) + "\"" + (rng() % 2 ? ":" : " : ") + values[rng() % values.size()];
    }
    json += rng() % 2 ? "}" : " } \n";
    SCOPED_TRACE(json);
    for (size_t m = 0; m < members; ++m) {
      const std::string key = "k" + std::to_string(m);
      std::string_view full, hinted;
      ASSERT_TRUE(MemberSpan(json, key, &full));
      ASSERT_TRUE(MemberSpan(json, key, &hinted, m + 1 == members ? MemberPlace::kLast : MemberPlace::kOnce));
      EXPECT_EQ(hinted, full) << key;
    }
  }
}

TEST(MemberSpanTest, ParamsAnywhereInTheEnvelopeDecodeToTheSentBytes) {
  for (const std::string& message : {
           std::string(R"({"jsonrpc":"2.0","id":1,"method":"m","params": { "a" : [1, "}"] } } )"),
           std::string(R"({"params":{ "a" : [1, "}"] },"jsonrpc":"2.0","id":1,"method":"m"})"),
           std::string(R"({"jsonrpc":"2.0","params" :{ "a" : [1, "}"] } , "method":"m","id":1})")}) {
    SCOPED_TRACE(message);
    auto env = DecodeMessage(message);
    ASSERT_TRUE(env.ok()) << env.status();
    EXPECT_EQ(env->params, R"({ "a" : [1, "}"] })");
  }
  // An escaped key before params, or params itself escaped: the DOM's minified text.
  for (const std::string& message : {std::string(R"({"j\u0073onrpc":"2.0","id":1,"method":"m","params":{ "a" : 1 }})"),
                                    std::string(R"({"jsonrpc":"2.0","id":1,"method":"m","par\u0061ms":{ "a" : 1 }})")}) {
    SCOPED_TRACE(message);
    auto env = DecodeMessage(message);
    ASSERT_TRUE(env.ok()) << env.status();
    EXPECT_EQ(env->params, R"({"a":1})");
  }
}

}  // namespace
}  // namespace edge::protocol
