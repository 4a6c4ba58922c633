// Shared JSON views.
#include "api/views.h"

namespace edge::platform::api {

void WriteConnection(protocol::JsonWriter& w, const ConnectionInfo& c) {
  w.BeginObject();
  w.Key("deploymentId").String(c.deployment_id).Key("orgId").String(c.org_id);
  w.Key("kind").String(c.connector_id.empty() ? "self-hosted" : "cloud");
  w.Key("connectorId").String(c.connector_id.empty() ? "self" : c.connector_id);
  w.Key("sessionId").String(c.session_id).Key("state").String(c.state);
  w.Key("version").String(c.connector_version).Key("connectorType").String(c.connector_type);
  w.Key("instanceId").String(c.instance_id).Key("hostname").String(c.hostname).Key("auth").String(c.auth);
  w.Key("connectedAtMs").Int(c.connected_at_ms).Key("lastSeenMs").Int(c.last_seen_ms);
  w.Key("generation").Uint(c.generation);
  w.Key("tools").BeginArray();
  for (const std::string& t : c.tools) w.String(t);
  w.EndArray();
  w.Key("inFlight").Int(c.in_flight);
  // The hub keeps the heartbeat's status as validated JSON text.
  w.Key("status").Raw(c.last_status_json.empty() ? "{}" : c.last_status_json);
  w.EndObject();
}

void WriteDeploymentFields(protocol::JsonWriter& w, const store::Deployment& d,
                           const std::optional<ConnectionInfo>& live) {
  w.BeginObject();
  w.Key("id").String(d.id).Key("name").String(d.name).Key("orgId").String(d.org_id);
  w.Key("status").String(live ? "online" : "offline");
  w.Key("lastSeenMs").Int(live ? std::max(live->last_seen_ms, d.last_seen_ms) : d.last_seen_ms);
  w.Key("activeConnectors").Int(live ? 1 : 0);
  w.Key("toolCount").Int(live ? static_cast<int64_t>(live->tools.size()) : d.tool_count);
  w.Key("createdAtMs").Int(d.created_at_ms).Key("secretRotatedAtMs").Int(d.secret_rotated_at_ms);
}

}  // namespace edge::platform::api
