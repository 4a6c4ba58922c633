// rpc/session_events.cc: what a session's messages do: hello, register, heartbeats, draining, responses.
#include <algorithm>

#include "edge/protocol/json_writer.h"
#include "rpc/hub_core.h"

namespace edge::platform::rpc_internal {
namespace {

using runtime::ToStd;

std::string ParamData(const absl::Status& status) {
  std::string data;
  protocol::JsonWriter(data).BeginObject().Key("param").String(protocol::ParamPointer(status)).EndObject();
  return data;
}

constexpr size_t kHeartbeatIdsKept = 8;

}  // namespace

void HubCore::SendError(Session& s, std::string_view id, int code, std::string message, std::string data_json) {
  protocol::RpcError e;
  e.code = code;
  e.message = std::move(message);
  e.data_json = std::move(data_json);
  s.Send(protocol::EncodeError(id, e));
}

void HubCore::OnMessage(Session& s, std::string_view text) {
  auto env = protocol::DecodeMessage(text);
  if (!env.ok()) {
    const std::string why(ToStd(env.status().message()));
    if (absl::IsDataLoss(env.status())) {
      SendError(s, "null", protocol::kParseError, "parse error: " + why);
    } else {
      SendError(s, protocol::DecodeFailureId(env.status()), protocol::kInvalidRequest, "invalid request: " + why);
    }
    log().Warn(kLogComponent, "deployment=", s.identity.deployment_id, ": undecodable message: ", why);
    if (s.state == SessionState::kAwaitHello) {
      CloseSession(s, protocol::kCloseProtocolViolation,
                   protocol::FormatCloseReason(protocol::kCloseProtocolViolation, {{"reason", "hello_required"}}),
                   "invalid first message");
    }
    return;
  }
  if (s.state == SessionState::kAwaitHello &&
      !(env->kind == protocol::MessageKind::kRequest && env->method == protocol::method::kHello)) {
    if (env->kind == protocol::MessageKind::kRequest) {
      SendError(s, env->id, protocol::kInvalidRequest,
                "protocol violation: the first message must be connector.hello, got " + env->method);
    }
    CloseSession(s, protocol::kCloseProtocolViolation,
                 protocol::FormatCloseReason(protocol::kCloseProtocolViolation, {{"reason", "hello_required"}}),
                 "message before connector.hello");
    return;
  }
  switch (env->kind) {
    case protocol::MessageKind::kRequest: OnRequest(s, *env); break;
    case protocol::MessageKind::kNotification: OnNotification(s, *env); break;
    case protocol::MessageKind::kResult:
    case protocol::MessageKind::kError: OnResponse(s, *env); break;
  }
}

void HubCore::OnRequest(Session& s, const protocol::Envelope& env) {
  if (env.method == protocol::method::kHello) {
    if (s.state != SessionState::kAwaitHello) {
      SendError(s, env.id, protocol::kInvalidRequest, "protocol violation: connector.hello was already answered");
      return;
    }
    OnHello(s, env);
  } else if (env.method == protocol::method::kRegister) {
    OnRegister(s, env);
  } else if (env.method == protocol::method::kHeartbeat) {
    OnHeartbeat(s, env);
  } else if (env.method == protocol::kMethodWebhookRelay) {
    OnWebhookRelay(s, env);
  } else {
    SendError(s, env.id, protocol::kMethodNotFound, "method not found: " + env.method);
  }
}

void HubCore::OnHello(Session& s, const protocol::Envelope& env) {
  auto params = protocol::ParseHelloParams(env.params);
  if (!params.ok()) {
    // Still waiting for a valid hello: the hello timeout closes the session if none comes.
    SendError(s, env.id, protocol::kInvalidParams, std::string(ToStd(params.status().message())),
              ParamData(params.status()));
    return;
  }
  const int64_t now = MonoNowMs();
  const int64_t wall = WallNowMs();
  s.hello = std::move(*params);
  s.effective_timeout_ms =
      protocol::EffectiveHeartbeatTimeoutMs(options_.heartbeat_timeout_ms, s.hello->heartbeat.interval_ms);
  if (s.effective_timeout_ms > options_.heartbeat_timeout_ms) {
    log().Warn(kLogComponent, "deployment=", s.identity.deployment_id, ": connector beats every ",
               s.hello->heartbeat.interval_ms, " ms; heartbeat timeout raised to ", s.effective_timeout_ms,
               " ms for this session");
  }
  s.state = SessionState::kHello;
  protocol::HelloResult r;
  r.session_id = s.session_id;
  r.org_id = s.identity.org_id;
  r.deployment_id = s.identity.deployment_id;
  r.server_time_ms = wall;
  r.heartbeat.interval_ms = options_.heartbeat_interval_ms;
  r.heartbeat.timeout_ms = options_.heartbeat_timeout_ms;
  r.platform_name = "edge-platform";
  r.platform_version = options_.platform_version;
  s.Send(protocol::EncodeResult(env.id, protocol::ToJson(r)));
  s.next_heartbeat_mono_ms = now + options_.heartbeat_interval_ms;
  if (s.identity.connector_id.empty()) {
    directory_->RecordConnected(s.identity.deployment_id, s.session_id, env.params, wall);
  } else {
    ReportCloudEvent(s, CloudSessionEvent::Kind::kConnected);  // cloud connectors: docs/cloud-connectors.md
  }
  s.hello_recorded = true;
  // Webhooks: a hello without `relay` means the connector runs without one (edge-relay becomes unavailable).
  directory_->RecordRelay(s.identity.deployment_id, s.identity.connector_id.empty() ? "self" : s.identity.connector_id,
                          s.hello->relay.value_or(protocol::RelayInfo{}));
  s.relay_reported = s.hello->relay;
  log().Info(kLogComponent, "hello deployment=", s.identity.deployment_id, " org=", s.identity.org_id,
             " auth=", s.identity.auth, " version=", s.hello->version, " type=", s.hello->type,
             " hostname=", s.hello->hostname, " instance=", s.hello->instance_id, " session=", s.session_id);
}

void HubCore::OnRegister(Session& s, const protocol::Envelope& env) {
  auto params = protocol::ParseRegisterParams(env.params);
  if (!params.ok()) {
    log().Warn(kLogComponent, "deployment=", s.identity.deployment_id, ": tools.register rejected: ",
               params.status().message());
    SendError(s, env.id, protocol::kInvalidParams, std::string(ToStd(params.status().message())),
              ParamData(params.status()));
    return;
  }
  if (s.registered && params->generation < s.generation) {
    std::string data;
    protocol::JsonWriter(data).BeginObject().Key("param").String("/generation").EndObject();
    SendError(s, env.id, protocol::kInvalidParams,
              "tools.register generation " + std::to_string(params->generation) +
                  " is lower than the registered generation " + std::to_string(s.generation),
              std::move(data));
    return;
  }
  s.generation = params->generation;
  const bool first_register = !s.registered;  // webhooks: webhooks.config follows the first one
  s.registered = true;
  s.tool_names.clear();
  s.tool_set.clear();
  for (const auto& t : params->tools) {
    s.tool_names.push_back(t.name);
    s.tool_set.insert(t.name);
  }
  if (s.state == SessionState::kHello) s.state = SessionState::kServing;
  s.registered_bundle = params->bundle;
  // Every slot records its tools, so a deployment served only by its cloud connector still lists them (a
  // deployment's connectors normally run the same bundle; the latest registration wins).
  directory_->RecordTools(s.identity.deployment_id, s.generation, params->tools);
  if (!s.identity.connector_id.empty()) {
    ReportCloudEvent(s, CloudSessionEvent::Kind::kRegistered, {}, params->bundle);  // may make it Running
  }
  protocol::RegisterResult r;
  r.generation = s.generation;
  r.tool_count = static_cast<int64_t>(params->tools.size());
  s.Send(protocol::EncodeResult(env.id, protocol::ToJson(r)));
  log().Info(kLogComponent, "deployment=", s.identity.deployment_id, " registered ", r.tool_count,
             " tools (generation ", r.generation, ")");
  if (first_register) SendWebhooksConfig(s);
}

void HubCore::OnHeartbeat(Session& s, const protocol::Envelope& env) {
  auto params = protocol::ParseHeartbeatParams(env.params);
  if (!params.ok()) {
    SendError(s, env.id, protocol::kInvalidParams, std::string(ToStd(params.status().message())),
              ParamData(params.status()));
    return;
  }
  const int64_t wall = WallNowMs();
  s.last_status_json = params->status_json.empty() ? "{}" : params->status_json;
  // A connector reporting a drain in its heartbeat stops receiving calls even if its notice was lost.
  if (params->status.state == "draining" && s.state == SessionState::kServing) s.state = SessionState::kDraining;
  if (s.identity.connector_id.empty()) {
    directory_->RecordHeartbeat(s.identity.deployment_id, wall, s.last_status_json);
  } else {
    ReportCloudEvent(s, CloudSessionEvent::Kind::kHeartbeat);
  }
  if (params->status.relay) ReportRelay(s, params->status.relay);  // webhooks: only a change is recorded
  protocol::HeartbeatResult r;
  r.seq = params->seq;
  r.server_time_ms = wall;
  s.Send(protocol::EncodeResult(env.id, protocol::ToJson(r)));
}

void HubCore::OnNotification(Session& s, const protocol::Envelope& env) {
  if (env.method == protocol::method::kProgress) {
    OnProgress(s, env);
  } else if (env.method == protocol::method::kDraining) {
    if (s.state != SessionState::kEnded && s.state != SessionState::kDraining) {
      s.state = SessionState::kDraining;
      log().Info(kLogComponent, "deployment=", s.identity.deployment_id, " is draining: no new calls (",
                 s.invokes_outstanding, " in flight)");
    }
  } else {
    log().Debug(kLogComponent, "deployment=", s.identity.deployment_id, ": ignored notification ", env.method);
  }
}

void HubCore::OnResponse(Session& s, const protocol::Envelope& env) {
  auto it = s.outstanding.find(env.id);
  if (it == s.outstanding.end()) {
    auto hb = std::find(s.heartbeat_ids.begin(), s.heartbeat_ids.end(), env.id);
    if (hb != s.heartbeat_ids.end()) {
      s.heartbeat_ids.erase(hb);
      return;
    }
    log().Warn(kLogComponent, "deployment=", s.identity.deployment_id, ": response to unknown id ", env.id,
               " dropped");
    return;
  }
  const std::string call_id = std::move(it->second.call_id);
  s.outstanding.erase(it);
  OnInvokeResponse(s, call_id, env);
}

void HubCore::SendPlatformHeartbeat(Session& s, int64_t now_mono) {
  std::string id = s.NextRequestId();
  protocol::PlatformHeartbeatParams p;
  p.seq = ++s.heartbeat_seq;
  p.server_time_ms = WallNowMs();
  s.Send(protocol::EncodeRequest(id, protocol::method::kHeartbeat, protocol::ToJson(p)));
  s.heartbeat_ids.push_back(std::move(id));
  if (s.heartbeat_ids.size() > kHeartbeatIdsKept) s.heartbeat_ids.pop_front();
  s.next_heartbeat_mono_ms = now_mono + options_.heartbeat_interval_ms;
}

// ---- Webhooks (docs/webhook-relay.md section 3) ---------------------------------------------------------------

void HubCore::OnWebhookRelay(Session& s, const protocol::Envelope& env) {
  auto params = protocol::ParseWebhookRelayParams(env.params);
  if (!params.ok()) {
    SendError(s, env.id, protocol::kInvalidParams, std::string(ToStd(params.status().message())),
              ParamData(params.status()));
    return;
  }
  absl::StatusOr<std::string> stored = directory_->StoreWebhookDelivery(s.identity.deployment_id, *params);
  if (!stored.ok()) {
    log().Warn(kLogComponent, "deployment=", s.identity.deployment_id, ": webhook delivery ", params->delivery_id,
               " not stored: ", stored.status().message());
    // -32602 makes the connector dead-letter it; anything else is retried after a reconnect.
    const bool invalid = absl::IsInvalidArgument(stored.status());
    std::string data;
    if (invalid) protocol::JsonWriter(data).BeginObject().Key("param").String("/webhookId").EndObject();
    SendError(s, env.id, invalid ? protocol::kInvalidParams : protocol::kInternalError,
              std::string(ToStd(stored.status().message())), std::move(data));
    return;
  }
  protocol::WebhookRelayResult r;
  r.delivery_id = params->delivery_id;
  r.status = *std::move(stored);
  s.Send(protocol::EncodeResult(env.id, protocol::ToJson(r)));
}

void HubCore::SendWebhooksConfig(Session& s) {
  s.Send(protocol::EncodeNotification(protocol::kMethodWebhooksConfig,
                                      protocol::ToJson(directory_->WebhooksConfigFor(s.identity.deployment_id))));
}

void HubCore::ReportRelay(Session& s, const std::optional<protocol::RelayInfo>& relay) {
  const bool same = s.relay_reported.has_value() == relay.has_value() &&
                    (!relay || (relay->url == s.relay_reported->url && relay->mode == s.relay_reported->mode));
  if (same) return;
  s.relay_reported = relay;
  directory_->RecordRelay(s.identity.deployment_id, s.identity.connector_id.empty() ? "self" : s.identity.connector_id,
                          relay.value_or(protocol::RelayInfo{}));
}

int HubCore::NotifyWebhooksChanged(std::string_view deployment_id) {
  std::string message;
  int sent = 0;
  for (auto& [ptr, session] : sessions_) {
    Session& s = *session;
    // Unregistered sessions get the list right after their first tools.register.
    if (s.identity.deployment_id != deployment_id || s.state == SessionState::kEnded || !s.registered) continue;
    if (message.empty()) {
      message = protocol::EncodeNotification(protocol::kMethodWebhooksConfig,
                                             protocol::ToJson(directory_->WebhooksConfigFor(deployment_id)));
    }
    s.Send(message);
    ++sent;
  }
  return sent;
}

}  // namespace edge::platform::rpc_internal
