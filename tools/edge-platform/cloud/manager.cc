// Manager: the REST API's actions, the views, and the hub's session events. Supervision, reconciliation and
// shutdown are in supervision.cc.
#include "cloud/manager.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"

namespace edge::platform::cloud {

Manager::Manager(ManagerOptions options, store::Store* store, Hub* hub, Driver* driver, runtime::Logger* logger)
    : options_(options), store_(store), hub_(hub), driver_(driver), logger_(logger), rng_(std::random_device{}()) {
  timer_.manager = this;
}

Manager::~Manager() { Detach(); }

CloudState Manager::StateOf(const Entry& e) {
  return ParseState(e.record.state).value_or(CloudState::kStopped);
}

int64_t Manager::LimitOf(CloudState state) const {
  switch (state) {
    case CloudState::kProvisioning: return options_.provision_timeout_ms;
    case CloudState::kStarting: return options_.start_timeout_ms;
    case CloudState::kStopping: return options_.stop_timeout_ms;
    default: return 0;
  }
}

Condition Manager::ConditionOf(const Entry& e, int64_t now) const {
  Condition c;
  c.failed = e.record.failed;
  c.limit_ms = LimitOf(StateOf(e));
  c.in_state_ms = std::max<int64_t>(0, now - e.record.state_since_ms);
  return c;
}

CloudView Manager::ViewOf(const Entry& e, int64_t now) const {
  CloudView v;
  v.record = e.record;
  v.state = StateOf(e);
  const Condition c = ConditionOf(e, now);
  v.in_state_ms = c.in_state_ms;
  v.stuck = IsTransitional(v.state) && c.stuck();
  if (IsTransitional(v.state)) v.limit_ms = c.limit_ms;
  v.allowed = AllowedActions(v.state, c);
  for (ConnectionInfo& info : hub_->ConnectionsOf(e.record.deployment_id)) {
    if (info.connector_id != e.record.id) continue;
    // The last message of the live session is the freshest sign of life.
    v.record.last_heartbeat_at_ms = std::max(info.last_seen_ms, v.record.last_heartbeat_at_ms.value_or(0));
    v.session = std::move(info);
  }
  return v;
}

absl::Status Manager::Check(const Entry* e, const std::string& deployment_id, CloudAction action,
                            int64_t now) const {
  const CloudState state = e != nullptr ? StateOf(*e) : CloudState::kNone;
  const Condition c = e != nullptr ? ConditionOf(*e, now) : Condition{};
  const Decision d = Decide(state, action, c, Subject{deployment_id, e != nullptr ? e->record.id : ""});
  if (d.allowed) return absl::OkStatus();
  std::string details;
  protocol::JsonWriter w(details);
  w.BeginObject().Key("state");
  if (state == CloudState::kNone) {
    w.Null();
  } else {
    w.String(StateName(state));
  }
  w.Key("allowedActions").BeginArray();
  for (CloudAction a : AllowedActions(state, c)) w.String(ActionName(a));
  w.EndArray().EndObject();
  absl::Status refused = absl::FailedPreconditionError(d.refusal);
  refused.SetPayload(kIllegalTransitionPayload, absl::Cord(details));
  return refused;
}

Manager::Entry* Manager::Find(const std::string& deployment_id) {
  auto it = entries_.find(deployment_id);
  return it == entries_.end() ? nullptr : &it->second;
}

InstanceSpec Manager::SpecOf(const Entry& e) const {
  InstanceSpec spec;
  spec.connector_id = e.record.id;
  spec.deployment_id = e.record.deployment_id;
  return spec;
}

std::string Manager::Name(const Entry& e) const {
  return absl::StrCat("cloud connector ", e.record.id, " of ", e.record.deployment_id);
}

void Manager::Save(Entry& e) {
  if (absl::Status s = store_->UpdateCloudConnector(e.record); !s.ok() && logger_ != nullptr) {
    logger_->Warn("cloud", "could not record the state of ", Name(e), ": ", s.ToString());
  }
}

void Manager::Transition(Entry& e, CloudState state, int64_t now) {
  e.record.state = std::string(StateName(state));
  e.record.state_since_ms = now;
  e.record.failed = false;
  e.stuck_logged = false;
  Save(e);
}

absl::StatusOr<CloudView> Manager::Get(const std::string& deployment_id) {
  Entry* e = Find(deployment_id);
  if (e == nullptr) {
    return absl::NotFoundError(absl::StrCat("deployment ", deployment_id,
                                            " has no cloud connector. Provision one with POST /api/v1/deployments/",
                                            deployment_id, "/cloud-connector (or `edge-connector cloud provision "
                                            "--deployment ", deployment_id, "`)"));
  }
  return ViewOf(*e, store::NowMs());
}

std::optional<CloudSummary> Manager::Summary(const std::string& deployment_id) {
  Entry* e = Find(deployment_id);
  if (e == nullptr) return std::nullopt;
  const int64_t now = store::NowMs();
  const CloudState state = StateOf(*e);
  return CloudSummary{e->record.id, state, IsTransitional(state) && ConditionOf(*e, now).stuck()};
}

absl::StatusOr<CloudView> Manager::Provision(const store::Deployment& deployment) {
  const int64_t now = store::NowMs();
  Entry* existing = Find(deployment.id);
  if (absl::Status s = Check(existing, deployment.id, CloudAction::kProvision, now); !s.ok()) return s;
  Entry e;
  e.record.id = "cc_" + protocol::RandomToken(9);
  e.record.deployment_id = deployment.id;
  e.record.org_id = deployment.org_id;
  e.record.state = std::string(StateName(CloudState::kProvisioning));
  e.record.state_since_ms = now;
  e.record.created_at_ms = now;
  if (absl::Status s = store_->CreateCloudConnector(e.record); !s.ok()) return s;
  e.provision_pending = true;  // the driver step runs on the next tick: the answer shows Provisioning
  Entry& stored = entries_[deployment.id] = std::move(e);
  if (logger_ != nullptr) logger_->Info("cloud", Name(stored), " provisioning");
  Schedule(0);
  return ViewOf(stored, now);
}

absl::StatusOr<CloudView> Manager::Start(const std::string& deployment_id) {
  const int64_t now = store::NowMs();
  Entry* e = Find(deployment_id);
  if (absl::Status s = Check(e, deployment_id, CloudAction::kStart, now); !s.ok()) return s;
  e->record.restarts = 0;
  e->record.restart_at_ms.reset();
  e->record.last_error.clear();
  e->backoff_step = 0;
  Transition(*e, CloudState::kStarting, now);
  Spawn(*e);
  return ViewOf(*e, now);
}

absl::StatusOr<CloudView> Manager::Stop(const std::string& deployment_id) {
  const int64_t now = store::NowMs();
  Entry* e = Find(deployment_id);
  if (absl::Status s = Check(e, deployment_id, CloudAction::kStop, now); !s.ok()) return s;
  e->record.restart_at_ms.reset();
  Transition(*e, CloudState::kStopping, now);
  if (e->handle) {
    absl::StatusOr<StepResult> r = driver_->Stop(*e->handle);
    if (!r.ok()) {
      e->record.failed = true;
      e->record.last_error = absl::StrCat("stop failed: ", r.status().message());
      Save(*e);
    }
    if (logger_ != nullptr) {
      logger_->Info("cloud", Name(*e), " stopping (pid ", e->handle->pid, "): ",
                    !r.ok() ? e->record.last_error : r->completed ? "SIGTERM sent, its calls drain first"
                                                                  : "the driver did not act (test hook)");
    }
  }
  Schedule(0);  // without a process, the next tick completes the stop
  return ViewOf(*e, now);
}

absl::StatusOr<CloudView> Manager::ForceComplete(const std::string& deployment_id) {
  const int64_t now = store::NowMs();
  Entry* e = Find(deployment_id);
  if (absl::Status s = Check(e, deployment_id, CloudAction::kForceComplete, now); !s.ok()) return s;
  const CloudState from = StateOf(*e);
  Kill(*e);
  e->provision_pending = false;
  e->record.restart_at_ms.reset();
  Transition(*e, CloudState::kStopped, now);
  if (logger_ != nullptr) logger_->Warn("cloud", Name(*e), ": force-complete moved it from ", StateName(from),
                                        " to Stopped");
  return ViewOf(*e, now);
}

absl::StatusOr<std::string> Manager::Delete(const std::string& deployment_id) {
  const int64_t now = store::NowMs();
  Entry* e = Find(deployment_id);
  if (absl::Status s = Check(e, deployment_id, CloudAction::kDelete, now); !s.ok()) return s;
  Kill(*e);  // normally nothing: Stopped has no process
  if (absl::Status s = driver_->Release(SpecOf(*e)); !s.ok()) return s;
  if (absl::Status s = store_->DeleteCloudConnector(e->record.id); !s.ok()) return s;
  const std::string id = e->record.id;
  hub_->RevokeCloudConnector(deployment_id, id);  // its credentials are gone with it
  entries_.erase(deployment_id);
  if (logger_ != nullptr) logger_->Info("cloud", "cloud connector ", id, " of ", deployment_id, " deleted");
  return id;
}

void Manager::OnSessionEvent(const CloudSessionEvent& event) {
  if (shutting_down_) return;
  Entry* e = Find(event.deployment_id);
  if (e == nullptr || e->record.id != event.connector_id) return;  // deleted meanwhile
  const int64_t now = store::NowMs();
  switch (event.kind) {
    case CloudSessionEvent::Kind::kConnected:
      if (logger_ != nullptr) logger_->Info("cloud", Name(*e), " connected (session ", event.session_id, ")");
      return;
    case CloudSessionEvent::Kind::kHeartbeat:
      e->record.last_heartbeat_at_ms = event.at_ms;
      if (absl::Status s = store_->RecordCloudHeartbeat(e->record.id, event.at_ms); !s.ok() && logger_ != nullptr) {
        logger_->Warn("cloud", "could not record the heartbeat of ", Name(*e), ": ", s.ToString());
      }
      return;
    case CloudSessionEvent::Kind::kRegistered: {
      if (StateOf(*e) != CloudState::kStarting) return;
      // Running needs the deployment's bundle target, when there is one (section 1).
      absl::StatusOr<store::Deployment> d = store_->GetDeployment(event.deployment_id);
      absl::StatusOr<std::optional<store::BundleTarget>> target =
          d.ok() ? store_->ResolveBundleTarget(*d) : absl::StatusOr<std::optional<store::BundleTarget>>(d.status());
      if (!target.ok()) {
        if (logger_ != nullptr) {
          logger_->Warn("cloud", Name(*e), ": bundle target unknown: ", target.status().message());
        }
        return;
      }
      if (*target && (!event.bundle || event.bundle->checksum != (*target)->version.checksum)) {
        if (logger_ != nullptr) {
          logger_->Info("cloud", Name(*e), " registered tools but not yet bundle ", (*target)->bundle.id, " version ",
                        (*target)->version.version, ": still Starting");
        }
        return;
      }
      e->record.restart_at_ms.reset();
      Transition(*e, CloudState::kRunning, now);
      if (logger_ != nullptr) logger_->Info("cloud", Name(*e), " is Running (session ", event.session_id, ")");
      return;
    }
    case CloudSessionEvent::Kind::kDisconnected:
      if (StateOf(*e) != CloudState::kRunning) return;
      e->record.last_error = "link lost: " + event.reason;
      Transition(*e, CloudState::kStarting, now);  // Running needs the link: it is back when it registers again
      if (logger_ != nullptr) logger_->Warn("cloud", Name(*e), " lost its link (", event.reason, "): Starting");
      return;
  }
}

}  // namespace edge::platform::cloud
