// DecodeMessage and the envelope writers (docs/protocol.md §1, §4, §7).
#include <chrono>
#include <string>

#include "edge/protocol/messages.h"
#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

// The examples of docs/protocol.md §4, verbatim.
constexpr char kHelloExample[] = R"({"jsonrpc":"2.0","id":1,"method":"connector.hello","params":{
  "protocolVersion":"1.0",
  "connector":{"name":"edge-connector","version":"0.3.0","type":"SERVER",
               "instanceId":"6f1c2a7e-3b7d-4c1e-9a55-0d2f3c4b5a69","hostname":"db-gw-01",
               "platform":"linux-x86_64","pluginAbi":"1.0"},
  "limits":{"maxConcurrentCalls":16,"maxQueuedCalls":256,"maxMessageBytes":4194304},
  "heartbeat":{"intervalMs":30000,"timeoutMs":75000},
  "bundle":{"id":"b_7Qx2","version":4,"checksum":"sha256:9c1e…e0"},
  "relay":{"url":"http://192.168.10.5:8787","mode":"lan"}}})";
constexpr char kInvokeExample[] = R"({"jsonrpc":"2.0","id":"p-1842","method":"tool.invoke","params":{
  "callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","tool":"echo","arguments":{"text":"hi"},
  "context":{"userId":"u_9","orgId":"org_acme","deploymentId":"dep_42"},
  "timeouts":{"inactivityMs":30000,"maxDurationMs":600000}}})";
constexpr char kErrorExample[] =
    R"({"jsonrpc":"2.0","id":"p-1844","error":{"code":-32602,"message":"invalid params for tool 'slow': /seconds: value -1 is less than minimum 0","data":{"field":"/seconds","status":"INVALID_ARGUMENT"}}})";

TEST(DecodeMessageTest, Request) {
  auto env = DecodeMessage(kHelloExample);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, MessageKind::kRequest);
  EXPECT_EQ(env->id, "1");
  EXPECT_EQ(env->method, "connector.hello");
  // The params object's own bytes, as sent (raw_span_test covers the scan).
  EXPECT_EQ(env->params.front(), '{');
  EXPECT_EQ(env->params.back(), '}');
  EXPECT_NE(std::string(kHelloExample).find(env->params), std::string::npos);
}

TEST(DecodeMessageTest, StringIdKeptAsToken) {
  auto env = DecodeMessage(kInvokeExample);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->id, "\"p-1842\"");
  EXPECT_EQ(env->method, "tool.invoke");
}

TEST(DecodeMessageTest, Notification) {
  auto env = DecodeMessage(
      R"({"jsonrpc":"2.0","method":"tool.cancel","params":{"callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","reason":"timeout"}})");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, MessageKind::kNotification);
  EXPECT_EQ(env->id, "");
  EXPECT_EQ(env->params, R"({"callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","reason":"timeout"})");
}

TEST(DecodeMessageTest, AbsentParamsAreEmptyObject) {
  auto env = DecodeMessage(R"({"jsonrpc":"2.0","id":3,"method":"x"})");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->params, "{}");
}

TEST(DecodeMessageTest, Result) {
  auto env = DecodeMessage(
      R"({"jsonrpc":"2.0","id":"p-1842","result":{"content":[{"type":"text","text":"hi"}],"isError":false,"_meta":{"elapsedMs":0}}})");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, MessageKind::kResult);
  EXPECT_EQ(env->id, "\"p-1842\"");
  EXPECT_EQ(env->result, R"({"content":[{"type":"text","text":"hi"}],"isError":false,"_meta":{"elapsedMs":0}})");
}

TEST(DecodeMessageTest, Error) {
  auto env = DecodeMessage(kErrorExample);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, MessageKind::kError);
  EXPECT_EQ(env->error.code, kInvalidParams);
  EXPECT_EQ(env->error.message, "invalid params for tool 'slow': /seconds: value -1 is less than minimum 0");
  EXPECT_EQ(env->error.data_json, R"({"field":"/seconds","status":"INVALID_ARGUMENT"})");
}

TEST(DecodeMessageTest, ErrorWithNullIdAnswersUnreadableMessage) {
  auto env = DecodeMessage(R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, MessageKind::kError);
  EXPECT_EQ(env->id, "null");
  EXPECT_TRUE(env->error.data_json.empty());
}

TEST(DecodeMessageTest, IdBounds) {
  EXPECT_TRUE(DecodeMessage(R"({"jsonrpc":"2.0","id":0,"method":"m"})").ok());
  EXPECT_TRUE(DecodeMessage(R"({"jsonrpc":"2.0","id":9007199254740991,"method":"m"})").ok());
  const std::string id128(128, 'a');
  EXPECT_TRUE(DecodeMessage(R"({"jsonrpc":"2.0","id":")" + id128 + R"(","method":"m"})").ok());
}

void ExpectParseError(std::string_view message) {
  auto env = DecodeMessage(message);
  ASSERT_FALSE(env.ok()) << message;
  EXPECT_EQ(env.status().code(), absl::StatusCode::kDataLoss) << message << " -> " << env.status();
}

void ExpectInvalid(std::string_view message, std::string_view echo_id) {
  auto env = DecodeMessage(message);
  ASSERT_FALSE(env.ok()) << message;
  EXPECT_EQ(env.status().code(), absl::StatusCode::kInvalidArgument) << message << " -> " << env.status();
  EXPECT_EQ(DecodeFailureId(env.status()), echo_id) << message;
}

TEST(DecodeMessageTest, ParseErrors) {
  ExpectParseError("");
  ExpectParseError("{");
  ExpectParseError(R"({"jsonrpc":"2.0","id":1,"method":"m",})");
  ExpectParseError(R"({"jsonrpc":"2.0","id":1}{"id":2})");
  ExpectParseError("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":\"\xff\xfe\"}}");
  // Sub-objects are validated too (ondemand raw_json would let these through).
  ExpectParseError(R"({"jsonrpc":"2.0","id":1,"method":"tool.invoke","params":{"arguments":{"a":tru}}})");
  ExpectParseError(R"({"jsonrpc":"2.0","id":1,"method":"tool.invoke","params":{"arguments":{"a":1 "b":2}}})");
  ExpectParseError(R"({"jsonrpc":"2.0","id":1,"method":"tool.invoke","params":{"arguments":{"a":01.e}}})");
}

TEST(DecodeMessageTest, InvalidUtf8IsParseErrorNamingUtf8) {
  auto env = DecodeMessage("{\"jsonrpc\":\"2.0\",\"method\":\"m\\u0000\",\"x\":\"\xc3\x28\"}");
  ASSERT_FALSE(env.ok());
  EXPECT_EQ(env.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(env.status().message().find("UTF-8"), absl::string_view::npos) << env.status();
}

TEST(DecodeMessageTest, InvalidRequests) {
  ExpectInvalid(R"([{"jsonrpc":"2.0","id":1,"method":"m"}])", "null");
  ExpectInvalid(R"("just a string")", "null");
  ExpectInvalid(R"({"id":5,"method":"m"})", "5");
  ExpectInvalid(R"({"jsonrpc":"1.0","id":"a","method":"m"})", "\"a\"");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":1.5,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":-1,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":9007199254740992,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":true,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":{},"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":"","method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":")" + std::string(129, 'a') + R"(","method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":null,"method":"m"})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"method":5})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"method":"m","params":[1,2]})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"method":"m","params":"x"})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"result":1,"error":{"code":1,"message":"x"}})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","result":1})", "null");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"error":"boom"})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"error":{"message":"x"}})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"error":{"code":1.5,"message":"x"}})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"error":{"code":1}})", "7");
  ExpectInvalid(R"({"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"x","data":[1]}})", "7");
}

TEST(DecodeMessageTest, BatchMessageSaysSo) {
  auto env = DecodeMessage("[]");
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("batches are not supported"), absl::string_view::npos);
}

TEST(DecodeMessageTest, DecodeFailureIdOfOtherStatusIsNull) {
  EXPECT_EQ(DecodeFailureId(absl::OkStatus()), "null");
  EXPECT_EQ(DecodeFailureId(absl::InternalError("x")), "null");
}

TEST(EncodeTest, EnvelopesRoundTrip) {
  std::string req = EncodeRequest("7", "heartbeat", R"({"seq":1})");
  EXPECT_EQ(req, R"({"jsonrpc":"2.0","id":7,"method":"heartbeat","params":{"seq":1}})");
  auto env = DecodeMessage(req);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->id, "7");

  EXPECT_EQ(EncodeNotification("tool.cancel", R"({"callId":"c"})"),
            R"({"jsonrpc":"2.0","method":"tool.cancel","params":{"callId":"c"}})");
  EXPECT_EQ(EncodeResult(StringId("p-1900"), R"({"seq":12})"), R"({"jsonrpc":"2.0","id":"p-1900","result":{"seq":12}})");

  RpcError e{kOverloaded, "busy \"now\"", R"({"retryAfterMs":1000})"};
  std::string err = EncodeError("\"x\"", e);
  EXPECT_EQ(err, R"({"jsonrpc":"2.0","id":"x","error":{"code":-32005,"message":"busy \"now\"","data":{"retryAfterMs":1000}}})");
  env = DecodeMessage(err);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->error.code, kOverloaded);
  EXPECT_EQ(env->error.message, "busy \"now\"");
  EXPECT_EQ(env->error.data_json, e.data_json);

  EXPECT_EQ(EncodeError("", RpcError{kParseError, "parse error", ""}),
            R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})");
}

TEST(EncodeTest, StringIdEscapes) {
  EXPECT_EQ(StringId("a\"b"), R"("a\"b")");
  auto env = DecodeMessage(EncodeRequest(StringId("a\"b"), "m", "{}"));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->id, StringId("a\"b"));
}

TEST(DecodeMessageTest, FastEnoughForTheHotPath) {
  // Generous bound (well above the ~1 µs target) so a loaded CI machine does not flake; catches gross slowdowns.
  constexpr int kRounds = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    auto env = DecodeMessage(kInvokeExample);
    auto p = ParseInvokeParams(env->params);
    ASSERT_TRUE(p.ok());
  }
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ns / kRounds, 20000) << "decode + parse of a tool.invoke took " << ns / kRounds << " ns";
}

}  // namespace
}  // namespace edge::protocol
