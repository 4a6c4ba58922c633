// cloud/state_machine.h: the cloud connector state machine of docs/cloud-connectors.md section 1, as pure
// functions: the states and actions with their names, which actions a state allows (stuck and failed included),
// where an action leads, and the exact refusal message of an illegal one. No processes, no storage: the manager
// (manager.h) applies the decisions.
#ifndef EDGE_PLATFORM_CLOUD_STATE_MACHINE_H_
#define EDGE_PLATFORM_CLOUD_STATE_MACHINE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edge::platform::cloud {

// kNone: the deployment has no cloud connector.
enum class CloudState { kNone, kProvisioning, kStopped, kStarting, kRunning, kStopping };
enum class CloudAction { kProvision, kStart, kStop, kForceComplete, kDelete };

std::string_view StateName(CloudState state);  // "Provisioning", ...; "" for kNone
std::optional<CloudState> ParseState(std::string_view name);
std::string_view ActionName(CloudAction action);  // "provision", "start", "stop", "force-complete", "delete"
bool IsTransitional(CloudState state);
// The operation of a transitional state ("provision", "start", "stop"), else "".
std::string_view OperationOf(CloudState state);

// What the state machine needs beyond the state itself.
struct Condition {
  bool failed = false;     // the driver step failed outright
  int64_t limit_ms = 0;    // the transitional state's limit
  int64_t in_state_ms = 0;
  bool stuck() const { return limit_ms > 0 && in_state_ms > limit_ms; }
};

// The actions allowed now, in the order messages list them.
std::vector<CloudAction> AllowedActions(CloudState state, const Condition& condition);

// Who the message is about.
struct Subject {
  std::string deployment_id;
  std::string connector_id;  // "" when there is none
};

// The decision on one action: the state it moves to, or the refusal message (409 illegal_transition).
struct Decision {
  bool allowed = false;
  CloudState next = CloudState::kNone;
  std::string refusal;
};
Decision Decide(CloudState state, CloudAction action, const Condition& condition, const Subject& subject);

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_STATE_MACHINE_H_
