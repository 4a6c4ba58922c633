// store/hub_directory.h: the hub's view of storage (edge::platform::HubDirectory) over the platform Store.
// Write failures are logged, not returned: a failed status write must never break a live connection.
#ifndef EDGE_PLATFORM_STORE_HUB_DIRECTORY_H_
#define EDGE_PLATFORM_STORE_HUB_DIRECTORY_H_

#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "store/store.h"

namespace edge::platform::store {

class StoreHubDirectory : public HubDirectory {
 public:
  StoreHubDirectory(Store* store, runtime::Logger* logger) : store_(store), logger_(logger) {}

  absl::StatusOr<std::string> DeploymentOrg(std::string_view deployment_id) override;
  bool CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) override;
  void RecordConnected(std::string_view deployment_id, std::string_view session_id,
                       std::string_view hello_params_json, int64_t at_ms) override;
  void RecordHeartbeat(std::string_view deployment_id, int64_t at_ms, std::string_view status_json) override;
  void RecordTools(std::string_view deployment_id, uint64_t generation,
                   const std::vector<protocol::RegisteredTool>& tools) override;
  void RecordDisconnected(std::string_view deployment_id, int64_t at_ms, std::string_view reason) override;
  // Webhooks (webhook_store.cc's tables): only the self-hosted connector's relay is recorded.
  void RecordRelay(std::string_view deployment_id, std::string_view connector_id,
                   const protocol::RelayInfo& relay) override;
  absl::StatusOr<std::string> StoreWebhookDelivery(std::string_view deployment_id,
                                                   const protocol::WebhookRelayParams& params) override;
  protocol::WebhooksConfigParams WebhooksConfigFor(std::string_view deployment_id) override;

 private:
  void Check(const absl::Status& status, std::string_view what, std::string_view deployment_id);

  Store* store_;
  runtime::Logger* logger_;
};

}  // namespace edge::platform::store

#endif  // EDGE_PLATFORM_STORE_HUB_DIRECTORY_H_
