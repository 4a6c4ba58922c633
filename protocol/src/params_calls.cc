// Call messages: tool.invoke (§4.3) and its result, tool.cancel (§4.4), tool.progress (§4.5).
#include "absl/strings/str_cat.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {

using internal::ObjectReader;

namespace {

// callIds are ids: 1 to 128 bytes (§7).
absl::Status ReadCallId(const ObjectReader& r, std::string* out) {
  return r.String("callId", out, 1, kMaxIdBytes);
}

absl::Status ReadTimeout(const ObjectReader& r, std::string_view key, std::optional<int64_t>* out) {
  int64_t v = 0;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptInt(key, &v, &present));
  if (!present) return absl::OkStatus();
  if (v <= 0) return r.Error(key, absl::StrCat("must be a positive number of milliseconds, got ", v));
  *out = v;
  return absl::OkStatus();
}

}  // namespace

std::string ToJson(const InvokeParams& p) {
  std::string out;
  out.reserve(192 + p.arguments_json.size());
  JsonWriter w(out);
  w.BeginObject().Key("callId").String(p.call_id).Key("tool").String(p.tool);
  w.Key("arguments").Raw(p.arguments_json.empty() ? std::string_view("{}") : std::string_view(p.arguments_json));
  w.Key("context").BeginObject();
  if (!p.user_id.empty()) w.Key("userId").String(p.user_id);
  w.Key("orgId").String(p.org_id).Key("deploymentId").String(p.deployment_id).EndObject();
  if (p.inactivity_ms.has_value() || p.max_duration_ms.has_value()) {
    w.Key("timeouts").BeginObject();
    if (p.inactivity_ms.has_value()) w.Key("inactivityMs").Int(*p.inactivity_ms);
    if (p.max_duration_ms.has_value()) w.Key("maxDurationMs").Int(*p.max_duration_ms);
    w.EndObject();
  }
  w.EndObject();
  return out;
}

absl::StatusOr<InvokeParams> ParseInvokeParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "tool.invoke params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "", params_json);
  InvokeParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadCallId(r, &p.call_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.String("tool", &p.tool, 1));
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.RawObject("arguments", true, &p.arguments_json, &present));

  simdjson::dom::object obj;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("context", true, &obj, &present));
  ObjectReader c(obj, kWhat, "/context");
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.OptString("userId", &p.user_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("orgId", &p.org_id, 1));
  EDGE_PROTOCOL_RETURN_IF_ERROR(c.String("deploymentId", &p.deployment_id, 1));

  simdjson::dom::object timeouts_obj;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("timeouts", false, &timeouts_obj, &present));
  if (present) {
    ObjectReader t(timeouts_obj, kWhat, "/timeouts");
    EDGE_PROTOCOL_RETURN_IF_ERROR(ReadTimeout(t, "inactivityMs", &p.inactivity_ms));
    EDGE_PROTOCOL_RETURN_IF_ERROR(ReadTimeout(t, "maxDurationMs", &p.max_duration_ms));
  }
  return p;
}

absl::Status ValidateToolResult(std::string_view result_json) {
  constexpr std::string_view kWhat = "tool.invoke result";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, result_json, &root));
  ObjectReader r(root, kWhat, "");
  simdjson::dom::element content;
  if (root.at_key("content").get(content) != simdjson::SUCCESS || content.is_null()) {
    return r.Error("content", "required array is missing");
  }
  if (content.type() != simdjson::dom::element_type::ARRAY) return r.Error("content", "must be an array");
  bool is_error = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Bool("isError", &is_error));
  simdjson::dom::object structured;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Object("structuredContent", false, &structured, &present));
  return absl::OkStatus();
}

std::string ToJson(const CancelParams& p) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("callId").String(p.call_id).Key("reason").String(p.reason).EndObject();
  return out;
}

absl::StatusOr<CancelParams> ParseCancelParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "tool.cancel params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  CancelParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadCallId(r, &p.call_id));
  // The reason only feeds logs: a cancel without one must still cancel.
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptString("reason", &p.reason));
  return p;
}

std::string ToJson(const ProgressParams& p) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("callId").String(p.call_id).Key("progress");
  internal::WriteNumber(w, p.progress);
  if (p.total.has_value() && *p.total > 0) {  // <= 0 means unknown (§4.5)
    w.Key("total");
    internal::WriteNumber(w, *p.total);
  }
  if (p.message.has_value()) w.Key("message").String(*p.message);
  w.EndObject();
  return out;
}

absl::StatusOr<ProgressParams> ParseProgressParams(std::string_view params_json) {
  constexpr std::string_view kWhat = "tool.progress params";
  simdjson::dom::object root;
  EDGE_PROTOCOL_RETURN_IF_ERROR(internal::ParseObject(kWhat, params_json, &root));
  ObjectReader r(root, kWhat, "");
  ProgressParams p;
  EDGE_PROTOCOL_RETURN_IF_ERROR(ReadCallId(r, &p.call_id));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.Double("progress", &p.progress));
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptDouble("total", &p.total));
  std::string message;
  bool present = false;
  EDGE_PROTOCOL_RETURN_IF_ERROR(r.OptString("message", &message, &present));
  if (present) p.message = std::move(message);
  return p;
}

}  // namespace edge::protocol
