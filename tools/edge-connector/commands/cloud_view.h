// commands/cloud_view.h: the pure parts of `edge-connector cloud` (docs/cloud-connectors.md §7), kept apart
// from HTTP so they are unit-tested: the readable `status` summary, the one-line progress of `--wait`, and the
// decision a wait takes after each poll (done, keep waiting, or fail because the connector is stuck, failed or
// somewhere it will not leave by itself). Every function reads the API's cloud connector JSON (§6).
#ifndef EDGE_CLI_COMMANDS_CLOUD_VIEW_H_
#define EDGE_CLI_COMMANDS_CLOUD_VIEW_H_

#include <rapidjson/document.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace edge::cli {

// "850 ms", "3.2 s", "2 min 05 s", "3 h 07 min".
std::string FormatDuration(int64_t ms);

// The `cloud status` text: state (with stuck/failed), time in state, last heartbeat as a UTC time and its age
// relative to `now_ms`, pid, restarts, bundle, tools, last error and the allowed actions.
std::string FormatCloudStatus(const rapidjson::Value& connector, int64_t now_ms);

// "Starting… 3.2 s (pid 4242)", with a pending restart or the last error appended when there is one.
std::string CloudProgressLine(const rapidjson::Value& connector);

// What `--wait` does after a poll.
enum class WaitVerdict {
  kDone,     // the connector reached the target state
  kWaiting,  // still on its way
  kFailed,   // it will not get there by itself: stuck, failed, or in another stable state
};
struct WaitDecision {
  WaitVerdict verdict = WaitVerdict::kWaiting;
  std::string message;  // for kFailed: the state and the fix
};
// `target` is "Running" or "Stopped"; `deployment` names the connector in messages.
WaitDecision JudgeCloudWait(const rapidjson::Value& connector, const std::string& target,
                            const std::string& deployment);

// The progress of a wait, on stderr. On a terminal, one line redrawn in place at each poll; otherwise one line
// per state change (logs and CI stay readable).
class CloudWaitProgress {
 public:
  CloudWaitProgress(bool tty, FILE* out = stderr) : tty_(tty), out_(out) {}
  void Update(const rapidjson::Value& connector);
  // A poll that did not get an answer (the platform restarts, say); shown, not fatal.
  void Unreachable(absl::string_view why);
  // Ends a redrawn line so what follows starts on a fresh one.
  void Finish();

 private:
  bool tty_;
  FILE* out_;
  bool line_open_ = false;
  std::string last_key_;  // plain mode: what the last printed line said (state, stuck, failed, pid, error)
};

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_CLOUD_VIEW_H_
