// edge/runtime/auth.h: the connector's credentials: an `auth-token.json` JWT or deployment credentials.
//
// Deployment credentials win when both an id and a secret are configured (DEPLOYMENT_ID + DEPLOYMENT_SECRET,
// or the deployment credentials file). Otherwise the token file is used; its format, expiry and org claim are
// checked locally before every connection attempt. Errors carry the messages users search for:
// "No authentication token found", "Token has expired", "Token validation failed", and the missing org claim
// naming orgId/orgs.
#ifndef EDGE_RUNTIME_AUTH_H_
#define EDGE_RUNTIME_AUTH_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/runtime/config.h"

namespace edge::runtime {

struct LinkCredentials {
  std::string authorization;   // the Authorization header value ("Bearer ..." or "Basic ...")
  std::string deployment_id;   // X-Edge-Deployment-Id (from the token's deploymentId claim or the config)
  std::string description;     // for logs, never secret: "token file /x/auth-token.json (org org_1)" or
                               // "deployment credentials for dep_42 (from env DEPLOYMENT_ID)"
  int64_t expires_at = 0;      // token exp (seconds), 0 for deployment credentials
};

// Resolves the credentials to use now (re-read before every connection attempt, so a rotated file is used).
absl::StatusOr<LinkCredentials> ResolveCredentials(const ConnectorConfig& config, int64_t now_seconds);

// `edge-connector auth --token`: accepts a JWT or a path to a JSON file holding {"token": ...}; validates
// format, expiry and org claim; writes {"token": ...} to `path` atomically with mode 0600.
absl::Status SaveToken(std::string_view token_or_path, const std::string& path, int64_t now_seconds);

// Writes `contents` to `path` atomically (temp file in the same directory, fsync, rename) with `mode`.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, int mode);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_AUTH_H_
