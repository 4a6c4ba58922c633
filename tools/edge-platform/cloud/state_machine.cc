// The cloud connector state machine: names, allowed actions, transitions and refusal messages.
#include "cloud/state_machine.h"

#include <cstdio>

namespace edge::platform::cloud {
namespace {

// "120 s", "2.5 s": whole seconds when exact or large, else one decimal.
std::string Seconds(int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms % 1000 == 0 || ms >= 10000) return std::to_string(ms / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f s", static_cast<double>(ms / 100) / 10.0);
  return buf;
}

std::string AllowedText(CloudState state, const std::vector<CloudAction>& allowed) {
  if (allowed.empty()) {
    return "Allowed now: none (wait until it leaves " + std::string(StateName(state)) +
           ", or until it is stuck after its limit).";
  }
  std::string out = "Allowed now: ";
  for (size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) out += ", ";
    out += ActionName(allowed[i]);
  }
  return out + ".";
}

std::optional<CloudState> NextState(CloudState state, CloudAction action) {
  switch (action) {
    case CloudAction::kProvision: return CloudState::kProvisioning;
    case CloudAction::kStart: return CloudState::kStarting;
    case CloudAction::kStop: return CloudState::kStopping;
    case CloudAction::kForceComplete: return CloudState::kStopped;
    case CloudAction::kDelete: return CloudState::kNone;
  }
  (void)state;
  return std::nullopt;
}

}  // namespace

std::string_view StateName(CloudState state) {
  switch (state) {
    case CloudState::kNone: return "";
    case CloudState::kProvisioning: return "Provisioning";
    case CloudState::kStopped: return "Stopped";
    case CloudState::kStarting: return "Starting";
    case CloudState::kRunning: return "Running";
    case CloudState::kStopping: return "Stopping";
  }
  return "";
}

std::optional<CloudState> ParseState(std::string_view name) {
  for (CloudState s : {CloudState::kProvisioning, CloudState::kStopped, CloudState::kStarting, CloudState::kRunning,
                       CloudState::kStopping}) {
    if (StateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view ActionName(CloudAction action) {
  switch (action) {
    case CloudAction::kProvision: return "provision";
    case CloudAction::kStart: return "start";
    case CloudAction::kStop: return "stop";
    case CloudAction::kForceComplete: return "force-complete";
    case CloudAction::kDelete: return "delete";
  }
  return "";
}

bool IsTransitional(CloudState state) {
  return state == CloudState::kProvisioning || state == CloudState::kStarting || state == CloudState::kStopping;
}

std::string_view OperationOf(CloudState state) {
  switch (state) {
    case CloudState::kProvisioning: return "provision";
    case CloudState::kStarting: return "start";
    case CloudState::kStopping: return "stop";
    default: return "";
  }
}

std::vector<CloudAction> AllowedActions(CloudState state, const Condition& c) {
  const bool finishable = c.failed || c.stuck();
  switch (state) {
    case CloudState::kNone: return {CloudAction::kProvision};
    case CloudState::kProvisioning:
      if (finishable) return {CloudAction::kForceComplete};
      return {};
    case CloudState::kStopped: return {CloudAction::kStart, CloudAction::kDelete};
    case CloudState::kStarting:
      if (finishable) return {CloudAction::kStop, CloudAction::kForceComplete};
      return {CloudAction::kStop};
    case CloudState::kRunning: return {CloudAction::kStop};
    case CloudState::kStopping:
      if (finishable) return {CloudAction::kForceComplete};
      return {};
  }
  return {};
}

Decision Decide(CloudState state, CloudAction action, const Condition& c, const Subject& who) {
  Decision d;
  const std::vector<CloudAction> allowed = AllowedActions(state, c);
  for (CloudAction a : allowed) {
    if (a != action) continue;
    d.allowed = true;
    d.next = *NextState(state, action);
    return d;
  }
  const std::string allowed_text = AllowedText(state, allowed);
  const std::string state_name(StateName(state));
  if (state == CloudState::kNone) {
    d.refusal = "Deployment " + who.deployment_id + " has no cloud connector. " + allowed_text;
    return d;
  }
  if (action == CloudAction::kProvision) {
    d.refusal = "Cannot provision a cloud connector for " + who.deployment_id + ": it already has one (" +
                who.connector_id + ", " + state_name + "). " + allowed_text;
    return d;
  }
  d.refusal = "Cannot " + std::string(ActionName(action)) + " the cloud connector of " + who.deployment_id +
              ": it is " + state_name;
  if (action == CloudAction::kForceComplete && IsTransitional(state)) {
    d.refusal += " and not stuck (limit " + Seconds(c.limit_ms) + ", " + Seconds(c.in_state_ms) + " so far)";
  }
  d.refusal += ". " + allowed_text;
  if (action == CloudAction::kDelete) d.refusal += " Delete needs Stopped.";
  if (action == CloudAction::kForceComplete && !IsTransitional(state)) {
    d.refusal += " Force-complete ends a stuck or failed operation only.";
  }
  return d;
}

}  // namespace edge::platform::cloud
