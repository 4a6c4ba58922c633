// calls/call_state.h: one call's life as the executor and the running tool see it.
//
// `CallState` is the CallControl a tool's Invoke receives: an atomic cancel flag the plugin polls, the
// inactivity clock that progress resets, and the hard deadline. It also owns the caller's callbacks and
// delivers the outcome exactly once. Which completion wins (result, timeout, cancel) is decided by the
// executor under its own lock; the fields marked "executor's" below are guarded by that lock.
#ifndef EDGE_RUNTIME_CALLS_CALL_STATE_H_
#define EDGE_RUNTIME_CALLS_CALL_STATE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "edge/runtime/executor.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::calls {

// The two limits of a call. InfiniteDuration disables one.
struct CallLimits {
  absl::Duration inactivity = absl::InfiniteDuration();  // reset by progress (and when the call starts)
  absl::Duration max_duration = absl::InfiniteDuration(); // from submit; never reset
};

enum class Expiry { kInactivity, kMaxDuration };

class CallState final : public CallControl {
 public:
  CallState(CallRequest request, CallCallbacks callbacks, std::shared_ptr<const Tool> tool, CallLimits limits,
            absl::Time submitted);
  CallState(const CallState&) = delete;
  CallState& operator=(const CallState&) = delete;

  // CallControl, for the running tool.
  bool IsCancelled() const override { return cancelled_.load(std::memory_order_relaxed); }
  void OnProgress(const Progress& progress) override;
  std::optional<absl::Duration> DeadlineRemaining() const override;

  const CallRequest& request() const { return request_; }
  const std::string& id() const { return request_.call_id; }
  const std::string& tool_name() const { return request_.tool; }
  const Tool& tool() const { return *tool_; }
  // Hands over the reference to the tool (and its plugin generation) once the executor no longer needs
  // tool(): the worker drops it, so that the holder of the outcome's call_state never unloads a plugin.
  std::shared_ptr<const Tool> ReleaseTool() { return std::move(tool_); }
  const CallLimits& limits() const { return limits_; }
  absl::Time submitted() const { return submitted_; }

  // Sets the flag the plugin polls. Idempotent.
  void RequestCancel() { cancelled_.store(true, std::memory_order_relaxed); }
  // Starting is activity: a call that waited in the queue gets its full inactivity window to run.
  void MarkStarted(absl::Time now) { Touch(now); }

  // The earliest time a limit can expire; InfiniteFuture when the call has none.
  absl::Time NextDeadline() const;
  // Which limit has expired at `now` (the hard maximum wins when both have).
  std::optional<Expiry> ExpiredAt(absl::Time now) const;
  // The DeadlineExceeded status for `which`, naming the limit and its value.
  absl::Status TimeoutStatus(Expiry which, bool started) const;

  // Runs on_complete with `result` the first time; later calls return false and do nothing. Once it has
  // begun no progress is forwarded, and it waits for a progress callback running on another thread, so
  // the caller never sees progress after (or during) completion.
  // `call_state` becomes the outcome's (see CallOutcome).
  bool Deliver(absl::StatusOr<ToolResult> result, absl::Time now, std::shared_ptr<const void> call_state = nullptr);
  bool delivered() const { return delivered_.load(std::memory_order_acquire); }

  // Executor's scheduling state, guarded by the executor's mutex.
  enum class Phase { kQueued, kDispatched, kRunning };
  Phase phase = Phase::kQueued;
  bool done = false;            // an outcome was chosen (delivered or about to be)
  bool abandoned = false;       // done while the tool was still running
  const char* done_reason = ""; // why, for the late-result log: "timed out", "cancelled"
  absl::Time done_at;           // when the outcome was chosen

 private:
  void Touch(absl::Time now) { last_activity_ns_.store(absl::ToUnixNanos(now), std::memory_order_relaxed); }
  absl::Time InactivityDeadline() const;

  CallRequest request_;
  std::shared_ptr<const Tool> tool_;  // keeps the plugin generation loaded until the call returns
  const CallLimits limits_;
  const absl::Time submitted_;
  const absl::Time hard_deadline_;
  std::atomic<bool> cancelled_{false};
  std::atomic<int64_t> last_activity_ns_;

  // Serializes progress forwarding against completion (see Deliver).
  absl::Mutex progress_mu_;
  std::atomic<std::thread::id> progress_thread_{};
  std::atomic<bool> delivered_{false};
  absl::AnyInvocable<void(const Progress&)> on_progress_;
  absl::AnyInvocable<void(CallOutcome)> on_complete_;
};

}  // namespace edge::runtime::calls

#endif  // EDGE_RUNTIME_CALLS_CALL_STATE_H_
