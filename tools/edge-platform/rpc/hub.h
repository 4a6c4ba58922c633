// rpc/hub.h: edge-platform's Tool RPC endpoint: the connected connectors and the calls routed to them.
//
// The hub serves the WebSocket side of docs/protocol.md: it authenticates upgrades (Basic deployment
// credentials or an Ed25519 JWT; a cloud connector's own Basic credentials), enforces one connection per
// deployment and identity (4009, with the half-open rule of §2.3), runs hello/register/heartbeats, watches for
// dead connections, and routes REST API invocations to the connectors that registered the tool, with the
// platform-side call watch and tool.cancel.
//
// Threading: the hub lives on edge-platform's single lws service thread, shared with the REST API. Every
// method must be called on that thread, and every callback runs on it.
#ifndef EDGE_PLATFORM_RPC_HUB_H_
#define EDGE_PLATFORM_RPC_HUB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "edge/protocol/auth.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/log.h"

struct lws_context;
struct lws_protocols;

namespace edge::platform {

// ---- Cloud connectors (docs/cloud-connectors.md section 2) ----
// A session event of a cloud connector's slot, for the platform's cloud manager (the Record* calls below are
// for the self-hosted slot only, so a deployment's own status records stay the self-hosted connector's).
struct CloudSessionEvent {
  enum class Kind { kConnected, kRegistered, kHeartbeat, kDisconnected };
  Kind kind = Kind::kConnected;
  std::string deployment_id;
  std::string connector_id;
  std::string session_id;
  int64_t at_ms = 0;
  std::optional<protocol::BundleRef> bundle;  // kRegistered: the bundle of the registered tools
  std::string reason;                         // kDisconnected
};
// ---- end of Cloud connectors ----

// What the hub needs from storage; implemented over the platform's SQLite store (store/).
class HubDirectory {
 public:
  virtual ~HubDirectory() = default;
  // The deployment's org, when the deployment exists (NotFound otherwise).
  virtual absl::StatusOr<std::string> DeploymentOrg(std::string_view deployment_id) = 0;
  // Whether `secret` matches the deployment's stored hash (constant-time compare).
  virtual bool CheckDeploymentSecret(std::string_view deployment_id, std::string_view secret) = 0;
  // Lifecycle records: connected/serving/offline, last-seen, the last heartbeat's status, registered tools.
  virtual void RecordConnected(std::string_view deployment_id, std::string_view session_id,
                               std::string_view hello_params_json, int64_t at_ms) = 0;
  virtual void RecordHeartbeat(std::string_view deployment_id, int64_t at_ms, std::string_view status_json) = 0;
  virtual void RecordTools(std::string_view deployment_id, uint64_t generation,
                           const std::vector<protocol::RegisteredTool>& tools) = 0;
  virtual void RecordDisconnected(std::string_view deployment_id, int64_t at_ms, std::string_view reason) = 0;

  // ---- Webhooks (docs/webhook-relay.md). Defaults: no webhook support. ----
  // The relay address a connector reported (connector.hello `relay`, heartbeat `status.relay`). An empty
  // `relay.url` means the connector runs without a relay. `connector_id` is "self" for the self-hosted one.
  virtual void RecordRelay(std::string_view /*deployment_id*/, std::string_view /*connector_id*/,
                           const protocol::RelayInfo& /*relay*/) {}
  // Stores one relayed delivery once: "stored", or "duplicate" for a deliveryId already stored for the
  // deployment. InvalidArgument (answered -32602) for an unknown webhookId or one that is not edge-relay on
  // this deployment.
  virtual absl::StatusOr<std::string> StoreWebhookDelivery(std::string_view /*deployment_id*/,
                                                           const protocol::WebhookRelayParams& params) {
    return absl::InvalidArgumentError("webhook " + params.webhook_id + " is unknown: this platform has no webhooks");
  }
  // The deployment's edge-relay webhooks, for webhooks.config.
  virtual protocol::WebhooksConfigParams WebhooksConfigFor(std::string_view /*deployment_id*/) { return {}; }
  // ---- end of Webhooks ----

  // ---- Cloud connectors (docs/cloud-connectors.md section 2). Defaults: no cloud connectors. ----
  // The cloud connector of `deployment_id` that `secret` ("ccs_<connectorId>_…") authenticates, or nullopt.
  virtual std::optional<std::string> CheckCloudConnectorSecret(std::string_view /*deployment_id*/,
                                                               std::string_view /*secret*/) {
    return std::nullopt;
  }
  virtual void RecordCloudSession(const CloudSessionEvent& /*event*/) {}
  // ---- end of Cloud connectors ----
};

struct HubOptions {
  int64_t heartbeat_interval_ms = 30000;
  int64_t heartbeat_timeout_ms = 75000;
  int64_t hello_timeout_ms = 10000;
  int64_t call_slack_ms = 5000;  // the platform's call watch: connector timeouts + this
  int64_t default_inactivity_ms = 60000;
  int64_t default_max_duration_ms = 600000;
  std::string platform_version;
  bool enable_test_hooks = false;
  runtime::Logger* logger = nullptr;
};

struct InvokeRequest {
  std::string org_id;         // the caller's org (from the admin token)
  std::string deployment_id;  // optional pin; empty: any connected deployment of the org serving the tool
  std::string tool;
  std::string arguments_json = "{}";
  std::string user_id;        // the caller (token subject)
  std::string call_id;        // optional; empty: a new unique id
  std::optional<int64_t> inactivity_ms;
  std::optional<int64_t> max_duration_ms;
};

struct InvokeOutcome {
  std::string call_id;
  std::string deployment_id;               // where it ran (empty when it never reached a connector)
  std::optional<std::string> result_json;  // the CallToolResult (isError may be true)
  protocol::RpcError error;                // when !result_json: -32602/-32001/-32003/-32004/-32005/-32006/...
  int64_t elapsed_ms = 0;
};

struct ConnectionInfo {
  std::string deployment_id;
  std::string org_id;
  std::string session_id;
  std::string state;  // "hello" | "serving" | "draining"
  std::string connector_version;
  std::string connector_type;
  std::string instance_id;
  std::string hostname;
  std::string auth;   // "deployment-credentials" | "token:<subject>" | "cloud-connector"
  std::string connector_id;  // the cloud connector's id; "" for the self-hosted connection
  int64_t connected_at_ms = 0;
  int64_t last_seen_ms = 0;
  uint64_t generation = 0;
  std::vector<std::string> tools;
  std::string last_status_json;  // the last heartbeat's status object ("{}" before the first)
  int64_t in_flight = 0;
  std::optional<protocol::BundleRef> bundle;  // from the last tools.register (cloud connectors show it)
};

class Hub {
 public:
  Hub(HubOptions options, HubDirectory* directory, const protocol::VerifyingKey* key);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // The protocols to mount on the RPC vhost: edge-tool-rpc.v1 and the bare edge-tool-rpc fallback, plus a
  // terminator. Valid for the hub's lifetime.
  const lws_protocols* Protocols() const;
  // After the context exists and before serving: starts the timers (hello, dead-peer, platform heartbeats).
  void Attach(lws_context* context);

  void Invoke(InvokeRequest request, absl::AnyInvocable<void(InvokeOutcome)> done);
  // Cancels an outstanding call (tool.cancel to the connector; the caller gets -32004). False if unknown.
  bool Cancel(std::string_view call_id, std::string_view reason);
  // Every connection of the org (self-hosted and cloud connectors), by deployment.
  std::vector<ConnectionInfo> Connections(std::string_view org_id) const;
  // The deployment's self-hosted connection.
  std::optional<ConnectionInfo> Connection(std::string_view deployment_id) const;
  // Every connection of the deployment: the self-hosted one first, then its cloud connectors'.
  std::vector<ConnectionInfo> ConnectionsOf(std::string_view deployment_id) const;
  // The cloud connector was deleted: its connection, if any, is closed with 4001 (invalid_credentials).
  bool RevokeCloudConnector(std::string_view deployment_id, std::string_view connector_id);
  // bundle.updated to every connection of the deployment (issue 4). False when none is connected.
  bool NotifyBundleUpdated(std::string_view deployment_id, const protocol::BundleUpdatedParams& params);
  // Test hook (only with enable_test_hooks): sends one text message of `bytes` bytes to the deployment's
  // connector, to exercise its message limit. False when not connected or hooks are off.
  bool SendOversizeForTest(std::string_view deployment_id, size_t bytes);
  // The deployment's secret was rotated (or the deployment deleted): a connection that authenticated with the
  // old credentials is closed with 4001 (reason invalid_credentials). Token-authenticated connections stay.
  // False when no such connection exists.
  bool RevokeDeploymentCredentials(std::string_view deployment_id);
  // Webhooks: sends webhooks.config (the directory's current list) to every registered session of the
  // deployment. Returns how many sessions got it.
  int NotifyWebhooksChanged(std::string_view deployment_id);
  // Platform shutdown: fails outstanding calls (-32006) and closes every connection with 1001.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edge::platform

#endif  // EDGE_PLATFORM_RPC_HUB_H_
