// The /statusz document (shape documented in docs/daemon.md; read by `edge-connector status`).
#include "daemon/statusz.h"

#include <unistd.h>

#include "edge/protocol/json_writer.h"

namespace edge::runtime {
namespace {

void TimeOrNull(protocol::JsonWriter& w, const std::optional<absl::Time>& t) {
  if (t) {
    w.Int(absl::ToUnixMillis(*t));
  } else {
    w.Null();
  }
}

void StringOrNull(protocol::JsonWriter& w, const std::string& s) {
  if (s.empty()) {
    w.Null();
  } else {
    w.String(s);
  }
}

void WriteBundle(protocol::JsonWriter& w, const BundleStatusz& b) {
  const bundles::ServingView& v = b.serving;
  const bool has_id = v.identity.has_value() && !v.identity->bundle_id.empty();
  w.BeginObject();
  w.Key("id");
  StringOrNull(w, has_id ? v.identity->bundle_id : "");
  w.Key("version");
  if (has_id) {
    w.Int(v.identity->version);
  } else {
    w.Null();
  }
  w.Key("checksum");
  StringOrNull(w, v.identity ? v.identity->checksum : "");
  w.Key("generation");
  StringOrNull(w, v.generation);
  w.Key("source").String(v.source);
  const bundles::BundleSyncStatus& s = b.sync;
  w.Key("sync").BeginObject();
  w.Key("state").String(b.sync_enabled ? s.state : "disabled");
  if (!b.sync_enabled) w.Key("disabledReason").String(b.sync_disabled_reason);
  w.Key("lastCheckAtMs");
  TimeOrNull(w, s.last_check_at);
  w.Key("lastSyncAtMs");
  TimeOrNull(w, s.last_sync_at);
  w.Key("nextCheckAtMs");
  TimeOrNull(w, s.next_check_at);
  w.Key("lastError").String(s.last_error);
  w.Key("swaps").Uint(s.swaps).Key("failures").Uint(s.failures);
  w.Key("lastSwapMs");
  if (s.last_swap_ms) {
    w.Int(*s.last_swap_ms);
  } else {
    w.Null();
  }
  w.Key("retiringGenerations").BeginArray();
  for (const bundles::RetiringGeneration& r : v.retiring) {
    w.BeginObject().Key("generation").String(r.generation).Key("sinceMs").Int(absl::ToUnixMillis(r.since));
    w.EndObject();
  }
  w.EndArray();
  w.Key("unloadedGenerations").Uint(v.unloaded);
  w.EndObject();
  w.EndObject();
}

// docs/webhook-relay.md §2: {enabled, mode, listen, url, queue: {deliveries, bytes}, delivered, deadLettered,
// lastError}; mode, listen and url are null when unknown (relay off, or not listening).
void WriteRelay(protocol::JsonWriter& w, const relay::RelayStatus& r) {
  w.BeginObject().Key("enabled").Bool(r.enabled);
  w.Key("mode");
  StringOrNull(w, r.mode);
  w.Key("listen");
  StringOrNull(w, r.listen);
  w.Key("url");
  StringOrNull(w, r.url);
  w.Key("queue").BeginObject().Key("deliveries").Int(r.queue_deliveries).Key("bytes").Int(r.queue_bytes).EndObject();
  w.Key("delivered").Uint(r.delivered).Key("deadLettered").Int(r.dead_lettered);
  w.Key("lastError").String(r.last_error);
  w.EndObject();
}

}  // namespace

std::string StatuszJson(const StatuszInputs& in) {
  std::string out;
  protocol::JsonWriter w(out);
  const absl::Time now = absl::Now();
  w.BeginObject();
  w.Key("state").String(in.state).Key("ready").Bool(in.ready).Key("readyReason").String(in.ready_reason);
  w.Key("version").String(in.version).Key("instanceId").String(in.instance_id);
  w.Key("pid").Int(static_cast<int64_t>(getpid()));
  w.Key("uptimeMs").Int(absl::ToInt64Milliseconds(now - in.started_at));
  w.Key("rssBytes").Int(ProcessRssBytes());

  const LinkStatus& l = in.link;
  w.Key("link").BeginObject();
  w.Key("state").String(LinkStateName(l.state)).Key("registered").Bool(l.registered);
  w.Key("url").String(l.url).Key("sessionId").String(l.session_id);
  w.Key("orgId").String(l.org_id).Key("deploymentId").String(l.deployment_id);
  w.Key("connectedSinceMs");
  TimeOrNull(w, l.connected_since);
  w.Key("lastHeartbeatAckMs");
  TimeOrNull(w, l.last_heartbeat_ack);
  w.Key("lastPlatformHeartbeatMs");
  TimeOrNull(w, l.last_platform_heartbeat);
  w.Key("reconnects").Int(l.reconnects).Key("connectAttempts").Int(l.connect_attempts);
  w.Key("lastError").String(l.last_error);
  w.Key("nextAttemptInMs");
  if (l.next_attempt_at && *l.next_attempt_at > now) {
    w.Int(absl::ToInt64Milliseconds(*l.next_attempt_at - now));
  } else {
    w.Null();
  }
  w.Key("registeredGeneration").Uint(l.registered_generation);
  w.EndObject();

  w.Key("tools").BeginObject();
  std::shared_ptr<const ToolRegistry> registry = in.catalog ? in.catalog->Current() : nullptr;
  w.Key("generation").Uint(in.catalog ? in.catalog->generation() : 0);
  w.Key("count").Int(registry ? static_cast<int64_t>(registry->tools().size()) : 0);
  w.Key("names").BeginArray();
  if (registry) {
    for (const auto& tool : registry->tools()) w.String(tool->descriptor().name);
  }
  w.EndArray().EndObject();
  w.Key("bundle");
  if (in.bundle) {
    WriteBundle(w, *in.bundle);
  } else {
    w.Null();
  }

  const ExecutorStats& c = in.calls;
  w.Key("calls").BeginObject();
  w.Key("inFlight").Int(l.in_flight).Key("running").Int(c.running).Key("queued").Int(c.queued);
  w.Key("abandoned").Int(c.abandoned).Key("completed").Uint(c.completed).Key("failed").Uint(c.failed);
  w.Key("timedOut").Uint(c.timed_out).Key("cancelled").Uint(c.cancelled);
  w.Key("rejectedOverloaded").Uint(c.rejected_overloaded).Key("lateResults").Uint(c.late_results);
  w.EndObject();
  w.Key("relay");
  WriteRelay(w, in.relay);
  w.EndObject();
  return out;
}

}  // namespace edge::runtime
