// Tests for the Tool RPC link (runtime/src/link) against TestPeer, a small lws server standing in for the
// platform: handshake, hello/register, invokes through a real in-process executor, heartbeats both ways,
// close codes and backoff, oversize messages, drain, stop, re-register.
#include "edge/runtime/link.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/errors.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/executor.h"
#include "test_peer.h"

namespace edge::runtime {
namespace {

using ::edge::runtime::testing::PeerMessage;
using ::edge::runtime::testing::TestPeer;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

class FnTool : public Tool {
 public:
  using Body = std::function<absl::StatusOr<ToolResult>(std::string_view, CallControl&)>;
  FnTool(std::string name, Body body) : body_(std::move(body)) {
    desc_.name = std::move(name);
    desc_.description = "test tool";
    desc_.input_schema = R"({"type":"object"})";
  }
  const ToolDescriptor& descriptor() const override { return desc_; }
  std::string source() const override { return "link test"; }
  absl::StatusOr<ToolResult> Invoke(std::string_view args, const CallContext&, CallControl& control) const override {
    return body_(args, control);
  }

 private:
  ToolDescriptor desc_;
  Body body_;
};

ToolResult Text(std::string text, bool is_error = false) {
  ToolResult r;
  r.text.push_back(std::move(text));
  r.is_error = is_error;
  return r;
}

// Waits (polling the cancel flag) until cancelled or 10 s pass.
absl::StatusOr<ToolResult> WaitForCancel(CallControl& control) {
  const absl::Time deadline = absl::Now() + kWait;
  while (!control.IsCancelled() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return absl::CancelledError("cancelled");
}

std::vector<std::shared_ptr<const Tool>> TestTools() {
  std::vector<std::shared_ptr<const Tool>> tools;
  tools.push_back(std::make_shared<FnTool>("echo", [](std::string_view args, CallControl&) {
    return absl::StatusOr<ToolResult>(Text(std::string(args)));
  }));
  tools.push_back(std::make_shared<FnTool>("fail", [](std::string_view, CallControl&) {
    return absl::StatusOr<ToolResult>(Text("table 'users' does not exist", /*is_error=*/true));
  }));
  tools.push_back(std::make_shared<FnTool>("strict", [](std::string_view, CallControl&) -> absl::StatusOr<ToolResult> {
    absl::Status s = absl::InvalidArgumentError("invalid params for tool 'strict': /n: must be a number");
    s.SetPayload(protocol::kInvalidParamsFieldPayload, absl::Cord("/n"));
    return s;
  }));
  tools.push_back(std::make_shared<FnTool>("slow", [](std::string_view, CallControl& c) { return WaitForCancel(c); }));
  tools.push_back(std::make_shared<FnTool>("progress", [](std::string_view, CallControl& c) {
    for (int i = 1; i <= 6; ++i) {
      c.OnProgress(Progress{static_cast<double>(i), 6, absl::StrCat("step ", i)});
      absl::SleepFor(absl::Milliseconds(40));
    }
    return absl::StatusOr<ToolResult>(Text("done"));
  }));
  return tools;
}

std::shared_ptr<ToolCatalog> MakeCatalog(std::vector<std::shared_ptr<const Tool>> tools) {
  auto catalog = std::make_shared<ToolCatalog>();
  auto registry = ToolRegistry::Create(std::move(tools));
  EXPECT_TRUE(registry.ok());
  catalog->Publish(*registry);
  return catalog;
}

class CapturingLog {
 public:
  CapturingLog()
      : logger_([this](LogLevel level, std::string_view, std::string_view message) {
          absl::MutexLock lock(&mu_);
          lines_.push_back({level, std::string(message)});
        }, LogLevel::kDebug) {}
  Logger* logger() { return &logger_; }
  bool Has(LogLevel level, std::string_view needle) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [l, m] : lines_) {
      if (l == level && m.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string All() const {
    absl::MutexLock lock(&mu_);
    std::string out;
    for (const auto& [l, m] : lines_) absl::StrAppend(&out, ToAbsl(LogLevelName(l)), " ", m, "\n");
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
  Logger logger_;
};

class LinkTest : public ::testing::Test {
 protected:
  void SetUp() override { StartPeer({}); }
  void TearDown() override {
    link_.reset();
    if (std::getenv("LINK_TEST_DUMP_LOG") != nullptr) std::cerr << log_.All();
    executor_.reset();
    if (peer_) peer_->Stop();
  }

  void StartPeer(testing::TestPeerOptions options) {
    peer_ = std::make_unique<TestPeer>(options);
    ASSERT_TRUE(peer_->Start().ok());
    catalog_ = MakeCatalog(TestTools());
    ExecutorOptions eo;
    eo.max_concurrent_calls = 2;
    eo.max_queued_calls = 2;
    eo.logger = log_.logger();
    executor_ = NewInProcessExecutor(catalog_, eo);
  }

  LinkOptions Options() {
    LinkOptions o;
    o.url = peer_->url();
    o.credentials = [] {
      LinkCredentials c;
      c.authorization = protocol::BasicAuthorization("dep_test", "s3cret");
      c.deployment_id = "dep_test";
      c.description = "deployment credentials for dep_test (test)";
      return absl::StatusOr<LinkCredentials>(c);
    };
    o.connector_version = "9.9.9";
    o.heartbeat_interval_ms = 100;
    o.heartbeat_timeout_ms = 500;
    o.reconnect_initial_ms = 50;
    o.reconnect_max_ms = 200;
    o.slow_backoff_initial_ms = 300;
    o.slow_backoff_max_ms = 600;
    o.connect_timeout_ms = 3000;
    o.max_concurrent_calls = 2;
    o.max_queued_calls = 2;
    o.logger = log_.logger();
    return o;
  }

  void StartLink(LinkOptions options) {
    link_ = std::make_unique<Link>(std::move(options), catalog_, executor_.get());
    ASSERT_TRUE(link_->Start().ok());
  }
  void StartReady() {
    StartLink(Options());
    ASSERT_TRUE(WaitReady()) << log_.All();
  }
  bool WaitReady() { return TestPeer::WaitUntil([&] { return link_->Ready(); }, kWait); }

  PeerMessage Response(std::string_view id) {
    std::optional<PeerMessage> m = peer_->WaitForResponse(protocol::StringId(id), kWait);
    EXPECT_TRUE(m.has_value()) << "no response to " << id << "\n" << log_.All();
    return m.value_or(PeerMessage{});
  }

  CapturingLog log_;
  std::unique_ptr<TestPeer> peer_;
  std::shared_ptr<ToolCatalog> catalog_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Link> link_;
};

TEST_F(LinkTest, SaysHelloAndRegistersTheCatalog) {
  StartReady();
  std::vector<PeerMessage> messages = peer_->Messages();
  ASSERT_GE(messages.size(), 2u);
  ASSERT_EQ(messages[0].envelope.method, protocol::method::kHello);
  auto hello = protocol::ParseHelloParams(messages[0].envelope.params);
  ASSERT_TRUE(hello.ok()) << hello.status();
  EXPECT_EQ(hello->version, "9.9.9");
  EXPECT_EQ(hello->type, "SERVER");
  EXPECT_EQ(hello->instance_id.size(), 36u);
  EXPECT_FALSE(hello->hostname.empty());
  EXPECT_THAT(hello->platform, HasSubstr("linux-"));
  EXPECT_EQ(hello->max_concurrent_calls, 2);
  EXPECT_EQ(hello->max_queued_calls, 2);
  EXPECT_EQ(hello->heartbeat.interval_ms, 100);

  ASSERT_EQ(messages[1].envelope.method, protocol::method::kRegister);
  auto reg = protocol::ParseRegisterParams(messages[1].envelope.params);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_EQ(reg->generation, catalog_->generation());
  std::vector<std::string> names;
  for (const auto& t : reg->tools) names.push_back(t.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("echo", "fail", "strict", "slow", "progress"));

  std::vector<testing::PeerConnection> conns = peer_->Connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].protocol, "edge-tool-rpc.v1");
  EXPECT_EQ(conns[0].headers["authorization"], protocol::BasicAuthorization("dep_test", "s3cret"));
  EXPECT_EQ(conns[0].headers["x-edge-deployment-id"], "dep_test");
  EXPECT_EQ(conns[0].headers["x-edge-connector-version"], "9.9.9");
  EXPECT_EQ(conns[0].headers["x-edge-connector-type"], "SERVER");
  EXPECT_THAT(conns[0].headers["user-agent"], HasSubstr("edge-connector/9.9.9 (linux-"));

  LinkStatus st = link_->Status();
  EXPECT_EQ(st.state, LinkState::kServing);
  EXPECT_TRUE(st.registered);
  EXPECT_EQ(st.session_id, "s_1");
  EXPECT_EQ(st.org_id, "org_test");
  EXPECT_EQ(st.deployment_id, "dep_test");
  EXPECT_EQ(st.registered_generation, catalog_->generation());
  EXPECT_EQ(st.connect_attempts, 1);
  EXPECT_EQ(st.reconnects, 0);
  EXPECT_FALSE(log_.Has(LogLevel::kInfo, "s3cret"));
}

TEST_F(LinkTest, InvokeReturnsTheToolResult) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "echo", R"({"text":"hi"})");
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kResult) << m.text;
  EXPECT_THAT(m.envelope.result, HasSubstr(R"(\"text\":\"hi\")"));
  EXPECT_THAT(m.envelope.result, HasSubstr(R"("isError":false)"));
  EXPECT_THAT(m.envelope.result, HasSubstr(R"("elapsedMs":)"));
  EXPECT_TRUE(protocol::ValidateToolResult(m.envelope.result).ok());
}

TEST_F(LinkTest, AResultOverTheMessageLimitIsAnsweredResultTooLargeAndLogged) {
  std::vector<std::shared_ptr<const Tool>> tools = TestTools();
  tools.push_back(std::make_shared<FnTool>("huge", [](std::string_view, CallControl&) {
    return absl::StatusOr<ToolResult>(Text(std::string(protocol::kMaxMessageBytes, 'x')));
  }));
  catalog_->Publish(*ToolRegistry::Create(std::move(tools)));
  StartReady();
  peer_->SendInvoke("r1", "c1", "huge");
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kError) << m.text.substr(0, 200);
  EXPECT_EQ(m.envelope.error.code, protocol::kToolFailed);
  EXPECT_THAT(m.envelope.error.data_json, HasSubstr("result_too_large"));
  EXPECT_TRUE(log_.Has(LogLevel::kWarn, "(tool huge) exceeds the message limit")) << log_.All();
  // The link keeps serving, and an ordinary answer is not mistaken for one too large.
  peer_->SendInvoke("r2", "c2", "echo", R"({"text":"result_too_large"})");
  PeerMessage next = Response("r2");
  ASSERT_EQ(next.envelope.kind, protocol::MessageKind::kResult) << next.text;
  EXPECT_FALSE(log_.Has(LogLevel::kWarn, "(tool echo) exceeds the message limit"));
}

// The loop is woken for a completion only when it may be about to block (Inbox::armed); completions that
// land while it is busy are run by the drain after lws_service. Tools that return after 0 to 300 µs land on
// every part of the loop's cycle. With heartbeats minutes apart nothing else wakes it, so a lost wake-up
// would leave a call unanswered: each must be answered within a second.
TEST_F(LinkTest, EveryCompletionIsAnsweredWhereverInTheLoopItLands) {
  std::vector<std::shared_ptr<const Tool>> tools = TestTools();
  tools.push_back(std::make_shared<FnTool>("jitter", [](std::string_view args, CallControl&) {
    const int64_t spin_us = std::strtoll(std::string(args.substr(args.find(':') + 1)).c_str(), nullptr, 10);
    const absl::Time until = absl::Now() + absl::Microseconds(spin_us);
    while (absl::Now() < until) {
    }
    return absl::StatusOr<ToolResult>(Text("ok"));
  }));
  catalog_->Publish(*ToolRegistry::Create(std::move(tools)));
  LinkOptions o = Options();
  o.heartbeat_interval_ms = 600000;
  o.heartbeat_timeout_ms = 1200000;
  StartLink(o);
  ASSERT_TRUE(WaitReady()) << log_.All();
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string id = absl::StrCat("j", i);
    // One call at a time, sometimes two: the second completion lands while the first is being answered.
    const int batch = i % 5 == 0 ? 2 : 1;
    for (int b = 0; b < batch; ++b) {
      peer_->SendInvoke(absl::StrCat(id, "_", b), absl::StrCat("c", id, "_", b), "jitter",
                        absl::StrCat(R"({"us":)", rng() % 300, "}"));
    }
    for (int b = 0; b < batch; ++b) {
      std::optional<PeerMessage> m =
          peer_->WaitForResponse(protocol::StringId(absl::StrCat(id, "_", b)), absl::Seconds(1));
      ASSERT_TRUE(m.has_value()) << "call " << id << "_" << b << " was not answered within a second";
      ASSERT_EQ(m->envelope.kind, protocol::MessageKind::kResult) << m->text;
    }
  }
}

TEST_F(LinkTest, ToolErrorIsAResult) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "fail");
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kResult) << m.text;
  EXPECT_THAT(m.envelope.result, HasSubstr(R"("isError":true)"));
}

TEST_F(LinkTest, InvalidArgumentsBecomeInvalidParamsWithField) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "strict", R"({"n":"x"})");
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kError) << m.text;
  EXPECT_EQ(m.envelope.error.code, protocol::kInvalidParams);
  EXPECT_EQ(protocol::ErrorDataString(m.envelope.error, "field"), "/n");
}

TEST_F(LinkTest, EnvelopeErrorsNameTheParam) {
  StartReady();
  protocol::InvokeParams p = peer_->InvokeFor("c1", "echo");
  p.org_id = "org_other";
  peer_->SendInvokeParams("r1", p);
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kError) << m.text;
  EXPECT_EQ(m.envelope.error.code, protocol::kInvalidParams);
  EXPECT_EQ(protocol::ErrorDataString(m.envelope.error, "param"), "/context/orgId");

  peer_->SendText(R"({"jsonrpc":"2.0","id":"r2","method":"no.such.method","params":{}})");
  EXPECT_EQ(Response("r2").envelope.error.code, protocol::kMethodNotFound);
}

TEST_F(LinkTest, CancelAnswersCancelled) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "slow");
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return link_->Status().in_flight == 1; }, kWait));
  peer_->SendCancel("c1");
  PeerMessage m = Response("r1");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kError) << m.text;
  EXPECT_EQ(m.envelope.error.code, protocol::kCancelled);
  EXPECT_TRUE(TestPeer::WaitUntil([&] { return link_->Status().in_flight == 0; }, kWait));
}

TEST_F(LinkTest, ProgressArrivesCoalescedAndBeforeTheResult) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "progress");
  Response("r1");
  absl::SleepFor(absl::Milliseconds(300));  // nothing may follow the response
  std::vector<PeerMessage> all = peer_->Messages();
  size_t response_at = 0, progress_count = 0, last_progress_at = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].envelope.id == protocol::StringId("r1")) response_at = i;
    if (all[i].envelope.method == protocol::method::kProgress) {
      auto p = protocol::ParseProgressParams(all[i].envelope.params);
      ASSERT_TRUE(p.ok());
      EXPECT_EQ(p->call_id, "c1");
      ++progress_count;
      last_progress_at = i;
    }
  }
  EXPECT_GE(progress_count, 1u);
  EXPECT_LE(progress_count, 6u);
  EXPECT_LT(last_progress_at, response_at);
}

TEST_F(LinkTest, DuplicateCallIdIsRefusedAndTheFirstCallIsUnaffected) {
  StartReady();
  peer_->SendInvoke("r1", "c1", "slow");
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return link_->Status().in_flight == 1; }, kWait));
  peer_->SendInvoke("r2", "c1", "echo");
  PeerMessage dup = Response("r2");
  ASSERT_EQ(dup.envelope.kind, protocol::MessageKind::kError) << dup.text;
  EXPECT_EQ(dup.envelope.error.code, protocol::kInvalidRequest);
  EXPECT_EQ(protocol::ErrorDataString(dup.envelope.error, "reason"), "duplicate_call_id");
  peer_->SendCancel("c1");
  EXPECT_EQ(Response("r1").envelope.error.code, protocol::kCancelled);
}

TEST_F(LinkTest, OverloadAnswersOverloaded) {
  StartReady();
  for (int i = 0; i < 4; ++i) peer_->SendInvoke(absl::StrCat("r", i), absl::StrCat("c", i), "slow");
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return link_->Status().in_flight == 4; }, kWait));
  peer_->SendInvoke("r9", "c9", "echo");
  PeerMessage m = Response("r9");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kError) << m.text;
  EXPECT_EQ(m.envelope.error.code, protocol::kOverloaded);
  EXPECT_EQ(protocol::ErrorDataInt(m.envelope.error, "retryAfterMs", -1), 1000);
  for (int i = 0; i < 4; ++i) peer_->SendCancel(absl::StrCat("c", i));
  for (int i = 0; i < 4; ++i) Response(absl::StrCat("r", i));
}

TEST_F(LinkTest, HeartbeatsFlowBothWays) {
  StartReady();
  peer_->SendPlatformHeartbeat("p-hb", 7);
  PeerMessage m = Response("p-hb");
  ASSERT_EQ(m.envelope.kind, protocol::MessageKind::kResult) << m.text;
  EXPECT_EQ(m.envelope.result, R"({"seq":7})");

  std::optional<PeerMessage> hb = peer_->WaitForMethod(protocol::method::kHeartbeat, kWait);
  ASSERT_TRUE(hb.has_value());
  auto params = protocol::ParseHeartbeatParams(hb->envelope.params);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->seq, 1u);
  EXPECT_EQ(params->status.state, "serving");
  EXPECT_EQ(params->status.tool_count, 5);
  EXPECT_GT(params->status.rss_bytes, 0);
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return link_->Status().last_heartbeat_ack.has_value(); }, kWait));
  EXPECT_TRUE(link_->Status().last_platform_heartbeat.has_value());
}

TEST_F(LinkTest, DeadPeerIsDetectedAndTheLinkReconnects) {
  StartReady();
  peer_->AnswerHeartbeats(false);
  // Effective timeout: max(500, 2 x 100 + 5000) = 5.2 s (docs/protocol.md §4.1).
  const absl::Time silent_since = absl::Now();
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return peer_->Connections().size() >= 2; }, absl::Seconds(20)))
      << log_.All();
  EXPECT_GE(absl::Now() - silent_since, absl::Seconds(4));
  peer_->AnswerHeartbeats(true);
  std::vector<testing::PeerConnection> conns = peer_->Connections();
  EXPECT_EQ(conns[0].close_code_from_link, protocol::kCloseHeartbeatTimeout);
  ASSERT_TRUE(WaitReady());
  EXPECT_EQ(link_->Status().reconnects, 1);
  EXPECT_TRUE(log_.Has(LogLevel::kWarn, "no heartbeat result from the platform"));
}

TEST_F(LinkTest, AlreadyConnectedWaitsForTheHint) {
  peer_->CloseNewConnections(protocol::kCloseAlreadyConnected,
                             protocol::FormatCloseReason(protocol::kCloseAlreadyConnected, {{"retryAfterMs", "1500"}}));
  StartLink(Options());
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return !peer_->Connections().empty(); }, kWait));
  peer_->CloseNewConnections(0, "");
  ASSERT_TRUE(WaitReady()) << log_.All();
  std::vector<testing::PeerConnection> conns = peer_->Connections();
  ASSERT_GE(conns.size(), 2u);
  EXPECT_GE(conns[1].opened_at - conns[0].opened_at, absl::Milliseconds(1500));
  EXPECT_TRUE(log_.Has(LogLevel::kWarn,
                       "Deployment already connected: another connector holds deployment dep_test; retrying in"))
      << log_.All();
}

TEST_F(LinkTest, UnauthorizedNamesTheReasonAndUsesSlowBackoff) {
  peer_->RejectUpgrades("token_expired");
  StartLink(Options());
  ASSERT_TRUE(TestPeer::WaitUntil(
      [&] { return link_->Status().last_error.find("Authentication failed") != std::string::npos; }, kWait));
  const absl::Time failed_at = absl::Now();
  LinkStatus st = link_->Status();
  EXPECT_THAT(st.last_error, HasSubstr("token_expired"));
  EXPECT_THAT(st.last_error, HasSubstr("(deployment credentials for dep_test (test))"));
  ASSERT_TRUE(st.next_attempt_at.has_value());
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return peer_->upgrade_attempts() >= 2; }, kWait));
  // Slow backoff: uniform[150, 300) ms after the failure, never the normal [0, 50).
  EXPECT_GE(absl::Now() - failed_at, absl::Milliseconds(100));
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "(slow backoff)"));
  EXPECT_FALSE(link_->Ready());
}

TEST_F(LinkTest, OversizeMessageClosesWith1009AndReconnects) {
  StartReady();
  peer_->SendText(std::string(protocol::kMaxMessageBytes + 16, 'x'));
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return peer_->Connections().size() >= 2; }, kWait)) << log_.All();
  EXPECT_EQ(peer_->Connections()[0].close_code_from_link, protocol::kCloseMessageTooLarge);
  EXPECT_TRUE(WaitReady());
}

TEST_F(LinkTest, DrainAnnouncesAndRefusesNewCalls) {
  StartReady();
  link_->BeginDrain(absl::Seconds(5));
  std::optional<PeerMessage> d = peer_->WaitForMethod(protocol::method::kDraining, kWait);
  ASSERT_TRUE(d.has_value());
  auto params = protocol::ParseDrainingParams(d->envelope.params);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->reason, "shutdown");
  EXPECT_EQ(params->grace_ms, 5000);
  EXPECT_FALSE(link_->Ready());
  peer_->SendInvoke("r1", "c1", "echo");
  PeerMessage m = Response("r1");
  EXPECT_EQ(m.envelope.error.code, protocol::kConnectorUnavailable);
  EXPECT_EQ(protocol::ErrorDataString(m.envelope.error, "reason"), "draining");
}

TEST_F(LinkTest, StopClosesWithGoingAwayAndNeverReconnects) {
  StartReady();
  link_->Stop();
  EXPECT_EQ(link_->Status().state, LinkState::kClosed);
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return !peer_->Connections()[0].open; }, kWait));
  EXPECT_EQ(peer_->Connections()[0].close_code_from_link, protocol::kCloseGoingAway);
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(peer_->Connections().size(), 1u);
}

TEST_F(LinkTest, ReregisterSendsTheNewGeneration) {
  StartReady();
  const uint64_t before = catalog_->generation();
  std::vector<std::shared_ptr<const Tool>> tools = TestTools();
  tools.push_back(std::make_shared<FnTool>("extra", [](std::string_view, CallControl&) {
    return absl::StatusOr<ToolResult>(Text("x"));
  }));
  auto registry = ToolRegistry::Create(std::move(tools));
  ASSERT_TRUE(registry.ok());
  catalog_->Publish(*registry);
  ASSERT_GT(catalog_->generation(), before);
  const size_t from = peer_->Messages().size();
  link_->Reregister();
  std::optional<PeerMessage> reg = peer_->WaitForMethod(protocol::method::kRegister, kWait, from);
  ASSERT_TRUE(reg.has_value());
  auto params = protocol::ParseRegisterParams(reg->envelope.params);
  ASSERT_TRUE(params.ok());
  EXPECT_EQ(params->generation, catalog_->generation());
  EXPECT_EQ(params->tools.size(), 6u);
  ASSERT_TRUE(TestPeer::WaitUntil(
      [&] { return link_->Status().registered_generation == catalog_->generation(); }, kWait));
}

TEST_F(LinkTest, TheBundleReferenceIsReportedAndServingIsAnnounced) {
  std::atomic<int> serving{0};
  absl::Mutex mu;
  std::optional<protocol::BundleRef> ref = protocol::BundleRef{"b_1", 3, "sha256:" + std::string(64, 'a')};
  LinkOptions o = Options();
  o.on_serving = [&] { ++serving; };
  o.bundle_ref = [&] {
    absl::MutexLock lock(&mu);
    return ref;
  };
  StartLink(std::move(o));
  ASSERT_TRUE(WaitReady()) << log_.All();
  EXPECT_EQ(serving.load(), 1);
  std::vector<PeerMessage> messages = peer_->Messages();
  ASSERT_GE(messages.size(), 2u);
  auto hello = protocol::ParseHelloParams(messages[0].envelope.params);
  ASSERT_TRUE(hello.ok() && hello->bundle.has_value());
  EXPECT_EQ(hello->bundle->id, "b_1");
  auto reg = protocol::ParseRegisterParams(messages[1].envelope.params);
  ASSERT_TRUE(reg.ok() && reg->bundle.has_value());
  EXPECT_EQ(reg->bundle->version, 3);
  std::optional<PeerMessage> hb = peer_->WaitForMethod(protocol::method::kHeartbeat, kWait);
  ASSERT_TRUE(hb.has_value());
  auto beat = protocol::ParseHeartbeatParams(hb->envelope.params);
  ASSERT_TRUE(beat.ok() && beat->status.bundle.has_value());
  EXPECT_EQ(beat->status.bundle->checksum, "sha256:" + std::string(64, 'a'));

  // After a swap the re-register carries the new reference.
  {
    absl::MutexLock lock(&mu);
    ref = protocol::BundleRef{"b_1", 4, "sha256:" + std::string(64, 'b')};
  }
  const size_t from = peer_->Messages().size();
  link_->Reregister();
  std::optional<PeerMessage> again = peer_->WaitForMethod(protocol::method::kRegister, kWait, from);
  ASSERT_TRUE(again.has_value());
  auto params = protocol::ParseRegisterParams(again->envelope.params);
  ASSERT_TRUE(params.ok() && params->bundle.has_value());
  EXPECT_EQ(params->bundle->version, 4);
  EXPECT_EQ(serving.load(), 1) << "a re-register is not a new session";
}

TEST_F(LinkTest, RejectedRegisterStaysConnectedButNotReady) {
  peer_->RejectRegister(true);
  StartLink(Options());
  ASSERT_TRUE(TestPeer::WaitUntil(
      [&] { return log_.Has(LogLevel::kError, "the platform rejected tools.register"); }, kWait));
  EXPECT_FALSE(link_->Ready());
  EXPECT_EQ(peer_->Connections().size(), 1u);
  EXPECT_TRUE(peer_->Connections()[0].open);
}

TEST_F(LinkTest, InsecureWsToARemoteHostIsRefused) {
  LinkOptions o = Options();
  o.url = "ws://192.0.2.1:9/";
  StartLink(o);
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return !link_->Status().last_error.empty(); }, kWait));
  EXPECT_THAT(link_->Status().last_error, HasSubstr("allowInsecureWs"));
}

TEST_F(LinkTest, CredentialErrorsSkipTheAttempt) {
  LinkOptions o = Options();
  o.credentials = [] { return absl::StatusOr<LinkCredentials>(absl::UnauthenticatedError("Token has expired")); };
  StartLink(o);
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return !link_->Status().last_error.empty(); }, kWait));
  EXPECT_THAT(link_->Status().last_error, HasSubstr("Token has expired"));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(peer_->upgrade_attempts(), 0);
}

class LinkVersionTest : public LinkTest {
 protected:
  void SetUp() override {
    testing::TestPeerOptions options;
    options.serve_v1 = false;
    StartPeer(options);
  }
};

TEST_F(LinkVersionTest, FallbackSubprotocolMeansVersionMismatchAndSlowBackoff) {
  StartLink(Options());
  ASSERT_TRUE(TestPeer::WaitUntil(
      [&] { return link_->Status().last_error.find("edge-tool-rpc.v1") != std::string::npos; }, kWait))
      << log_.All();
  EXPECT_TRUE(log_.Has(LogLevel::kInfo, "(slow backoff)"));
  EXPECT_FALSE(link_->Ready());
}

// ---- the webhook relay's part of the link (docs/webhook-relay.md §3, protocol §4.10–4.11) ----------------------

// Collects webhook.relay outcomes from the link thread.
struct RelayOutcomes {
  absl::Mutex mu;
  std::vector<std::pair<absl::StatusOr<protocol::WebhookRelayResult>, int>> got ABSL_GUARDED_BY(mu);

  WebhookRelayDone Callback() {
    return [this](absl::StatusOr<protocol::WebhookRelayResult> result, int code) {
      absl::MutexLock lock(&mu);
      got.emplace_back(std::move(result), code);
    };
  }
  size_t size() {
    absl::MutexLock lock(&mu);
    return got.size();
  }
  std::pair<absl::StatusOr<protocol::WebhookRelayResult>, int> at(size_t i) {
    absl::MutexLock lock(&mu);
    return got.at(i);
  }
};

std::string RelayParamsJson(std::string delivery_id) {
  protocol::WebhookRelayParams p;
  p.delivery_id = std::move(delivery_id);
  p.webhook_id = "wh_1";
  p.received_at_ms = 1718000040000;
  p.method = "POST";
  p.path = "/hooks/wh_1/{token}";
  p.headers = {{"content-type", "application/json"}};
  p.body = R"({"a":1})";
  return protocol::ToJson(p);
}

TEST_F(LinkTest, TheRelayAddressIsReportedInHelloAndHeartbeats) {
  LinkOptions o = Options();
  o.relay_info = [] {
    return std::optional<protocol::RelayInfo>(protocol::RelayInfo{"http://127.0.0.1:8787", "loopback"});
  };
  StartLink(std::move(o));
  ASSERT_TRUE(WaitReady()) << log_.All();
  auto hello = protocol::ParseHelloParams(peer_->Messages()[0].envelope.params);
  ASSERT_TRUE(hello.ok() && hello->relay.has_value());
  EXPECT_EQ(hello->relay->url, "http://127.0.0.1:8787");
  EXPECT_EQ(hello->relay->mode, "loopback");
  std::optional<PeerMessage> hb = peer_->WaitForMethod(protocol::method::kHeartbeat, kWait);
  ASSERT_TRUE(hb.has_value());
  auto beat = protocol::ParseHeartbeatParams(hb->envelope.params);
  ASSERT_TRUE(beat.ok() && beat->status.relay.has_value());
  EXPECT_EQ(beat->status.relay->mode, "loopback");
}

TEST_F(LinkTest, WebhookRelayResultsAndErrorsReachTheCallback) {
  StartReady();
  RelayOutcomes outcomes;
  link_->SendWebhookRelay(RelayParamsJson("01HV0000000000000000000001"), outcomes.Callback());
  std::optional<PeerMessage> first = peer_->WaitForMethod(protocol::kMethodWebhookRelay, kWait);
  ASSERT_TRUE(first.has_value());
  auto params = protocol::ParseWebhookRelayParams(first->envelope.params);
  ASSERT_TRUE(params.ok()) << params.status();
  EXPECT_EQ(params->delivery_id, "01HV0000000000000000000001");
  EXPECT_EQ(params->body, R"({"a":1})");
  peer_->SendText(protocol::EncodeResult(
      first->envelope.id, protocol::ToJson(protocol::WebhookRelayResult{"01HV0000000000000000000001", "stored"})));
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return outcomes.size() == 1; }, kWait));
  ASSERT_TRUE(outcomes.at(0).first.ok()) << outcomes.at(0).first.status();
  EXPECT_EQ(outcomes.at(0).first->status, "stored");
  EXPECT_EQ(outcomes.at(0).second, 0);

  const size_t from = peer_->Messages().size();
  link_->SendWebhookRelay(RelayParamsJson("01HV0000000000000000000002"), outcomes.Callback());
  std::optional<PeerMessage> second = peer_->WaitForMethod(protocol::kMethodWebhookRelay, kWait, from);
  ASSERT_TRUE(second.has_value());
  protocol::RpcError error;
  error.code = protocol::kInvalidParams;
  error.message = "unknown webhook wh_1";
  peer_->SendText(protocol::EncodeError(second->envelope.id, error));
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return outcomes.size() == 2; }, kWait));
  EXPECT_FALSE(outcomes.at(1).first.ok());
  EXPECT_EQ(outcomes.at(1).second, protocol::kInvalidParams);
  EXPECT_THAT(std::string(outcomes.at(1).first.status().message()), HasSubstr("unknown webhook wh_1"));
}

TEST_F(LinkTest, WebhookRelayFailsAtOnceWhenNotServingAndWhenTheSessionEnds) {
  RelayOutcomes outcomes;
  {
    // Not started: answered on this thread.
    Link idle(Options(), catalog_, executor_.get());
    idle.SendWebhookRelay(RelayParamsJson("01HV0000000000000000000003"), outcomes.Callback());
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_TRUE(absl::IsUnavailable(outcomes.at(0).first.status()));
    EXPECT_EQ(outcomes.at(0).second, 0);
  }
  StartReady();
  peer_->AnswerRegister(false);  // the next session stays unregistered, so not serving
  link_->SendWebhookRelay(RelayParamsJson("01HV0000000000000000000004"), outcomes.Callback());
  ASSERT_TRUE(peer_->WaitForMethod(protocol::kMethodWebhookRelay, kWait).has_value());
  peer_->Close(protocol::kCloseGoingAway, "restart");  // no answer: the pending request fails with the session
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return outcomes.size() == 2; }, kWait)) << log_.All();
  EXPECT_TRUE(absl::IsUnavailable(outcomes.at(1).first.status()));
  EXPECT_EQ(outcomes.at(1).second, 0);
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return peer_->Connections().size() == 2; }, kWait));
  link_->SendWebhookRelay(RelayParamsJson("01HV0000000000000000000005"), outcomes.Callback());
  ASSERT_TRUE(TestPeer::WaitUntil([&] { return outcomes.size() == 3; }, kWait));
  EXPECT_THAT(std::string(outcomes.at(2).first.status().message()), HasSubstr("not serving"));
}

TEST_F(LinkTest, WebhooksConfigIsHandedOverAndAnInvalidOneIsIgnored) {
  absl::Mutex mu;
  std::vector<protocol::WebhooksConfigParams> lists;
  LinkOptions o = Options();
  o.on_webhooks_config = [&](protocol::WebhooksConfigParams list) {
    absl::MutexLock lock(&mu);
    lists.push_back(std::move(list));
  };
  StartLink(std::move(o));
  ASSERT_TRUE(WaitReady()) << log_.All();
  peer_->SendText(protocol::EncodeNotification(protocol::kMethodWebhooksConfig, R"({"webhooks":[7]})"));
  protocol::WebhooksConfigParams list;
  list.webhooks.push_back({"wh_12", "github-main", protocol::Sha256Hex("token"), protocol::WebhookHmac{}});
  list.webhooks.back().hmac->secret = "s3cr3t";
  peer_->SendText(protocol::EncodeNotification(protocol::kMethodWebhooksConfig, protocol::ToJson(list)));
  ASSERT_TRUE(TestPeer::WaitUntil(
      [&] {
        absl::MutexLock lock(&mu);
        return !lists.empty();
      },
      kWait));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(lists.size(), 1u) << "the invalid list must not be handed over";
  ASSERT_EQ(lists[0].webhooks.size(), 1u);
  EXPECT_EQ(lists[0].webhooks[0].webhook_id, "wh_12");
  EXPECT_EQ(lists[0].webhooks[0].hmac->secret, "s3cr3t");
  EXPECT_TRUE(log_.Has(LogLevel::kWarn, "invalid webhooks.config"));
}

}  // namespace
}  // namespace edge::runtime
