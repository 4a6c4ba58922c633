// Manager: the supervision timer (provision steps, process observation, restarts with backoff, stuck states),
// the reconciliation at platform start, and shutdown (docs/cloud-connectors.md section 1).
#include "absl/strings/str_cat.h"
#include "cloud/backoff.h"
#include "cloud/manager.h"
#include "edge/protocol/auth.h"

namespace edge::platform::cloud {

void Manager::OnTimer(lws_sorted_usec_list_t* sul) { reinterpret_cast<Timer*>(sul)->manager->Tick(); }

void Manager::Schedule(int64_t delay_ms) {
  if (context_ == nullptr || shutting_down_) return;
  lws_sul_schedule(context_, 0, &timer_.sul, &Manager::OnTimer, static_cast<lws_usec_t>(delay_ms) * LWS_US_PER_MS);
}

void Manager::Attach(lws_context* context) {
  context_ = context;
  Schedule(0);
}

void Manager::Detach() {
  if (context_ != nullptr) lws_sul_cancel(&timer_.sul);
  context_ = nullptr;
}

void Manager::Tick() {
  const int64_t now = store::NowMs();
  ReapDying();
  for (auto& [deployment, e] : entries_) Supervise(e, now);
  Schedule(options_.tick_ms);
}

void Manager::Supervise(Entry& e, int64_t now) {
  switch (StateOf(e)) {
    case CloudState::kProvisioning:
      if (e.provision_pending) RunProvision(e, now);
      break;
    case CloudState::kStarting:
    case CloudState::kRunning:
      if (e.handle) {
        Observation o = driver_->Observe(*e.handle);
        if (!o.running) OnProcessExit(e, o.exit_description, now);
      } else if (e.record.restart_at_ms && now >= *e.record.restart_at_ms && !e.record.failed) {
        ++e.record.restarts;
        e.record.restart_at_ms.reset();
        if (logger_ != nullptr) logger_->Info("cloud", Name(e), ": restart ", e.record.restarts);
        Spawn(e);
      }
      if (StateOf(e) == CloudState::kRunning && e.backoff_step > 0 &&
          now - e.record.state_since_ms >= options_.backoff_reset_ms) {
        e.backoff_step = 0;
      }
      break;
    case CloudState::kStopping:
      if (e.handle) {
        Observation o = driver_->Observe(*e.handle);
        if (o.running) break;
        if (logger_ != nullptr) logger_->Info("cloud", Name(e), " stopped: ", o.exit_description);
      }
      e.handle.reset();
      e.record.pid.reset();
      e.record.pid_start_time = 0;
      Transition(e, CloudState::kStopped, now);
      break;
    default:
      break;
  }
  const CloudState state = StateOf(e);
  if (IsTransitional(state) && !e.stuck_logged && ConditionOf(e, now).stuck()) {
    e.stuck_logged = true;
    if (logger_ != nullptr) {
      logger_->Warn("cloud", Name(e), " is stuck in ", StateName(state), " (limit ", LimitOf(state),
                    " ms): force-complete it, then retry or delete it");
    }
  }
}

void Manager::RunProvision(Entry& e, int64_t now) {
  e.provision_pending = false;
  // A new secret each time the step runs: only its hash is kept, so a repeated step cannot reuse the old one.
  InstanceSpec spec = SpecOf(e);
  spec.secret = absl::StrCat("ccs_", e.record.id, "_", protocol::RandomToken(32));
  e.record.secret_hash = protocol::HashSecret(spec.secret);
  Save(e);
  absl::StatusOr<StepResult> r = driver_->Provision(spec);
  if (!r.ok()) {
    e.record.failed = true;
    e.record.last_error = absl::StrCat("provision failed: ", r.status().message());
    Save(e);
    if (logger_ != nullptr) logger_->Warn("cloud", Name(e), ": ", e.record.last_error);
    return;
  }
  if (!r->completed) {
    if (logger_ != nullptr) logger_->Warn("cloud", Name(e), ": the provision step did not complete (test hook)");
    return;
  }
  Transition(e, CloudState::kStopped, now);
  if (logger_ != nullptr) logger_->Info("cloud", Name(e), " provisioned: Stopped");
}

void Manager::Spawn(Entry& e) {
  absl::StatusOr<std::optional<ProcessHandle>> r = driver_->Start(SpecOf(e));
  if (!r.ok()) {
    e.record.failed = true;
    e.record.last_error = absl::StrCat("start failed: ", r.status().message());
    if (logger_ != nullptr) logger_->Warn("cloud", Name(e), ": ", e.record.last_error);
  } else if (*r) {
    e.handle = **r;
    e.record.pid = (*r)->pid;
    e.record.pid_start_time = static_cast<int64_t>((*r)->start_time);
    if (logger_ != nullptr) logger_->Info("cloud", Name(e), " started: pid ", (*r)->pid);
  } else if (logger_ != nullptr) {
    logger_->Warn("cloud", Name(e), ": the driver started no process (test hook): Starting until stuck");
  }
  Save(e);
}

void Manager::OnProcessExit(Entry& e, const std::string& why, int64_t now) {
  e.handle.reset();
  e.record.pid.reset();
  e.record.pid_start_time = 0;
  e.record.last_error = why;
  if (StateOf(e) == CloudState::kRunning) {
    e.record.state = std::string(StateName(CloudState::kStarting));
    e.record.state_since_ms = now;
    e.stuck_logged = false;
  }
  ScheduleRestart(e, now);
}

void Manager::ScheduleRestart(Entry& e, int64_t now) {
  const int64_t delay =
      RestartDelayMs(e.backoff_step++, options_.restart_initial_ms, options_.restart_max_ms, rng_);
  e.record.restart_at_ms = now + delay;
  Save(e);
  if (logger_ != nullptr) {
    logger_->Warn("cloud", Name(e), ": ", e.record.last_error, "; restarting in ", delay, " ms");
  }
}

void Manager::Kill(Entry& e) {
  if (e.handle) {
    driver_->Kill(*e.handle);
    dying_.push_back(*e.handle);  // observed (and reaped) by later ticks
    if (logger_ != nullptr) logger_->Warn("cloud", Name(e), ": killed pid ", e.handle->pid);
  }
  e.handle.reset();
  e.record.pid.reset();
  e.record.pid_start_time = 0;
}

void Manager::ReapDying() {
  std::vector<ProcessHandle> still;
  for (const ProcessHandle& h : dying_) {
    if (driver_->Observe(h).running) still.push_back(h);
  }
  dying_.swap(still);
}

absl::Status Manager::LoadAndReconcile() {
  absl::StatusOr<std::vector<store::CloudConnector>> records = store_->ListCloudConnectors();
  if (!records.ok()) return records.status();
  const int64_t now = store::NowMs();
  std::vector<ProcessHandle> adopted;
  for (store::CloudConnector& record : *records) {
    Entry& e = entries_[record.deployment_id];
    e.record = std::move(record);
    std::optional<ProcessHandle> alive;
    if (e.record.pid) alive = driver_->Adopt(static_cast<pid_t>(*e.record.pid), e.record.pid_start_time);
    switch (StateOf(e)) {
      case CloudState::kProvisioning:
        e.provision_pending = !e.record.failed;  // the step is idempotent: it runs again
        break;
      case CloudState::kStopped:
        if (alive) driver_->Kill(*alive);  // it should not run (the stray scan below waits for it)
        e.record.pid.reset();
        Save(e);
        break;
      case CloudState::kStarting:
      case CloudState::kRunning:
        if (alive) {
          e.handle = alive;
          adopted.push_back(*alive);
          if (logger_ != nullptr) logger_->Info("cloud", Name(e), ": adopted its running process ", alive->pid);
          // Running again once its link registers with this platform process.
          if (StateOf(e) == CloudState::kRunning) Transition(e, CloudState::kStarting, now);
        } else if (!e.record.failed) {
          e.record.last_error = "its process was not running when the platform started";
          if (StateOf(e) == CloudState::kRunning) Transition(e, CloudState::kStarting, now);
          OnProcessExit(e, e.record.last_error, now);
        }
        break;
      case CloudState::kStopping:
        if (alive) {
          e.handle = alive;
          adopted.push_back(*alive);
          (void)driver_->Stop(*alive);  // SIGTERM again: the previous platform process may have died first
        } else {
          e.record.pid.reset();
          Transition(e, CloudState::kStopped, now);
        }
        break;
      case CloudState::kNone:
        break;
    }
  }
  for (const std::string& line : driver_->KillStrays(adopted)) {
    if (logger_ != nullptr) logger_->Warn("cloud", line);
  }
  if (logger_ != nullptr && !entries_.empty()) {
    logger_->Info("cloud", "reconciled ", entries_.size(), " cloud connector(s), adopted ", adopted.size(),
                  " running process(es)");
  }
  return absl::OkStatus();
}

void Manager::BeginShutdown(bool stop_processes) {
  shutting_down_ = true;
  if (context_ != nullptr) lws_sul_cancel(&timer_.sul);
  if (!stop_processes) return;
  // The records stay as they are: the next platform start finds no process and starts them again.
  for (auto& [deployment, e] : entries_) {
    const CloudState state = StateOf(e);
    if (!e.handle || (state != CloudState::kStarting && state != CloudState::kRunning)) continue;
    (void)driver_->Stop(*e.handle);
    if (logger_ != nullptr) logger_->Info("cloud", Name(e), ": stopping with the platform (pid ", e.handle->pid, ")");
  }
}

bool Manager::ProcessesRunning() {
  bool any = false;
  for (auto& [deployment, e] : entries_) {
    if (!e.handle) continue;
    const CloudState state = StateOf(e);
    if (state != CloudState::kStarting && state != CloudState::kRunning) continue;
    if (driver_->Observe(*e.handle).running) {
      any = true;
    } else {
      e.handle.reset();  // reaped; the record keeps its pid, which a restart will not find alive
    }
  }
  return any;
}

}  // namespace edge::platform::cloud
