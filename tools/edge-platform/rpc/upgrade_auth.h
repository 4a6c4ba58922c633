// rpc/upgrade_auth.h: authentication of the WebSocket upgrade (docs/protocol.md §2).
//
// `AuthenticateUpgrade` is pure (headers in, identity or 401 reason out) so the rules are testable without a
// socket; `ReadUpgradeHeaders` and `RejectUpgrade` are the lws ends, used from FILTER_PROTOCOL_CONNECTION.
#ifndef EDGE_PLATFORM_RPC_UPGRADE_AUTH_H_
#define EDGE_PLATFORM_RPC_UPGRADE_AUTH_H_

#include <cstdint>
#include <optional>
#include <string>

#include "edge/protocol/auth.h"
#include "edge/protocol/protocol.h"
#include "rpc/hub.h"

struct lws;

namespace edge::platform::rpc_internal {

struct UpgradeHeaders {
  std::optional<std::string> authorization;
  std::string deployment_id;
  std::string connector_version;
  std::string connector_type;
};

// Who connected, as resolved from the credentials.
struct UpgradeIdentity {
  std::string org_id;
  std::string deployment_id;
  std::string auth;              // "deployment-credentials" | "token:<subject>" | "cloud-connector"
  std::string connector_id;      // a cloud connector's id (its own slot); "" for the self-hosted slot
  int64_t token_expires_ms = 0;  // wall clock; 0 for Basic credentials
  std::string connector_version;
  std::string connector_type;
};

struct AuthDecision {
  bool ok = false;
  UpgradeIdentity identity;
  protocol::AuthFailure failure = protocol::AuthFailure::kCredentialsMissing;
  std::string scheme;  // "Basic" | "Bearer" | "" (decides WWW-Authenticate)
  std::string detail;  // for the log; never contains credentials
};

AuthDecision AuthenticateUpgrade(const UpgradeHeaders& headers, HubDirectory* directory,
                                 const protocol::VerifyingKey* key, int64_t now_ms);

UpgradeHeaders ReadUpgradeHeaders(lws* wsi);
// Writes the 401 with X-Edge-Auth-Error, WWW-Authenticate and the JSON body. The caller then returns nonzero.
void RejectUpgrade(lws* wsi, const AuthDecision& decision);

}  // namespace edge::platform::rpc_internal

#endif  // EDGE_PLATFORM_RPC_UPGRADE_AUTH_H_
