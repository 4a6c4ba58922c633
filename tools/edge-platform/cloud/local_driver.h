// cloud/local_driver.h: the `local` cloud driver (docs/cloud-connectors.md sections 3 and 4). Each instance is an
// `edge-connector run --install-dir <cloud-root>/<connectorId>` process in its own session and process group,
// with config.json and deployment-credentials.json (0600) in that directory (0700) and its output appended to
// connector.log there. Processes this platform started are reaped with waitpid(); processes adopted after a
// platform restart are watched through /proc/<pid>/stat (pid and start time).
#ifndef EDGE_PLATFORM_CLOUD_LOCAL_DRIVER_H_
#define EDGE_PLATFORM_CLOUD_LOCAL_DRIVER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cloud/driver.h"

namespace edge::platform::cloud {

struct LocalDriverOptions {
  std::string cloud_root;     // <data-dir>/cloud
  std::string connector_bin;  // a path, or a bare name looked up in $PATH
  // The instance's config.json: these, then every key of `extra_config_json` (a JSON object, "" for none).
  std::string tool_rpc_url;
  std::string platform_api_url;
  std::string extra_config_json;
};

class LocalDriver : public Driver {
 public:
  explicit LocalDriver(LocalDriverOptions options);

  absl::StatusOr<StepResult> Provision(const InstanceSpec& spec) override;
  absl::StatusOr<std::optional<ProcessHandle>> Start(const InstanceSpec& spec) override;
  absl::StatusOr<StepResult> Stop(const ProcessHandle& handle) override;
  void Kill(const ProcessHandle& handle) override;
  Observation Observe(const ProcessHandle& handle) override;
  absl::Status Release(const InstanceSpec& spec) override;
  std::optional<ProcessHandle> Adopt(pid_t pid, uint64_t start_time) override;
  std::vector<std::string> KillStrays(const std::vector<ProcessHandle>& known) override;

  std::string InstallDir(const std::string& connector_id) const;
  // The config.json text for an instance (merged as section 4 says).
  absl::StatusOr<std::string> ConfigJson() const;

 private:
  // The install dir named by a command line (`--install-dir DIR` or `--install-dir=DIR`) when it lies under
  // the cloud root; "" otherwise.
  std::string CloudInstallDirOf(const std::vector<std::string>& args) const;

  LocalDriverOptions options_;
};

// Checks that `text` is a JSON object (for --cloud-connector-config at startup).
absl::Status ValidateExtraConfig(const std::string& text);

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_LOCAL_DRIVER_H_
