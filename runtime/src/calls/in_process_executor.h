// calls/in_process_executor.h: the Executor that runs tools on a bounded pool of threads in this process.
//
// Scheduling happens under one mutex: Submit admits a call into a bounded FIFO (or rejects it as overloaded),
// and Dispatch hands runnable calls to idle workers, skipping calls whose non-concurrent tool is busy so
// they wait without holding a worker. A worker stays occupied until the tool really returns, even after
// the call was completed early by a timeout or a cancel ("abandoned"): that is how hidden work is kept
// within the limit. The deadline watchdog expires calls; outcomes are delivered outside the lock.
//
// Hand-off latency: waking a sleeping worker costs about 25 µs on a VM (an IPI to a halted vCPU), more than
// running a small tool. So a worker that runs out of work first spins, without the lock and yielding to any
// other runnable thread, for a short window before it blocks; a call submitted within that window starts
// without a wake-up. Only a worker that leaves no other call running spins (under load, spinning would take
// CPU the running calls and the link need), at most one worker spins, and Submit wakes a blocked worker only
// for calls the spinner will not take (or when the spinner is not on a CPU). The window adapts to the gaps between calls (as KVM's
// halt polling does): it grows while calls arrive shortly after the workers went idle, and shrinks to nothing
// while they do not, so an idle executor, or one whose calls are far apart, uses no CPU. A process limited to
// one CPU never spins: the submitter could only run by taking the spinner's CPU.
#ifndef EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_
#define EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "calls/call_state.h"
#include "calls/deadline_watchdog.h"
#include "edge/runtime/executor.h"

namespace edge::runtime::calls {

class InProcessExecutor final : public Executor {
 public:
  InProcessExecutor(std::shared_ptr<ToolCatalog> catalog, ExecutorOptions options);
  // Drains briefly, cancels what is left, waits for every tool to return, joins the threads.
  ~InProcessExecutor() override;

  void Submit(CallRequest request, CallCallbacks callbacks) override;
  bool Cancel(const std::string& call_id) override;
  ExecutorStats Stats() const override;
  absl::Status Drain(absl::Duration grace) override;

  // For tests: how long an idle worker spins before it blocks (zero: it blocks at once).
  absl::Duration SpinWindowForTest() const {
    absl::MutexLock lock(&mu_);
    return spin_window_;
  }

 private:
  using CallPtr = std::shared_ptr<CallState>;
  enum class EndKind { kTimedOut, kCancelled };

  absl::StatusOr<CallLimits> LimitsFor(const CallRequest& request, const Tool& tool) const;
  std::string UnknownToolMessage(const std::string& name, const ToolRegistry* registry) const;
  std::string OverloadedMessageLocked(const CallState& call) const;
  void RejectInline(const std::string& call_id, CallCallbacks& callbacks, absl::Status status, absl::Time start);

  // Deadlines are checked by one sweep over the calls in flight, scheduled on the watchdog at the nearest
  // deadline of any of them: a call only moves the sweep earlier when its own deadline comes first, so a
  // stream of calls with the usual timeouts costs no watchdog entry each (no allocation, no second lock
  // inside this one). A sweep that finds nothing due reschedules itself for the next deadline.
  void WatchDeadlineLocked(const CallState& call);
  // The sweep: expires what is due, returns when to run again. `generation` identifies the scheduled sweep.
  std::optional<absl::Time> SweepDeadlines(uint64_t generation);
  bool RunnableLocked(const CallState& call) const;
  void DispatchLocked();
  void ReleaseWorkerLocked(const CallState& call);
  // Ends a call that has not returned (timeout, cancel): picks the outcome, sets the plugin's cancel flag
  // and updates the accounting. True when the caller must then DeliverOutcome (outside the lock).
  bool EndEarlyLocked(CallState& call, EndKind kind);
  void DeliverOutcome(CallState& call, absl::StatusOr<ToolResult> result, absl::Time now);

  bool HasWorkLocked() const { return !ready_.empty() || stopping_; }
  // What wakes a blocked worker: a call the spinning worker (if any) will not take.
  bool HasWorkForBlockedWorkerLocked() const {
    return stopping_ || ready_.size() > (spinner_ ? 1u : 0u);
  }
  // Called by a worker with nothing to run; returns (with mu_ held) once HasWorkLocked().
  void WaitForWorkLocked();
  // Polls ready_count_ for up to `window` without the lock. True when a call became ready.
  bool SpinFor(absl::Duration window);
  // In Submit: when the spinning worker is not on a CPU (preempted on a busy machine), stops counting on it,
  // so that a blocked worker is woken for the call instead of the call waiting for the spinner's next slice.
  void ReleaseStalledSpinnerLocked();
  // At the first Submit after a worker went idle: adapts spin_window_ to how long the idle gap was.
  void AdaptSpinLocked(absl::Time now);
  void SetReadyCountLocked() { ready_count_.store(ready_.size(), std::memory_order_release); }
  bool IdleLocked() const { return in_flight_.empty() && busy_workers_ == 0 && delivering_ == 0; }
  bool WorkersFreeLocked() const { return busy_workers_ == 0 && delivering_ == 0; }
  void WorkerLoop();
  // Runs the call and delivers its outcome (setting *delivered, whose delivering_ count the worker releases
  // the next time it takes the lock); returns its tool reference, for the worker to drop.
  std::shared_ptr<const Tool> RunCall(const CallPtr& call, bool* delivered);
  void LogLateResult(const CallState& call, const absl::StatusOr<ToolResult>& result, absl::Time now) const;

  const std::shared_ptr<ToolCatalog> catalog_;
  const int max_workers_;
  const size_t max_queued_;
  const absl::Duration default_inactivity_;
  const absl::Duration default_max_duration_;
  const bool may_spin_;  // false when the process may use only one CPU
  Logger& logger_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, CallPtr> in_flight_;  // submitted, outcome not chosen yet
  std::deque<CallPtr> waiting_;                          // admitted, not yet given to a worker
  std::deque<CallPtr> ready_;                            // given to a worker that has not picked it up yet
  absl::flat_hash_set<std::string> serial_busy_;         // non-concurrent tools with a call on a worker
  int busy_workers_ = 0;                                 // ready_ + running (abandoned included)
  int abandoned_ = 0;
  int delivering_ = 0;  // outcomes chosen but on_complete not finished: Drain waits for them
  bool draining_ = false;
  bool stopping_ = false;
  uint64_t completed_ = 0;
  uint64_t failed_ = 0;
  uint64_t timed_out_ = 0;
  uint64_t cancelled_ = 0;
  uint64_t rejected_overloaded_ = 0;
  uint64_t late_results_ = 0;
  // Spinning (see the top of this file).
  bool spinner_ = false;        // a worker spins and will take the next ready call; at most one does
  uint64_t spin_token_ = 0;     // identifies the current spin; bumped when Submit releases a stalled spinner
  std::atomic<int64_t> spinner_seen_ns_{0};  // steady clock, updated by the spinner at each look at the clock
  absl::Duration spin_window_ = absl::ZeroDuration();    // how long the next idle worker spins
  absl::Time idle_since_ = absl::InfiniteFuture();       // when a worker last ran out of work; Infinite:
                                                         // a call was submitted since
  std::atomic<size_t> ready_count_{0};                   // ready_.size(), polled by the spinner
  // The deadline sweep (WatchDeadlineLocked): its watchdog entry (0: none), the time it is due (no later
  // than any in-flight call's nearest deadline), and which scheduling is current.
  uint64_t sweep_id_ = 0;
  absl::Time sweep_at_ = absl::InfiniteFuture();
  uint64_t sweep_generation_ = 0;

  // Declared after the state its checks use, so it is destroyed (and its thread joined) first.
  DeadlineWatchdog watchdog_;
  std::vector<std::thread> workers_ ABSL_GUARDED_BY(mu_);  // grows with concurrency (DispatchLocked)
};

}  // namespace edge::runtime::calls

#endif  // EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_
