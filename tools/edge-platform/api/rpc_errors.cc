// RPC error -> HTTP mapping (one table, documented in docs/api.md).
#include "api/rpc_errors.h"

#include "absl/strings/str_cat.h"
#include "edge/protocol/errors.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/protocol.h"

namespace edge::platform::api {

namespace {
struct Mapping {
  int code;
  std::string_view name;
  int http_status;
};
constexpr Mapping kMappings[] = {
    {protocol::kInvalidParams, "invalid_params", 400},
    {protocol::kToolNotFound, "tool_not_found", 404},
    {protocol::kToolFailed, "tool_failed", 502},
    {protocol::kTimeout, "timeout", 504},
    {protocol::kCancelled, "cancelled", 409},
    {protocol::kOverloaded, "overloaded", 429},
    {protocol::kConnectorUnavailable, "connector_unavailable", 503},
    // The caller's own mistake (e.g. a callId already in flight): not a server error.
    {protocol::kInvalidRequest, "invalid_request", 400},
    {protocol::kParseError, "parse_error", 500},
    {protocol::kMethodNotFound, "method_not_found", 500},
    {protocol::kInternalError, "internal", 500},
};
}  // namespace

std::string_view RpcErrorName(int code) {
  for (const Mapping& m : kMappings) {
    if (m.code == code) return m.name;
  }
  return "internal";
}

int HttpStatusForRpcError(int code) {
  for (const Mapping& m : kMappings) {
    if (m.code == code) return m.http_status;
  }
  return 500;
}

HttpResponse RpcErrorResponse(const protocol::RpcError& error, std::string_view call_id,
                              std::string_view deployment_id) {
  HttpResponse r;
  r.status = HttpStatusForRpcError(error.code);
  protocol::JsonWriter w(r.body);
  w.BeginObject().Key("error").BeginObject();
  w.Key("code").String(RpcErrorName(error.code)).Key("message").String(error.message);
  w.Key("rpcCode").Int(error.code);
  // data_json comes from the codec (validated) or from the hub itself.
  w.Key("details").Raw(error.data_json.empty() ? "{}" : error.data_json);
  w.EndObject();
  if (!call_id.empty()) w.Key("callId").String(call_id);
  if (!deployment_id.empty()) w.Key("deploymentId").String(deployment_id);
  w.EndObject();
  if (error.code == protocol::kOverloaded) {
    int64_t retry_ms = protocol::ErrorDataInt(error, "retryAfterMs", protocol::defaults::kOverloadRetryAfterMs);
    int64_t seconds = std::max<int64_t>(1, (retry_ms + 999) / 1000);
    r.headers.emplace_back("Retry-After", std::to_string(seconds));
  }
  return r;
}

}  // namespace edge::platform::api
