// cloud/driver.h: the driver interface of docs/cloud-connectors.md section 3. The platform's state machine
// (manager.h) owns every state; a driver only acts on and observes the hosting of one instance. `local`
// (local_driver.h) runs each instance as an `edge-connector run` process; a Kubernetes driver would map the same
// calls onto a Deployment, a Secret and a ConfigMap (the doc's table).
//
// Every call runs on the platform's lws service thread and must return quickly: a driver never waits for a
// process, it starts or signals it and the manager observes the result on its next tick.
#ifndef EDGE_PLATFORM_CLOUD_DRIVER_H_
#define EDGE_PLATFORM_CLOUD_DRIVER_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edge::platform::cloud {

// What an instance is: everything a driver needs to create and start it.
struct InstanceSpec {
  std::string connector_id;
  std::string deployment_id;
  // The deployment credentials the instance authenticates with ("ccs_…"). Set for Provision only: the platform
  // keeps the secret's hash, never the secret.
  std::string secret;
};

// A running instance as the platform records it (pid and start time survive a platform restart).
struct ProcessHandle {
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22 (clock ticks after boot): tells pid reuse apart
  bool own_child = false;   // started by this platform process: waitpid() reaps it
};

struct Observation {
  bool running = false;
  std::string exit_description;  // when not running: "process exited with status 1", "… killed by signal 9"
};

// The outcome of a step that may not complete at once (a test hook makes it hang; a remote driver may be
// asynchronous). `completed == false`: nothing happened yet, the state stays transitional until it is stuck.
struct StepResult {
  bool completed = true;
};

class Driver {
 public:
  virtual ~Driver() = default;
  // Creates the instance (install dir, configuration, credentials). Idempotent.
  virtual absl::StatusOr<StepResult> Provision(const InstanceSpec& spec) = 0;
  // Starts the instance; nullopt when the start is pending (no process yet).
  virtual absl::StatusOr<std::optional<ProcessHandle>> Start(const InstanceSpec& spec) = 0;
  // Asks the instance to stop gracefully (it drains its calls first).
  virtual absl::StatusOr<StepResult> Stop(const ProcessHandle& handle) = 0;
  // Ends the instance at once (its whole process group).
  virtual void Kill(const ProcessHandle& handle) = 0;
  virtual Observation Observe(const ProcessHandle& handle) = 0;
  // Removes everything Provision created.
  virtual absl::Status Release(const InstanceSpec& spec) = 0;
  // Reconciliation: the handle of the instance's process when it still runs (same pid and start time).
  virtual std::optional<ProcessHandle> Adopt(pid_t pid, uint64_t start_time) = 0;
  // Processes running from an instance's install dir that are not in `known`, after a platform restart (the
  // local driver scans /proc); each is killed and described in the returned lines, for the log.
  virtual std::vector<std::string> KillStrays(const std::vector<ProcessHandle>& known) = 0;
};

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_DRIVER_H_
