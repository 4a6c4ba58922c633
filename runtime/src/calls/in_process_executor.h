// calls/in_process_executor.h: the Executor that runs tools on a bounded pool of threads in this process.
//
// Scheduling happens under one mutex: Submit admits a call into a bounded FIFO (or rejects it as overloaded),
// and Dispatch hands runnable calls to idle workers, skipping calls whose non-concurrent tool is busy so
// they wait without holding a worker. A worker stays occupied until the tool really returns, even after
// the call was completed early by a timeout or a cancel ("abandoned"): that is how hidden work is kept
// within the limit. The deadline watchdog expires calls; outcomes are delivered outside the lock.
#ifndef EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_
#define EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_

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

 private:
  using CallPtr = std::shared_ptr<CallState>;
  enum class EndKind { kTimedOut, kCancelled };

  absl::StatusOr<CallLimits> LimitsFor(const CallRequest& request, const Tool& tool) const;
  std::string UnknownToolMessage(const std::string& name, const ToolRegistry* registry) const;
  std::string OverloadedMessageLocked(const CallState& call) const;
  void RejectInline(const std::string& call_id, CallCallbacks& callbacks, absl::Status status, absl::Time start);

  bool RunnableLocked(const CallState& call) const;
  void DispatchLocked();
  void ReleaseWorkerLocked(const CallState& call);
  // Ends a call that has not returned (timeout, cancel): picks the outcome, sets the plugin's cancel flag
  // and updates the accounting. True when the caller must then DeliverOutcome (outside the lock).
  bool EndEarlyLocked(CallState& call, EndKind kind);
  void DeliverOutcome(CallState& call, absl::StatusOr<ToolResult> result, absl::Time now);
  std::optional<absl::Time> CheckDeadline(const std::weak_ptr<CallState>& weak);

  bool HasWorkLocked() const { return !ready_.empty() || stopping_; }
  bool IdleLocked() const { return in_flight_.empty() && busy_workers_ == 0 && delivering_ == 0; }
  bool WorkersFreeLocked() const { return busy_workers_ == 0 && delivering_ == 0; }
  void WorkerLoop();
  void RunCall(const CallPtr& call);
  void LogLateResult(const CallState& call, const absl::StatusOr<ToolResult>& result, absl::Time now) const;

  const std::shared_ptr<ToolCatalog> catalog_;
  const int max_workers_;
  const size_t max_queued_;
  const absl::Duration default_inactivity_;
  const absl::Duration default_max_duration_;
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

  // Declared after the state its checks use, so it is destroyed (and its thread joined) first.
  DeadlineWatchdog watchdog_;
  std::vector<std::thread> workers_;
};

}  // namespace edge::runtime::calls

#endif  // EDGE_RUNTIME_CALLS_IN_PROCESS_EXECUTOR_H_
