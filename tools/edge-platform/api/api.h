// api/api.h: edge-platform's REST API (docs/api.md): routing, authentication (admin tokens; deployment
// credentials on the two calls a connector makes for its bundle), and the handlers for deployments, tools and
// their invocation through the hub, the call log, connectors, and bundles (docs/bundles.md section 6).
//
// Threading: everything runs on the lws service thread, like the hub.
#ifndef EDGE_PLATFORM_API_API_H_
#define EDGE_PLATFORM_API_API_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "bundles/archive_store.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/json_writer.h"
#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "store/store.h"
#include "webhooks/receiver.h"
#include "webhooks/webhook_rules.h"

namespace edge::platform::cloud {  // cloud connectors (cloud/manager.h, cloud/fault_driver.h)
class Manager;
class FaultDriver;
}  // namespace edge::platform::cloud

namespace edge::platform::api {

struct ApiOptions {
  bool enable_test_hooks = false;
  std::string platform_version;
  uint64_t max_bundle_bytes = bundles::kDefaultMaxBundleBytes;  // uploads above this are refused (413)
  // Webhooks (webhooks.cc): the base of cloud-public URLs ("" : the API listener's URL), and the receiver's
  // limits for cloud-public deliveries.
  std::string public_url;
  int64_t webhook_max_body_bytes = webhooks::kDefaultMaxBodyBytes;
  int64_t webhook_rate_limit_per_minute = webhooks::kDefaultRateLimitPerMinute;
  // Console (console_api.cc, docs/console.md): how long a cookie session lasts from sign-in.
  int64_t console_session_ttl_ms = int64_t{8} * 3600 * 1000;
  // The CLI's browser sign-in (console_device.cc): how long a code waits for approval, and the issued token's life.
  int64_t device_code_ttl_ms = int64_t{10} * 60 * 1000;
  int64_t device_token_ttl_ms = int64_t{30} * 24 * 3600 * 1000;
};

// Who is calling: from a verified admin token, or from deployment credentials (Basic) where a route takes them.
struct Caller {
  std::string org_id;
  std::string subject;        // the token's subject, or "deployment:<id>"
  std::string deployment_id;  // set only for deployment credentials: the caller may act for this one only
};

// Who may call a route.
enum class Access {
  kPublic,
  kAdmin,               // an admin token of the org
  kAdminOrDeployment,   // also `Basic base64(deploymentId:secret)`, scoped to that deployment by the handler
};

// Whether a path (split into segments) is one of the console's pages: /console and /console/..., except the
// console's API under /console/api/.
bool IsConsolePagePath(const std::vector<std::string>& segments);

class Api {
 public:
  Api(ApiOptions options, store::Store* store, Hub* hub, bundles::ArchiveStore* archives,
      const protocol::SigningKey* signing_key, const protocol::VerifyingKey* verifying_key, runtime::Logger* logger);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void Handle(std::shared_ptr<HttpExchange> exchange);
  // Whether the request's body streams to a sink instead of memory: only POST /api/v1/bundles (decided from
  // method and path before the body arrives). Null for every other request.
  std::shared_ptr<BodySink> NewBodySink(const HttpRequest& request);
  // Webhooks: the server knows the API's bound URL (the default public URL) only after the API exists.
  void set_public_url(std::string url) { options_.public_url = std::move(url); }

  // Cloud connectors (cloud.cc): without a manager (driver `none`) their endpoints answer 501 cloud_unavailable.
  // `faults` is the driver's test-hook wrapper (used with enable_test_hooks only).
  void AttachCloud(cloud::Manager* manager, cloud::FaultDriver* faults) {
    cloud_ = manager;
    cloud_faults_ = faults;
  }

  using Exchange = std::shared_ptr<HttpExchange>;
  using Params = std::vector<std::string>;  // the route's {placeholders}, in order

 private:
  // Routing and auth (api.cc). Authorize answers the refusal, if any, without sending it.
  std::optional<HttpResponse> Authorize(const HttpRequest& req, Access access, Caller* caller);
  bool Authenticate(const Exchange& ex, Access access, Caller* caller);
  std::optional<HttpResponse> AuthorizeDeployment(const HttpRequest& req, Caller* caller);

  // Handlers, one file per resource.
  void PublicKey(const Exchange& ex);
  void ListDeployments(const Exchange& ex, const Caller& caller);                       // deployments.cc
  void CreateDeployment(const Exchange& ex, const Caller& caller);
  void GetDeployment(const Exchange& ex, const Caller& caller, const std::string& id);
  void RotateSecret(const Exchange& ex, const Caller& caller, const std::string& id);
  void DeleteDeployment(const Exchange& ex, const Caller& caller, const std::string& id);
  void ListTools(const Exchange& ex, const Caller& caller);                             // tools.cc
  void ListConnectors(const Exchange& ex, const Caller& caller);
  void OversizeFrame(const Exchange& ex, const Caller& caller);
  void Invoke(const Exchange& ex, const Caller& caller, const std::string& tool);       // invoke.cc
  void CancelCall(const Exchange& ex, const Caller& caller, const std::string& call_id);
  void ListCalls(const Exchange& ex, const Caller& caller);
  void UploadBundle(const Exchange& ex, const Caller& caller);                          // bundle_upload.cc
  std::shared_ptr<BodySink> NewUploadSink(bool wants_body);
  void ListBundles(const Exchange& ex, const Caller& caller);                           // bundles.cc
  void GetBundle(const Exchange& ex, const Caller& caller, const std::string& id);
  void RenameBundle(const Exchange& ex, const Caller& caller, const std::string& id);
  void SetDefaultBundle(const Exchange& ex, const Caller& caller, const std::string& id);
  void DownloadBundle(const Exchange& ex, const Caller& caller, const std::string& id, const std::string& version);
  void GetTarget(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void AssignBundle(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void UnassignBundle(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void SetDownloadFault(const Exchange& ex, const Caller& caller);
  void DropBundlePushes(const Exchange& ex, const Caller& caller);                     // bundle_test_hooks.cc
  void AddRawBundleVersion(const Exchange& ex, const Caller& caller);
  // Webhooks (webhooks.cc, docs/webhook-relay.md section 4). ReceiveHook is the public cloud-public endpoint.
  void CreateWebhook(const Exchange& ex, const Caller& caller, const std::string& integration);
  void ListWebhooks(const Exchange& ex, const Caller& caller, const std::string& integration);
  void DeleteWebhook(const Exchange& ex, const Caller& caller, const std::string& id);
  void ListDeliveries(const Exchange& ex, const Caller& caller, const std::string& integration);
  void ReceiveHook(const Exchange& ex, const std::string& webhook_id, const std::string& token);

  // Cloud connectors (cloud.cc, docs/cloud-connectors.md section 6).
  void GetCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void ProvisionCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void CloudConnectorAction(const Exchange& ex, const Caller& caller, const std::string& deployment_id,
                            std::string_view action);  // start | stop | force-complete
  void DeleteCloudConnector(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void ListDeploymentConnectors(const Exchange& ex, const Caller& caller, const std::string& deployment_id);
  void SetCloudDriverFault(const Exchange& ex, const Caller& caller);
  // Serving connections of the deployment (self-hosted and cloud): activeConnectorCount.
  int64_t ActiveConnectorCount(const std::string& deployment_id) const;
  // "activeConnectorCount" and, when there is one, "cloudConnector": {id, state, stuck} (deployments.cc).
  void WriteCloudSummary(protocol::JsonWriter& w, const std::string& deployment_id) const;

  // The caller's bundle, or an answer already sent (404 bundle_not_found, also for other orgs' bundles).
  bool FindBundle(const Exchange& ex, const Caller& caller, const std::string& id, store::Bundle* out);
  // bundle.updated for every connected deployment of the org whose resolved target differs from `before`
  // (a snapshot taken by ConnectedTargets before the change). `reason` is the change's kind; a move to a
  // lower version of the same bundle is reported as "rollback".
  using TargetSnapshot = std::map<std::string, std::optional<store::BundleTarget>>;
  TargetSnapshot ConnectedTargets(const std::string& org_id);
  void PushTargetChanges(const std::string& org_id, const TargetSnapshot& before, std::string_view reason);

  // ---- Console (console_api.cc, docs/console.md section 1) ----
  // The console session named by the request's edge_console cookie (nullopt: none, or expired).
  std::optional<store::ConsoleSession> ConsoleSessionOf(const Exchange& ex);
  // Cookie authentication for admin routes, with the CSRF rule; the refusal, if any, without sending it.
  std::optional<HttpResponse> AuthorizeConsole(const Exchange& ex, Caller* caller);
  void CreateConsoleSession(const Exchange& ex);
  void GetConsoleSession(const Exchange& ex);
  void DeleteConsoleSession(const Exchange& ex);
  // The CLI's browser sign-in (console_device.cc, docs/console.md section 3).
  void CreateDeviceCode(const Exchange& ex);
  void PollDeviceToken(const Exchange& ex);
  void GetDeviceRequest(const Exchange& ex, const std::string& user_code);
  void DecideDeviceRequest(const Exchange& ex, const std::string& user_code, bool approve);
  // The console's embedded pages (console_pages.cc, docs/console.md section 2.1), for IsConsolePagePath paths.
  void ServeConsolePage(const Exchange& ex, const std::vector<std::string>& segments);
  // ---- end of Console ----

  // The caller's deployment, or an answer already sent (404 for unknown or other orgs' deployments).
  bool FindDeployment(const Exchange& ex, const Caller& caller, const std::string& id, store::Deployment* out);

  ApiOptions options_;
  store::Store* store_;
  Hub* hub_;
  bundles::ArchiveStore* archives_;
  const protocol::SigningKey* signing_key_;
  const protocol::VerifyingKey* verifying_key_;
  runtime::Logger* logger_;
  std::map<std::string, std::string> in_flight_;  // callId -> org, for scoped cancels
  // Test hook: how the next downloads misbehave, and for how many more (-1: until changed).
  FileBody::Fault download_fault_ = FileBody::Fault::kNone;
  int64_t download_fault_left_ = -1;
  // Test hook: how many of the next bundle.updated pushes to skip (as if lost on the way).
  int64_t drop_bundle_pushes_left_ = 0;
  cloud::Manager* cloud_ = nullptr;          // cloud connectors; null with the `none` driver
  cloud::FaultDriver* cloud_faults_ = nullptr;
  // Webhooks: the cloud-public rate limit per webhook (created on first use).
  std::unique_ptr<webhooks::RateLimiter> hook_rate_;
};

}  // namespace edge::platform::api

#endif  // EDGE_PLATFORM_API_API_H_
