// rpc/hub_core.h: the hub's state and behaviour behind the public Hub facade (hub.h).
//
// One HubCore per Hub. It owns the sessions (created at ESTABLISHED, freed at CLOSED), the slot -> active
// session index, and the outstanding calls. Everything runs on the lws service thread. The code is
// split by concern: lws_callbacks.cc (lws events), session_events.cc (hello/register/heartbeat/messages),
// call_router.cc (invoke, cancel, results, the call watch), hub.cc (facade, timers, lifecycle).
#ifndef EDGE_PLATFORM_RPC_HUB_CORE_H_
#define EDGE_PLATFORM_RPC_HUB_CORE_H_

#include <libwebsockets.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "edge/protocol/messages.h"
#include "edge/runtime/log.h"
#include "rpc/hub.h"
#include "rpc/session.h"
#include "rpc/upgrade_auth.h"

namespace edge::platform::rpc_internal {

inline constexpr std::string_view kLogComponent = "hub";

int64_t MonoNowMs();
int64_t WallNowMs();

class HubCore;

// lws_container_of needs a standard-layout holder (stack-notes §3.5): the sul first, then the owner.
struct SweepTimer {
  lws_sorted_usec_list_t sul;
  HubCore* core;
};

struct PendingCall {
  std::string call_id;
  std::string tool;
  std::string deployment_id;
  Session* session = nullptr;  // cleared when the session ends
  std::string request_id;      // raw id token of the tool.invoke
  absl::AnyInvocable<void(InvokeOutcome)> done;
  bool answered = false;  // the caller has its outcome; a later response is consumed and dropped
  int64_t started_mono_ms = 0;
  int64_t last_activity_mono_ms = 0;
  int64_t watch_inactivity_ms = 0;
  int64_t watch_max_duration_ms = 0;
  int64_t inactivity_ms = 0;    // as sent (for the -32003 data)
  int64_t max_duration_ms = 0;
};

class HubCore {
 public:
  HubCore(HubOptions options, HubDirectory* directory, const protocol::VerifyingKey* key);
  ~HubCore();

  const lws_protocols* protocols() const { return protocols_; }
  void Attach(lws_context* context);
  void Shutdown();

  // lws_callbacks.cc
  static int Callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);

  // call_router.cc
  void Invoke(InvokeRequest request, absl::AnyInvocable<void(InvokeOutcome)> done);
  bool Cancel(std::string_view call_id, std::string_view reason);

  // hub.cc
  std::vector<ConnectionInfo> Connections(std::string_view org_id) const;
  std::optional<ConnectionInfo> Connection(std::string_view deployment_id) const;
  bool NotifyBundleUpdated(std::string_view deployment_id, const protocol::BundleUpdatedParams& params);
  bool SendOversizeForTest(std::string_view deployment_id, size_t bytes);
  bool RevokeDeploymentCredentials(std::string_view deployment_id);
  std::vector<ConnectionInfo> ConnectionsOf(std::string_view deployment_id) const;         // cloud connectors
  bool RevokeCloudConnector(std::string_view deployment_id, std::string_view connector_id);
  int NotifyWebhooksChanged(std::string_view deployment_id);  // session_events.cc (webhooks)

 private:
  int OnCallback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  int OnFilter(lws* wsi);
  void OnEstablished(lws* wsi, PerSession* ps);
  void OnClosed(lws* wsi, PerSession* ps);
  int OnReceive(Session& s, void* in, size_t len);

  // session_events.cc
  void OnMessage(Session& s, std::string_view text);
  void OnRequest(Session& s, const protocol::Envelope& env);
  void OnHello(Session& s, const protocol::Envelope& env);
  void OnRegister(Session& s, const protocol::Envelope& env);
  void OnHeartbeat(Session& s, const protocol::Envelope& env);
  void OnNotification(Session& s, const protocol::Envelope& env);
  void OnResponse(Session& s, const protocol::Envelope& env);
  void SendError(Session& s, std::string_view id, int code, std::string message, std::string data_json = {});
  void SendPlatformHeartbeat(Session& s, int64_t now_mono);
  // Webhooks (session_events.cc): webhook.relay requests, webhooks.config pushes, relay address reports.
  void OnWebhookRelay(Session& s, const protocol::Envelope& env);
  void SendWebhooksConfig(Session& s);
  void ReportRelay(Session& s, const std::optional<protocol::RelayInfo>& relay);

  // call_router.cc
  Session* PickSession(const InvokeRequest& request, protocol::RpcError* error);
  void OnInvokeResponse(Session& s, const std::string& call_id, const protocol::Envelope& env);
  void OnProgress(Session& s, const protocol::Envelope& env);
  void SweepCalls(int64_t now_mono);
  // Fails every call of the session not yet answered (-32006) and forgets them.
  void FailSessionCalls(Session& s, std::string_view message);
  void Answer(PendingCall& call, InvokeOutcome outcome);

  // hub.cc: lifecycle
  // Takes the session out of the hub: frees the deployment slot, records the disconnect, fails its calls.
  void EndSession(Session& s, std::string_view why);
  // EndSession, then the close frame (after what is queued).
  void CloseSession(Session& s, uint16_t code, std::string reason, std::string_view why);
  void Sweep();
  void ScheduleSweep();
  static void SweepCallback(lws_sorted_usec_list_t* sul);
  ConnectionInfo InfoOf(const Session& s) const;
  std::string NewId();
  // Slots (hub.cc): the key of a session's slot, the deployment's active sessions (self-hosted first), and
  // the cloud manager's view of a cloud connector session's events.
  static std::string SlotKey(std::string_view deployment_id, std::string_view connector_id);
  Session* SelfSession(std::string_view deployment_id) const;
  std::vector<Session*> SessionsOf(std::string_view deployment_id) const;
  void ReportCloudEvent(const Session& s, CloudSessionEvent::Kind kind, std::string reason = {},
                        std::optional<protocol::BundleRef> bundle = std::nullopt);

  const runtime::Logger& log() const { return *logger_; }

  HubOptions options_;
  HubDirectory* directory_;
  const protocol::VerifyingKey* key_;
  runtime::Logger* logger_;
  lws_protocols protocols_[3];
  lws_context* context_ = nullptr;
  SweepTimer sweep_{};
  int64_t sweep_interval_ms_ = 100;
  bool shut_down_ = false;
  std::mt19937_64 rng_;
  uint64_t round_robin_ = 0;

  std::unordered_map<lws*, UpgradeIdentity> upgrades_;  // FILTER -> ESTABLISHED
  std::unordered_map<Session*, std::unique_ptr<Session>> sessions_;
  // Active sessions by slot (docs/cloud-connectors.md section 2): "<deployment>\nself" for the self-hosted
  // connection, "<deployment>\n<connector id>" for each cloud connector (SlotKey). Ordered: a deployment's slots
  // are adjacent.
  std::map<std::string, Session*> slots_;
  std::unordered_map<std::string, std::unique_ptr<PendingCall>> calls_;
};

// -32006 with data.reason.
protocol::RpcError Unavailable(std::string message, std::string_view reason);

}  // namespace edge::platform::rpc_internal

#endif  // EDGE_PLATFORM_RPC_HUB_CORE_H_
