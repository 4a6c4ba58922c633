// InProcessExecutor: admission, dispatch, timeouts, cancellation and shutdown of in-process tool calls.
#include "calls/in_process_executor.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/thread_name.h"

namespace edge::runtime {
namespace calls {
namespace {

constexpr std::string_view kComponent = "executor";
// The destructor is the fallback for owners that did not Drain: give calls a moment to finish cleanly
// before cancelling them.
constexpr absl::Duration kDestructorGrace = absl::Milliseconds(200);
// While shutdown waits for tools that ignore cancellation, say so at this interval.
constexpr absl::Duration kStuckReportInterval = absl::Seconds(5);
constexpr size_t kMaxToolsNamed = 20;
// A tool slower than this to return after a cancel gets advice in the late-result log.
constexpr absl::Duration kSlowToStop = absl::Seconds(1);

// Spinning (see in_process_executor.h). The window grows from kSpinGrowStart by doubling up to kMaxSpin, and
// halves, down to nothing, after each idle gap longer than kMaxSpin. kMaxSpin bounds the CPU an idle worker
// burns per idle gap; a call arriving later than that costs a wake-up either way. Measurements behind the
// values: docs/performance.md, section 5. The cap covers one link round trip (~100-150 µs on the test VM), the
// gap between calls at 1 in flight through the link, so such calls skip the worker wake-up too.
constexpr absl::Duration kMaxSpin = absl::Microseconds(150);
constexpr absl::Duration kSpinGrowStart = absl::Microseconds(10);
// Pause instructions between two looks at the clock: about half a microsecond on the test VM.
constexpr int kPausesPerClockRead = 16;
// A spinner that has not looked at the clock for this long is not running (it looks about every microsecond).
constexpr int64_t kSpinnerStalledNs = 10'000;

// Tells the CPU this is a spin-wait: it frees the core's resources for the sibling hyperthread and avoids
// the memory-order mis-speculation penalty when the awaited store arrives.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool MayUseSeveralCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return true;
  return CPU_COUNT(&set) > 1;
}

// Zero or negative executor defaults mean "no limit".
absl::Duration OrInfinite(absl::Duration d) { return d <= absl::ZeroDuration() ? absl::InfiniteDuration() : d; }

std::string Describe(const absl::StatusOr<ToolResult>& result) {
  if (!result.ok()) return result.status().ToString();
  return result->is_error ? "a tool error result" : "a successful result";
}

}  // namespace

InProcessExecutor::InProcessExecutor(std::shared_ptr<ToolCatalog> catalog, ExecutorOptions options)
    : catalog_(std::move(catalog)),
      max_workers_(std::max(1, options.max_concurrent_calls)),
      max_queued_(static_cast<size_t>(std::max(0, options.max_queued_calls))),
      default_inactivity_(OrInfinite(options.default_inactivity_timeout)),
      default_max_duration_(OrInfinite(options.default_max_duration)),
      may_spin_(MayUseSeveralCpus()),
      logger_(options.logger != nullptr ? *options.logger : Logger::Default()) {
  if (options.max_concurrent_calls < 1) {
    logger_.Warn(kComponent, "maxConcurrentCalls is ", options.max_concurrent_calls,
                 "; using 1 (set it to a positive number of calls)");
  }
  // One worker from the start, so the first call pays no thread start; DispatchLocked adds the others when
  // concurrent calls need them. An idle connector thus keeps one worker's stack and arena, not 16 (idle RSS).
  absl::MutexLock lock(&mu_);
  workers_.reserve(static_cast<size_t>(max_workers_));
  workers_.emplace_back([this] { WorkerLoop(); });
  NameThread(workers_.back(), "ec-worker");
}

InProcessExecutor::~InProcessExecutor() {
  absl::Status drained = Drain(kDestructorGrace);
  if (!drained.ok()) logger_.Warn(kComponent, "shutting down: ", drained.message());

  std::vector<CallPtr> left;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [id, call] : in_flight_) left.push_back(call);
    for (auto& call : left) EndEarlyLocked(*call, EndKind::kCancelled);
  }
  absl::Time now = absl::Now();
  for (auto& call : left) {
    DeliverOutcome(*call, absl::CancelledError(absl::StrCat(
        "tool '", call->tool_name(), "' was cancelled because the connector is shutting down; retry on another "
        "connector")), now);
  }
  left.clear();

  // Joining needs every tool to return; a tool that ignores cancellation holds shutdown here, loudly.
  // (Killing such a tool is what the out-of-process worker mode is for.)
  std::vector<std::thread> workers;
  {
    absl::MutexLock lock(&mu_);
    while (!mu_.AwaitWithTimeout(absl::Condition(this, &InProcessExecutor::WorkersFreeLocked),
                                 kStuckReportInterval)) {
      logger_.Warn(kComponent, "shutting down: waiting for ", abandoned_,
                   " cancelled call(s) still inside their tools; the tools ignore cancellation");
    }
    stopping_ = true;  // no worker is added from now on
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

absl::StatusOr<CallLimits> InProcessExecutor::LimitsFor(const CallRequest& request, const Tool& tool) const {
  CallLimits limits{default_inactivity_, default_max_duration_};
  if (tool.descriptor().default_timeout > absl::ZeroDuration()) limits.inactivity = tool.descriptor().default_timeout;
  if (request.inactivity_timeout.has_value()) {
    if (*request.inactivity_timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "inactivity_timeout must be positive, got ", absl::FormatDuration(*request.inactivity_timeout),
          "; omit it to use the tool's default"));
    }
    limits.inactivity = *request.inactivity_timeout;
  }
  if (request.max_duration.has_value()) {
    if (*request.max_duration <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("max_duration must be positive, got ",
                                                     absl::FormatDuration(*request.max_duration),
                                                     "; omit it to use the executor's default"));
    }
    limits.max_duration = *request.max_duration;
  }
  return limits;
}

std::string InProcessExecutor::UnknownToolMessage(const std::string& name, const ToolRegistry* registry) const {
  std::vector<std::string> names;
  size_t total = registry != nullptr ? registry->tools().size() : 0;
  for (size_t i = 0; i < total && i < kMaxToolsNamed; ++i) names.push_back(registry->tools()[i]->descriptor().name);
  std::string list = names.empty() ? "none" : absl::StrJoin(names, ", ");
  if (total > names.size()) absl::StrAppend(&list, ", and ", total - names.size(), " more");
  return absl::StrCat("tool '", name, "' is not registered on this connector; registered tools: ", list,
                      ". Check the tool name, or load the plugin that provides it");
}

std::string InProcessExecutor::OverloadedMessageLocked(const CallState& call) const {
  std::string message = absl::StrCat("overloaded: ", busy_workers_, " calls running (", abandoned_,
                                     " abandoned after timeout/cancel) and ", waiting_.size(), " queued");
  if (busy_workers_ < max_workers_ && !call.tool().descriptor().concurrent) {
    absl::StrAppend(&message, ", and tool '", call.tool_name(), "' runs one call at a time");
  }
  absl::StrAppend(&message, "; retry later or raise maxConcurrentCalls (", max_workers_, ") or maxQueuedCalls (",
                  max_queued_, ")");
  return message;
}

void InProcessExecutor::RejectInline(const std::string& call_id, CallCallbacks& callbacks, absl::Status status,
                                     absl::Time start) {
  {
    absl::MutexLock lock(&mu_);
    ++failed_;
    if (status.code() == absl::StatusCode::kResourceExhausted) ++rejected_overloaded_;
  }
  callbacks.on_complete(CallOutcome{call_id, std::move(status), absl::Now() - start, nullptr});
}

void InProcessExecutor::Submit(CallRequest request, CallCallbacks callbacks) {
  const absl::Time now = absl::Now();
  if (!callbacks.on_complete) {
    logger_.Error(kComponent, "call '", request.call_id, "' to tool '", request.tool,
                  "' was dropped: Submit needs callbacks.on_complete");
    return;
  }
  if (request.call_id.empty()) {
    return RejectInline(request.call_id, callbacks,
                        absl::InvalidArgumentError("call_id is empty; give every call a unique id"), now);
  }
  if (request.context.call_id.empty()) request.context.call_id = request.call_id;

  // Resolved once: the call keeps this tool (and its plugin generation) even if a reload swaps the catalog.
  std::shared_ptr<const ToolRegistry> registry = catalog_ != nullptr ? catalog_->Current() : nullptr;
  std::shared_ptr<const Tool> tool = registry != nullptr ? registry->Find(request.tool) : nullptr;
  if (tool == nullptr) {
    return RejectInline(request.call_id, callbacks,
                        absl::NotFoundError(UnknownToolMessage(request.tool, registry.get())), now);
  }
  absl::StatusOr<CallLimits> limits = LimitsFor(request, *tool);
  if (!limits.ok()) return RejectInline(request.call_id, callbacks, limits.status(), now);

  std::string call_id = request.call_id;
  auto call = std::make_shared<CallState>(std::move(request), std::move(callbacks), std::move(tool), *limits, now);
  absl::Status rejection;
  {
    absl::MutexLock lock(&mu_);
    bool runnable_now = busy_workers_ < max_workers_ && RunnableLocked(*call);
    if (draining_) {
      rejection = absl::UnavailableError("connector is shutting down; retry on another connector");
    } else if (in_flight_.contains(call_id)) {
      rejection = absl::AlreadyExistsError(absl::StrCat(
          "call id '", call_id, "' is already in flight on this connector; give every call a unique id"));
    } else if (!runnable_now && waiting_.size() >= max_queued_) {
      rejection = absl::ResourceExhaustedError(OverloadedMessageLocked(*call));
      ++rejected_overloaded_;
    }
    if (!rejection.ok()) {
      ++failed_;
    } else {
      in_flight_.emplace(call_id, call);
      waiting_.push_back(call);
      DispatchLocked();
      WatchDeadlineLocked(*call);
      ReleaseStalledSpinnerLocked();
      AdaptSpinLocked(now);
    }
  }
  if (!rejection.ok()) call->Deliver(std::move(rejection), absl::Now());
}

void InProcessExecutor::WatchDeadlineLocked(const CallState& call) {
  const absl::Time deadline = call.NextDeadline();
  if (deadline >= sweep_at_) return;  // the sweep runs by then (an infinite deadline never needs one)
  if (sweep_id_ != 0) watchdog_.Cancel(sweep_id_);
  sweep_at_ = deadline;
  const uint64_t generation = ++sweep_generation_;
  sweep_id_ = watchdog_.Schedule(deadline, [this, generation] { return SweepDeadlines(generation); });
}

bool InProcessExecutor::RunnableLocked(const CallState& call) const {
  return call.tool().descriptor().concurrent || !serial_busy_.contains(call.tool_name());
}

void InProcessExecutor::DispatchLocked() {
  while (busy_workers_ < max_workers_) {
    auto it = std::find_if(waiting_.begin(), waiting_.end(), [this](const CallPtr& c) { return RunnableLocked(*c); });
    if (it == waiting_.end()) return;
    CallPtr call = std::move(*it);
    waiting_.erase(it);
    call->phase = CallState::Phase::kDispatched;
    // Serialized by name, across plugin generations too: the old and new version may share state on disk.
    if (!call->tool().descriptor().concurrent) serial_busy_.insert(call->tool_name());
    ++busy_workers_;
    ready_.push_back(std::move(call));
    SetReadyCountLocked();
    // Every ready or running call needs its own thread; threads stay once started (at most max_workers_).
    if (!stopping_ && static_cast<int>(workers_.size()) < busy_workers_) {
      workers_.emplace_back([this] { WorkerLoop(); });
      NameThread(workers_.back(), "ec-worker");
    }
  }
}

void InProcessExecutor::ReleaseWorkerLocked(const CallState& call) {
  --busy_workers_;
  if (!call.tool().descriptor().concurrent) serial_busy_.erase(call.tool_name());
}

bool InProcessExecutor::EndEarlyLocked(CallState& call, EndKind kind) {
  if (call.done) return false;
  call.done = true;
  call.done_at = absl::Now();
  call.done_reason = kind == EndKind::kTimedOut ? "timed out" : "cancelled";
  call.RequestCancel();
  in_flight_.erase(call.id());
  switch (call.phase) {
    case CallState::Phase::kQueued: {
      auto it = std::find_if(waiting_.begin(), waiting_.end(), [&](const CallPtr& c) { return c.get() == &call; });
      if (it != waiting_.end()) waiting_.erase(it);
      break;
    }
    case CallState::Phase::kDispatched:
      break;  // its worker sees `done`, skips it and frees itself
    case CallState::Phase::kRunning:
      call.abandoned = true;
      ++abandoned_;
      break;
  }
  ++failed_;
  ++(kind == EndKind::kTimedOut ? timed_out_ : cancelled_);
  ++delivering_;
  return true;
}

void InProcessExecutor::DeliverOutcome(CallState& call, absl::StatusOr<ToolResult> result, absl::Time now) {
  call.Deliver(std::move(result), now);
  absl::MutexLock lock(&mu_);
  --delivering_;
}

std::optional<absl::Time> InProcessExecutor::SweepDeadlines(uint64_t generation) {
  const absl::Time now = absl::Now();
  std::vector<std::pair<CallPtr, absl::Status>> expired;
  absl::Time next = absl::InfiniteFuture();
  bool superseded = false;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, call] : in_flight_) {
      if (std::optional<Expiry> expiry = call->ExpiredAt(now); expiry.has_value()) {
        expired.emplace_back(call, call->TimeoutStatus(*expiry, call->phase == CallState::Phase::kRunning));
      } else {
        next = std::min(next, call->NextDeadline());  // progress may have moved an inactivity deadline
      }
    }
    for (auto& [call, status] : expired) EndEarlyLocked(*call, EndKind::kTimedOut);
    // A Submit that needed an earlier sweep cancelled this entry and scheduled another, which owns the
    // bookkeeping now.
    superseded = generation != sweep_generation_;
    if (!superseded) {
      sweep_at_ = next;
      if (next == absl::InfiniteFuture()) sweep_id_ = 0;
    }
  }
  for (auto& [call, status] : expired) {
    logger_.Info(kComponent, "call '", call->id(), "': ", status.message());
    DeliverOutcome(*call, std::move(status), now);
  }
  if (superseded || next == absl::InfiniteFuture()) return std::nullopt;
  return next;
}

bool InProcessExecutor::Cancel(const std::string& call_id) {
  CallPtr call;
  bool started = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = in_flight_.find(call_id);
    if (it == in_flight_.end()) return false;
    call = it->second;
    started = call->phase == CallState::Phase::kRunning;
    EndEarlyLocked(*call, EndKind::kCancelled);
  }
  DeliverOutcome(*call, absl::CancelledError(absl::StrCat(
      "call '", call_id, "' to tool '", call->tool_name(), "' was cancelled by the caller",
      started ? "; the tool was told to stop" : " before it started")), absl::Now());
  return true;
}

ExecutorStats InProcessExecutor::Stats() const {
  absl::MutexLock lock(&mu_);
  ExecutorStats s;
  s.running = busy_workers_;
  s.abandoned = abandoned_;
  s.queued = static_cast<int64_t>(waiting_.size());
  s.completed = completed_;
  s.failed = failed_;
  s.timed_out = timed_out_;
  s.cancelled = cancelled_;
  s.rejected_overloaded = rejected_overloaded_;
  s.late_results = late_results_;
  return s;
}

absl::Status InProcessExecutor::Drain(absl::Duration grace) {
  absl::MutexLock lock(&mu_);
  draining_ = true;
  if (mu_.AwaitWithTimeout(absl::Condition(this, &InProcessExecutor::IdleLocked), grace)) return absl::OkStatus();
  int64_t running = busy_workers_ - abandoned_;
  return absl::DeadlineExceededError(absl::StrCat(
      "drain did not finish within ", absl::FormatDuration(grace), ": ", in_flight_.size(),
      " call(s) still in flight (", running, " running, ", waiting_.size(), " queued) and ", abandoned_,
      " abandoned call(s) still inside their tools; give a longer grace or cancel them"));
}

void InProcessExecutor::WorkerLoop() {
  // SCHED_BATCH keeps the worker's fair share of CPU (same nice level) but stops it from preempting other
  // threads when it wakes up: the link thread, the one serial stage every call passes through twice, keeps
  // its CPU instead of being bumped by each worker it woke. Measured in docs/performance.md section 7.
  // Threads a tool starts inherit the policy. Failing to set it is harmless: the worker just stays normal.
  sched_param no_priority{};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &no_priority);
  bool delivered = false;  // this worker delivered an outcome since it last held the lock
  for (;;) {
    CallPtr call;
    std::shared_ptr<const Tool> tool;
    bool run = false;
    {
      absl::MutexLock lock(&mu_);
      // The delivery's count is released here, with the next pick, instead of taking the lock once more
      // per call just for it: the fewer times workers take the lock, the less the link thread waits for it.
      if (delivered) --delivering_;
      delivered = false;
      if (!HasWorkLocked()) WaitForWorkLocked();
      if (ready_.empty()) return;  // stopping
      call = std::move(ready_.front());
      ready_.pop_front();
      SetReadyCountLocked();
      if (call->done) {  // cancelled or expired between dispatch and pick-up: never runs
        ReleaseWorkerLocked(*call);
        tool = call->ReleaseTool();
        DispatchLocked();
      } else {
        call->phase = CallState::Phase::kRunning;
        call->MarkStarted(absl::Now());  // only moves its deadlines later: the sweep still runs in time
        run = true;
      }
    }
    if (run) tool = RunCall(call, &delivered);
    // `tool` and `call` are released here, outside the lock: they may hold the last reference to a plugin
    // generation. The worker takes the tool out of the call so that it, not the thread that drops the
    // outcome's call_state, unloads a retired generation.
  }
}

void InProcessExecutor::WaitForWorkLocked() {
  idle_since_ = absl::Now();
  // Only the last busy worker spins: while other calls still run, the machine is busy enough that the next
  // call follows without a wake-up being the cost that matters, and a spinning worker would take CPU time the
  // running calls and the link need (at 64 calls in flight it burned about 15% of the connector's CPU).
  if (may_spin_ && !spinner_ && spin_window_ > absl::ZeroDuration() && busy_workers_ == 0) {
    spinner_ = true;
    const uint64_t token = ++spin_token_;
    const absl::Duration window = spin_window_;
    spinner_seen_ns_.store(SteadyNanos(), std::memory_order_relaxed);
    mu_.Unlock();
    SpinFor(window);
    mu_.Lock();
    if (spin_token_ == token) spinner_ = false;  // else Submit released this spin already
    // A call that arrived meanwhile is taken here whether or not the spin saw it: Submit did not wake a
    // blocked worker for it, counting on this one.
    if (HasWorkLocked()) return;
  }
  mu_.Await(absl::Condition(this, &InProcessExecutor::HasWorkForBlockedWorkerLocked));
}

bool InProcessExecutor::SpinFor(absl::Duration window) {
  const int64_t deadline = SteadyNanos() + absl::ToInt64Nanoseconds(window);
  for (;;) {
    for (int i = 0; i < kPausesPerClockRead; ++i) {
      if (ready_count_.load(std::memory_order_acquire) != 0) return true;
      CpuRelax();
    }
    const int64_t now = SteadyNanos();
    if (now >= deadline) return false;
    spinner_seen_ns_.store(now, std::memory_order_relaxed);
    // Gives the CPU to any other runnable thread, such as the submitter when it shares this CPU, or other
    // processes on a busy machine: the spin only ever uses a CPU nothing else wants. When nothing else is
    // runnable it returns at once.
    sched_yield();
  }
}

void InProcessExecutor::ReleaseStalledSpinnerLocked() {
  if (!spinner_ || ready_.empty()) return;
  if (SteadyNanos() - spinner_seen_ns_.load(std::memory_order_relaxed) <= kSpinnerStalledNs) return;
  spinner_ = false;
  ++spin_token_;
}

void InProcessExecutor::AdaptSpinLocked(absl::Time now) {
  if (idle_since_ == absl::InfiniteFuture()) return;  // not the first call since a worker went idle
  const absl::Duration idle = now - idle_since_;
  idle_since_ = absl::InfiniteFuture();
  if (idle <= spin_window_) return;  // the spinning worker took it: the window fits
  if (idle > kMaxSpin) {
    // No window would have helped; calls are far apart (or this ends a quiet period). Back off.
    spin_window_ /= 2;
    if (spin_window_ < kSpinGrowStart) spin_window_ = absl::ZeroDuration();
  } else {
    // A longer window would have caught this call.
    spin_window_ = std::min(kMaxSpin, std::max(kSpinGrowStart, spin_window_ * 2));
  }
}

std::shared_ptr<const Tool> InProcessExecutor::RunCall(const CallPtr& call, bool* delivered) {
  absl::StatusOr<ToolResult> result;
  bool threw = true;
  // Plugin tools never throw (the SDK catches at the ABI); a builtin might. The worker must survive it.
  try {
    result = call->tool().Invoke(call->request().arguments_json, call->request().context, *call);
    threw = false;
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("tool '", call->tool_name(), "' threw an exception: ", e.what(),
                                              "; tools must report failures as error results, not exceptions"));
  } catch (...) {
    result = absl::InternalError(absl::StrCat("tool '", call->tool_name(),
                                              "' threw a non-standard exception; tools must report failures as "
                                              "error results, not exceptions"));
  }
  if (threw) {
    logger_.Error(kComponent, "call '", call->id(), "': ", result.status().message());
  }
  const absl::Time now = absl::Now();
  bool late = false;
  std::shared_ptr<const Tool> tool;
  {
    absl::MutexLock lock(&mu_);
    ReleaseWorkerLocked(*call);
    tool = call->ReleaseTool();
    if (call->done) {
      late = true;
      --abandoned_;
      ++late_results_;
    } else {
      call->done = true;
      in_flight_.erase(call->id());
      ++(result.ok() ? completed_ : failed_);
      ++delivering_;
    }
    DispatchLocked();
  }
  if (late) {
    LogLateResult(*call, result, now);
  } else {
    call->Deliver(std::move(result), now, call);
    *delivered = true;  // WorkerLoop releases its delivering_ count
  }
  return tool;
}

void InProcessExecutor::LogLateResult(const CallState& call, const absl::StatusOr<ToolResult>& result,
                                      absl::Time now) const {
  const absl::Duration late_by = now - call.done_at;
  logger_.Warn(kComponent, "late result dropped: call '", call.id(), "' to tool '", call.tool_name(),
               "' returned ", Describe(result), " ", absl::FormatDuration(late_by), " after it was ",
               call.done_reason, "; the caller already got its outcome",
               late_by >= kSlowToStop ? ". The tool should poll cancellation more often" : "");
}

}  // namespace calls

std::unique_ptr<Executor> NewInProcessExecutor(std::shared_ptr<ToolCatalog> catalog, ExecutorOptions options) {
  return std::make_unique<calls::InProcessExecutor>(std::move(catalog), options);
}

}  // namespace edge::runtime
