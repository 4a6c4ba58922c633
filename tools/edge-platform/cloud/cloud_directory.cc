// CloudHubDirectory: cloud connector credentials and session events.
#include "cloud/cloud_directory.h"

namespace edge::platform::cloud {

std::optional<std::string> CloudHubDirectory::CheckCloudConnectorSecret(std::string_view deployment_id,
                                                                        std::string_view secret) {
  absl::StatusOr<std::optional<std::string>> id = store_->VerifyCloudConnectorSecret(deployment_id, secret);
  if (!id.ok()) {
    if (logger_ != nullptr) {
      logger_->Warn("cloud", "cannot check cloud connector credentials: ", id.status().ToString());
    }
    return std::nullopt;
  }
  return *id;
}

void CloudHubDirectory::RecordCloudSession(const CloudSessionEvent& event) {
  if (manager_ != nullptr) manager_->OnSessionEvent(event);
}

}  // namespace edge::platform::cloud
