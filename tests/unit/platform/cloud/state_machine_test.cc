// The cloud connector state machine (docs/cloud-connectors.md section 1): every state with every action, the
// refusal messages, force-complete targets, and stuck/failed.
#include "cloud/state_machine.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

namespace edge::platform::cloud {
namespace {

const Subject kWho{"dep_42", "cc_7Hq2"};

constexpr CloudAction kActions[] = {CloudAction::kProvision, CloudAction::kStart, CloudAction::kStop,
                                    CloudAction::kForceComplete, CloudAction::kDelete};

std::string Names(const std::vector<CloudAction>& actions) {
  std::string out;
  for (CloudAction a : actions) out += (out.empty() ? "" : ",") + std::string(ActionName(a));
  return out;
}

Condition Fresh(int64_t limit_ms = 120000, int64_t in_state_ms = 12000) {
  Condition c;
  c.limit_ms = limit_ms;
  c.in_state_ms = in_state_ms;
  return c;
}
Condition Stuck() { return Fresh(120000, 120001); }
Condition Failed() {
  Condition c = Fresh();
  c.failed = true;
  return c;
}

TEST(CloudStateMachine, NamesRoundTrip) {
  for (CloudState s : {CloudState::kProvisioning, CloudState::kStopped, CloudState::kStarting, CloudState::kRunning,
                       CloudState::kStopping}) {
    EXPECT_EQ(ParseState(StateName(s)), s);
  }
  EXPECT_EQ(ParseState("running"), std::nullopt);
  EXPECT_EQ(OperationOf(CloudState::kProvisioning), "provision");
  EXPECT_EQ(OperationOf(CloudState::kStarting), "start");
  EXPECT_EQ(OperationOf(CloudState::kStopping), "stop");
  EXPECT_EQ(OperationOf(CloudState::kRunning), "");
  EXPECT_TRUE(IsTransitional(CloudState::kStopping));
  EXPECT_FALSE(IsTransitional(CloudState::kStopped));
}

TEST(CloudStateMachine, AllowedActionsPerStateStuckAndFailed) {
  // state -> {fresh, stuck, failed}
  const std::map<CloudState, std::tuple<std::string, std::string, std::string>> expected = {
      {CloudState::kNone, {"provision", "provision", "provision"}},
      {CloudState::kProvisioning, {"", "force-complete", "force-complete"}},
      {CloudState::kStopped, {"start,delete", "start,delete", "start,delete"}},
      {CloudState::kStarting, {"stop", "stop,force-complete", "stop,force-complete"}},
      {CloudState::kRunning, {"stop", "stop", "stop"}},
      {CloudState::kStopping, {"", "force-complete", "force-complete"}},
  };
  for (const auto& [state, lists] : expected) {
    SCOPED_TRACE(std::string(StateName(state)));
    EXPECT_EQ(Names(AllowedActions(state, Fresh())), std::get<0>(lists));
    EXPECT_EQ(Names(AllowedActions(state, Stuck())), std::get<1>(lists));
    EXPECT_EQ(Names(AllowedActions(state, Failed())), std::get<2>(lists));
  }
}

TEST(CloudStateMachine, StuckOnlyAfterTheLimit) {
  EXPECT_FALSE(Fresh(1000, 1000).stuck());
  EXPECT_TRUE(Fresh(1000, 1001).stuck());
  EXPECT_FALSE(Fresh(0, 999999).stuck());  // stable states have no limit
}

TEST(CloudStateMachine, EveryStateTimesEveryActionFresh) {
  // The decision for every pair: the next state, or the exact refusal.
  struct Case {
    CloudState state;
    CloudAction action;
    std::optional<CloudState> next;
    std::string refusal;
  };
  const std::vector<Case> cases = {
      {CloudState::kNone, CloudAction::kProvision, CloudState::kProvisioning, ""},
      {CloudState::kNone, CloudAction::kStart, std::nullopt,
       "Deployment dep_42 has no cloud connector. Allowed now: provision."},
      {CloudState::kNone, CloudAction::kStop, std::nullopt,
       "Deployment dep_42 has no cloud connector. Allowed now: provision."},
      {CloudState::kNone, CloudAction::kForceComplete, std::nullopt,
       "Deployment dep_42 has no cloud connector. Allowed now: provision."},
      {CloudState::kNone, CloudAction::kDelete, std::nullopt,
       "Deployment dep_42 has no cloud connector. Allowed now: provision."},

      {CloudState::kProvisioning, CloudAction::kProvision, std::nullopt,
       "Cannot provision a cloud connector for dep_42: it already has one (cc_7Hq2, Provisioning). Allowed now: none "
       "(wait until it leaves Provisioning, or until it is stuck after its limit)."},
      {CloudState::kProvisioning, CloudAction::kStart, std::nullopt,
       "Cannot start the cloud connector of dep_42: it is Provisioning. Allowed now: none (wait until it leaves "
       "Provisioning, or until it is stuck after its limit)."},
      {CloudState::kProvisioning, CloudAction::kStop, std::nullopt,
       "Cannot stop the cloud connector of dep_42: it is Provisioning. Allowed now: none (wait until it leaves "
       "Provisioning, or until it is stuck after its limit)."},
      {CloudState::kProvisioning, CloudAction::kForceComplete, std::nullopt,
       "Cannot force-complete the cloud connector of dep_42: it is Provisioning and not stuck (limit 120 s, 12 s so "
       "far). Allowed now: none (wait until it leaves Provisioning, or until it is stuck after its limit)."},
      {CloudState::kProvisioning, CloudAction::kDelete, std::nullopt,
       "Cannot delete the cloud connector of dep_42: it is Provisioning. Allowed now: none (wait until it leaves "
       "Provisioning, or until it is stuck after its limit). Delete needs Stopped."},

      {CloudState::kStopped, CloudAction::kProvision, std::nullopt,
       "Cannot provision a cloud connector for dep_42: it already has one (cc_7Hq2, Stopped). Allowed now: start, "
       "delete."},
      {CloudState::kStopped, CloudAction::kStart, CloudState::kStarting, ""},
      {CloudState::kStopped, CloudAction::kStop, std::nullopt,
       "Cannot stop the cloud connector of dep_42: it is Stopped. Allowed now: start, delete."},
      {CloudState::kStopped, CloudAction::kForceComplete, std::nullopt,
       "Cannot force-complete the cloud connector of dep_42: it is Stopped. Allowed now: start, delete. "
       "Force-complete ends a stuck or failed operation only."},
      {CloudState::kStopped, CloudAction::kDelete, CloudState::kNone, ""},

      {CloudState::kStarting, CloudAction::kProvision, std::nullopt,
       "Cannot provision a cloud connector for dep_42: it already has one (cc_7Hq2, Starting). Allowed now: stop."},
      {CloudState::kStarting, CloudAction::kStart, std::nullopt,
       "Cannot start the cloud connector of dep_42: it is Starting. Allowed now: stop."},
      {CloudState::kStarting, CloudAction::kStop, CloudState::kStopping, ""},
      {CloudState::kStarting, CloudAction::kForceComplete, std::nullopt,
       "Cannot force-complete the cloud connector of dep_42: it is Starting and not stuck (limit 120 s, 12 s so "
       "far). Allowed now: stop."},
      {CloudState::kStarting, CloudAction::kDelete, std::nullopt,
       "Cannot delete the cloud connector of dep_42: it is Starting. Allowed now: stop. Delete needs Stopped."},

      {CloudState::kRunning, CloudAction::kProvision, std::nullopt,
       "Cannot provision a cloud connector for dep_42: it already has one (cc_7Hq2, Running). Allowed now: stop."},
      {CloudState::kRunning, CloudAction::kStart, std::nullopt,
       "Cannot start the cloud connector of dep_42: it is Running. Allowed now: stop."},
      {CloudState::kRunning, CloudAction::kStop, CloudState::kStopping, ""},
      {CloudState::kRunning, CloudAction::kForceComplete, std::nullopt,
       "Cannot force-complete the cloud connector of dep_42: it is Running. Allowed now: stop. Force-complete ends a "
       "stuck or failed operation only."},
      {CloudState::kRunning, CloudAction::kDelete, std::nullopt,
       "Cannot delete the cloud connector of dep_42: it is Running. Allowed now: stop. Delete needs Stopped."},

      {CloudState::kStopping, CloudAction::kProvision, std::nullopt,
       "Cannot provision a cloud connector for dep_42: it already has one (cc_7Hq2, Stopping). Allowed now: none "
       "(wait until it leaves Stopping, or until it is stuck after its limit)."},
      {CloudState::kStopping, CloudAction::kStart, std::nullopt,
       "Cannot start the cloud connector of dep_42: it is Stopping. Allowed now: none (wait until it leaves "
       "Stopping, or until it is stuck after its limit)."},
      {CloudState::kStopping, CloudAction::kStop, std::nullopt,
       "Cannot stop the cloud connector of dep_42: it is Stopping. Allowed now: none (wait until it leaves "
       "Stopping, or until it is stuck after its limit)."},
      {CloudState::kStopping, CloudAction::kForceComplete, std::nullopt,
       "Cannot force-complete the cloud connector of dep_42: it is Stopping and not stuck (limit 120 s, 12 s so "
       "far). Allowed now: none (wait until it leaves Stopping, or until it is stuck after its limit)."},
      {CloudState::kStopping, CloudAction::kDelete, std::nullopt,
       "Cannot delete the cloud connector of dep_42: it is Stopping. Allowed now: none (wait until it leaves "
       "Stopping, or until it is stuck after its limit). Delete needs Stopped."},
  };
  ASSERT_EQ(cases.size(), 6u * std::size(kActions));
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(StateName(c.state)) + " + " + std::string(ActionName(c.action)));
    const Decision d = Decide(c.state, c.action, Fresh(), c.state == CloudState::kNone ? Subject{"dep_42", ""} : kWho);
    EXPECT_EQ(d.allowed, c.next.has_value());
    if (c.next) {
      EXPECT_EQ(d.next, *c.next);
      EXPECT_EQ(d.refusal, "");
    } else {
      EXPECT_EQ(d.refusal, c.refusal);
    }
  }
}

TEST(CloudStateMachine, ForceCompleteLeadsToStoppedFromEveryTransitionalStateOnceStuckOrFailed) {
  for (CloudState s : {CloudState::kProvisioning, CloudState::kStarting, CloudState::kStopping}) {
    for (const Condition& c : {Stuck(), Failed()}) {
      SCOPED_TRACE(std::string(StateName(s)));
      const Decision d = Decide(s, CloudAction::kForceComplete, c, kWho);
      EXPECT_TRUE(d.allowed);
      EXPECT_EQ(d.next, CloudState::kStopped);
    }
  }
  // Stable states never take it, stuck-looking or not.
  EXPECT_FALSE(Decide(CloudState::kRunning, CloudAction::kForceComplete, Failed(), kWho).allowed);
}

TEST(CloudStateMachine, StuckStartStillAllowsStop) {
  const Decision d = Decide(CloudState::kStarting, CloudAction::kStop, Stuck(), kWho);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.next, CloudState::kStopping);
  const Decision refused = Decide(CloudState::kStarting, CloudAction::kDelete, Stuck(), kWho);
  EXPECT_EQ(refused.refusal,
            "Cannot delete the cloud connector of dep_42: it is Starting. Allowed now: stop, force-complete. Delete "
            "needs Stopped.");
}

TEST(CloudStateMachine, SecondsInMessages) {
  Condition c = Fresh(2500, 700);
  const std::string refusal = Decide(CloudState::kStarting, CloudAction::kForceComplete, c, kWho).refusal;
  EXPECT_NE(refusal.find("(limit 2.5 s, 0.7 s so far)"), std::string::npos) << refusal;
}

}  // namespace
}  // namespace edge::platform::cloud
