// cloud/setup.h: how `edge-platform serve` brings up cloud connectors (docs/cloud-connectors.md section 5): the
// flags checked before anything starts, then the driver (local, behind the test-hook wrapper) and the manager,
// reconciled before the platform serves.
#ifndef EDGE_PLATFORM_CLOUD_SETUP_H_
#define EDGE_PLATFORM_CLOUD_SETUP_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cloud/cloud_directory.h"
#include "cloud/fault_driver.h"
#include "cloud/local_driver.h"
#include "cloud/manager.h"
#include "cloud/options.h"

namespace edge::platform::cloud {

// The flags, checked and resolved: the connector program and the extra config.json keys.
struct CheckedOptions {
  CloudOptions options;
  std::string connector_bin;
  std::string extra_config_json;
};
absl::StatusOr<CheckedOptions> CheckOptions(const CloudOptions& options);

struct CloudRuntime {
  std::unique_ptr<LocalDriver> local;
  std::unique_ptr<FaultDriver> faults;  // wraps `local`; the test hook sets its faults
  std::unique_ptr<Manager> manager;
};

// Null runtime for the `none` driver. Otherwise the manager is loaded and reconciled (stray processes killed),
// and the directory forwards session events to it; Attach it to the context before serving.
absl::StatusOr<std::unique_ptr<CloudRuntime>> StartCloud(const CheckedOptions& checked, const std::string& data_root,
                                                         const std::string& api_url, const std::string& rpc_url,
                                                         store::Store* store, Hub* hub, CloudHubDirectory* directory,
                                                         runtime::Logger* logger);

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_SETUP_H_
