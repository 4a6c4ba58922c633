// rpc/hub.cc: the Hub facade, session lifecycle, the sweep timer and the connection views.
#include "rpc/hub.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "edge/protocol/json_writer.h"
#include "rpc/hub_core.h"

namespace edge::platform {
namespace rpc_internal {

int64_t MonoNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

protocol::RpcError Unavailable(std::string message, std::string_view reason) {
  protocol::RpcError e;
  e.code = protocol::kConnectorUnavailable;
  e.message = std::move(message);
  protocol::JsonWriter(e.data_json).BeginObject().Key("reason").String(reason).EndObject();
  return e;
}

HubCore::HubCore(HubOptions options, HubDirectory* directory, const protocol::VerifyingKey* key)
    : options_(std::move(options)),
      directory_(directory),
      key_(key),
      logger_(options_.logger ? options_.logger : &runtime::Logger::Default()),
      protocols_{},
      rng_(std::random_device{}()) {
  // Both names share one callback; the fallback is told apart by its protocol name at ESTABLISHED.
  protocols_[0].name = "edge-tool-rpc.v1";
  protocols_[0].callback = &HubCore::Callback;
  protocols_[0].per_session_data_size = sizeof(PerSession);
  protocols_[0].rx_buffer_size = 0;
  protocols_[0].user = this;
  protocols_[1].name = "edge-tool-rpc";
  protocols_[1].callback = &HubCore::Callback;
  protocols_[1].per_session_data_size = sizeof(PerSession);
  protocols_[1].rx_buffer_size = 0;
  protocols_[1].user = this;
  // The sweep runs often enough for the shortest timer; tests use 100 ms heartbeats.
  const int64_t shortest =
      std::min({options_.heartbeat_interval_ms, options_.heartbeat_timeout_ms, options_.hello_timeout_ms,
                options_.call_slack_ms});
  sweep_interval_ms_ = std::clamp<int64_t>(shortest / 4, 10, 1000);
  sweep_.core = this;
}

HubCore::~HubCore() {
  if (context_ != nullptr) lws_sul_cancel(&sweep_.sul);
  // Sessions still alive belong to a context that outlives the hub: detach them so CLOSED finds nothing.
  for (auto& [ptr, session] : sessions_) {
    auto* ps = static_cast<PerSession*>(lws_wsi_user(session->wsi()));
    if (ps != nullptr) ps->session = nullptr;
  }
}

void HubCore::Attach(lws_context* context) {
  context_ = context;
  ScheduleSweep();
}

void HubCore::ScheduleSweep() {
  if (context_ == nullptr || shut_down_) return;
  lws_sul_schedule(context_, 0, &sweep_.sul, &HubCore::SweepCallback,
                   static_cast<lws_usec_t>(sweep_interval_ms_) * LWS_US_PER_MS);
}

void HubCore::SweepCallback(lws_sorted_usec_list_t* sul) {
  // sul is the first member of the standard-layout SweepTimer.
  reinterpret_cast<SweepTimer*>(sul)->core->Sweep();
}

void HubCore::Sweep() {
  const int64_t now = MonoNowMs();
  const int64_t wall = WallNowMs();
  std::vector<Session*> snapshot;
  snapshot.reserve(sessions_.size());
  for (auto& [ptr, s] : sessions_) snapshot.push_back(ptr);
  for (Session* s : snapshot) {
    if (sessions_.find(s) == sessions_.end() || s->state == SessionState::kEnded) continue;
    if (s->state == SessionState::kAwaitHello && now - s->connected_mono_ms > options_.hello_timeout_ms) {
      CloseSession(*s, protocol::kCloseProtocolViolation,
                   protocol::FormatCloseReason(protocol::kCloseProtocolViolation,
                                               {{"reason", "no connector.hello within " +
                                                               std::to_string(options_.hello_timeout_ms) + " ms"}}),
                   "no hello in time");
      continue;
    }
    const int64_t timeout = s->effective_timeout_ms > 0 ? s->effective_timeout_ms : options_.heartbeat_timeout_ms;
    if (now - s->last_seen_mono_ms > timeout) {
      CloseSession(*s, protocol::kCloseHeartbeatTimeout, protocol::FormatCloseReason(protocol::kCloseHeartbeatTimeout),
                   "heartbeat timeout: nothing received for " + std::to_string(now - s->last_seen_mono_ms) + " ms");
      continue;
    }
    if (s->identity.token_expires_ms > 0 && wall >= s->identity.token_expires_ms) {
      CloseSession(*s, protocol::kCloseAuthFailed,
                   protocol::FormatCloseReason(protocol::kCloseAuthFailed, {{"reason", "token_expired"}}),
                   "token expired");
      continue;
    }
    if (s->state != SessionState::kAwaitHello && now >= s->next_heartbeat_mono_ms) SendPlatformHeartbeat(*s, now);
  }
  SweepCalls(now);
  ScheduleSweep();
}

void HubCore::EndSession(Session& s, std::string_view why) {
  if (s.state == SessionState::kEnded) return;
  const bool was_active = s.active;
  s.state = SessionState::kEnded;
  if (s.active) {
    auto it = slots_.find(SlotKey(s.identity.deployment_id, s.identity.connector_id));
    if (it != slots_.end() && it->second == &s) slots_.erase(it);
    s.active = false;
  }
  if (!was_active) return;  // refused duplicates and fallbacks never held the deployment
  if (!s.identity.connector_id.empty()) {
    ReportCloudEvent(s, CloudSessionEvent::Kind::kDisconnected, std::string(why));
  } else if (s.hello_recorded) {
    directory_->RecordDisconnected(s.identity.deployment_id, WallNowMs(), why);
  }
  log().Info(kLogComponent, "disconnected deployment=", s.identity.deployment_id, " org=", s.identity.org_id,
             " session=", s.session_id, ": ", why);
  FailSessionCalls(s, "connector unavailable: the connection to deployment " + s.identity.deployment_id +
                          " was lost");
}

void HubCore::CloseSession(Session& s, uint16_t code, std::string reason, std::string_view why) {
  const std::string text = std::string(why) + " (close " + std::to_string(code) + " " + reason + ")";
  EndSession(s, text);
  s.RequestClose(code, std::move(reason));
}

void HubCore::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (context_ != nullptr) lws_sul_cancel(&sweep_.sul);
  std::vector<Session*> snapshot;
  for (auto& [ptr, s] : sessions_) snapshot.push_back(ptr);
  for (Session* s : snapshot) {
    if (s->state == SessionState::kEnded) continue;
    CloseSession(*s, protocol::kCloseGoingAway, protocol::FormatCloseReason(protocol::kCloseGoingAway),
                 "platform shutting down");
  }
}

ConnectionInfo HubCore::InfoOf(const Session& s) const {
  ConnectionInfo c;
  c.deployment_id = s.identity.deployment_id;
  c.org_id = s.identity.org_id;
  c.session_id = s.session_id;
  c.state = SessionStateName(s.state);
  c.auth = s.identity.auth;
  c.connector_id = s.identity.connector_id;
  c.bundle = s.registered_bundle;
  if (s.hello) {
    c.connector_version = s.hello->version;
    c.connector_type = s.hello->type;
    c.instance_id = s.hello->instance_id;
    c.hostname = s.hello->hostname;
  } else {
    c.connector_version = s.identity.connector_version;
    c.connector_type = s.identity.connector_type;
  }
  c.connected_at_ms = s.connected_wall_ms;
  c.last_seen_ms = s.last_seen_wall_ms;
  c.generation = s.generation;
  c.tools = s.tool_names;
  c.last_status_json = s.last_status_json;
  c.in_flight = s.invokes_outstanding;
  return c;
}

std::vector<ConnectionInfo> HubCore::Connections(std::string_view org_id) const {
  std::vector<ConnectionInfo> out;
  for (const auto& [key, s] : slots_) {
    if (org_id.empty() || s->identity.org_id == org_id) out.push_back(InfoOf(*s));
  }
  // By deployment; within one, the self-hosted connection ("" connector id) first.
  std::sort(out.begin(), out.end(), [](const ConnectionInfo& a, const ConnectionInfo& b) {
    return std::tie(a.deployment_id, a.connector_id) < std::tie(b.deployment_id, b.connector_id);
  });
  return out;
}

std::optional<ConnectionInfo> HubCore::Connection(std::string_view deployment_id) const {
  Session* s = SelfSession(deployment_id);
  if (s == nullptr) return std::nullopt;
  return InfoOf(*s);
}

bool HubCore::NotifyBundleUpdated(std::string_view deployment_id, const protocol::BundleUpdatedParams& params) {
  bool sent = false;
  for (Session* s : SessionsOf(deployment_id)) {
    // Before hello the connector cannot act on it; it syncs after connecting anyway.
    if (s->state == SessionState::kAwaitHello) continue;
    s->Send(protocol::EncodeNotification(protocol::method::kBundleUpdated, protocol::ToJson(params)));
    sent = true;
  }
  return sent;
}

bool HubCore::SendOversizeForTest(std::string_view deployment_id, size_t bytes) {
  if (!options_.enable_test_hooks) return false;
  auto it = slots_.find(SlotKey(deployment_id, ""));
  if (it == slots_.end()) return false;
  // A JSON string padded with spaces: valid JSON of exactly `bytes` bytes (at least 2).
  std::string m(std::max<size_t>(bytes, 2), ' ');
  m.front() = '"';
  m.back() = '"';
  it->second->Send(std::move(m));
  return true;
}

bool HubCore::RevokeDeploymentCredentials(std::string_view deployment_id) {
  Session* self = SelfSession(deployment_id);  // a cloud connector's own credentials stay valid
  if (self == nullptr) return false;
  Session& s = *self;
  if (s.state == SessionState::kEnded || s.identity.auth != "deployment-credentials") return false;
  CloseSession(s, protocol::kCloseAuthFailed,
               protocol::FormatCloseReason(protocol::kCloseAuthFailed, {{"reason", "invalid_credentials"}}),
               "its deployment credentials were revoked (secret rotated)");
  return true;
}

// ---- Cloud connectors: slots (docs/cloud-connectors.md section 2) --------------------------------------------

std::string HubCore::SlotKey(std::string_view deployment_id, std::string_view connector_id) {
  std::string key(deployment_id);
  key += '\n';
  key += connector_id.empty() ? std::string_view("self") : connector_id;
  return key;
}

Session* HubCore::SelfSession(std::string_view deployment_id) const {
  auto it = slots_.find(SlotKey(deployment_id, ""));
  return it == slots_.end() ? nullptr : it->second;
}

std::vector<Session*> HubCore::SessionsOf(std::string_view deployment_id) const {
  std::vector<Session*> out;
  if (Session* self = SelfSession(deployment_id)) out.push_back(self);
  const std::string prefix = std::string(deployment_id) + '\n';
  for (auto it = slots_.lower_bound(prefix); it != slots_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    if (!it->second->identity.connector_id.empty()) out.push_back(it->second);
  }
  return out;
}

std::vector<ConnectionInfo> HubCore::ConnectionsOf(std::string_view deployment_id) const {
  std::vector<ConnectionInfo> out;
  for (Session* s : SessionsOf(deployment_id)) out.push_back(InfoOf(*s));
  return out;
}

bool HubCore::RevokeCloudConnector(std::string_view deployment_id, std::string_view connector_id) {
  if (connector_id.empty()) return false;
  auto it = slots_.find(SlotKey(deployment_id, connector_id));
  if (it == slots_.end() || it->second->state == SessionState::kEnded) return false;
  CloseSession(*it->second, protocol::kCloseAuthFailed,
               protocol::FormatCloseReason(protocol::kCloseAuthFailed, {{"reason", "invalid_credentials"}}),
               "its cloud connector was deleted");
  return true;
}

void HubCore::ReportCloudEvent(const Session& s, CloudSessionEvent::Kind kind, std::string reason,
                               std::optional<protocol::BundleRef> bundle) {
  CloudSessionEvent e;
  e.kind = kind;
  e.deployment_id = s.identity.deployment_id;
  e.connector_id = s.identity.connector_id;
  e.session_id = s.session_id;
  e.at_ms = WallNowMs();
  e.bundle = std::move(bundle);
  e.reason = std::move(reason);
  directory_->RecordCloudSession(e);
}

// ULID-like: 48-bit millisecond time + 80 random bits, Crockford base32 (26 chars, sortable by time).
std::string HubCore::NewId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const uint64_t time = static_cast<uint64_t>(WallNowMs()) & ((uint64_t{1} << 48) - 1);
  std::string out(26, '0');
  for (int i = 9; i >= 0; --i) out[static_cast<size_t>(9 - i)] = kAlphabet[(time >> (5 * i)) & 31];
  uint64_t r = rng_();
  for (size_t i = 10; i < 26; ++i) {
    if (i == 22) r = rng_();  // 12 characters use 60 bits of the first draw
    out[i] = kAlphabet[r & 31];
    r >>= 5;
  }
  return out;
}

}  // namespace rpc_internal

struct Hub::Impl {
  Impl(HubOptions options, HubDirectory* directory, const protocol::VerifyingKey* key)
      : core(std::move(options), directory, key) {}
  rpc_internal::HubCore core;
};

Hub::Hub(HubOptions options, HubDirectory* directory, const protocol::VerifyingKey* key)
    : impl_(std::make_unique<Impl>(std::move(options), directory, key)) {}
Hub::~Hub() = default;
const lws_protocols* Hub::Protocols() const { return impl_->core.protocols(); }
void Hub::Attach(lws_context* context) { impl_->core.Attach(context); }
void Hub::Invoke(InvokeRequest request, absl::AnyInvocable<void(InvokeOutcome)> done) {
  impl_->core.Invoke(std::move(request), std::move(done));
}
bool Hub::Cancel(std::string_view call_id, std::string_view reason) { return impl_->core.Cancel(call_id, reason); }
std::vector<ConnectionInfo> Hub::Connections(std::string_view org_id) const {
  return impl_->core.Connections(org_id);
}
std::optional<ConnectionInfo> Hub::Connection(std::string_view deployment_id) const {
  return impl_->core.Connection(deployment_id);
}
bool Hub::NotifyBundleUpdated(std::string_view deployment_id, const protocol::BundleUpdatedParams& params) {
  return impl_->core.NotifyBundleUpdated(deployment_id, params);
}
bool Hub::SendOversizeForTest(std::string_view deployment_id, size_t bytes) {
  return impl_->core.SendOversizeForTest(deployment_id, bytes);
}
bool Hub::RevokeDeploymentCredentials(std::string_view deployment_id) {
  return impl_->core.RevokeDeploymentCredentials(deployment_id);
}
std::vector<ConnectionInfo> Hub::ConnectionsOf(std::string_view deployment_id) const {  // cloud connectors
  return impl_->core.ConnectionsOf(deployment_id);
}
bool Hub::RevokeCloudConnector(std::string_view deployment_id, std::string_view connector_id) {
  return impl_->core.RevokeCloudConnector(deployment_id, connector_id);
}
int Hub::NotifyWebhooksChanged(std::string_view deployment_id) {  // webhooks
  return impl_->core.NotifyWebhooksChanged(deployment_id);
}
void Hub::Shutdown() { impl_->core.Shutdown(); }

}  // namespace edge::platform
