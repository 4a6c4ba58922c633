// store/store.h: edge-platform's persistent state in `<data-dir>/platform.db` (SQLite, WAL): orgs, deployments
// with their hashed secrets and last known connection state, the tools each deployment registered, and a
// bounded call log. The schema is versioned with PRAGMA user_version and upgraded by Open().
//
// One Store per process; not thread-safe (the server uses it on its lws service thread only). The admin
// commands open their own Store on the same file while a server runs; SQLite's busy timeout serialises them.
#ifndef EDGE_PLATFORM_STORE_STORE_H_
#define EDGE_PLATFORM_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "edge/protocol/messages.h"

namespace edge::platform::store {

class Database;

inline constexpr int64_t kCallLogLimit = 10000;  // rows kept in the call log

struct Org {
  std::string id;
  std::string name;
  int64_t created_at_ms = 0;
};

struct Deployment {
  std::string id;
  std::string org_id;
  std::string name;
  int64_t created_at_ms = 0;
  int64_t secret_rotated_at_ms = 0;
  std::string status = "offline";  // online | offline (as last recorded; the hub knows the live truth)
  int64_t last_seen_ms = 0;
  std::string session_id;
  std::string connector_json;  // connector.hello params of the last session ("" before any)
  std::string status_json;     // the last heartbeat's status object ("" before any)
  int64_t tools_generation = 0;
  int64_t tool_count = 0;
};

// A deployment fresh from create/rotate: the only time the plaintext secret exists.
struct DeploymentSecret {
  Deployment deployment;
  std::string secret;
};

struct ToolRecord {
  std::string deployment_id;
  std::string name;
  std::string descriptor_json;
};

struct CallRecord {
  std::string call_id;
  std::string org_id;
  std::string deployment_id;
  std::string tool;
  int64_t started_at_ms = 0;
  int64_t elapsed_ms = 0;
  std::string outcome;  // result | tool_error | the error's snake name (timeout, connector_unavailable, ...)
  int http_status = 0;
};

class Store {
 public:
  // Opens or creates the database and migrates it to the current schema.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int SchemaVersion();

  // Orgs. `id` empty: a new "org_<random>" id. AlreadyExists when the id is taken.
  absl::StatusOr<Org> CreateOrg(std::string_view name, std::string_view id);
  absl::StatusOr<Org> GetOrg(std::string_view id);  // NotFound names the fix

  // Deployments. Secrets are stored as HashSecret() hashes only.
  absl::StatusOr<DeploymentSecret> CreateDeployment(std::string_view org_id, std::string_view name);
  absl::StatusOr<Deployment> GetDeployment(std::string_view id);
  absl::StatusOr<std::vector<Deployment>> ListDeployments(std::string_view org_id);
  absl::StatusOr<DeploymentSecret> RotateSecret(std::string_view id);
  absl::Status DeleteDeployment(std::string_view id);
  absl::StatusOr<std::string> SecretHash(std::string_view id);

  // Connection lifecycle (from the hub).
  absl::Status MarkAllOffline();
  absl::Status RecordConnected(std::string_view id, std::string_view session_id, std::string_view hello_json,
                               int64_t at_ms);
  absl::Status RecordHeartbeat(std::string_view id, int64_t at_ms, std::string_view status_json);
  absl::Status RecordDisconnected(std::string_view id, int64_t at_ms);
  absl::Status ReplaceTools(std::string_view id, uint64_t generation,
                            const std::vector<protocol::RegisteredTool>& tools);
  absl::StatusOr<std::vector<ToolRecord>> ListTools(std::string_view deployment_id);
  absl::StatusOr<std::vector<ToolRecord>> ListOrgTools(std::string_view org_id);

  // Call log, newest first; trimmed to kCallLogLimit rows.
  absl::Status RecordCall(const CallRecord& call);
  absl::StatusOr<std::vector<CallRecord>> ListCalls(std::string_view org_id, int64_t limit);

 private:
  explicit Store(std::unique_ptr<Database> db);
  absl::Status Migrate();
  absl::Status CheckOrg(std::string_view org_id);

  std::unique_ptr<Database> db_;
};

// Milliseconds since the Unix epoch.
int64_t NowMs();

}  // namespace edge::platform::store

#endif  // EDGE_PLATFORM_STORE_STORE_H_
