// heartbeat in both directions (§4.6, §4.7) and the connector status snapshot it carries.
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {

using internal::ObjectReader;

std::string ToJson(const ConnectorStatus& s) {
  std::string out;
  out.reserve(384);
  JsonWriter w(out);
  w.BeginObject().Key("state").String(s.state);
  w.Key("calls").BeginObject().Key("running").Int(s.running).Key("queued").Int(s.queued);
  w.Key("abandoned").Int(s.abandoned).EndObject();
  w.Key("counters").BeginObject().Key("completed").Uint(s.completed).Key("failed").Uint(s.failed);
  w.Key("timedOut").Uint(s.timed_out).Key("cancelled").Uint(s.cancelled);
  w.Key("rejectedOverloaded").Uint(s.rejected_overloaded).Key("lateResults").Uint(s.late_results).EndObject();
  w.Key("toolsGeneration").Uint(s.tools_generation).Key("toolCount").Int(s.tool_count).Key("bundle");
  if (s.bundle.has_value()) {
    internal::WriteBundle(w, *s.bundle);
  } else {
    w.Null();  // §4.6: `{id, version, checksum}, or null`
  }
  w.Key("uptimeMs").Int(s.uptime_ms).Key("rssBytes").Int(s.rss_bytes).Key("reconnects").Int(s.reconnects);
  if (s.relay.has_value()) {
    w.Key("relay");
    internal::WriteRelay(w, *s.relay);
  }
  w.EndObject();
  return out;
}

std::string ToJson(const HeartbeatParams& p) {
  std::string out;
  out.reserve(448);
  JsonWriter w(out);
  w.BeginObject().Key("seq").Uint(p.seq).Key("sentAtMs").Int(p.sent_at_ms).Key("status").Raw(ToJson(p.status));
  w.EndObject();
  return out;
}

namespace {

absl::Status ReadStatus(const simdjson::dom::object& obj, std::string_view what, ConnectorStatus* s) {
  ObjectReader r(obj, what, "/status");
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("state", &s->state, 1));
  simdjson::dom::object sub;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("calls", true, &sub, &present));
  {
    ObjectReader c(sub, what, "/status/calls");
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Int("running", &s->running));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Int("queued", &s->queued));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Int("abandoned", &s->abandoned));
  }
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("counters", true, &sub, &present));
  {
    ObjectReader c(sub, what, "/status/counters");
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("completed", &s->completed));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("failed", &s->failed));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("timedOut", &s->timed_out));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("cancelled", &s->cancelled));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("rejectedOverloaded", &s->rejected_overloaded));
    EDGE_PROTOCOL_RETURN_IF_ERROR(c.Uint("lateResults", &s->late_results));
  }
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("toolsGeneration", &s->tools_generation));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("toolCount", &s->tool_count));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadBundle(r, "bundle", &s->bundle));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("uptimeMs", &s->uptime_ms));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("rssBytes", &s->rss_bytes));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("reconnects", &s->reconnects));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadRelay(r, "relay", &s->relay));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HeartbeatParams> ParseHeartbeatParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "heartbeat params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  HeartbeatParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("seq", &p.seq));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("sentAtMs", &p.sent_at_ms));
  simdjson::dom::element status_el;
  if (root.at_key("status").get(status_el) != simdjson::SUCCESS || status_el.is_null()) {
    return r.Error("status", "required object is missing");
  }
  simdjson::dom::object status;
  if (status_el.get_object().get(status) != simdjson::SUCCESS) return r.Error("status", "must be an object");
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadStatus(status, kWhat, &p.status));
  p.status_json = internal::RawText(status_el);
  return p;
}

std::string ToJson(const HeartbeatResult& r) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("seq").Uint(r.seq);
  // The connector's answer to a platform heartbeat is just {seq} (§4.7): 0 means "not set".
  if (r.server_time_ms != 0) w.Key("serverTimeMs").Int(r.server_time_ms);
  w.EndObject();
  return out;
}

absl::StatusOr<HeartbeatResult> ParseHeartbeatResult(std::string_view result_json) {
  constexpr std::string_view kWhat = "heartbeat result";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, result_json, &root));
  ObjectReader r(root, kWhat, "");
  HeartbeatResult h;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("seq", &h.seq));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptInt("serverTimeMs", &h.server_time_ms));
  return h;
}

std::string ToJson(const PlatformHeartbeatParams& p) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("seq").Uint(p.seq).Key("serverTimeMs").Int(p.server_time_ms).EndObject();
  return out;
}

absl::StatusOr<PlatformHeartbeatParams> ParsePlatformHeartbeatParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "heartbeat params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  PlatformHeartbeatParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("seq", &p.seq));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("serverTimeMs", &p.server_time_ms));
  return p;
}

}  // namespace edge::protocol
