// Tests for runtime/src/link/call_bridge.cc: progress coalescing, call requests, encoded completions.
#include "link/call_bridge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"

namespace edge::runtime::link {
namespace {

using ::testing::HasSubstr;

Progress P(double v) { return Progress{v, 10, ""}; }

TEST(ProgressCoalescerTest, SendsFirstAtOnceThenKeepsOnlyTheLatestPerInterval) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  ProgressCoalescer c(absl::Milliseconds(100));
  ASSERT_TRUE(c.Offer(P(1), t0).has_value());
  EXPECT_FALSE(c.Offer(P(2), t0 + absl::Milliseconds(10)).has_value());
  EXPECT_FALSE(c.Offer(P(3), t0 + absl::Milliseconds(20)).has_value());
  EXPECT_EQ(c.due(), t0 + absl::Milliseconds(100));
  EXPECT_FALSE(c.TakeDue(t0 + absl::Milliseconds(50)).has_value());
  auto due = c.TakeDue(t0 + absl::Milliseconds(100));
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->progress, 3);
  EXPECT_FALSE(c.due().has_value());
  EXPECT_FALSE(c.Offer(P(4), t0 + absl::Milliseconds(150)).has_value());
  auto flushed = c.TakePending();
  ASSERT_TRUE(flushed.has_value());
  EXPECT_EQ(flushed->progress, 4);
  EXPECT_FALSE(c.TakePending().has_value());
}

TEST(BuildCallRequestTest, MapsParamsAndAddsOwnContext) {
  protocol::InvokeParams p;
  p.call_id = "c1";
  p.tool = "echo";
  p.arguments_json = R"({"a":1})";
  p.user_id = "u";
  p.org_id = "o";
  p.deployment_id = "d";
  p.inactivity_ms = 300;
  CallRequest r = BuildCallRequest(p, "host1", "linux-x86_64");
  EXPECT_EQ(r.call_id, "c1");
  EXPECT_EQ(r.context.call_id, "c1");
  EXPECT_EQ(r.arguments_json, R"({"a":1})");
  EXPECT_EQ(r.context.hostname, "host1");
  EXPECT_EQ(r.context.platform, "linux-x86_64");
  EXPECT_EQ(r.inactivity_timeout, absl::Milliseconds(300));
  EXPECT_FALSE(r.max_duration.has_value());
}

TEST(EncodeCompletionTest, ResultCarriesElapsedMeta) {
  CallOutcome o;
  o.call_id = "c1";
  o.result = ToolResult{{"hi"}, std::nullopt, false};
  o.elapsed = absl::Milliseconds(7);
  std::string m = EncodeCompletion("5", o, CompletionContext{"echo"});
  EXPECT_EQ(m, R"({"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":"hi"}],"isError":false,)"
               R"("_meta":{"elapsedMs":7}}})");
  // Into a used buffer: its old contents are replaced, and a buffer big enough is not reallocated.
  std::string recycled(512, 'z');
  recycled.clear();
  const char* storage = recycled.data();
  EXPECT_FALSE(EncodeCompletionInto("5", o, CompletionContext{"echo"}, recycled));
  EXPECT_EQ(recycled, m);
  EXPECT_EQ(recycled.data(), storage);
  auto env = protocol::DecodeMessage(m);
  ASSERT_TRUE(env.ok()) << env.status() << " " << m;
  EXPECT_EQ(env->kind, protocol::MessageKind::kResult);
}

TEST(EncodeCompletionTest, OversizeResultBecomesResultTooLarge) {
  CallOutcome o;
  o.result = ToolResult{{std::string(2000, 'x')}, std::nullopt, false};
  CompletionContext ctx{"big"};
  ctx.max_message_bytes = 1000;
  std::string m = "a recycled buffer";
  EXPECT_TRUE(EncodeCompletionInto("5", o, ctx, m));
  EXPECT_LT(m.size(), 1000u);
  auto env = protocol::DecodeMessage(m);
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ(env->kind, protocol::MessageKind::kError);
  EXPECT_EQ(env->error.code, protocol::kToolFailed);
  EXPECT_THAT(env->error.data_json, HasSubstr("result_too_large"));
}

}  // namespace
}  // namespace edge::runtime::link
