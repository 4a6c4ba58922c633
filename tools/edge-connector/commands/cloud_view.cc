// The text of `edge-connector cloud`: status summary, wait progress and the wait's verdict.
#include "commands/cloud_view.h"

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace edge::cli {
namespace {

using Json = rapidjson::Value;

std::string Str(const Json& o, const char* key) {
  if (!o.IsObject() || !o.HasMember(key) || !o[key].IsString()) return "";
  return std::string(o[key].GetString(), o[key].GetStringLength());
}

std::optional<int64_t> Int(const Json& o, const char* key) {
  if (!o.IsObject() || !o.HasMember(key) || !o[key].IsInt64()) return std::nullopt;
  return o[key].GetInt64();
}

bool Bool(const Json& o, const char* key) {
  return o.IsObject() && o.HasMember(key) && o[key].IsBool() && o[key].GetBool();
}

// "stop", "start, delete", or "none".
std::string AllowedActions(const Json& o) {
  std::vector<std::string> actions;
  if (o.IsObject() && o.HasMember("allowedActions") && o["allowedActions"].IsArray()) {
    for (const Json& a : o["allowedActions"].GetArray()) {
      if (a.IsString()) actions.emplace_back(a.GetString());
    }
  }
  return actions.empty() ? "none" : absl::StrJoin(actions, ", ");
}

std::string UtcTime(int64_t ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

// Whether a connector in `state` gets to `target` without anyone acting: Starting ends Running, Provisioning
// and Stopping end Stopped.
bool LeadsTo(const std::string& state, const std::string& target) {
  if (target == "Running") return state == "Starting";
  if (target == "Stopped") return state == "Provisioning" || state == "Stopping";
  return false;
}

std::string ForceCompleteHint(const std::string& deployment) {
  return absl::StrCat("End it with `edge-connector cloud force-complete --deployment ", deployment,
                      "` (it becomes Stopped), then retry or delete.");
}

std::string StateLine(const Json& c) {
  const std::string state = Str(c, "state");
  const int64_t in_state = Int(c, "inStateMs").value_or(0);
  const std::optional<int64_t> limit = Int(c, "limitMs");
  std::string line = absl::StrCat(state, " for ", FormatDuration(in_state));
  if (Bool(c, "failed")) return absl::StrCat(line, ", failed");
  if (Bool(c, "stuck")) {
    return absl::StrCat(line, ", stuck", limit ? absl::StrCat(" (limit ", FormatDuration(*limit), ")") : "");
  }
  if (limit) absl::StrAppend(&line, " (limit ", FormatDuration(*limit), ")");
  return line;
}

std::string BundleLine(const Json& c) {
  if (!c.HasMember("bundle") || !c["bundle"].IsObject()) return "none";
  const Json& b = c["bundle"];
  std::string checksum = Str(b, "checksum");
  if (checksum.rfind("sha256:", 0) == 0) checksum = checksum.substr(7);
  std::string line = Str(b, "id");
  if (std::optional<int64_t> version = Int(b, "version")) absl::StrAppend(&line, " version ", *version);
  if (!checksum.empty()) absl::StrAppend(&line, " (", checksum.substr(0, 12), ")");
  return line.empty() ? "none" : line;
}

std::string ToolsLine(const Json& c) {
  std::vector<std::string> tools;
  if (c.HasMember("tools") && c["tools"].IsArray()) {
    for (const Json& t : c["tools"].GetArray()) {
      if (t.IsString()) tools.emplace_back(t.GetString());
    }
  }
  return tools.empty() ? "none registered" : absl::StrCat(absl::StrJoin(tools, ", "), " (", tools.size(), ")");
}

}  // namespace

std::string FormatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return absl::StrCat(ms, " ms");
  if (ms < 60'000) return absl::StrFormat("%.1f s", static_cast<double>(ms) / 1000.0);
  if (ms < 3'600'000) return absl::StrFormat("%d min %02d s", ms / 60'000, ms / 1000 % 60);
  return absl::StrFormat("%d h %02d min", ms / 3'600'000, ms / 60'000 % 60);
}

std::string FormatCloudStatus(const Json& c, int64_t now_ms) {
  const std::string deployment = Str(c, "deploymentId");
  std::string out = absl::StrCat("Cloud connector ", Str(c, "id"), " of deployment ", deployment, "\n");
  auto row = [&out](const std::string& label, const std::string& value) {
    absl::StrAppend(&out, "  ", label, std::string(16 - label.size(), ' '), value, "\n");
  };
  row("State:", StateLine(c));
  if (Bool(c, "stuck") || Bool(c, "failed")) row("Fix:", ForceCompleteHint(deployment));
  const std::optional<int64_t> heartbeat = Int(c, "lastHeartbeatAtMs");
  row("Last heartbeat:",
      heartbeat ? absl::StrCat(UtcTime(*heartbeat), " (", FormatDuration(now_ms - *heartbeat), " ago)") : "never");
  const std::optional<int64_t> pid = Int(c, "pid");
  row("Pid:", pid ? absl::StrCat(*pid) : "-");
  std::string restarts = absl::StrCat(Int(c, "restarts").value_or(0));
  if (std::optional<int64_t> at = Int(c, "restartAtMs")) {
    absl::StrAppend(&restarts, " (next restart in ", FormatDuration(*at - now_ms), ")");
  }
  row("Restarts:", restarts);
  row("Bundle:", BundleLine(c));
  row("Tools:", ToolsLine(c));
  const std::string error = Str(c, "lastError");
  row("Last error:", error.empty() ? "-" : error);
  row("Allowed now:", AllowedActions(c));
  return out;
}

std::string CloudProgressLine(const Json& c) {
  std::string line = absl::StrCat(Str(c, "state"), "… ", FormatDuration(Int(c, "inStateMs").value_or(0)));
  if (std::optional<int64_t> pid = Int(c, "pid")) absl::StrAppend(&line, " (pid ", *pid, ")");
  if (Bool(c, "stuck")) absl::StrAppend(&line, ", stuck");
  if (Bool(c, "failed")) absl::StrAppend(&line, ", failed");
  if (std::optional<int64_t> at = Int(c, "restartAtMs")) {
    absl::StrAppend(&line, ", restart ", Int(c, "restarts").value_or(0) + 1, " in ",
                    FormatDuration(*at - NowMs()));
  }
  if (std::string error = Str(c, "lastError"); !error.empty()) absl::StrAppend(&line, ", last error: ", error);
  return line;
}

WaitDecision JudgeCloudWait(const Json& c, const std::string& target, const std::string& deployment) {
  const std::string state = Str(c, "state");
  const std::string error = Str(c, "lastError");
  const std::string error_note = error.empty() ? "" : absl::StrCat(" Last error: ", error, ".");
  if (Bool(c, "failed")) {
    return {WaitVerdict::kFailed, absl::StrCat("The cloud connector of ", deployment, " failed in ", state, ".",
                                               error_note, " ", ForceCompleteHint(deployment))};
  }
  if (Bool(c, "stuck")) {
    const std::optional<int64_t> limit = Int(c, "limitMs");
    return {WaitVerdict::kFailed,
            absl::StrCat("The cloud connector of ", deployment, " is stuck in ", state, " (",
                         FormatDuration(Int(c, "inStateMs").value_or(0)), " so far",
                         limit ? absl::StrCat(", limit ", FormatDuration(*limit)) : "", ").", error_note, " ",
                         ForceCompleteHint(deployment))};
  }
  if (state == target) return {WaitVerdict::kDone, ""};
  if (LeadsTo(state, target)) return {WaitVerdict::kWaiting, ""};
  return {WaitVerdict::kFailed,
          absl::StrCat("The cloud connector of ", deployment, " is ", state, ", not ", target,
                       ": another request changed it meanwhile.", error_note, " Allowed now: ", AllowedActions(c),
                       ".")};
}

void CloudWaitProgress::Update(const Json& c) {
  const std::string line = CloudProgressLine(c);
  if (tty_) {
    // \r returns to the start of the line, ESC[K clears what a longer previous line left behind.
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    line_open_ = true;
  } else {
    std::string key = absl::StrCat(Str(c, "state"), "|", Bool(c, "stuck"), "|", Bool(c, "failed"), "|",
                                   Int(c, "pid").value_or(0), "|", Int(c, "restarts").value_or(0), "|",
                                   Str(c, "lastError"));
    if (key == last_key_) return;
    last_key_ = std::move(key);
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void CloudWaitProgress::Unreachable(absl::string_view why) {
  const std::string line = absl::StrCat("platform not reachable, retrying: ", why);
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K", line.c_str());
    line_open_ = true;
  } else {
    if (line == last_key_) return;
    last_key_ = line;
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

void CloudWaitProgress::Finish() {
  if (line_open_) std::fprintf(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace edge::cli
