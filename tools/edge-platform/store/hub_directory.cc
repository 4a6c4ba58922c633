// StoreHubDirectory: forwards the hub's lifecycle events to the Store.
#include "store/hub_directory.h"

#include "edge/protocol/auth.h"

namespace edge::platform::store {

absl::StatusOr<std::string> StoreHubDirectory::DeploymentOrg(std::string_view deployment_id) {
  absl::StatusOr<Deployment> d = store_->GetDeployment(deployment_id);
  if (!d.ok()) return d.status();
  return d->org_id;
}

bool StoreHubDirectory::CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) {
  absl::StatusOr<std::string> hash = store_->SecretHash(deployment_id);
  if (!hash.ok()) {
    // Hash something anyway so an unknown id costs the same time as a wrong secret (ids cannot be probed).
    protocol::VerifySecret(secret, protocol::HashSecret("unknown-deployment"));
    return false;
  }
  return protocol::VerifySecret(secret, *hash);
}

void StoreHubDirectory::RecordConnected(std::string_view deployment_id, std::string_view session_id,
                                        std::string_view hello_params_json, int64_t at_ms) {
  Check(store_->RecordConnected(deployment_id, session_id, hello_params_json, at_ms), "connection", deployment_id);
}

void StoreHubDirectory::RecordHeartbeat(std::string_view deployment_id, int64_t at_ms,
                                        std::string_view status_json) {
  Check(store_->RecordHeartbeat(deployment_id, at_ms, status_json), "heartbeat", deployment_id);
}

void StoreHubDirectory::RecordTools(std::string_view deployment_id, uint64_t generation,
                                    const std::vector<protocol::RegisteredTool>& tools) {
  Check(store_->ReplaceTools(deployment_id, generation, tools), "tools", deployment_id);
}

void StoreHubDirectory::RecordDisconnected(std::string_view deployment_id, int64_t at_ms, std::string_view reason) {
  if (logger_ != nullptr) logger_->Info("store", "deployment ", deployment_id, " offline (", reason, ")");
  Check(store_->RecordDisconnected(deployment_id, at_ms), "disconnection", deployment_id);
}

void StoreHubDirectory::Check(const absl::Status& status, std::string_view what, std::string_view deployment_id) {
  if (!status.ok() && logger_ != nullptr) {
    logger_->Warn("store", "could not record the ", what, " of deployment ", deployment_id, ": ",
                  status.ToString());
  }
}

}  // namespace edge::platform::store
