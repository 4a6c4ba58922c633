// --wait of `edge-connector cloud`: polls the cloud connector until the operation's target state, failing as
// soon as it is stuck or failed (docs/cloud-connectors.md §7).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "commands/cloud_command.h"
#include "commands/cloud_view.h"
#include "commands/commands.h"

namespace edge::cli {
namespace {

// Often enough for a readable progress line, rarely enough to cost the platform nothing.
constexpr absl::Duration kPollInterval = absl::Milliseconds(200);

// The final words of a wait: the connector's JSON with --json (also on failure, so scripts see where it is),
// and the outcome or the reason on stdout / stderr.
int Conclude(const char* command, const CloudOptions& o, const CloudAnswer& last, const std::string& failure) {
  if (o.json && last.doc.IsObject()) std::printf("%s\n", last.body.c_str());
  if (!failure.empty()) {
    PrintCommandError(command, failure);
    return kExitToolError;
  }
  if (!o.json) std::printf("%s\n", CloudOutcomeLine(last.doc).c_str());
  return kExitOk;
}

}  // namespace

int WaitForCloudState(const char* command, const PlatformConnection& connection, const CloudOptions& o,
                      const std::string& target, CloudAnswer first, absl::Time deadline) {
  CloudWaitProgress progress(isatty(STDERR_FILENO) == 1);
  CloudAnswer last = std::move(first);
  for (;;) {
    const WaitDecision decision = JudgeCloudWait(last.doc, target, o.deployment);
    if (decision.verdict != WaitVerdict::kWaiting) {
      progress.Finish();  // the outcome, or the reason, says where it ended
      return Conclude(command, o, last, decision.message);
    }
    progress.Update(last.doc);
    // Sleep to the next poll, but never past the deadline; the last poll happens at the deadline.
    for (;;) {
      const absl::Time now = absl::Now();
      if (now >= deadline) {
        progress.Finish();
        return Conclude(command, o, last,
                        absl::StrCat("gave up after ", FormatDuration(static_cast<int64_t>(o.timeout_s * 1000)),
                                     " waiting for the cloud connector of ", o.deployment, " to be ", target,
                                     ": it is still ", StringAt(last.doc, {"state"}), ". Follow it with ",
                                     "`edge-connector cloud status --deployment ", o.deployment,
                                     "`, or wait longer with --timeout SECONDS."));
      }
      absl::SleepFor(std::min(kPollInterval, deadline - now));
      CloudAnswer answer;
      const absl::Duration left = std::max(deadline - absl::Now(), absl::Seconds(1));
      if (absl::Status s = CloudRequest(connection, "GET", o.deployment, "", std::min(left, absl::Seconds(10)),
                                        &answer);
          !s.ok()) {
        if (s.code() != absl::StatusCode::kUnavailable) {
          progress.Finish();
          PrintCommandError(command, s.message());
          return kExitToolError;
        }
        // The platform may be restarting: a state it recorded survives, so keep asking until the deadline.
        progress.Unreachable(s.message());
        continue;
      }
      if (!answer.ok()) {
        progress.Finish();
        return ReportCloudError(command, o, answer);  // deleted meanwhile (404), or the token expired
      }
      last = std::move(answer);
      break;
    }
  }
}

}  // namespace edge::cli
