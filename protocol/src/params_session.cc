// Session messages: connector.hello (§4.1), tools.register (§4.2), bundle.updated (§4.8), connector.draining
// (§4.9).
#include <set>

#include "absl/strings/str_cat.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {

using internal::ObjectReader;

std::string ToJson(const HelloParams& p) {
  std::string out;
  out.reserve(512);
  JsonWriter w(out);
  w.BeginObject().Key("protocolVersion").String(p.protocol_version);
  w.Key("connector").BeginObject().Key("name").String(p.name).Key("version").String(p.version);
  w.Key("type").String(p.type).Key("instanceId").String(p.instance_id).Key("hostname").String(p.hostname);
  w.Key("platform").String(p.platform).Key("pluginAbi").String(p.plugin_abi).EndObject();
  w.Key("limits").BeginObject().Key("maxConcurrentCalls").Int(p.max_concurrent_calls);
  w.Key("maxQueuedCalls").Int(p.max_queued_calls).Key("maxMessageBytes").Int(p.max_message_bytes).EndObject();
  w.Key("heartbeat");
  internal::WriteHeartbeatSettings(w, p.heartbeat);
  if (p.bundle.has_value()) {
    w.Key("bundle");
    internal::WriteBundle(w, *p.bundle);
  }
  if (p.relay.has_value()) {
    w.Key("relay");
    internal::WriteRelay(w, *p.relay);
  }
  w.EndObject();
  return out;
}

absl::StatusOr<HelloParams> ParseHelloParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "connector.hello params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  HelloParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("protocolVersion", &p.protocol_version, 1));

  simdjson::dom::object obj;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("connector", true, &obj, &present));
  ObjectReader c(obj, kWhat, "/connector");
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("name", &p.name));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("version", &p.version));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("type", &p.type, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("instanceId", &p.instance_id, 1, kMaxIdBytes));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("hostname", &p.hostname));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("platform", &p.platform));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("pluginAbi", &p.plugin_abi));

  simdjson::dom::object limits_obj;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("limits", true, &limits_obj, &present));
  ObjectReader l(limits_obj, kWhat, "/limits");
  EDGE_PROTOCOL_RETURN_IF_ERROR(l.Int("maxConcurrentCalls", &p.max_concurrent_calls));
  if (p.max_concurrent_calls <= 0) return l.Error("maxConcurrentCalls", "must be positive");
  EDGE_PROTOCOL_RETURN_IF_ERROR(l.Int("maxQueuedCalls", &p.max_queued_calls));
  if (p.max_queued_calls < 0) return l.Error("maxQueuedCalls", "must not be negative");
  EDGE_PROTOCOL_RETURN_IF_ERROR(l.Int("maxMessageBytes", &p.max_message_bytes));

  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadHeartbeatSettings(r, "heartbeat", &p.heartbeat));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadBundle(r, "bundle", &p.bundle));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadRelay(r, "relay", &p.relay));
  return p;
}

std::string ToJson(const HelloResult& r) {
  std::string out;
  out.reserve(320);
  JsonWriter w(out);
  w.BeginObject().Key("protocolVersion").String(r.protocol_version).Key("sessionId").String(r.session_id);
  w.Key("orgId").String(r.org_id).Key("deploymentId").String(r.deployment_id);
  w.Key("serverTimeMs").Int(r.server_time_ms).Key("heartbeat");
  internal::WriteHeartbeatSettings(w, r.heartbeat);
  w.Key("platform").BeginObject().Key("name").String(r.platform_name).Key("version").String(r.platform_version);
  w.EndObject().EndObject();
  return out;
}

absl::StatusOr<HelloResult> ParseHelloResult(std::string_view result_json) {
  constexpr std::string_view kWhat = "connector.hello result";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, result_json, &root));
  ObjectReader r(root, kWhat, "");
  HelloResult h;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("protocolVersion", &h.protocol_version, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("sessionId", &h.session_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("orgId", &h.org_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("deploymentId", &h.deployment_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("serverTimeMs", &h.server_time_ms));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadHeartbeatSettings(r, "heartbeat", &h.heartbeat));
  simdjson::dom::object obj;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("platform", true, &obj, &present));
  ObjectReader p(obj, kWhat, "/platform");
  EDGE_PROTOCOL_RETURN_IF_ERROR(p.String("name", &h.platform_name));
  EDGE_PROTOCOL_RETURN_IF_ERROR(p.String("version", &h.platform_version));
  return h;
}

std::string ToJson(const RegisterParams& p) {
  size_t size = 96;
  for (const auto& t : p.tools) size += t.descriptor_json.size() + 1;
  std::string out;
  out.reserve(size);
  JsonWriter w(out);
  w.BeginObject().Key("generation").Uint(p.generation).Key("bundle");
  if (p.bundle.has_value()) {
    internal::WriteBundle(w, *p.bundle);
  } else {
    w.Null();  // required field: null means built-ins and local implementations only
  }
  w.Key("tools").BeginArray();
  for (const auto& t : p.tools) w.Raw(t.descriptor_json);
  w.EndArray().EndObject();
  return out;
}

absl::StatusOr<RegisterParams> ParseRegisterParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "tools.register params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  RegisterParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("generation", &p.generation));
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ReadBundle(r, "bundle", &p.bundle));

  simdjson::dom::element tools_el;
  if (root.at_key("tools").get(tools_el) != simdjson::SUCCESS || tools_el.is_null()) {
    return r.Error("tools", "required array is missing (send [] to serve nothing)");
  }
  simdjson::dom::array tools;
  if (tools_el.get_array().get(tools) != simdjson::SUCCESS) return r.Error("tools", "must be an array");
  std::set<std::string, std::less<>> names;
  size_t index = 0;
  for (simdjson::dom::element tool : tools) {
    const std::string pointer = absl::StrCat("/tools/", index);
    simdjson::dom::object obj;
    if (tool.get_object().get(obj) != simdjson::SUCCESS) {
      return internal::FieldError(kWhat, pointer, "each tool must be an object (a ToolDescriptor)");
    }
    ObjectReader t(obj, kWhat, pointer);
    RegisteredTool rt;
    EDGE_PROTOCOL_RETURN_IF_ERROR(t.String("name", &rt.name, 1));
    if (!names.insert(rt.name).second) {
      return t.Error("name", absl::StrCat("duplicate tool name '", rt.name, "': tool names must be unique"));
    }
    simdjson::dom::object schema;
    bool present = false;
    EDGE_PROTOCOL_RETURN_IF_ERROR(t.Object("inputSchema", true, &schema, &present));
    simdjson::dom::element type;
    if (schema.at_key("type").get(type) == simdjson::SUCCESS) {
      std::string_view type_name;
      if (type.get_string().get(type_name) != simdjson::SUCCESS || type_name != "object") {
        return t.Error("inputSchema", "must be an object schema (\"type\": \"object\")");
      }
    }
    rt.descriptor_json = internal::RawText(tool);
    p.tools.push_back(std::move(rt));
    ++index;
  }
  return p;
}

std::string ToJson(const RegisterResult& r) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("generation").Uint(r.generation).Key("toolCount").Int(r.tool_count).EndObject();
  return out;
}

absl::StatusOr<RegisterResult> ParseRegisterResult(std::string_view result_json) {
  constexpr std::string_view kWhat = "tools.register result";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, result_json, &root));
  ObjectReader r(root, kWhat, "");
  RegisterResult result;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Uint("generation", &result.generation));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("toolCount", &result.tool_count));
  if (result.tool_count < 0) return r.Error("toolCount", "must not be negative");
  return result;
}

std::string ToJson(const BundleUpdatedParams& p) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("bundleId").String(p.bundle_id).Key("version").Int(p.version);
  w.Key("checksum").String(p.checksum).Key("reason").String(p.reason).EndObject();
  return out;
}

absl::StatusOr<BundleUpdatedParams> ParseBundleUpdatedParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "bundle.updated params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  BundleUpdatedParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("bundleId", &p.bundle_id, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("version", &p.version));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("checksum", &p.checksum, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("reason", &p.reason, 1));
  return p;
}

std::string ToJson(const DrainingParams& p) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("reason").String(p.reason).Key("graceMs").Int(p.grace_ms);
  w.Key("inFlight").Int(p.in_flight).EndObject();
  return out;
}

absl::StatusOr<DrainingParams> ParseDrainingParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "connector.draining params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  DrainingParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("reason", &p.reason, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("graceMs", &p.grace_ms));
  if (p.grace_ms < 0) return r.Error("graceMs", "must not be negative");
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Int("inFlight", &p.in_flight));
  if (p.in_flight < 0) return r.Error("inFlight", "must not be negative");
  return p;
}

}  // namespace edge::protocol
