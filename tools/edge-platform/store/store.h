// store/store.h: edge-platform's persistent state in `<data-dir>/platform.db` (SQLite, WAL): orgs, deployments
// with their hashed secrets and last known connection state, the tools each deployment registered, a
// bounded call log, and bundles: their versions, the org default and each deployment's assignment (the
// archives themselves are files, see bundles/archive_store.h), and webhooks with their deliveries and each
// deployment's last reported relay address (webhook_store.cc). The schema is versioned with PRAGMA
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

// ---- Webhooks (docs/webhook-relay.md; store/webhook_store.cc) -------------------------------------------------

// A provisioned webhook. The URL token itself is never stored, only its SHA-256.
struct Webhook {
  std::string id;  // wh_<random>
  std::string org_id;
  std::string integration_id;
  std::string deployment_id;
  std::string name;
  std::string mode;  // edge-relay | cloud-public
  std::string token_sha256;
  std::string url_prefix;         // the URL without its token
  std::string relay_mode;         // lan | loopback for edge-relay (as reported at creation), "" otherwise
  std::string provider_base_url;  // "" when not given
  bool has_hmac = false;
  std::string hmac_header;
  std::string hmac_prefix;
  std::string hmac_secret;
  int64_t created_at_ms = 0;
  int64_t delivery_count = 0;       // filled by the reads
  int64_t last_delivery_at_ms = 0;  // 0: none yet
};

// One stored delivery; (deployment_id, delivery_id) is unique.
struct WebhookDelivery {
  std::string delivery_id;
  std::string webhook_id;
  std::string integration_id;
  std::string deployment_id;
  std::string org_id;
  std::string via;  // edge-relay | cloud-public
  int64_t received_at_ms = 0;
  int64_t stored_at_ms = 0;
  std::string method;
  std::string path;  // the token shown as {token}
  std::string query;
  std::string headers_json;  // [[name, value], ...] as relayed
  std::string body;          // raw bytes; empty once pruned
  int64_t body_bytes = 0;    // the body's size as received (kept after pruning)
  bool body_pruned = false;  // outside the newest kWebhookBodiesKept: headers and body dropped, the id kept
  std::string signature;  // verified | none | absent
};
// Deliveries keep their headers and body for the newest this many (platform-wide). Older rows keep only their
// metadata, which still makes a late resend of their deliveryId a duplicate (exactly-once as seen here).
inline constexpr int64_t kWebhookBodiesKept = 10000;

// The relay address a deployment's self-hosted connector last reported (connector.hello / heartbeats).
struct RelayRecord {
  std::string url;
  std::string mode;  // lan | loopback
  int64_t at_ms = 0;
};

// ---- end of Webhooks ----------------------------------------------------------------------------------------

// ---- Cloud connectors (docs/cloud-connectors.md; store/cloud_store.cc) ----------------------------------------

// A platform-hosted connector instance of a deployment (at most one per deployment), as last recorded. The
// cloud manager (cloud/manager.h) owns the state; this is its persistence.
struct CloudConnector {
  std::string id;  // cc_<random>
  std::string deployment_id;
  std::string org_id;
  std::string state;  // Provisioning | Stopped | Starting | Running | Stopping
  int64_t state_since_ms = 0;
  bool failed = false;  // the current operation's driver step failed outright
  std::string last_error;
  std::string secret_hash;  // HashSecret of its "ccs_…" secret; "" until the provision step ran
  std::optional<int64_t> pid;       // the process the platform runs for it, when one is known
  int64_t pid_start_time = 0;       // that process's start time (/proc/<pid>/stat), against pid reuse
  int64_t restarts = 0;
  std::optional<int64_t> restart_at_ms;         // a restart is scheduled for then
  std::optional<int64_t> last_heartbeat_at_ms;  // the last message of its session
  int64_t created_at_ms = 0;
};

// The connector id a cloud connector secret names ("ccs_<connectorId>_<43 base64url chars>"), or nullopt.
std::optional<std::string> CloudConnectorIdOfSecret(std::string_view secret);

// ---- end of Cloud connectors --------------------------------------------------------------------------------

// ---- Console (docs/console.md section 1; store/console_store.cc) ----------------------------------------------
// Sign-in links and sessions are keyed by the SHA-256 of their secret; the secret itself is never stored.
struct ConsoleSession {
  std::string id_sha256;
  std::string org_id;
  std::string subject;
  std::string csrf_token;
  int64_t created_at_ms = 0;
  int64_t expires_at_ms = 0;
};
// A CLI's browser sign-in request (docs/console.md section 3), keyed by its device code's SHA-256.
struct DeviceRequest {
  std::string device_code_sha256;
  std::string user_code;  // "BCDF-GHJK"
  std::string client_name;
  std::string deployment_id;  // "" when none was requested
  int64_t requested_at_ms = 0;
  int64_t expires_at_ms = 0;
  std::string status;  // pending | approved | denied | issued
  std::string org_id;  // set on approval: the approving session's org
  std::string approver;
  int64_t last_poll_ms = 0;
};
// ---- end of Console -----------------------------------------------------------------------------------------

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

  // ---- Webhooks (webhook_store.cc) ----
  // Errors: NotFound naming the webhook, AlreadyExists for a taken id.
  absl::Status CreateWebhook(const Webhook& webhook);
  absl::StatusOr<Webhook> GetWebhook(std::string_view id);
  absl::StatusOr<std::vector<Webhook>> ListWebhooks(std::string_view org_id, std::string_view integration_id);
  // The deployment's webhooks of one mode, oldest first.
  absl::StatusOr<std::vector<Webhook>> ListDeploymentWebhooks(std::string_view deployment_id, std::string_view mode);
  absl::Status DeleteWebhook(std::string_view id);  // its deliveries stay listed
  // False when (deployment_id, delivery_id) is already stored: the delivery is a resend.
  // True when stored, false for a duplicate. Prunes bodies that fall out of the newest `bodies_kept` window.
  absl::StatusOr<bool> AddWebhookDelivery(const WebhookDelivery& delivery,
                                          int64_t bodies_kept = kWebhookBodiesKept);
  absl::StatusOr<bool> HasWebhookDelivery(std::string_view deployment_id, std::string_view delivery_id);
  // Newest first.
  absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(std::string_view org_id,
                                                                     std::string_view integration_id, int64_t limit);
  // An empty `relay.url` forgets the relay (the connector runs without one).
  absl::Status RecordRelay(std::string_view deployment_id, const RelayRecord& relay);
  absl::StatusOr<std::optional<RelayRecord>> GetRelay(std::string_view deployment_id);
  // ---- end of Webhooks ----

  // ---- Cloud connectors (cloud_store.cc) ----
  // AlreadyExists when the deployment has one already.
  absl::Status CreateCloudConnector(const CloudConnector& connector);
  absl::StatusOr<std::optional<CloudConnector>> FindCloudConnector(std::string_view deployment_id);
  absl::StatusOr<std::vector<CloudConnector>> ListCloudConnectors();  // every org's, by creation
  // Writes every field but the id, deployment, org and creation time. NotFound when it was deleted.
  absl::Status UpdateCloudConnector(const CloudConnector& connector);
  absl::Status RecordCloudHeartbeat(std::string_view connector_id, int64_t at_ms);
  absl::Status DeleteCloudConnector(std::string_view connector_id);
  // The cloud connector of the deployment that `secret` authenticates (constant-time compare against its
  // stored hash; an unknown connector costs the same hashing), or nullopt.
  absl::StatusOr<std::optional<std::string>> VerifyCloudConnectorSecret(std::string_view deployment_id,
                                                                        std::string_view secret);
  // ---- end of Cloud connectors ----

  // ---- Console (console_store.cc) ----
  // NotFound for an unknown org.
  absl::Status CreateSigninLink(std::string_view token_sha256, std::string_view org_id, std::string_view subject,
                                int64_t expires_at_ms);
  // Marks the link used and answers its org and subject as a session template (id, csrf and times unset);
  // nullopt when it is unknown, already used or expired at `now_ms`. Atomic: a link works once.
  absl::StatusOr<std::optional<ConsoleSession>> UseSigninLink(std::string_view token_sha256, int64_t now_ms);
  absl::Status CreateConsoleSession(const ConsoleSession& session);
  // nullopt when unknown or expired at `now_ms`.
  absl::StatusOr<std::optional<ConsoleSession>> FindConsoleSession(std::string_view id_sha256, int64_t now_ms);
  absl::Status DeleteConsoleSession(std::string_view id_sha256);
  // ResourceExhausted when kMaxOpen requests are pending and unexpired at `request.requested_at_ms`.
  absl::Status CreateDeviceRequest(const DeviceRequest& request, int64_t max_open);
  // nullopt when unknown.
  absl::StatusOr<std::optional<DeviceRequest>> FindDeviceRequestByUserCode(std::string_view user_code);
  absl::StatusOr<std::optional<DeviceRequest>> FindDeviceRequestByDeviceCode(std::string_view device_code_sha256);
  // Moves a pending, unexpired request to `status` (approved | denied); false when it was not pending.
  absl::StatusOr<bool> DecideDeviceRequest(std::string_view user_code, std::string_view status,
                                           std::string_view org_id, std::string_view approver, int64_t now_ms);
  // Records a poll and answers the previous poll's time.
  absl::StatusOr<int64_t> RecordDevicePoll(std::string_view device_code_sha256, int64_t now_ms);
  // approved -> issued; false when it was not approved (the token goes out once).
  absl::StatusOr<bool> MarkDeviceTokenIssued(std::string_view device_code_sha256);
  // ---- end of Console ----

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
