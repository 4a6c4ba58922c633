// cloud/cloud_directory.h: the hub's directory with cloud connectors: the store-backed directory
// (store/hub_directory.h) plus the cloud connector credentials check (docs/cloud-connectors.md section 2) and the
// forwarding of cloud connector session events to the manager.
#ifndef EDGE_PLATFORM_CLOUD_CLOUD_DIRECTORY_H_
#define EDGE_PLATFORM_CLOUD_CLOUD_DIRECTORY_H_

#include "cloud/manager.h"
#include "store/hub_directory.h"

namespace edge::platform::cloud {

class CloudHubDirectory : public store::StoreHubDirectory {
 public:
  CloudHubDirectory(store::Store* store, runtime::Logger* logger)
      : StoreHubDirectory(store, logger), store_(store), logger_(logger) {}

  // The manager exists after the hub (it needs it); until then, and with the `none` driver, events are dropped.
  void set_manager(Manager* manager) { manager_ = manager; }

  std::optional<std::string> CheckCloudConnectorSecret(std::string_view deployment_id,
                                                       std::string_view secret) override;
  void RecordCloudSession(const CloudSessionEvent& event) override;

 private:
  store::Store* store_;
  runtime::Logger* logger_;
  Manager* manager_ = nullptr;
};

}  // namespace edge::platform::cloud

#endif  // EDGE_PLATFORM_CLOUD_CLOUD_DIRECTORY_H_
