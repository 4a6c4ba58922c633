// CallState: cancel flag, deadlines, progress forwarding and once-only delivery of one call.
#include "calls/call_state.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace edge::runtime::calls {

CallState::CallState(CallRequest request, CallCallbacks callbacks, std::shared_ptr<const Tool> tool,
                     CallLimits limits, absl::Time submitted)
    : request_(std::move(request)),
      tool_(std::move(tool)),
      limits_(limits),
      submitted_(submitted),
      hard_deadline_(limits.max_duration == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                                     : submitted + limits.max_duration),
      last_activity_ns_(absl::ToUnixNanos(submitted)),
      on_progress_(std::move(callbacks.on_progress)),
      on_complete_(std::move(callbacks.on_complete)) {}

absl::Time CallState::InactivityDeadline() const {
  if (limits_.inactivity == absl::InfiniteDuration()) return absl::InfiniteFuture();
  return absl::FromUnixNanos(last_activity_ns_.load(std::memory_order_relaxed)) + limits_.inactivity;
}

absl::Time CallState::NextDeadline() const { return std::min(InactivityDeadline(), hard_deadline_); }

std::optional<Expiry> CallState::ExpiredAt(absl::Time now) const {
  if (now >= hard_deadline_) return Expiry::kMaxDuration;
  if (now >= InactivityDeadline()) return Expiry::kInactivity;
  return std::nullopt;
}

std::optional<absl::Duration> CallState::DeadlineRemaining() const {
  absl::Time deadline = NextDeadline();
  if (deadline == absl::InfiniteFuture()) return std::nullopt;
  return std::max(absl::ZeroDuration(), deadline - absl::Now());
}

absl::Status CallState::TimeoutStatus(Expiry which, bool started) const {
  const std::string who = absl::StrCat("tool '", request_.tool, "'");
  if (which == Expiry::kInactivity) {
    std::string limit = absl::FormatDuration(limits_.inactivity);
    if (!started) {
      return absl::DeadlineExceededError(absl::StrCat(
          who, " timed out after ", limit, " waiting in the queue (inactivity timeout) and never ran; the connector "
          "is busy: retry later or raise maxConcurrentCalls"));
    }
    return absl::DeadlineExceededError(absl::StrCat(
        who, " timed out after ", limit, " without progress (inactivity timeout); the tool was told to stop. "
        "Report progress to keep a long call alive, or raise the tool's timeout"));
  }
  std::string limit = absl::FormatDuration(limits_.max_duration);
  if (!started) {
    return absl::DeadlineExceededError(absl::StrCat(
        who, " exceeded its maximum duration of ", limit, " waiting in the queue and never ran; retry later or "
        "raise maxConcurrentCalls"));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      who, " exceeded its maximum duration of ", limit, " (hard limit, not extended by progress); the tool was "
      "told to stop. Raise the call's maximum duration or split the work into shorter calls"));
}

void CallState::OnProgress(const Progress& progress) {
  Touch(absl::Now());
  if (delivered()) return;
  absl::MutexLock lock(&progress_mu_);
  if (delivered() || !on_progress_) return;
  // Recorded so that a completion triggered from inside on_progress (e.g. the caller cancels) does not wait
  // for itself.
  progress_thread_.store(std::this_thread::get_id());
  on_progress_(progress);
  progress_thread_.store(std::thread::id());
}

bool CallState::Deliver(absl::StatusOr<ToolResult> result, absl::Time now, std::shared_ptr<const void> call_state) {
  if (delivered_.exchange(true, std::memory_order_acq_rel)) return false;
  if (progress_thread_.load() != std::this_thread::get_id()) {
    absl::MutexLock wait_for_progress(&progress_mu_);  // a progress callback in flight finishes first
    // None is forwarded from now on. Dropping it here means a caller that keeps the outcome's call_state
    // (with this state) never keeps its own progress callback, and whatever that captured, alive.
    on_progress_ = nullptr;
  }
  CallOutcome outcome{request_.call_id, std::move(result), now - submitted_, std::move(call_state)};
  auto on_complete = std::move(on_complete_);
  if (on_complete) on_complete(std::move(outcome));
  return true;
}

}  // namespace edge::runtime::calls
