// ToJson / Parse* of every params and result struct (docs/protocol.md §4).
#include <string>

#include "edge/protocol/messages.h"
#include "gtest/gtest.h"

namespace edge::protocol {
namespace {

// Parse failure with the field named in the message and the pointer attached.
template <typename T>
void ExpectFieldError(const absl::StatusOr<T>& r, std::string_view pointer) {
  ASSERT_FALSE(r.ok()) << "expected a failure at " << pointer;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParamPointer(r.status()), pointer) << r.status();
  if (!pointer.empty()) {
    EXPECT_NE(r.status().message().find(absl::string_view(pointer.data(), pointer.size())), absl::string_view::npos)
        << r.status();
  }
}

TEST(HelloTest, EncodesDocExampleAndRoundTrips) {
  HelloParams p;
  p.version = "0.3.0";
  p.instance_id = "6f1c2a7e-3b7d-4c1e-9a55-0d2f3c4b5a69";
  p.hostname = "db-gw-01";
  p.platform = "linux-x86_64";
  p.bundle = BundleRef{"b_7Qx2", 4, "sha256:9c1e"};
  p.relay = RelayInfo{"http://192.168.10.5:8787", "lan"};
  const std::string json = ToJson(p);
  EXPECT_EQ(json,
            R"({"protocolVersion":"1.0","connector":{"name":"edge-connector","version":"0.3.0","type":"SERVER",)"
            R"("instanceId":"6f1c2a7e-3b7d-4c1e-9a55-0d2f3c4b5a69","hostname":"db-gw-01","platform":"linux-x86_64",)"
            R"("pluginAbi":"1.0"},"limits":{"maxConcurrentCalls":16,"maxQueuedCalls":256,"maxMessageBytes":4194304},)"
            R"("heartbeat":{"intervalMs":30000,"timeoutMs":75000},"bundle":{"id":"b_7Qx2","version":4,)"
            R"("checksum":"sha256:9c1e"},"relay":{"url":"http://192.168.10.5:8787","mode":"lan"}})");
  auto back = ParseHelloParams(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->instance_id, p.instance_id);
  EXPECT_EQ(back->max_queued_calls, 256);
  EXPECT_EQ(back->heartbeat.timeout_ms, 75000);
  ASSERT_TRUE(back->bundle.has_value());
  EXPECT_EQ(back->bundle->version, 4);
  ASSERT_TRUE(back->relay.has_value());
  EXPECT_EQ(back->relay->mode, "lan");

  HelloParams bare = p;
  bare.bundle.reset();
  bare.relay.reset();
  EXPECT_EQ(ToJson(bare).find("bundle"), std::string::npos);
  auto bare_back = ParseHelloParams(ToJson(bare));
  ASSERT_TRUE(bare_back.ok());
  EXPECT_FALSE(bare_back->bundle.has_value());
}

TEST(HelloTest, FieldErrors) {
  ExpectFieldError(ParseHelloParams(R"({"connector":{}})"), "/protocolVersion");
  ExpectFieldError(ParseHelloParams(R"({"protocolVersion":"1.0"})"), "/connector");
  HelloParams p;
  p.instance_id = "i";
  std::string json = ToJson(p);
  json.replace(json.find("\"intervalMs\":30000"), 18, "\"intervalMs\":0");
  ExpectFieldError(ParseHelloParams(json), "/heartbeat/intervalMs");
  ExpectFieldError(ParseHelloParams("[1]"), "");
  ExpectFieldError(ParseHelloParams("{"), "");
}

TEST(HelloResultTest, RoundTripMatchesDoc) {
  HelloResult r;
  r.session_id = "s_01HV4Z8K2M";
  r.org_id = "org_acme";
  r.deployment_id = "dep_42";
  r.server_time_ms = 1718000000000;
  r.platform_version = "0.3.0";
  const std::string json = ToJson(r);
  EXPECT_EQ(json, R"({"protocolVersion":"1.0","sessionId":"s_01HV4Z8K2M","orgId":"org_acme","deploymentId":"dep_42",)"
                  R"("serverTimeMs":1718000000000,"heartbeat":{"intervalMs":30000,"timeoutMs":75000},)"
                  R"("platform":{"name":"edge-platform","version":"0.3.0"}})");
  auto back = ParseHelloResult(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->deployment_id, "dep_42");
  EXPECT_EQ(back->server_time_ms, 1718000000000);
  EXPECT_EQ(back->platform_name, "edge-platform");
  ExpectFieldError(ParseHelloResult(R"({"protocolVersion":"1.0","sessionId":1})"), "/sessionId");
}

constexpr char kRegisterExample[] = R"({"generation":3,
  "bundle":{"id":"b_7Qx2","version":4,"checksum":"sha256:9c1e…e0"},
  "tools":[{"name":"echo","title":"Echo","description":"Returns the text it is given",
    "inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]},
    "annotations":{"title":"Echo","readOnlyHint":true,"idempotentHint":true},
    "x-edge":{"concurrent":true}}]})";

TEST(RegisterTest, ParsesDocExampleAndRoundTrips) {
  auto p = ParseRegisterParams(kRegisterExample);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->generation, 3u);
  ASSERT_TRUE(p->bundle.has_value());
  EXPECT_EQ(p->bundle->checksum, "sha256:9c1e…e0");
  ASSERT_EQ(p->tools.size(), 1u);
  EXPECT_EQ(p->tools[0].name, "echo");
  EXPECT_EQ(p->tools[0].descriptor_json.rfind(R"({"name":"echo","title":"Echo")", 0), 0u);
  auto again = ParseRegisterParams(ToJson(*p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->tools[0].descriptor_json, p->tools[0].descriptor_json);

  RegisterParams empty;
  empty.generation = 1;
  EXPECT_EQ(ToJson(empty), R"({"generation":1,"bundle":null,"tools":[]})");
  auto e = ParseRegisterParams(ToJson(empty));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->bundle.has_value());
  EXPECT_TRUE(e->tools.empty());
}

TEST(RegisterTest, FieldErrors) {
  ExpectFieldError(ParseRegisterParams(R"({"tools":[]})"), "/generation");
  ExpectFieldError(ParseRegisterParams(R"({"generation":-1,"tools":[]})"), "/generation");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1})"), "/tools");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":{}})"), "/tools");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[5]})"), "/tools/0");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"inputSchema":{}}]})"), "/tools/0/name");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"name":"","inputSchema":{}}]})"),
                   "/tools/0/name");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"name":"a","inputSchema":{}},)"
                                       R"({"name":"b","inputSchema":{}},{"name":"a","inputSchema":{}}]})"),
                   "/tools/2/name");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"name":"a"}]})"), "/tools/0/inputSchema");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"name":"a","inputSchema":[]}]})"),
                   "/tools/0/inputSchema");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"tools":[{"name":"a","inputSchema":{}},)"
                                       R"({"name":"b","inputSchema":{"type":"string"}}]})"),
                   "/tools/1/inputSchema");
  ExpectFieldError(ParseRegisterParams(R"({"generation":1,"bundle":{"id":"b"},"tools":[]})"), "/bundle/version");
}

TEST(RegisterResultTest, RoundTrip) {
  RegisterResult r{3, 1};
  EXPECT_EQ(ToJson(r), R"({"generation":3,"toolCount":1})");
  auto back = ParseRegisterResult(ToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->generation, 3u);
  EXPECT_EQ(back->tool_count, 1);
  ExpectFieldError(ParseRegisterResult(R"({"generation":3})"), "/toolCount");
}

TEST(InvokeTest, EncodesDocExampleAndRoundTrips) {
  InvokeParams p;
  p.call_id = "01HV4ZC3T9W2Y8R5N6K7M1Q0AB";
  p.tool = "echo";
  p.arguments_json = R"({"text":"hi"})";
  p.user_id = "u_9";
  p.org_id = "org_acme";
  p.deployment_id = "dep_42";
  p.inactivity_ms = 30000;
  p.max_duration_ms = 600000;
  const std::string json = ToJson(p);
  EXPECT_EQ(json, R"({"callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","tool":"echo","arguments":{"text":"hi"},)"
                  R"("context":{"userId":"u_9","orgId":"org_acme","deploymentId":"dep_42"},)"
                  R"("timeouts":{"inactivityMs":30000,"maxDurationMs":600000}})");
  auto back = ParseInvokeParams(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->call_id, p.call_id);
  EXPECT_EQ(back->arguments_json, p.arguments_json);
  EXPECT_EQ(back->user_id, "u_9");
  EXPECT_EQ(back->inactivity_ms, 30000);
  EXPECT_EQ(back->max_duration_ms, 600000);

  InvokeParams minimal = p;
  minimal.user_id.clear();
  minimal.inactivity_ms.reset();
  minimal.max_duration_ms.reset();
  const std::string mj = ToJson(minimal);
  EXPECT_EQ(mj.find("timeouts"), std::string::npos);
  EXPECT_EQ(mj.find("userId"), std::string::npos);
  auto mb = ParseInvokeParams(mj);
  ASSERT_TRUE(mb.ok()) << mb.status();
  EXPECT_FALSE(mb->inactivity_ms.has_value());
  EXPECT_TRUE(mb->user_id.empty());
}

TEST(InvokeTest, FieldErrors) {
  auto missing = ParseInvokeParams(R"({"tool":"echo","arguments":{},"context":{"orgId":"o","deploymentId":"d"}})");
  ExpectFieldError(missing, "/callId");
  EXPECT_EQ(missing.status().message(), "tool.invoke params: /callId: required string is missing");
  const std::string ctx = R"("context":{"orgId":"o","deploymentId":"d"})";
  ExpectFieldError(ParseInvokeParams(R"({"callId":"","tool":"t","arguments":{},)" + ctx + "}"), "/callId");
  ExpectFieldError(ParseInvokeParams(R"({"callId":")" + std::string(129, 'c') + R"(","tool":"t","arguments":{},)" +
                                     ctx + "}"),
                   "/callId");
  ExpectFieldError(ParseInvokeParams(R"({"callId":7,"tool":"t","arguments":{},)" + ctx + "}"), "/callId");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","arguments":{},)" + ctx + "}"), "/tool");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t",)" + ctx + "}"), "/arguments");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":[],)" + ctx + "}"), "/arguments");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":{}})"), "/context");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":{},"context":{"deploymentId":"d"}})"),
                   "/context/orgId");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":{},)" + ctx +
                                     R"(,"timeouts":{"inactivityMs":0}})"),
                   "/timeouts/inactivityMs");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":{},)" + ctx +
                                     R"(,"timeouts":{"maxDurationMs":-5}})"),
                   "/timeouts/maxDurationMs");
  ExpectFieldError(ParseInvokeParams(R"({"callId":"c","tool":"t","arguments":{},)" + ctx +
                                     R"(,"timeouts":{"maxDurationMs":1.5}})"),
                   "/timeouts/maxDurationMs");
}

TEST(ToolResultTest, Validates) {
  EXPECT_TRUE(ValidateToolResult(R"({"content":[{"type":"text","text":"hi"}],"isError":false,"_meta":{"elapsedMs":0}})").ok());
  EXPECT_TRUE(ValidateToolResult(R"({"content":[],"structuredContent":{"a":1},"isError":true})").ok());
  EXPECT_EQ(ParamPointer(ValidateToolResult(R"({"isError":false})")), "/content");
  EXPECT_EQ(ParamPointer(ValidateToolResult(R"({"content":{},"isError":false})")), "/content");
  EXPECT_EQ(ParamPointer(ValidateToolResult(R"({"content":[]})")), "/isError");
  EXPECT_EQ(ParamPointer(ValidateToolResult(R"({"content":[],"isError":"no"})")), "/isError");
  EXPECT_EQ(ParamPointer(ValidateToolResult(R"({"content":[],"isError":false,"structuredContent":1})")),
            "/structuredContent");
  EXPECT_EQ(ValidateToolResult("[]").code(), absl::StatusCode::kInvalidArgument);
}

TEST(CancelTest, RoundTrip) {
  CancelParams p{"01HV4ZC3T9W2Y8R5N6K7M1Q0AB", "timeout"};
  EXPECT_EQ(ToJson(p), R"({"callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","reason":"timeout"})");
  auto back = ParseCancelParams(ToJson(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->reason, "timeout");
  auto no_reason = ParseCancelParams(R"({"callId":"c"})");
  ASSERT_TRUE(no_reason.ok());
  EXPECT_EQ(no_reason->reason, "caller");
  ExpectFieldError(ParseCancelParams(R"({"reason":"caller"})"), "/callId");
}

TEST(ProgressTest, RoundTripMatchesDoc) {
  ProgressParams p{"01HV4ZC3T9W2Y8R5N6K7M1Q0AB", 3, 10.0, std::string("scanned 3/10 tables")};
  EXPECT_EQ(ToJson(p),
            R"({"callId":"01HV4ZC3T9W2Y8R5N6K7M1Q0AB","progress":3,"total":10,"message":"scanned 3/10 tables"})");
  auto back = ParseProgressParams(ToJson(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_DOUBLE_EQ(back->progress, 3);
  EXPECT_EQ(back->total, 10.0);
  EXPECT_EQ(back->message, "scanned 3/10 tables");

  ProgressParams unknown_total{"c", 0.25, 0.0, std::nullopt};
  EXPECT_EQ(ToJson(unknown_total), R"({"callId":"c","progress":0.25})");
  auto u = ParseProgressParams(ToJson(unknown_total));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->total.has_value());
  EXPECT_FALSE(u->message.has_value());
  ExpectFieldError(ParseProgressParams(R"({"callId":"c"})"), "/progress");
  ExpectFieldError(ParseProgressParams(R"({"callId":"c","progress":"1"})"), "/progress");
}

TEST(HeartbeatTest, EncodesDocExampleAndRoundTrips) {
  HeartbeatParams p;
  p.seq = 57;
  p.sent_at_ms = 1718000030000;
  ConnectorStatus& s = p.status;
  s.state = "serving";
  s.running = 2;
  s.completed = 1520;
  s.failed = 3;
  s.timed_out = 1;
  s.cancelled = 2;
  s.tools_generation = 3;
  s.tool_count = 7;
  s.bundle = BundleRef{"b_7Qx2", 4, "sha256:9c1e"};
  s.uptime_ms = 1710000;
  s.rss_bytes = 7340032;
  s.reconnects = 1;
  const std::string json = ToJson(p);
  EXPECT_EQ(json, R"({"seq":57,"sentAtMs":1718000030000,"status":{)"
                  R"("state":"serving","calls":{"running":2,"queued":0,"abandoned":0},)"
                  R"("counters":{"completed":1520,"failed":3,"timedOut":1,"cancelled":2,"rejectedOverloaded":0,"lateResults":0},)"
                  R"("toolsGeneration":3,"toolCount":7,"bundle":{"id":"b_7Qx2","version":4,"checksum":"sha256:9c1e"},)"
                  R"("uptimeMs":1710000,"rssBytes":7340032,"reconnects":1}})");
  auto back = ParseHeartbeatParams(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->seq, 57u);
  EXPECT_EQ(back->status.completed, 1520u);
  EXPECT_EQ(back->status.timed_out, 1u);
  EXPECT_EQ(back->status.running, 2);
  ASSERT_TRUE(back->status.bundle.has_value());
  EXPECT_FALSE(back->status.relay.has_value());
  EXPECT_EQ(back->status_json, ToJson(s));

  ConnectorStatus no_bundle;
  no_bundle.relay = RelayInfo{"http://127.0.0.1:8787", "loopback"};
  EXPECT_NE(ToJson(no_bundle).find(R"("bundle":null)"), std::string::npos);
  HeartbeatParams q;
  q.status = no_bundle;
  auto qb = ParseHeartbeatParams(ToJson(q));
  ASSERT_TRUE(qb.ok()) << qb.status();
  EXPECT_FALSE(qb->status.bundle.has_value());
  ASSERT_TRUE(qb->status.relay.has_value());
  EXPECT_EQ(qb->status.relay->mode, "loopback");
}

TEST(HeartbeatTest, FieldErrors) {
  ExpectFieldError(ParseHeartbeatParams(R"({"sentAtMs":1,"status":{}})"), "/seq");
  ExpectFieldError(ParseHeartbeatParams(R"({"seq":1,"sentAtMs":1})"), "/status");
  ExpectFieldError(ParseHeartbeatParams(R"({"seq":1,"sentAtMs":1,"status":{"state":"serving"}})"), "/status/calls");
  std::string json = ToJson(HeartbeatParams{});
  json.replace(json.find("\"timedOut\":0"), 12, "\"timedOut\":\"0\"");
  ExpectFieldError(ParseHeartbeatParams(json), "/status/counters/timedOut");
}

TEST(HeartbeatTest, ResultsAndPlatformHeartbeat) {
  EXPECT_EQ(ToJson(HeartbeatResult{57, 1718000030004}), R"({"seq":57,"serverTimeMs":1718000030004})");
  EXPECT_EQ(ToJson(HeartbeatResult{12, 0}), R"({"seq":12})");  // the connector's answer (§4.7)
  auto r = ParseHeartbeatResult(R"({"seq":12})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->seq, 12u);
  EXPECT_EQ(r->server_time_ms, 0);
  auto r2 = ParseHeartbeatResult(R"({"seq":57,"serverTimeMs":1718000030004})");
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->server_time_ms, 1718000030004);
  ExpectFieldError(ParseHeartbeatResult("{}"), "/seq");

  PlatformHeartbeatParams p{12, 1718000031000};
  EXPECT_EQ(ToJson(p), R"({"seq":12,"serverTimeMs":1718000031000})");
  auto pb = ParsePlatformHeartbeatParams(ToJson(p));
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->server_time_ms, 1718000031000);
  ExpectFieldError(ParsePlatformHeartbeatParams(R"({"seq":12})"), "/serverTimeMs");
}

TEST(BundleUpdatedTest, RoundTripMatchesDoc) {
  BundleUpdatedParams p{"b_7Qx2", 5, "sha256:41aa", "assigned"};
  EXPECT_EQ(ToJson(p), R"({"bundleId":"b_7Qx2","version":5,"checksum":"sha256:41aa","reason":"assigned"})");
  auto back = ParseBundleUpdatedParams(ToJson(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->version, 5);
  ExpectFieldError(ParseBundleUpdatedParams(R"({"bundleId":"b","checksum":"c","reason":"assigned"})"), "/version");
}

TEST(DrainingTest, RoundTripMatchesDoc) {
  DrainingParams p{"shutdown", 25000, 1};
  EXPECT_EQ(ToJson(p), R"({"reason":"shutdown","graceMs":25000,"inFlight":1})");
  auto back = ParseDrainingParams(ToJson(p));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->grace_ms, 25000);
  EXPECT_EQ(back->in_flight, 1);
  ExpectFieldError(ParseDrainingParams(R"({"reason":"shutdown","graceMs":1})"), "/inFlight");
}

TEST(PointerTest, EmptyWithoutPayload) {
  EXPECT_EQ(ParamPointer(absl::OkStatus()), "");
  EXPECT_EQ(ParamPointer(absl::InvalidArgumentError("x")), "");
}

}  // namespace
}  // namespace edge::protocol
