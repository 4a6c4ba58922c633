// Tests for runtime/src/calls/in_process_executor.cc through the public Executor interface: resolution,
// the concurrency limit and overload, serialization, timeouts, cancellation, late results, drain, shutdown.
#include "edge/runtime/executor.h"

#include <sched.h>
#include <sys/resource.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "executor_test_doubles.h"

namespace edge::runtime {
namespace {

using ::edge::runtime::testing::CapturedLog;
using ::edge::runtime::testing::CatalogWith;
using ::edge::runtime::testing::kSafetyTimeout;
using ::edge::runtime::testing::OutcomeSink;
using ::edge::runtime::testing::ScriptedTool;
using ::edge::runtime::testing::TextResult;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

CallRequest Req(std::string id, std::string tool) {
  CallRequest r;
  r.call_id = std::move(id);
  r.tool = std::move(tool);
  return r;
}

CallRequest ReqWithTimeout(std::string id, std::string tool, absl::Duration inactivity) {
  CallRequest r = Req(std::move(id), std::move(tool));
  r.inactivity_timeout = inactivity;
  return r;
}

// Returns at once with the arguments echoed.
std::shared_ptr<ScriptedTool> EchoTool(std::string name = "echo") {
  return std::make_shared<ScriptedTool>(std::move(name), [](std::string_view args, const CallContext&, CallControl&) {
    return TextResult(std::string(args));
  });
}

// Blocks until `gate` opens, ignoring cancellation (the worst case: a tool that never polls its token).
// Records whether it saw the cancel flag by the time it returned.
std::shared_ptr<ScriptedTool> GatedTool(std::string name, absl::Notification* gate, std::atomic<bool>* saw_cancel,
                                        bool concurrent = true) {
  return std::make_shared<ScriptedTool>(
      std::move(name),
      [gate, saw_cancel](std::string_view, const CallContext&, CallControl& control) -> absl::StatusOr<ToolResult> {
        gate->WaitForNotificationWithTimeout(kSafetyTimeout);
        if (saw_cancel != nullptr) saw_cancel->store(control.IsCancelled());
        return TextResult("late");
      },
      concurrent);
}

// Polls its token; reports progress every `every` for `run` (when `every` is non-zero), then succeeds.
std::shared_ptr<ScriptedTool> WorkingTool(std::string name, absl::Duration run, absl::Duration every,
                                          std::atomic<bool>* saw_cancel) {
  return std::make_shared<ScriptedTool>(
      std::move(name),
      [run, every, saw_cancel](std::string_view, const CallContext&, CallControl& control)
          -> absl::StatusOr<ToolResult> {
        const absl::Time end = absl::Now() + run;
        absl::Time next_progress = absl::Now() + every;
        double done = 0;
        while (absl::Now() < end) {
          if (control.IsCancelled()) {
            if (saw_cancel != nullptr) saw_cancel->store(true);
            return absl::CancelledError("stopped");
          }
          if (every > absl::ZeroDuration() && absl::Now() >= next_progress) {
            control.OnProgress(Progress{++done, 0, "working"});
            next_progress += every;
          }
          absl::SleepFor(absl::Milliseconds(2));  // the simulated work itself, not synchronisation
        }
        return TextResult("done");
      });
}

TEST(InProcessExecutorTest, RunsACallAndDeliversItsResultOnce) {
  auto echo = EchoTool();
  auto exec = NewInProcessExecutor(CatalogWith({echo}));
  OutcomeSink sink;
  CallRequest req = Req("c1", "echo");
  req.arguments_json = R"({"x":1})";
  exec->Submit(std::move(req), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(sink.size(), 1u);
  CallOutcome o = sink.at(0);
  EXPECT_EQ(o.call_id, "c1");
  ASSERT_TRUE(o.result.ok()) << o.result.status();
  EXPECT_EQ(o.result->text, std::vector<std::string>{R"({"x":1})"});
  ExecutorStats s = exec->Stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.running, 0);
}

// Workers must not preempt the link thread when they wake (see WorkerLoop), but keep their normal CPU share.
TEST(InProcessExecutorTest, ToolsRunOnBatchScheduledWorkers) {
  auto policy = std::make_shared<ScriptedTool>("policy", [](std::string_view, const CallContext&, CallControl&) {
    return TextResult(absl::StrCat(sched_getscheduler(0), " ", getpriority(PRIO_PROCESS, 0)));
  });
  auto exec = NewInProcessExecutor(CatalogWith({policy}));
  OutcomeSink sink;
  exec->Submit(Req("p", "policy"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  ASSERT_TRUE(sink.For("p").result.ok()) << sink.For("p").result.status();
  EXPECT_EQ(sink.For("p").result->text.at(0), absl::StrCat(SCHED_BATCH, " ", getpriority(PRIO_PROCESS, 0)))
      << "SCHED_BATCH at the submitter's nice level";
  EXPECT_EQ(sched_getscheduler(0), SCHED_OTHER) << "the submitting thread keeps its policy";
}

TEST(InProcessExecutorTest, UnknownToolCompletesInlineNamingRegisteredTools) {
  std::vector<std::shared_ptr<const Tool>> tools;
  for (int i = 0; i < 25; ++i) tools.push_back(EchoTool("t" + std::to_string(i)));
  auto exec = NewInProcessExecutor(CatalogWith(tools));
  OutcomeSink sink;
  exec->Submit(Req("c1", "nope"), sink.Callbacks());
  ASSERT_EQ(sink.size(), 1u);  // inline: before Submit returned
  const absl::Status& st = sink.at(0).result.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Msg(st), HasSubstr("tool 'nope' is not registered on this connector; registered tools: t0, t1,"));
  EXPECT_THAT(Msg(st), HasSubstr("t19, and 5 more"));  // the list is capped
  EXPECT_THAT(Msg(st), Not(HasSubstr("t20")));
}

TEST(InProcessExecutorTest, RejectsDuplicateInFlightCallIdAndBadTimeouts) {
  absl::Notification gate;
  auto tool = GatedTool("gated", &gate, nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(Req("c1", "gated"), sink.Callbacks());
  exec->Submit(Req("c1", "gated"), sink.Callbacks());
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.at(0).result.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("call id 'c1' is already in flight"));

  exec->Submit(ReqWithTimeout("c2", "gated", absl::ZeroDuration()), sink.Callbacks());
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink.at(1).result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Msg(sink.at(1).result.status()), HasSubstr("inactivity_timeout must be positive"));

  gate.Notify();
  ASSERT_TRUE(sink.WaitFor(3));
  EXPECT_EQ(sink.at(2).call_id, "c1");  // the original call, unaffected by the rejected duplicate
  EXPECT_TRUE(sink.at(2).result.ok());
}

TEST(InProcessExecutorTest, InactivityTimeoutCompletesAtOnceAndReachesThePlugin) {
  std::atomic<bool> saw_cancel{false};
  auto tool = WorkingTool("slow", absl::Seconds(30), absl::ZeroDuration(), &saw_cancel);
  CapturedLog log;
  auto exec = NewInProcessExecutor(CatalogWith({tool}), {.logger = log.logger()});
  OutcomeSink sink;
  exec->Submit(ReqWithTimeout("c1", "slow", absl::Milliseconds(50)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  const absl::Status& st = sink.at(0).result.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(st), HasSubstr("tool 'slow' timed out after 50ms without progress (inactivity timeout)"));
  ASSERT_TRUE(tool->WaitForReturned(1));
  EXPECT_TRUE(saw_cancel.load());
  // The tool's own Cancelled return is the late result: logged, never delivered.
  ASSERT_TRUE(log.WaitFor(LogLevel::kWarn, "late result dropped: call 'c1'"));
  EXPECT_EQ(sink.size(), 1u);
  ExecutorStats s = exec->Stats();
  EXPECT_EQ(s.timed_out, 1u);
  EXPECT_EQ(s.late_results, 1u);
}

// Deadlines are checked by one sweep at the nearest deadline of the calls in flight: a call with a short
// timeout that arrives while the sweep waits for a long one must bring the sweep forward, and a call whose
// deadline comes after the sweep's must still be expired by a later sweep.
TEST(InProcessExecutorTest, EachCallTimesOutAtItsOwnDeadlineWhateverTheOthersAre) {
  auto tool = WorkingTool("slow", absl::Seconds(30), absl::ZeroDuration(), nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  const absl::Time start = absl::Now();
  exec->Submit(ReqWithTimeout("long", "slow", absl::Seconds(20)), sink.Callbacks());
  exec->Submit(ReqWithTimeout("short", "slow", absl::Milliseconds(100)), sink.Callbacks());
  exec->Submit(ReqWithTimeout("middle", "slow", absl::Milliseconds(300)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(2));
  const absl::Duration two_expired = absl::Now() - start;
  EXPECT_EQ(sink.at(0).call_id, "short");
  EXPECT_EQ(sink.at(1).call_id, "middle");
  EXPECT_EQ(sink.For("short").result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(sink.For("middle").result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(two_expired, absl::Milliseconds(300));
  EXPECT_LT(two_expired, absl::Seconds(5)) << "a short timeout waited for the long call's deadline";
  EXPECT_EQ(sink.size(), 2u) << "the long call is still running";
  EXPECT_TRUE(exec->Cancel("long"));
}

// Acceptance: progress every 20ms keeps a 300ms call alive under a 100ms inactivity timeout...
TEST(InProcessExecutorTest, ProgressResetsTheInactivityTimeout) {
  auto tool = WorkingTool("busy", absl::Milliseconds(300), absl::Milliseconds(20), nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(ReqWithTimeout("c1", "busy", absl::Milliseconds(100)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  ASSERT_TRUE(sink.at(0).result.ok()) << sink.at(0).result.status();
  EXPECT_GE(sink.at(0).elapsed, absl::Milliseconds(300));
  EXPECT_GE(sink.progress_count(), 5u);  // forwarded to on_progress
}

// ...and the same call without progress times out.
TEST(InProcessExecutorTest, WithoutProgressTheSameCallTimesOut) {
  std::atomic<bool> saw_cancel{false};
  auto tool = WorkingTool("quiet", absl::Milliseconds(300), absl::ZeroDuration(), &saw_cancel);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(ReqWithTimeout("c1", "quiet", absl::Milliseconds(100)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_EQ(sink.at(0).result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("after 100ms without progress"));
  ASSERT_TRUE(tool->WaitForReturned(1));
  EXPECT_TRUE(saw_cancel.load());
}

TEST(InProcessExecutorTest, HardMaximumIsNotExtendedByProgress) {
  auto tool = WorkingTool("chatty", absl::Seconds(30), absl::Milliseconds(5), nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  CallRequest req = ReqWithTimeout("c1", "chatty", absl::Seconds(5));
  req.max_duration = absl::Milliseconds(150);
  exec->Submit(std::move(req), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_EQ(sink.at(0).result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("tool 'chatty' exceeded its maximum duration of 150ms"));
  EXPECT_GE(sink.at(0).elapsed, absl::Milliseconds(150));
}

TEST(InProcessExecutorTest, ToolDefaultTimeoutAppliesWhenTheRequestHasNone) {
  auto tool = std::make_shared<ScriptedTool>(
      "short", [](std::string_view, const CallContext&, CallControl& control) -> absl::StatusOr<ToolResult> {
        while (!control.IsCancelled()) absl::SleepFor(absl::Milliseconds(2));
        return TextResult("stopped");
      },
      /*concurrent=*/true, /*default_timeout=*/absl::Milliseconds(40));
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(Req("c1", "short"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("timed out after 40ms without progress"));
}

TEST(InProcessExecutorTest, DeadlineRemainingIsTheNearestLimit) {
  std::optional<absl::Duration> seen;
  auto tool = std::make_shared<ScriptedTool>(
      "peek", [&seen](std::string_view, const CallContext&, CallControl& control) -> absl::StatusOr<ToolResult> {
        seen = control.DeadlineRemaining();
        return TextResult("ok");
      });
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  CallRequest req = ReqWithTimeout("c1", "peek", absl::Seconds(20));
  req.max_duration = absl::Seconds(10);
  exec->Submit(std::move(req), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  ASSERT_TRUE(seen.has_value());
  EXPECT_LE(*seen, absl::Seconds(10));
  EXPECT_GT(*seen, absl::Seconds(5));
}

TEST(InProcessExecutorTest, CancelRunningCallCompletesAtOnceAndLogsTheLateResultOnce) {
  absl::Notification gate;
  std::atomic<bool> saw_cancel{false};
  auto tool = GatedTool("gated", &gate, &saw_cancel);
  CapturedLog log;
  auto exec = NewInProcessExecutor(CatalogWith({tool}), {.logger = log.logger()});
  OutcomeSink sink;
  exec->Submit(Req("c1", "gated"), sink.Callbacks());
  ASSERT_TRUE(tool->WaitForStarted(1));
  EXPECT_TRUE(exec->Cancel("c1"));
  // Delivered while the tool is still blocked inside Invoke.
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.at(0).result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("the tool was told to stop"));
  EXPECT_EQ(tool->returned(), 0);
  ExecutorStats s = exec->Stats();
  EXPECT_EQ(s.running, 1);
  EXPECT_EQ(s.abandoned, 1);
  EXPECT_EQ(s.cancelled, 1u);
  EXPECT_FALSE(exec->Cancel("c1"));  // no longer in flight

  gate.Notify();
  ASSERT_TRUE(log.WaitFor(LogLevel::kWarn, "late result dropped: call 'c1'"));
  EXPECT_TRUE(saw_cancel.load());
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(sink.size(), 1u);
  EXPECT_EQ(log.Count(LogLevel::kWarn, "late result dropped"), 1);
  s = exec->Stats();
  EXPECT_EQ(s.late_results, 1u);
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.abandoned, 0);
}

TEST(InProcessExecutorTest, CancelledQueuedCallNeverRuns) {
  absl::Notification gate;
  auto blocker = GatedTool("blocker", &gate, nullptr);
  auto echo = EchoTool();
  auto exec = NewInProcessExecutor(CatalogWith({blocker, echo}), {.max_concurrent_calls = 1});
  OutcomeSink sink;
  exec->Submit(Req("b", "blocker"), sink.Callbacks());
  exec->Submit(Req("q", "echo"), sink.Callbacks());
  EXPECT_EQ(exec->Stats().queued, 1);
  EXPECT_TRUE(exec->Cancel("q"));
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.For("q").result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(Msg(sink.For("q").result.status()), HasSubstr("before it started"));
  EXPECT_EQ(exec->Stats().queued, 0);
  gate.Notify();
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(echo->started(), 0);
  EXPECT_FALSE(exec->Cancel("nope"));
}

TEST(InProcessExecutorTest, AnswersOverloadedWhenWorkersAndQueueAreFull) {
  absl::Notification gate;
  auto tool = GatedTool("gated", &gate, nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}), {.max_concurrent_calls = 2, .max_queued_calls = 1});
  OutcomeSink sink;
  for (std::string id : {"a", "b", "c"}) exec->Submit(Req(id, "gated"), sink.Callbacks());
  exec->Submit(Req("d", "gated"), sink.Callbacks());
  ASSERT_EQ(sink.size(), 1u);
  const absl::Status st = sink.For("d").result.status();
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(st), HasSubstr("overloaded: 2 calls running (0 abandoned after timeout/cancel) and 1 queued; "
                                 "retry later or raise maxConcurrentCalls"));
  ExecutorStats s = exec->Stats();
  EXPECT_EQ(s.rejected_overloaded, 1u);
  EXPECT_EQ(s.running, 2);
  EXPECT_EQ(s.queued, 1);
  gate.Notify();
  ASSERT_TRUE(sink.WaitFor(4));
  for (std::string id : {"a", "b", "c"}) EXPECT_TRUE(sink.For(id).result.ok()) << id;
  EXPECT_LE(tool->peak_active(), 2);
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  s = exec->Stats();
  EXPECT_EQ(s.completed, 3u);
  EXPECT_EQ(s.failed, 1u);
}

// The threads of this process (/proc/self/task), to see how many workers the executor started.
int ThreadCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// An idle executor holds one worker (idle RSS: not 16 stacks and arenas); concurrent calls add workers up to
// maxConcurrentCalls, and every one of them runs at once.
TEST(InProcessExecutorTest, WorkersStartAsConcurrentCallsNeedThemUpToTheLimit) {
  const int before = ThreadCount();
  absl::Notification gate;
  auto tool = GatedTool("gated", &gate, nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}), {.max_concurrent_calls = 6, .max_queued_calls = 4});
  EXPECT_LE(ThreadCount() - before, 2) << "one worker (and the deadline watchdog) while idle";
  OutcomeSink sink;
  for (int i = 0; i < 8; ++i) exec->Submit(Req(absl::StrCat("c", i), "gated"), sink.Callbacks());
  const absl::Time deadline = absl::Now() + kSafetyTimeout;
  while (tool->peak_active() < 6 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_EQ(tool->peak_active(), 6) << "six calls run at once on six workers";
  EXPECT_EQ(exec->Stats().queued, 2);
  EXPECT_LE(ThreadCount() - before, 7) << "never more workers than maxConcurrentCalls";
  gate.Notify();
  ASSERT_TRUE(sink.WaitFor(8));
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(sink.For(absl::StrCat("c", i)).result.ok()) << i;
  EXPECT_LE(tool->peak_active(), 6);
}

TEST(InProcessExecutorTest, AbandonedCallCountsAgainstTheLimitUntilThePluginReturns) {
  absl::Notification gate;
  auto stuck = GatedTool("stuck", &gate, nullptr);
  auto echo = EchoTool();
  CapturedLog log;
  auto exec = NewInProcessExecutor(CatalogWith({stuck, echo}),
                                   {.max_concurrent_calls = 1, .max_queued_calls = 0, .logger = log.logger()});
  OutcomeSink sink;
  exec->Submit(ReqWithTimeout("s", "stuck", absl::Milliseconds(30)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_EQ(sink.For("s").result.status().code(), absl::StatusCode::kDeadlineExceeded);

  exec->Submit(Req("e1", "echo"), sink.Callbacks());
  ASSERT_EQ(sink.size(), 2u);
  EXPECT_EQ(sink.For("e1").result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(Msg(sink.For("e1").result.status()), HasSubstr("1 calls running (1 abandoned after timeout/cancel)"));

  gate.Notify();
  ASSERT_TRUE(log.WaitFor(LogLevel::kWarn, "late result dropped: call 's'"));
  exec->Submit(Req("e2", "echo"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(3));
  EXPECT_TRUE(sink.For("e2").result.ok()) << sink.For("e2").result.status();
}

TEST(InProcessExecutorTest, NonConcurrentToolIsSerializedWithoutHoldingWorkers) {
  absl::Notification gate;
  auto serial = GatedTool("serial", &gate, nullptr, /*concurrent=*/false);
  auto echo = EchoTool();
  auto exec = NewInProcessExecutor(CatalogWith({serial, echo}), {.max_concurrent_calls = 2});
  OutcomeSink sink;
  for (std::string id : {"s1", "s2", "s3"}) exec->Submit(Req(id, "serial"), sink.Callbacks());
  // The second worker is free for other tools although two serial calls wait.
  exec->Submit(Req("e", "echo"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_TRUE(sink.For("e").result.ok());
  EXPECT_EQ(serial->started(), 1);
  EXPECT_EQ(exec->Stats().queued, 2);
  gate.Notify();
  ASSERT_TRUE(sink.WaitFor(4));
  for (std::string id : {"s1", "s2", "s3"}) EXPECT_TRUE(sink.For(id).result.ok()) << id;
  EXPECT_EQ(serial->peak_active(), 1);
}

TEST(InProcessExecutorTest, QueuedCallThatTimesOutIsCompletedAndNeverRuns) {
  absl::Notification gate;
  auto blocker = GatedTool("blocker", &gate, nullptr);
  auto echo = EchoTool();
  auto exec = NewInProcessExecutor(CatalogWith({blocker, echo}), {.max_concurrent_calls = 1});
  OutcomeSink sink;
  exec->Submit(Req("b", "blocker"), sink.Callbacks());
  exec->Submit(ReqWithTimeout("q", "echo", absl::Milliseconds(30)), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  EXPECT_EQ(sink.For("q").result.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(sink.For("q").result.status()), HasSubstr("waiting in the queue (inactivity timeout) and never ran"));
  gate.Notify();
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(echo->started(), 0);
  EXPECT_EQ(exec->Stats().late_results, 0u);
}

TEST(InProcessExecutorTest, ThrowingToolBecomesInternalAndTheWorkerSurvives) {
  auto thrower = std::make_shared<ScriptedTool>(
      "thrower", [](std::string_view, const CallContext&, CallControl&) -> absl::StatusOr<ToolResult> {
        throw std::runtime_error("boom");
      });
  auto echo = EchoTool();
  CapturedLog log;
  auto exec = NewInProcessExecutor(CatalogWith({thrower, echo}), {.max_concurrent_calls = 1, .logger = log.logger()});
  OutcomeSink sink;
  exec->Submit(Req("t", "thrower"), sink.Callbacks());
  exec->Submit(Req("e", "echo"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(2));
  EXPECT_EQ(sink.For("t").result.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(Msg(sink.For("t").result.status()), HasSubstr("tool 'thrower' threw an exception: boom"));
  EXPECT_TRUE(sink.For("e").result.ok());
  EXPECT_EQ(log.Count(LogLevel::kError, "boom"), 1);
}

TEST(InProcessExecutorTest, DrainRefusesNewCallsAndWaitsForThoseInFlight) {
  absl::Notification gate;
  auto tool = GatedTool("gated", &gate, nullptr);
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(Req("c1", "gated"), sink.Callbacks());
  absl::Status first = exec->Drain(absl::Milliseconds(20));
  EXPECT_EQ(first.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(Msg(first), HasSubstr("1 call(s) still in flight (1 running, 0 queued)"));

  exec->Submit(Req("c2", "gated"), sink.Callbacks());
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.For("c2").result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Msg(sink.For("c2").result.status()), HasSubstr("connector is shutting down; retry on another connector"));

  gate.Notify();
  EXPECT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_TRUE(sink.For("c1").result.ok());
}

TEST(InProcessExecutorTest, DestructorCancelsRemainingCallsAndJoins) {
  std::atomic<bool> saw_cancel{false};
  auto tool = WorkingTool("forever", absl::Seconds(30), absl::ZeroDuration(), &saw_cancel);
  OutcomeSink sink;
  {
    auto exec = NewInProcessExecutor(CatalogWith({tool}));
    exec->Submit(Req("c1", "forever"), sink.Callbacks());
    ASSERT_TRUE(tool->WaitForStarted(1));
  }
  EXPECT_EQ(tool->returned(), 1);  // joined: the tool really returned before the executor was gone
  EXPECT_TRUE(saw_cancel.load());
  ASSERT_EQ(sink.size(), 1u);
  EXPECT_EQ(sink.at(0).result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(Msg(sink.at(0).result.status()), HasSubstr("connector is shutting down"));
}

TEST(InProcessExecutorTest, CallKeepsTheToolItResolvedAcrossACatalogSwap) {
  absl::Notification gate;
  auto v1 = std::make_shared<ScriptedTool>(
      "t", [&gate](std::string_view, const CallContext&, CallControl&) -> absl::StatusOr<ToolResult> {
        gate.WaitForNotificationWithTimeout(kSafetyTimeout);
        return TextResult("v1");
      });
  auto v2 = std::make_shared<ScriptedTool>(
      "t", [](std::string_view, const CallContext&, CallControl&) { return TextResult("v2"); });
  auto catalog = CatalogWith({v1});
  auto exec = NewInProcessExecutor(catalog);
  OutcomeSink sink;
  exec->Submit(Req("old", "t"), sink.Callbacks());
  ASSERT_TRUE(v1->WaitForStarted(1));
  catalog->Publish(*ToolRegistry::Create({v2}));
  exec->Submit(Req("new", "t"), sink.Callbacks());
  ASSERT_TRUE(sink.WaitFor(1));
  gate.Notify();
  ASSERT_TRUE(sink.WaitFor(2));
  EXPECT_EQ(sink.For("old").result->text.at(0), "v1");
  EXPECT_EQ(sink.For("new").result->text.at(0), "v2");
}

// The outcome shares the call's state so that the submitter can free it on its own thread (see
// CallOutcome::call_state). Holding it must not keep the tool's plugin generation loaded or the callbacks
// (with whatever they captured) alive, and nothing else may keep the state once the outcome is dropped.
TEST(InProcessExecutorTest, TheOutcomeHoldsTheCallStateButNotTheToolOrTheCallbacks) {
  auto tool = EchoTool("t");
  std::weak_ptr<const ScriptedTool> weak_tool = tool;
  auto catalog = CatalogWith({tool});
  tool.reset();
  auto exec = NewInProcessExecutor(catalog);
  auto progress_capture = std::make_shared<int>(1);
  auto complete_capture = std::make_shared<int>(2);
  std::weak_ptr<int> weak_progress = progress_capture, weak_complete = complete_capture;
  absl::Mutex mu;
  std::optional<CallOutcome> held;
  CallCallbacks callbacks;
  callbacks.on_progress = [progress_capture](const Progress&) {};
  callbacks.on_complete = [&, complete_capture](CallOutcome o) {
    absl::MutexLock lock(&mu);
    held = std::move(o);
  };
  progress_capture.reset();
  complete_capture.reset();
  exec->Submit(Req("c1", "t"), std::move(callbacks));
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  std::weak_ptr<const void> weak_state;
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(held.has_value());
    ASSERT_TRUE(held->result.ok()) << held->result.status();
    ASSERT_NE(held->call_state, nullptr);
    weak_state = held->call_state;
  }
  catalog->Publish(*ToolRegistry::Create({EchoTool("other")}));
  auto released = [](const auto& weak) {
    for (absl::Time end = absl::Now() + kSafetyTimeout; absl::Now() < end; absl::SleepFor(absl::Milliseconds(1))) {
      if (weak.expired()) return true;
    }
    return weak.expired();
  };
  EXPECT_TRUE(released(weak_tool)) << "the held outcome keeps the tool (and its plugin generation) loaded";
  EXPECT_TRUE(released(weak_progress)) << "the held outcome keeps the progress callback alive";
  EXPECT_TRUE(released(weak_complete)) << "the held outcome keeps the completion callback alive";
  EXPECT_FALSE(weak_state.expired());
  {
    absl::MutexLock lock(&mu);
    held.reset();
  }
  EXPECT_TRUE(released(weak_state)) << "something besides the outcome keeps the call's state";
}

TEST(InProcessExecutorTest, NoProgressIsForwardedAfterCompletion) {
  absl::Notification cancelled_seen, reported;
  auto tool = std::make_shared<ScriptedTool>(
      "p", [&](std::string_view, const CallContext&, CallControl& control) -> absl::StatusOr<ToolResult> {
        control.OnProgress(Progress{1, 2, "half"});
        cancelled_seen.WaitForNotificationWithTimeout(kSafetyTimeout);
        control.OnProgress(Progress{2, 2, "after cancel"});
        reported.Notify();
        return TextResult("late");
      });
  auto exec = NewInProcessExecutor(CatalogWith({tool}));
  OutcomeSink sink;
  exec->Submit(Req("c1", "p"), sink.Callbacks());
  ASSERT_TRUE(tool->WaitForStarted(1));
  ASSERT_TRUE(sink.WaitForProgress(1));
  ASSERT_TRUE(exec->Cancel("c1"));
  cancelled_seen.Notify();
  ASSERT_TRUE(reported.WaitForNotificationWithTimeout(kSafetyTimeout));
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(sink.progress_count(), 1u);
  EXPECT_EQ(sink.size(), 1u);
}

// A mixed load of results, timeouts and cancels (queued and running): every call gets exactly one outcome and
// the accounting returns to zero.
TEST(InProcessExecutorTest, EveryCallCompletesExactlyOnceUnderMixedLoad) {
  auto quick = EchoTool("quick");
  auto polite = WorkingTool("polite", absl::Milliseconds(5), absl::Milliseconds(1), nullptr);
  auto serial = std::make_shared<ScriptedTool>(
      "serial", [](std::string_view, const CallContext&, CallControl&) {
        absl::SleepFor(absl::Milliseconds(1));  // the simulated work
        return TextResult("s");
      },
      /*concurrent=*/false);
  auto exec = NewInProcessExecutor(CatalogWith({quick, polite, serial}),
                                   {.max_concurrent_calls = 3, .max_queued_calls = 1000});
  OutcomeSink sink;
  constexpr int kCalls = 150;
  const char* tools[] = {"quick", "polite", "serial"};
  for (int i = 0; i < kCalls; ++i) {
    CallRequest req = Req("c" + std::to_string(i), tools[i % 3]);
    if (i % 5 == 0) req.inactivity_timeout = absl::Milliseconds(1 + i % 4);
    exec->Submit(std::move(req), sink.Callbacks());
    if (i % 7 == 0) exec->Cancel("c" + std::to_string(i / 2));
  }
  ASSERT_TRUE(sink.WaitFor(kCalls));
  ASSERT_TRUE(exec->Drain(kSafetyTimeout).ok());
  EXPECT_EQ(sink.size(), static_cast<size_t>(kCalls));
  for (int i = 0; i < kCalls; ++i) {
    EXPECT_NE(sink.For("c" + std::to_string(i)).result.status().code(), absl::StatusCode::kInternal) << i;
  }
  ExecutorStats s = exec->Stats();
  EXPECT_EQ(s.completed + s.failed, static_cast<uint64_t>(kCalls));
  EXPECT_EQ(s.running, 0);
  EXPECT_EQ(s.abandoned, 0);
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(serial->peak_active(), 1);
}

}  // namespace
}  // namespace edge::runtime
