// edge/runtime/executor.h: runs tool calls off the caller's thread, with limits, timeouts and cancellation.
//
// `Executor` is the seam between whoever receives calls (the RPC link, the SDK harness, a local front end)
// and whatever runs them. The in-process implementation runs calls on a bounded thread pool; a later
// out-of-process worker mode (crash and hang isolation) implements the same interface without touching
// callers (see docs/executor.md).
//
// Guarantees:
//   - Submit never blocks; its completion callback runs exactly once, from an executor thread (or inline for
//     an immediate rejection: unknown tool, overloaded, draining; or on the thread that calls Cancel or
//     destroys the executor). No progress callback runs during or after it. Callbacks may call Submit and
//     Cancel, not Drain.
//   - A call that times out or is cancelled completes at once (DeadlineExceeded / Cancelled) and its plugin
//     sees the cancellation; the call keeps counting against the concurrency limit until the plugin really
//     returns. A result that arrives after that is logged, never delivered.
//   - Each call has an inactivity timeout, reset by progress, and a hard maximum.
//   - Tools that are not concurrency-safe run one call at a time; other calls queue behind them.
#ifndef EDGE_RUNTIME_EXECUTOR_H_
#define EDGE_RUNTIME_EXECUTOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edge/runtime/log.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

struct ExecutorOptions {
  int max_concurrent_calls = 16;       // worker threads (started as concurrent calls need them); calls running
                                       // (or timed out but not yet returned)
  int max_queued_calls = 256;          // waiting for a worker; beyond this: overloaded
  absl::Duration default_inactivity_timeout = absl::Seconds(60);  // reset by progress; <= 0: none
  absl::Duration default_max_duration = absl::Minutes(10);         // hard maximum, never reset; <= 0: none
  Logger* logger = nullptr;            // nullptr: Logger::Default()
};

struct CallRequest {
  std::string call_id;  // unique among in-flight calls; used by Cancel
  std::string tool;
  std::string arguments_json = "{}";
  CallContext context;
  // Overrides; when absent: the tool's default timeout, then the executor defaults.
  // Must be positive; InfiniteDuration disables the limit. The inactivity clock starts at submit and is reset
  // when the call starts running and at each progress report; the hard maximum runs from submit.
  std::optional<absl::Duration> inactivity_timeout;
  std::optional<absl::Duration> max_duration;
};

struct CallOutcome {
  std::string call_id;
  // A result (possibly is_error) or a host-level failure:
  //   NotFound (unknown tool), InvalidArgument (params; message names the field), ResourceExhausted
  //   (overloaded), DeadlineExceeded (timeout), Cancelled, Unavailable (draining), Internal/Unknown.
  absl::StatusOr<ToolResult> result;
  absl::Duration elapsed;
  // OWNERSHIP: shares the executor's state for this call (its request and callbacks); may be null. Whoever
  // drops the last reference frees that memory. The link drops it on its own thread, which allocated it, so
  // glibc recycles it there instead of the workers taking the link thread's arena lock to free it.
  std::shared_ptr<const void> call_state;
};

struct CallCallbacks {
  absl::AnyInvocable<void(const Progress&)> on_progress;  // optional; from the worker thread
  absl::AnyInvocable<void(CallOutcome)> on_complete;      // required; exactly once
};

struct ExecutorStats {
  int64_t running = 0;     // occupying a worker (includes abandoned calls still inside a plugin)
  int64_t abandoned = 0;   // timed out or cancelled, still inside the plugin
  int64_t queued = 0;      // admitted, waiting for a worker (or for their non-concurrent tool)
  uint64_t completed = 0;  // delivered with a result (isError results included)
  uint64_t failed = 0;     // delivered with a host-level failure: timeouts, cancellations, rejections
  // completed + failed = every on_complete delivered so far.
  uint64_t timed_out = 0;
  uint64_t cancelled = 0;
  uint64_t rejected_overloaded = 0;
  uint64_t late_results = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void Submit(CallRequest request, CallCallbacks callbacks) = 0;
  // Cancels a queued or running call; false when no such call is in flight.
  virtual bool Cancel(const std::string& call_id) = 0;
  virtual ExecutorStats Stats() const = 0;
  // Stops taking calls (new ones get Unavailable) and waits up to `grace` for in-flight calls to complete.
  // In flight includes abandoned calls still inside their plugins. Returns DeadlineExceeded naming how many
  // calls were still running. Drain does not cancel; destroying the executor does.
  virtual absl::Status Drain(absl::Duration grace) = 0;
};

// The in-process executor. Tools are resolved from `catalog` at submit time; a call keeps the registry
// snapshot (and so the plugin generation) it resolved against until it completes.
std::unique_ptr<Executor> NewInProcessExecutor(std::shared_ptr<ToolCatalog> catalog, ExecutorOptions options = {});

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_EXECUTOR_H_
