// The swap benchmark's call load: echo clients, the generation probe, the held slow call.
#include "call_load.h"

#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace edge::bench {

using runtime::CallCallbacks;
using runtime::CallOutcome;
using runtime::CallRequest;

namespace {

constexpr size_t kMaxFailuresKept = 20;
constexpr char kProbeArgs[] = R"({"sql":"SELECT file FROM pragma_database_list WHERE name = 'main'"})";

// Sleeps until the steady_clock time `ns` (absolute, so oversleeping once does not shift the schedule).
void SleepUntilNs(int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

// Waits on the client's thread for one call's on_complete, which runs on an executor worker.
class Completion {
 public:
  void Set(CallOutcome outcome) {
    absl::MutexLock lock(&mu_);
    outcome_ = std::move(outcome);
    done_ = true;
  }
  CallOutcome Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    done_ = false;
    return std::move(outcome_);
  }

 private:
  absl::Mutex mu_;
  bool done_ = false;
  CallOutcome outcome_;
};

CallOutcome CallAndWait(runtime::Executor& executor, Completion& completion, std::string call_id, std::string tool,
                        std::string args) {
  CallRequest request;
  request.call_id = std::move(call_id);
  request.tool = std::move(tool);
  request.arguments_json = std::move(args);
  CallCallbacks callbacks;
  callbacks.on_complete = [&completion](CallOutcome outcome) { completion.Set(std::move(outcome)); };
  executor.Submit(std::move(request), std::move(callbacks));
  return completion.Wait();
}

std::string Describe(const CallOutcome& outcome) {
  if (!outcome.result.ok()) return std::string(outcome.result.status().ToString());
  return absl::StrCat("tool error: ", outcome.result->text.empty() ? "" : outcome.result->text.front());
}

}  // namespace

// CLOCK_MONOTONIC, as steady_clock on Linux, so SleepUntilNs and NowNs share one time base.
int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int ProbeGeneration(const std::string& structured_json) {
  const size_t at = structured_json.rfind("/gen-");
  if (at == std::string::npos) return -1;
  const char* digits = structured_json.c_str() + at + 5;
  char* end = nullptr;
  const long n = std::strtol(digits, &end, 10);
  if (end == digits || std::string_view(end).substr(0, 3) != ".db") return -1;
  return static_cast<int>(n);
}

CallLoad::CallLoad(runtime::Executor& executor, LoadOptions options)
    : executor_(executor), options_(options), samples_(static_cast<size_t>(options.clients)) {}

CallLoad::~CallLoad() { Stop(); }

void CallLoad::Start() {
  for (int i = 0; i < options_.clients; ++i) threads_.emplace_back([this, i] { RunClient(i); });
  if (options_.probe_rate > 0) threads_.emplace_back([this] { RunProbe(); });
}

void CallLoad::Stop() {
  stop_.store(true);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void CallLoad::Fail(int64_t at_ns, std::string what) {
  failed_.fetch_add(1);
  absl::MutexLock lock(&mu_);
  if (failures_.size() < kMaxFailuresKept) failures_.push_back({at_ns, std::move(what)});
}

void CallLoad::RunClient(int index) {
  std::vector<CallSample>& samples = samples_[static_cast<size_t>(index)];
  samples.reserve(1 << 16);
  Completion completion;
  const bool paced = options_.rate > 0;
  const int64_t interval_ns = paced ? static_cast<int64_t>(1e9 * options_.clients / options_.rate) : 0;
  // Clients start spread over one interval, so the calls of a paced load do not arrive in bursts.
  int64_t due = NowNs() + interval_ns * index / std::max(1, options_.clients);
  for (uint64_t n = 0; !stop_.load(std::memory_order_relaxed); ++n) {
    if (paced) {
      SleepUntilNs(due);
    } else {
      due = NowNs();
    }
    const std::string text = absl::StrCat("c", index, "-", n);
    CallOutcome outcome = CallAndWait(executor_, completion, absl::StrCat("echo-", index, "-", n), "echo",
                                      absl::StrCat(R"({"text":")", text, R"("})"));
    const int64_t done = NowNs();
    calls_.fetch_add(1, std::memory_order_relaxed);
    if (!outcome.result.ok() || outcome.result->is_error) {
      Fail(due, absl::StrCat("echo ", text, ": ", Describe(outcome)));
    } else if (outcome.result->text.size() != 1 || outcome.result->text.front() != text) {
      Fail(due, absl::StrCat("echo ", text, ": unexpected answer ", outcome.result->ToJson()));
    } else {
      samples.push_back({due, done - due});
    }
    // A paced client that fell behind (a call took longer than its interval) submits the next call at once;
    // its latency still counts from when that call was due, so a stall shows in every call it delayed.
    due += interval_ns;
  }
}

void CallLoad::RunProbe() {
  probes_.reserve(1 << 14);
  Completion completion;
  const int64_t interval_ns = static_cast<int64_t>(1e9 / options_.probe_rate);
  int64_t due = NowNs();
  for (uint64_t n = 0; !stop_.load(std::memory_order_relaxed); ++n) {
    SleepUntilNs(due);
    ProbeSample sample;
    sample.submit_ns = NowNs();
    CallOutcome outcome = CallAndWait(executor_, completion, absl::StrCat("probe-", n), "sqlite.query", kProbeArgs);
    sample.done_ns = NowNs();
    calls_.fetch_add(1, std::memory_order_relaxed);
    if (!outcome.result.ok() || outcome.result->is_error || !outcome.result->structured_json) {
      Fail(sample.submit_ns, absl::StrCat("probe sqlite.query: ", Describe(outcome)));
    } else {
      sample.generation = ProbeGeneration(*outcome.result->structured_json);
      if (sample.generation < 0) {
        Fail(sample.submit_ns, absl::StrCat("probe sqlite.query: no gen-<n>.db in ", *outcome.result->structured_json));
      }
    }
    probes_.push_back(sample);
    due = std::max(due + interval_ns, sample.done_ns);  // one probe in flight; never a burst to catch up
  }
}

std::vector<CallSample> CallLoad::Samples() const {
  std::vector<CallSample> all;
  for (const auto& s : samples_) all.insert(all.end(), s.begin(), s.end());
  return all;
}

uint64_t CallLoad::calls() const { return calls_.load(); }
uint64_t CallLoad::failed() const { return failed_.load(); }

std::vector<CallFailure> CallLoad::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

HeldCall::HeldCall(runtime::Executor& executor, int duration_ms) {
  constexpr int kStepMs = 5;
  CallRequest request;
  request.call_id = absl::StrCat("held-", NowNs());
  request.tool = "slow.count";
  request.arguments_json =
      absl::StrCat(R"({"steps":)", std::max(1, duration_ms / kStepMs), R"(,"step_ms":)", kStepMs, "}");
  CallCallbacks callbacks;
  callbacks.on_progress = [this](const runtime::Progress&) {
    absl::MutexLock lock(&mu_);
    running_ = true;
  };
  callbacks.on_complete = [this](CallOutcome outcome) {
    absl::MutexLock lock(&mu_);
    if (!outcome.result.ok() || outcome.result->is_error) error_ = absl::StrCat("held slow.count: ", Describe(outcome));
    done_ns_ = NowNs();
    done_ = true;
    running_ = true;
  };
  executor.Submit(std::move(request), std::move(callbacks));
}

HeldCall::~HeldCall() { Wait(); }

bool HeldCall::WaitStarted() {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&running_), absl::Seconds(10));
}

bool HeldCall::done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

std::string HeldCall::Wait() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(&done_));
  return error_;
}

int64_t HeldCall::done_ns() const {
  absl::MutexLock lock(&mu_);
  return done_ns_;
}

}  // namespace edge::bench
