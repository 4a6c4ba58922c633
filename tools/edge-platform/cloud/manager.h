// cloud/manager.h: the platform side of cloud connectors (docs/cloud-connectors.md sections 1-3): the state of
// each deployment's cloud connector (in memory, written through to the store), the actions of the REST API,
// supervision (a periodic lws timer observes processes, marks stuck states, restarts crashed connectors with
// backoff), the session events from the hub (Starting -> Running), and the reconciliation at platform start.
//
// Threading: like the hub and the API, everything runs on the lws service thread. Nothing here waits for a
// process: a stop or a kill is observed by a later tick.
#ifndef EDGE_PLATFORM_CLOUD_MANAGER_H_
#define EDGE_PLATFORM_CLOUD_MANAGER_H_

#include <libwebsockets.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/driver.h"
#include "cloud/state_machine.h"
#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "store/store.h"

namespace edge::platform::cloud {

// A refused action (409 illegal_transition) is FailedPrecondition with this payload: the details object
// {"state": "Running" | null, "allowedActions": [...]}.
inline constexpr char kIllegalTransitionPayload[] = "edge.dev/cloud-illegal-transition";

struct ManagerOptions {
  int64_t provision_timeout_ms = 60000;
  int64_t start_timeout_ms = 120000;
  int64_t stop_timeout_ms = 60000;
  int64_t restart_initial_ms = 1000;
  int64_t restart_max_ms = 60000;
  int64_t backoff_reset_ms = 60000;  // this long in Running resets the restart backoff
  int64_t tick_ms = 200;
};

// A cloud connector as the API shows it: the record, what follows from it now, and its live session.
struct CloudView {
  store::CloudConnector record;
  CloudState state = CloudState::kNone;
  int64_t in_state_ms = 0;
  bool stuck = false;
  std::optional<int64_t> limit_ms;  // set in transitional states
  std::vector<CloudAction> allowed;
  std::optional<ConnectionInfo> session;  // the connection of its slot, when connected
};

struct CloudSummary {
  std::string id;
  CloudState state = CloudState::kNone;
  bool stuck = false;
};

class Manager {
 public:
  Manager(ManagerOptions options, store::Store* store, Hub* hub, Driver* driver, runtime::Logger* logger);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Before serving: loads every record and reconciles it with reality (section 1, "Reconciliation"). May block
  // briefly while stray processes die.
  absl::Status LoadAndReconcile();
  // Starts the supervision timer on the context.
  void Attach(lws_context* context);
  // Graceful shutdown. `stop_processes` (--cloud-stop-on-exit): SIGTERM to every running instance; the caller
  // keeps servicing until ProcessesRunning() is false. Either way no record changes from now on.
  void BeginShutdown(bool stop_processes);
  bool ProcessesRunning();
  void Detach();

  // REST API actions. Refusals: FailedPrecondition with kIllegalTransitionPayload. Get: NotFound when none.
  absl::StatusOr<CloudView> Get(const std::string& deployment_id);
  absl::StatusOr<CloudView> Provision(const store::Deployment& deployment);
  absl::StatusOr<CloudView> Start(const std::string& deployment_id);
  absl::StatusOr<CloudView> Stop(const std::string& deployment_id);
  absl::StatusOr<CloudView> ForceComplete(const std::string& deployment_id);
  absl::StatusOr<std::string> Delete(const std::string& deployment_id);  // the deleted connector's id
  std::optional<CloudSummary> Summary(const std::string& deployment_id);

  // From the hub (through the directory): a cloud connector session's events.
  void OnSessionEvent(const CloudSessionEvent& event);

 private:
  struct Entry {
    store::CloudConnector record;
    std::optional<ProcessHandle> handle;
    int backoff_step = 0;
    bool provision_pending = false;  // the driver's provision step is still to run
    bool stuck_logged = false;
  };
  struct Timer {
    lws_sorted_usec_list_t sul;  // first member: the callback casts back
    Manager* manager;
  };
  static void OnTimer(lws_sorted_usec_list_t* sul);
  void Schedule(int64_t delay_ms);
  void Tick();
  void Supervise(Entry& e, int64_t now);

  static CloudState StateOf(const Entry& e);
  Condition ConditionOf(const Entry& e, int64_t now) const;
  int64_t LimitOf(CloudState state) const;
  CloudView ViewOf(const Entry& e, int64_t now) const;
  // OK when allowed, else the 409 refusal (also for a deployment without a connector: `e` null).
  absl::Status Check(const Entry* e, const std::string& deployment_id, CloudAction action, int64_t now) const;
  Entry* Find(const std::string& deployment_id);
  InstanceSpec SpecOf(const Entry& e) const;

  void Transition(Entry& e, CloudState state, int64_t now);
  void Save(Entry& e);
  void RunProvision(Entry& e, int64_t now);
  void Spawn(Entry& e);
  void OnProcessExit(Entry& e, const std::string& why, int64_t now);
  void ScheduleRestart(Entry& e, int64_t now);
  void Kill(Entry& e);
  void ReapDying();
  std::string Name(const Entry& e) const;  // "cloud connector cc_… of dep_…", for logs

  ManagerOptions options_;
  store::Store* store_;
  Hub* hub_;
  Driver* driver_;
  runtime::Logger* logger_;
  std::map<std::string, Entry> entries_;  // by deployment id
  std::vector<ProcessHandle> dying_;      // killed, not yet seen gone (reaped)
  std::mt19937_64 rng_;
  lws_context* context_ = nullptr;
  Timer timer_{};
  bool shutting_down_ = false;
};

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_MANAGER_H_
