// store/store.h: edge-platform's persistent state in `<data-dir>/platform.db` (SQLite, WAL): orgs, deployments
// with their hashed secrets and last known connection state, the tools each deployment registered, a
// bounded call log, and bundles: their versions, the org default and each deployment's assignment (the
// archives themselves are files, see bundles/archive_store.h). The schema is versioned with PRAGMA
// user_version and upgraded by Open().
//
// One Store per process; not thread-safe (the server uses it on its lws service thread only). The admin
// commands open their own Store on the same file while a server runs; SQLite's busy timeout serialises them.
#ifndef EDGE_PLATFORM_STORE_STORE_H_
#define EDGE_PLATFORM_STORE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
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

// A named series of bundle versions in one org (docs/bundles.md section 6).
struct Bundle {
  std::string id;  // b_<random>
  std::string org_id;
  std::string name;  // unique in the org
  int64_t created_at_ms = 0;
  int64_t latest_version = 0;
};

// One uploaded archive: version N of a bundle.
struct BundleVersion {
  std::string bundle_id;
  int64_t version = 0;
  std::string checksum;        // the manifest's tree checksum, "sha256:<hex>"
  std::string archive_sha256;  // hex SHA-256 of the .tgz as stored
  int64_t size = 0;            // bytes of the .tgz
  int64_t uploaded_at_ms = 0;
  std::string uploaded_by;     // the uploader's token subject
  std::string built_at;        // the manifest's builtAt
  bool is_signed = false;      // the archive holds manifest.json.sig
  int64_t abi_major = 0;
  int64_t abi_minor = 0;
  std::string os;
  std::string arch;
  std::string tools_json;  // the manifest's tool names as a JSON array
  std::string file_name;   // edge-bundle-<org>-<timestamp>.tgz, for downloads
};

// A bundle choice: an org default or a deployment's assignment. No version: follow the latest.
struct BundleRef {
  std::string bundle_id;
  std::optional<int64_t> version;
};

// What a deployment should run: its own assignment, else the org default (docs/bundles.md section 6).
struct BundleTarget {
  Bundle bundle;
  BundleVersion version;
  std::string source;  // "assignment" | "default"
  bool pinned = false;
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

  // Bundles (bundle_store.cc). Errors: NotFound naming the bundle or version, AlreadyExists for a taken name,
  // InvalidArgument for a bad name. Deleting a deployment deletes its assignment.
  static std::string NewBundleId();
  absl::StatusOr<Bundle> GetBundle(std::string_view id);
  absl::StatusOr<std::optional<Bundle>> FindBundleByName(std::string_view org_id, std::string_view name);
  absl::StatusOr<std::vector<Bundle>> ListBundles(std::string_view org_id);  // by creation
  absl::StatusOr<Bundle> RenameBundle(std::string_view id, std::string_view name);
  absl::StatusOr<std::vector<BundleVersion>> ListBundleVersions(std::string_view bundle_id);  // newest first
  absl::StatusOr<BundleVersion> GetBundleVersion(std::string_view bundle_id, int64_t version);
  absl::StatusOr<std::optional<BundleVersion>> FindBundleVersionByChecksum(std::string_view bundle_id,
                                                                           std::string_view checksum);
  // Records `version` as the bundle's next version (latest_version + 1), creating the bundle row first when
  // `version.version` is 1. FailedPrecondition when another version got that number first.
  absl::Status AddBundleVersion(const Bundle& bundle, const BundleVersion& version);

  absl::Status SetOrgDefaultBundle(std::string_view org_id, const BundleRef& ref);
  absl::StatusOr<std::optional<BundleRef>> GetOrgDefaultBundle(std::string_view org_id);
  absl::Status SetDeploymentBundle(std::string_view deployment_id, const BundleRef& ref);
  absl::StatusOr<std::optional<BundleRef>> GetDeploymentBundle(std::string_view deployment_id);
  absl::Status DeleteDeploymentBundle(std::string_view deployment_id);  // OK when there is none
  // The resolved target (none when neither an assignment nor an org default exists).
  absl::StatusOr<std::optional<BundleTarget>> ResolveBundleTarget(const Deployment& deployment);

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
