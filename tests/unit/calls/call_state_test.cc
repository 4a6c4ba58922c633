// Tests for runtime/src/calls/call_state.cc: deadlines, expiry, progress forwarding and once-only delivery.
#include "calls/call_state.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "executor_test_doubles.h"

namespace edge::runtime::calls {
namespace {

using ::edge::runtime::testing::OutcomeSink;
using ::edge::runtime::testing::ScriptedTool;
using ::edge::runtime::testing::TextResult;
using ::testing::HasSubstr;

std::shared_ptr<CallState> MakeCall(OutcomeSink& sink, CallLimits limits, absl::Time submitted) {
  auto tool = std::make_shared<ScriptedTool>(
      "t", [](std::string_view, const CallContext&, CallControl&) { return TextResult("x"); });
  CallRequest req;
  req.call_id = "c1";
  req.tool = "t";
  return std::make_shared<CallState>(std::move(req), sink.Callbacks(), std::move(tool), limits, submitted);
}

TEST(CallStateTest, HardMaximumWinsOverInactivityAndIsNotReset) {
  OutcomeSink sink;
  const absl::Time t0 = absl::Now();
  auto call = MakeCall(sink, {absl::Seconds(1), absl::Seconds(3)}, t0);
  EXPECT_EQ(call->NextDeadline(), t0 + absl::Seconds(1));
  EXPECT_FALSE(call->ExpiredAt(t0 + absl::Milliseconds(999)).has_value());
  EXPECT_EQ(call->ExpiredAt(t0 + absl::Seconds(1)), Expiry::kInactivity);
  call->MarkStarted(t0 + absl::Milliseconds(2500));  // activity moves only the inactivity deadline
  EXPECT_EQ(call->NextDeadline(), t0 + absl::Seconds(3));
  EXPECT_EQ(call->ExpiredAt(t0 + absl::Seconds(3)), Expiry::kMaxDuration);
}

TEST(CallStateTest, ProgressMovesTheInactivityDeadlineAndIsForwarded) {
  OutcomeSink sink;
  const absl::Time t0 = absl::Now() - absl::Seconds(10);  // long ago: without progress it has expired
  auto call = MakeCall(sink, {absl::Seconds(5), absl::InfiniteDuration()}, t0);
  EXPECT_EQ(call->ExpiredAt(absl::Now()), Expiry::kInactivity);
  call->OnProgress(Progress{1, 2, "half"});
  EXPECT_FALSE(call->ExpiredAt(absl::Now()).has_value());
  EXPECT_EQ(sink.progress_count(), 1u);
  std::optional<absl::Duration> remaining = call->DeadlineRemaining();
  ASSERT_TRUE(remaining.has_value());
  EXPECT_GT(*remaining, absl::Seconds(4));
  EXPECT_LE(*remaining, absl::Seconds(5));
}

TEST(CallStateTest, NoLimitsMeansNoDeadline) {
  OutcomeSink sink;
  auto call = MakeCall(sink, {}, absl::Now());
  EXPECT_EQ(call->NextDeadline(), absl::InfiniteFuture());
  EXPECT_FALSE(call->DeadlineRemaining().has_value());
}

TEST(CallStateTest, DeliversOnceAndDropsProgressAfterwards) {
  OutcomeSink sink;
  auto call = MakeCall(sink, {}, absl::Now());
  EXPECT_FALSE(call->IsCancelled());
  call->RequestCancel();
  EXPECT_TRUE(call->IsCancelled());
  EXPECT_TRUE(call->Deliver(absl::CancelledError("first"), absl::Now()));
  EXPECT_FALSE(call->Deliver(TextResult("second"), absl::Now()));
  call->OnProgress(Progress{});
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.at(0).result.status().message(), "first");
  EXPECT_EQ(sink.progress_count(), 0u);
}

TEST(CallStateTest, TimeoutMessagesNameTheLimitAndItsValue) {
  OutcomeSink sink;
  auto call = MakeCall(sink, {absl::Milliseconds(200), absl::Minutes(10)}, absl::Now());
  absl::Status inactivity = call->TimeoutStatus(Expiry::kInactivity, /*started=*/true);
  EXPECT_EQ(inactivity.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(inactivity.message()),
              HasSubstr("tool 't' timed out after 200ms without progress (inactivity timeout)"));
  EXPECT_THAT(std::string(call->TimeoutStatus(Expiry::kMaxDuration, true).message()),
              HasSubstr("tool 't' exceeded its maximum duration of 10m"));
  EXPECT_THAT(std::string(call->TimeoutStatus(Expiry::kInactivity, false).message()), HasSubstr("never ran"));
}

}  // namespace
}  // namespace edge::runtime::calls
