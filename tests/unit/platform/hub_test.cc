// Sessions and calls (§2.3, §3, §4, §7): routing, results and errors, the platform call watch, cancel,
// one connection per deployment, dead peers, message limits and protocol violations.
#include <gtest/gtest.h>

#include "edge/protocol/errors.h"
#include "hub_test_util.h"

namespace edge::platform::testing {
namespace {

using protocol::MessageKind;

class HubTest : public ::testing::Test {
 protected:
  explicit HubTest(HubOptions options) : env_(std::move(options)) {
    env_.directory().Add("dep_1", "org_a", "secret-1");
    env_.directory().Add("dep_2", "org_a", "secret-2");
  }
  HubTest() : HubTest(TestOptions(&log_.logger)) {}

  InvokeRequest Call(const std::string& tool, const std::string& deployment = "") {
    InvokeRequest r;
    r.org_id = "org_a";
    r.deployment_id = deployment;
    r.tool = tool;
    r.arguments_json = R"({"text":"hi"})";
    r.user_id = "u_9";
    return r;
  }
  // Waits for the connector to receive its n-th tool.invoke.
  std::optional<protocol::Envelope> AwaitInvoke(TestConnector& c, size_t n = 1) {
    if (!env_.RunUntil([&] { return c.Received(protocol::method::kInvoke).size() >= n; })) return std::nullopt;
    return c.Received(protocol::method::kInvoke)[n - 1];
  }

  LogCapture log_;
  Outcomes out;  // before env_: calls still pending when the context goes fail into it
  HubTestEnv env_;
};

TEST_F(HubTest, InvokeIsRoutedAndTheResultDelivered) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(env_.directory().connected["dep_1"], 1);
  EXPECT_EQ(env_.directory().tools["dep_1"].names, std::vector<std::string>{"echo"});
  ASSERT_TRUE(env_.hub().Connection("dep_1").has_value());
  EXPECT_EQ(env_.hub().Connection("dep_1")->state, "serving");

  env_.hub().Invoke(Call("echo"), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  auto p = protocol::ParseInvokeParams(inv->params);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->tool, "echo");
  EXPECT_EQ(p->org_id, "org_a");
  EXPECT_EQ(p->deployment_id, "dep_1");
  EXPECT_EQ(p->user_id, "u_9");
  EXPECT_FALSE(p->call_id.empty());
  EXPECT_EQ(env_.hub().Connection("dep_1")->in_flight, 1);
  EXPECT_TRUE(out.list.empty());

  const std::string result = R"({"content":[{"type":"text","text":"hi"}],"isError":false})";
  c->Send(protocol::EncodeResult(inv->id, result));
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  ASSERT_EQ(out.list.size(), 1u);
  ASSERT_TRUE(out.list[0].result_json.has_value());
  EXPECT_EQ(*out.list[0].result_json, result);
  EXPECT_EQ(out.list[0].call_id, p->call_id);
  EXPECT_EQ(out.list[0].deployment_id, "dep_1");
  EXPECT_EQ(env_.hub().Connection("dep_1")->in_flight, 0);
}

TEST_F(HubTest, ToolErrorResultPassesThrough) {
  auto c = env_.ConnectServing("dep_1", {"sql"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("sql", "dep_1"), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  const std::string result = R"({"content":[{"type":"text","text":"table 'users' does not exist"}],"isError":true})";
  c->Send(protocol::EncodeResult(inv->id, result));
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  ASSERT_TRUE(out.list[0].result_json.has_value());
  EXPECT_EQ(*out.list[0].result_json, result);
}

TEST_F(HubTest, ConnectorErrorPassesThroughWithField) {
  auto c = env_.ConnectServing("dep_1", {"slow"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("slow"), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  protocol::RpcError e;
  e.code = protocol::kInvalidParams;
  e.message = "invalid params for tool 'slow': /seconds: value -1 is less than minimum 0";
  e.data_json = R"({"field":"/seconds","status":"INVALID_ARGUMENT"})";
  c->Send(protocol::EncodeError(inv->id, e));
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  EXPECT_FALSE(out.list[0].result_json.has_value());
  EXPECT_EQ(out.list[0].error.code, protocol::kInvalidParams);
  EXPECT_EQ(out.list[0].error.message, e.message);
  EXPECT_EQ(protocol::ErrorDataString(out.list[0].error, "field"), "/seconds");
}

TEST_F(HubTest, InvokeWithNobodyConnectedIsUnavailable) {
  env_.hub().Invoke(Call("echo"), out.Done());
  ASSERT_EQ(out.list.size(), 1u);
  EXPECT_EQ(out.list[0].error.code, protocol::kConnectorUnavailable);
  EXPECT_EQ(protocol::ErrorDataString(out.list[0].error, "reason"), "not_connected");
  EXPECT_NE(out.list[0].error.message.find("no connected connector serves tool 'echo'"), std::string::npos);
  env_.hub().Invoke(Call("echo", "dep_1"), out.Done());
  ASSERT_EQ(out.list.size(), 2u);
  EXPECT_EQ(out.list[1].error.code, protocol::kConnectorUnavailable);
}

TEST_F(HubTest, PinnedDeploymentWithoutTheToolIsToolNotFound) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("other", "dep_1"), out.Done());
  ASSERT_EQ(out.list.size(), 1u);
  EXPECT_EQ(out.list[0].error.code, protocol::kToolNotFound);
  // Another org's caller does not see the deployment at all.
  InvokeRequest foreign = Call("echo", "dep_1");
  foreign.org_id = "org_z";
  env_.hub().Invoke(std::move(foreign), out.Done());
  ASSERT_EQ(out.list.size(), 2u);
  EXPECT_EQ(out.list[1].error.code, protocol::kConnectorUnavailable);
}

TEST_F(HubTest, RoutesOnlyToTheConnectorThatRegisteredTheTool) {
  auto a = env_.ConnectServing("dep_1", {"alpha"});
  auto b = env_.ConnectServing("dep_2", {"beta"});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  env_.hub().Invoke(Call("beta"), out.Done());
  ASSERT_TRUE(AwaitInvoke(*b).has_value());
  EXPECT_TRUE(a->Received(protocol::method::kInvoke).empty());
  EXPECT_EQ(env_.hub().Connections("org_a").size(), 2u);
}

TEST_F(HubTest, DuplicateConnectionIsRefusedWith4009AndTheFirstKeepsWorking) {
  auto first = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(first, nullptr);
  auto second = env_.Connect(env_.Basic("dep_1"));
  ASSERT_TRUE(env_.RunUntil([&] { return second->closed || second->failed; }));
  EXPECT_EQ(second->close_code, 4009);
  auto reason = protocol::ParseCloseReason(second->close_reason);
  EXPECT_EQ(reason.message, "Deployment already connected");
  ASSERT_EQ(reason.fields.count("retryAfterMs"), 1u) << second->close_reason;
  const int64_t retry = std::stoll(reason.fields["retryAfterMs"]);
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 1000);
  EXPECT_TRUE(env_.directory().disconnected.empty());

  env_.hub().Invoke(Call("echo"), out.Done());
  auto inv = AwaitInvoke(*first);
  ASSERT_TRUE(inv.has_value());
  first->Send(protocol::EncodeResult(inv->id, R"({"content":[],"isError":false})"));
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  EXPECT_TRUE(out.list[0].result_json.has_value());
}

TEST_F(HubTest, SilentFirstConnectionIsReplaced) {
  auto first = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(first, nullptr);
  first->answer_heartbeats = false;  // half-open: nothing more arrives from it
  env_.RunFor(1300);                 // > heartbeat_timeout_ms (1000)
  auto second = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(env_.RunUntil([&] { return first->closed; }));
  EXPECT_EQ(first->close_code, 4008);
  EXPECT_EQ(env_.directory().connected["dep_1"], 2);
  EXPECT_EQ(env_.directory().disconnected["dep_1"].size(), 1u);
  EXPECT_EQ(env_.hub().Connections("org_a").size(), 1u);
}

TEST_F(HubTest, DeadPeerIsDroppedAndItsCallsFail) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("echo"), out.Done());
  ASSERT_TRUE(AwaitInvoke(*c).has_value());
  c->answer_heartbeats = false;
  // Effective timeout: max(1000, 2 * 100 + 5000) = 5200 ms of silence.
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }, 15000));
  EXPECT_EQ(out.list[0].error.code, protocol::kConnectorUnavailable);
  EXPECT_EQ(protocol::ErrorDataString(out.list[0].error, "reason"), "not_connected");
  EXPECT_NE(out.list[0].error.message.find("the connection to deployment dep_1 was lost"), std::string::npos);
  EXPECT_EQ(env_.directory().disconnected["dep_1"].size(), 1u);
  EXPECT_FALSE(env_.hub().Connection("dep_1").has_value());
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed; }, 10000));
  EXPECT_EQ(c->close_code, 4008);
}

TEST_F(HubTest, PlatformCallWatchTimesOutAndSendsCancel) {
  auto c = env_.ConnectServing("dep_1", {"slow"});
  ASSERT_NE(c, nullptr);
  InvokeRequest r = Call("slow");
  r.inactivity_ms = 100;  // the watch fires at 100 + 200 ms slack
  env_.hub().Invoke(std::move(r), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  EXPECT_NE(inv->params.find("\"inactivityMs\":100"), std::string::npos) << inv->params;
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  EXPECT_EQ(out.list[0].error.code, protocol::kTimeout);
  EXPECT_EQ(protocol::ErrorDataString(out.list[0].error, "kind"), "inactivity");
  ASSERT_TRUE(env_.RunUntil([&] { return !c->Received(protocol::method::kCancel).empty(); }));
  auto cancel = protocol::ParseCancelParams(c->Received(protocol::method::kCancel)[0].params);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->reason, "timeout");
  EXPECT_EQ(cancel->call_id, out.list[0].call_id);
  // The late response is consumed and dropped: done ran once.
  c->Send(protocol::EncodeResult(inv->id, R"({"content":[],"isError":false})"));
  ASSERT_TRUE(env_.RunUntil([&] { return env_.hub().Connection("dep_1")->in_flight == 0; }));
  EXPECT_EQ(out.list.size(), 1u);
}

TEST_F(HubTest, ProgressKeepsTheCallWatchAlive) {
  auto c = env_.ConnectServing("dep_1", {"slow"});
  ASSERT_NE(c, nullptr);
  InvokeRequest r = Call("slow");
  r.call_id = "call-progress-1";
  r.inactivity_ms = 200;  // watch: 400 ms of silence
  env_.hub().Invoke(std::move(r), out.Done());
  ASSERT_TRUE(AwaitInvoke(*c).has_value());
  for (int i = 0; i < 8; ++i) {  // ~800 ms in total, never 400 ms apart
    c->Send(protocol::EncodeNotification(protocol::method::kProgress,
                                         R"({"callId":"call-progress-1","progress":)" + std::to_string(i) + "}"));
    env_.RunFor(100);
  }
  EXPECT_TRUE(out.list.empty());
  ASSERT_TRUE(env_.RunUntil([&] { return !out.list.empty(); }));
  EXPECT_EQ(out.list[0].error.code, protocol::kTimeout);
}

TEST_F(HubTest, CancelAnswersCancelledAndSendsToolCancel) {
  auto c = env_.ConnectServing("dep_1", {"slow"});
  ASSERT_NE(c, nullptr);
  InvokeRequest r = Call("slow");
  r.call_id = "call-to-cancel";
  env_.hub().Invoke(std::move(r), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  EXPECT_FALSE(env_.hub().Cancel("no-such-call", "caller"));
  EXPECT_TRUE(env_.hub().Cancel("call-to-cancel", "caller"));
  ASSERT_EQ(out.list.size(), 1u);
  EXPECT_EQ(out.list[0].error.code, protocol::kCancelled);
  EXPECT_FALSE(env_.hub().Cancel("call-to-cancel", "caller"));
  ASSERT_TRUE(env_.RunUntil([&] { return !c->Received(protocol::method::kCancel).empty(); }));
  auto cancel = protocol::ParseCancelParams(c->Received(protocol::method::kCancel)[0].params);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->call_id, "call-to-cancel");
  EXPECT_EQ(cancel->reason, "caller");
  protocol::RpcError e;
  e.code = protocol::kCancelled;
  e.message = "cancelled";
  c->Send(protocol::EncodeError(inv->id, e));
  ASSERT_TRUE(env_.RunUntil([&] { return env_.hub().Connection("dep_1")->in_flight == 0; }));
  EXPECT_EQ(out.list.size(), 1u);
}

TEST_F(HubTest, OverloadBeyondTheAnnouncedLimit) {
  auto c = env_.Connect(env_.Basic("dep_1"));
  ASSERT_TRUE(env_.RunUntil([&] { return c->established || c->failed; }));
  c->Request(protocol::method::kHello, HubTestEnv::HelloJson(100, 1, 1));
  const std::string reg = c->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(1, {"echo"}));
  ASSERT_TRUE(env_.RunUntil([&] { return c->Response(reg).has_value(); }));
  for (int i = 0; i < 3; ++i) env_.hub().Invoke(Call("echo"), out.Done());
  ASSERT_EQ(out.list.size(), 1u);
  EXPECT_EQ(out.list[0].error.code, protocol::kOverloaded);
  EXPECT_EQ(protocol::ErrorDataInt(out.list[0].error, "retryAfterMs", 0), 1000);
}

TEST_F(HubTest, DrainingSessionGetsNoNewCallsButFinishesItsOwn) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("echo"), out.Done());
  auto inv = AwaitInvoke(*c);
  ASSERT_TRUE(inv.has_value());
  c->Send(protocol::EncodeNotification(protocol::method::kDraining,
                                       R"({"reason":"shutdown","graceMs":25000,"inFlight":1})"));
  ASSERT_TRUE(env_.RunUntil([&] { return env_.hub().Connection("dep_1")->state == "draining"; }));
  env_.hub().Invoke(Call("echo"), out.Done());
  env_.hub().Invoke(Call("echo", "dep_1"), out.Done());
  ASSERT_EQ(out.list.size(), 2u);
  EXPECT_EQ(out.list[0].error.code, protocol::kConnectorUnavailable);
  EXPECT_EQ(out.list[1].error.code, protocol::kConnectorUnavailable);
  EXPECT_EQ(protocol::ErrorDataString(out.list[1].error, "reason"), "draining");
  c->Send(protocol::EncodeResult(inv->id, R"({"content":[],"isError":false})"));
  ASSERT_TRUE(env_.RunUntil([&] { return out.list.size() == 3; }));
  EXPECT_TRUE(out.list[2].result_json.has_value());
  EXPECT_EQ(c->Received(protocol::method::kInvoke).size(), 1u);
}

TEST_F(HubTest, RegisterKeepsGenerationsMonotonicAndThePreviousSetOnFailure) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  const std::string up = c->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(3, {"echo", "sql"}));
  const std::string down = c->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(2, {"x"}));
  const std::string bad = c->Request(protocol::method::kRegister, R"({"generation":4,"bundle":null,"tools":[{"name":"a"}]})");
  ASSERT_TRUE(env_.RunUntil([&] { return c->Response(bad).has_value(); }));
  auto r = protocol::ParseRegisterResult(c->Response(up)->result);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->generation, 3u);
  EXPECT_EQ(r->tool_count, 2);
  ASSERT_EQ(c->Response(down)->kind, MessageKind::kError);
  EXPECT_EQ(c->Response(down)->error.code, protocol::kInvalidParams);
  EXPECT_EQ(protocol::ErrorDataString(c->Response(down)->error, "param"), "/generation");
  ASSERT_EQ(c->Response(bad)->kind, MessageKind::kError);
  EXPECT_EQ(c->Response(bad)->error.code, protocol::kInvalidParams);
  EXPECT_FALSE(protocol::ErrorDataString(c->Response(bad)->error, "param").empty());
  EXPECT_EQ(env_.hub().Connection("dep_1")->generation, 3u);
  EXPECT_EQ(env_.hub().Connection("dep_1")->tools, (std::vector<std::string>{"echo", "sql"}));
}

TEST_F(HubTest, HeartbeatsBothWays) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  protocol::HeartbeatParams hb;
  hb.seq = 7;
  hb.sent_at_ms = 1;
  hb.status.state = "serving";
  hb.status.tool_count = 1;
  const std::string id = c->Request(protocol::method::kHeartbeat, protocol::ToJson(hb));
  ASSERT_TRUE(env_.RunUntil([&] { return c->Response(id).has_value(); }));
  ASSERT_EQ(c->Response(id)->kind, MessageKind::kResult) << c->Response(id)->error.message;
  auto r = protocol::ParseHeartbeatResult(c->Response(id)->result);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->seq, 7u);
  EXPECT_GT(r->server_time_ms, 0);
  EXPECT_EQ(env_.directory().heartbeats["dep_1"], 1);
  EXPECT_NE(env_.hub().Connection("dep_1")->last_status_json.find("serving"), std::string::npos);
  // The platform beats every 200 ms.
  ASSERT_TRUE(env_.RunUntil([&] { return c->Received(protocol::method::kHeartbeat).size() >= 2; }));
}

TEST_F(HubTest, ParseErrorsAndUnknownMethods) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  c->Send("{not json");
  const std::string id = c->Request("no.such.method", "{}");
  c->Send(protocol::EncodeNotification("no.such.notification", "{}"));
  ASSERT_TRUE(env_.RunUntil([&] { return c->Response(id).has_value() && c->Response("null").has_value(); }));
  EXPECT_EQ(c->Response("null")->error.code, protocol::kParseError);
  EXPECT_EQ(c->Response(id)->error.code, protocol::kMethodNotFound);
  EXPECT_FALSE(c->closed);
}

TEST_F(HubTest, MessageBeforeHelloIsAnsweredAndCloses4002) {
  auto c = env_.Connect(env_.Basic("dep_1"));
  ASSERT_TRUE(env_.RunUntil([&] { return c->established || c->failed; }));
  const std::string id = c->Request(protocol::method::kRegister, HubTestEnv::RegisterJson(1, {"echo"}));
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed; }));
  ASSERT_TRUE(c->Response(id).has_value());
  EXPECT_EQ(c->Response(id)->error.code, protocol::kInvalidRequest);
  EXPECT_EQ(c->close_code, 4002);
}

TEST_F(HubTest, OversizeMessageCloses1009) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  std::string big(protocol::kMaxMessageBytes + 1024, ' ');
  big.front() = '"';
  big.back() = '"';
  c->Send(std::move(big));
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed; }, 15000));
  EXPECT_EQ(c->close_code, 1009);
  EXPECT_EQ(c->close_reason, "Message too large; limit=4194304");
  EXPECT_EQ(env_.directory().disconnected["dep_1"].size(), 1u);
}

TEST_F(HubTest, BinaryMessageCloses1003) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  c->SendBinary("\x01\x02\x03");
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed; }));
  EXPECT_EQ(c->close_code, 1003);
}

TEST_F(HubTest, ShutdownFailsCallsAndClosesWith1001) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  env_.hub().Invoke(Call("echo"), out.Done());
  ASSERT_TRUE(AwaitInvoke(*c).has_value());
  env_.hub().Shutdown();
  ASSERT_EQ(out.list.size(), 1u);
  EXPECT_EQ(out.list[0].error.code, protocol::kConnectorUnavailable);
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed; }));
  EXPECT_EQ(c->close_code, 1001);
  env_.hub().Invoke(Call("echo"), out.Done());
  EXPECT_EQ(out.list.size(), 2u);
}

TEST_F(HubTest, NotifyBundleUpdatedAndOversizeTestHook) {
  auto c = env_.ConnectServing("dep_1", {"echo"});
  ASSERT_NE(c, nullptr);
  protocol::BundleUpdatedParams b;
  b.bundle_id = "b_1";
  b.version = 5;
  b.checksum = "sha256:00";
  EXPECT_TRUE(env_.hub().NotifyBundleUpdated("dep_1", b));
  EXPECT_FALSE(env_.hub().NotifyBundleUpdated("dep_2", b));
  ASSERT_TRUE(env_.RunUntil([&] { return !c->Received(protocol::method::kBundleUpdated).empty(); }));
  EXPECT_TRUE(env_.hub().SendOversizeForTest("dep_1", 100000));
  ASSERT_TRUE(env_.RunUntil([&] {
    return std::any_of(c->raw.begin(), c->raw.end(), [](const std::string& m) { return m.size() == 100000; });
  }));
}

class HubHelloTimeoutTest : public HubTest {
 protected:
  static HubOptions Options(runtime::Logger* logger) {
    HubOptions o = TestOptions(logger);
    o.hello_timeout_ms = 300;
    return o;
  }
  HubHelloTimeoutTest() : HubTest(Options(&log_.logger)) {}
};

TEST_F(HubHelloTimeoutTest, NoHelloInTimeCloses4002) {
  auto c = env_.Connect(env_.Basic("dep_1"));
  ASSERT_TRUE(env_.RunUntil([&] { return c->closed || c->failed; }));
  EXPECT_TRUE(c->established);
  EXPECT_EQ(c->close_code, 4002);
}

}  // namespace
}  // namespace edge::platform::testing
