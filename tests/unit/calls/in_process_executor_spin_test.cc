// Tests for the idle workers' bounded spin in runtime/src/calls/in_process_executor.cc: the window adapts to
// the gaps between calls, idle workers stop using CPU, and calls are neither lost nor run twice while a
// worker spins.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "calls/in_process_executor.h"
#include "executor_test_doubles.h"

namespace edge::runtime::calls {
namespace {

using ::edge::runtime::testing::CatalogWith;
using ::edge::runtime::testing::kSafetyTimeout;
using ::edge::runtime::testing::OutcomeSink;
using ::edge::runtime::testing::ScriptedTool;
using ::edge::runtime::testing::TextResult;

std::shared_ptr<ScriptedTool> EchoTool() {
  return std::make_shared<ScriptedTool>("echo", [](std::string_view args, const CallContext&, CallControl&) {
    return TextResult(std::string(args));
  });
}

void BusyWait(std::chrono::microseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Runs one call and returns once its outcome was delivered; `gap` is waited (busy, so no timer slack is added)
// before submitting. The test thread polls an atomic instead of blocking, so the gap the executor sees is
// close to `gap` rather than to this thread's own wake-up time.
bool CallAfter(InProcessExecutor& exec, int n, std::chrono::microseconds gap) {
  BusyWait(gap);
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto ok = std::make_shared<std::atomic<bool>>(false);
  CallRequest req;
  req.call_id = "c" + std::to_string(n);
  req.tool = "echo";
  CallCallbacks callbacks;
  callbacks.on_complete = [done, ok](CallOutcome o) {
    ok->store(o.result.ok());
    done->store(true, std::memory_order_release);
  };
  exec.Submit(std::move(req), std::move(callbacks));
  const absl::Time give_up = absl::Now() + kSafetyTimeout;
  while (!done->load(std::memory_order_acquire)) {
    if (absl::Now() > give_up) return false;
    std::this_thread::yield();  // lets a worker run when the callers outnumber the CPUs
  }
  return ok->load();
}

// Calls 15 µs apart grow the window (a longer one would have caught them); calls far apart shrink
// it back to nothing. Back-to-back calls run until the window grows, with a generous cap: on a loaded machine
// some gaps are stretched by preemption, but not thousands in a row.
TEST(InProcessExecutorSpinTest, WindowGrowsForCloseCallsAndShrinksToNothingForFarApartOnes) {
  InProcessExecutor exec(CatalogWith({EchoTool()}), ExecutorOptions{.max_concurrent_calls = 2});
  EXPECT_EQ(exec.SpinWindowForTest(), absl::ZeroDuration()) << "a new executor must not spin";
  int n = 0;
  absl::Duration widest;
  while (n < 5000 && widest < absl::Microseconds(20)) {
    ASSERT_TRUE(CallAfter(exec, ++n, std::chrono::microseconds(15)));
    widest = std::max(widest, exec.SpinWindowForTest());
  }
  EXPECT_GE(widest, absl::Microseconds(20)) << "after " << n << " close calls";

  // Each gap longer than the largest window halves it; below the start value it drops to zero.
  int far_calls = 0;
  while (far_calls < 50 && exec.SpinWindowForTest() > absl::ZeroDuration()) {
    ASSERT_TRUE(CallAfter(exec, ++n, std::chrono::microseconds(2000)));
    ++far_calls;
  }
  EXPECT_EQ(exec.SpinWindowForTest(), absl::ZeroDuration()) << "after " << far_calls << " far-apart calls";
}

// A connector idles for hours: after its last call the workers must block, not spin. Measured as the process's
// CPU time over an idle second right after a run of back-to-back calls (which leaves the window at its widest).
// A worker that kept spinning would use about 1000 ms; an idle process uses well under 1 ms. The bound is
// generous so a loaded CI machine or a sanitizer build cannot fail it.
TEST(InProcessExecutorSpinTest, IdleWorkersUseNoCpu) {
  InProcessExecutor exec(CatalogWith({EchoTool()}), ExecutorOptions{.max_concurrent_calls = 4});
  for (int n = 1; n <= 2000; ++n) ASSERT_TRUE(CallAfter(exec, n, std::chrono::microseconds(5)));
  const double before = ProcessCpuSeconds();
  absl::SleepFor(absl::Seconds(1));
  const double used_ms = (ProcessCpuSeconds() - before) * 1000;
  EXPECT_LT(used_ms, 50) << "the executor used " << used_ms << " ms of CPU in an idle second";
}

// Several callers, each with one call in flight and short gaps, against fewer workers than callers: the
// spinning worker, blocked workers and the queue hand calls over concurrently. Every call must complete exactly
// once, and destroying the executor while a worker may still spin must not hang.
TEST(InProcessExecutorSpinTest, EveryCallCompletesOnceWhileWorkersSpin) {
  auto echo = EchoTool();
  OutcomeSink sink;
  constexpr int kCallers = 3;
  constexpr int kCallsEach = 500;
  {
    InProcessExecutor exec(CatalogWith({echo}), ExecutorOptions{.max_concurrent_calls = 2, .max_queued_calls = 64});
    std::vector<std::thread> callers;
    std::atomic<int> failures{0};
    for (int c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        for (int i = 0; i < kCallsEach; ++i) {
          const int n = c * kCallsEach + i;
          if (!CallAfter(exec, n, std::chrono::microseconds(n % 40))) failures.fetch_add(1);
        }
      });
    }
    for (auto& t : callers) t.join();
    EXPECT_EQ(failures.load(), 0);
    // A burst right after: more calls than workers, taken by the spinner and by woken workers.
    for (int i = 0; i < 40; ++i) {
      CallRequest req;
      req.call_id = "burst" + std::to_string(i);
      req.tool = "echo";
      exec.Submit(std::move(req), sink.Callbacks());
    }
    ASSERT_TRUE(sink.WaitFor(40));
    ExecutorStats s = exec.Stats();
    EXPECT_EQ(s.completed, static_cast<uint64_t>(kCallers * kCallsEach + 40));
    EXPECT_EQ(s.failed, 0u);
    EXPECT_EQ(echo->started(), kCallers * kCallsEach + 40);
  }  // destroyed at once: a worker may be inside its spin window
  EXPECT_EQ(sink.size(), 40u);
}

}  // namespace
}  // namespace edge::runtime::calls
