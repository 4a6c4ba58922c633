// harness/conformance.h: the plugin conformance checks behind `edge-connector test --check`.
//
// The checks load a plugin through the real host and exercise it the way the connector will: examples,
// invalid arguments, cancellation, hot reload and shutdown. They produce results, never output, so
// `test --check` prints them and `package` can refuse a plugin that fails. RunConformanceIsolated runs them
// in a child process, so a plugin that crashes or hangs becomes a failed check instead of a dead harness.
#ifndef EDGE_HARNESS_CONFORMANCE_H_
#define EDGE_HARNESS_CONFORMANCE_H_

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "edge/runtime/log.h"

namespace edge::harness {

enum class CheckVerdict { kPass, kFail, kSkip };
std::string_view VerdictName(CheckVerdict verdict);  // "PASS", "FAIL", "SKIP"

struct CheckResult {
  std::string name;  // e.g. "load", "examples echo", "cancel echo"
  CheckVerdict verdict = CheckVerdict::kPass;
  std::string detail;
};

struct ConformanceOptions {
  std::filesystem::path plugin;
  std::string config_json = "{}";
  std::filesystem::path store_dir;               // empty: a temporary content store
  std::filesystem::path scratch_dir;             // for the reload copy; empty: a temporary directory
  absl::Duration cancel_delay = absl::Milliseconds(20);  // how long a call runs before the check cancels it
  absl::Duration cancel_bound = absl::Seconds(2);        // how soon after the cancel invoke must return
  absl::Duration step_timeout = absl::Seconds(60);       // isolated runs: a step silent this long is a hang
  runtime::Logger* logger = nullptr;                      // nullptr: the process default logger
  // Only the checks that need nothing but the plugin and its configuration: load (ABI negotiation, init, every
  // descriptor, schema and example validated by the host), descriptors and shutdown. `package` runs these: the
  // other checks call the tools, which may reach databases or hosts only the target machine has.
  bool packaging_only = false;
};

// Receives the checks as they run. OnStep comes before each step, so a crash can be attributed to it.
class ConformanceObserver {
 public:
  virtual ~ConformanceObserver() = default;
  virtual void OnStep(std::string_view step) = 0;
  virtual void OnResult(const CheckResult& result) = 0;
};

// Runs every check in this process. A crashing plugin takes the process with it: prefer the isolated form.
// Returns false when the plugin was left with a call stuck inside it (the caller should exit soon: the
// session was leaked rather than torn down under the running call).
bool RunConformanceChecks(const ConformanceOptions& options, ConformanceObserver& observer);

// Runs the checks in a forked child and relays each result to `on_result` as it arrives. A crash (signal),
// an unexpected exit or a step silent for longer than step_timeout becomes a FAIL naming the step.
// Call it before this process starts threads: the child must not inherit locks held by other threads.
std::vector<CheckResult> RunConformanceIsolated(const ConformanceOptions& options,
                                                const std::function<void(const CheckResult&)>& on_result = {});

// True when no result failed (passes and skips only).
bool AllPassed(const std::vector<CheckResult>& results);

}  // namespace edge::harness

#endif  // EDGE_HARNESS_CONFORMANCE_H_
