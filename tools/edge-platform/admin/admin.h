// admin/admin.h: `edge-platform admin ...`: the operator's commands, working directly on the data dir's
// SQLite file and signing key (with or without a running server). Each returns the text to print on stdout
// (scripts read it: a bare id, a bare token, or JSON with --json) or a status naming the problem and the fix.
#ifndef EDGE_PLATFORM_ADMIN_ADMIN_H_
#define EDGE_PLATFORM_ADMIN_ADMIN_H_

#include <string>

#include "absl/status/statusor.h"

namespace edge::platform::admin {

struct CreateOrgArgs {
  std::string name;
  std::string id;  // empty: generated
  bool json = false;
};
struct IssueTokenArgs {
  std::string org;
  std::string role = "admin";  // admin | connector
  std::string subject;         // empty: "admin" or the deployment id
  std::string ttl = "24h";     // absl duration ("90m", "-1s") or plain seconds
  std::string deployment;
};
struct CreateDeploymentArgs {
  std::string org;
  std::string name;
  bool json = false;
};
struct RotateSecretArgs {
  std::string deployment;
  bool json = false;
};
struct ListDeploymentsArgs {
  std::string org;
  bool json = false;
};

// Console (docs/console.md section 1; implemented in console/console_link.cc).
struct ConsoleLinkArgs {
  std::string org;
  std::string ttl = "10m";  // at most 24h
  std::string subject = "admin";
  std::string url;  // the link's base; "": the running platform's public URL (platform.json), else :3000
  bool json = false;
};
// Prints a one-time console sign-in link (JSON {url,orgId,subject,expiresAtMs} with --json).
absl::StatusOr<std::string> ConsoleLink(const std::string& data_dir, const ConsoleLinkArgs& args);

absl::StatusOr<std::string> CreateOrg(const std::string& data_dir, const CreateOrgArgs& args);
absl::StatusOr<std::string> IssueToken(const std::string& data_dir, const IssueTokenArgs& args);
absl::StatusOr<std::string> CreateDeployment(const std::string& data_dir, const CreateDeploymentArgs& args);
absl::StatusOr<std::string> RotateSecret(const std::string& data_dir, const RotateSecretArgs& args);
absl::StatusOr<std::string> ListDeployments(const std::string& data_dir, const ListDeploymentsArgs& args);

}  // namespace edge::platform::admin

#endif  // EDGE_PLATFORM_ADMIN_ADMIN_H_
