// The status <-> RPC error mapping of docs/protocol.md §5.
#include "edge/protocol/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/json_writer.h"
#include "internal.h"
#include "simdjson.h"

namespace edge::protocol {
namespace {

using internal::ToAbsl;
using internal::ToStd;

// "inactivity"/"maxDuration" from the executor's timeout wording (runtime/src/calls/call_state.cc); "" when
// the message says neither.
std::string_view TimeoutKind(absl::string_view message) {
  if (absl::StrContains(message, "inactivity timeout")) return "inactivity";
  if (absl::StrContains(message, "maximum duration")) return "maxDuration";
  return "";
}

absl::StatusCode CodeFor(int code) {
  switch (code) {
    case kParseError:
    case kInvalidRequest:
    case kInvalidParams: return absl::StatusCode::kInvalidArgument;
    case kMethodNotFound: return absl::StatusCode::kUnimplemented;
    case kToolNotFound: return absl::StatusCode::kNotFound;
    case kTimeout: return absl::StatusCode::kDeadlineExceeded;
    case kCancelled: return absl::StatusCode::kCancelled;
    case kOverloaded: return absl::StatusCode::kResourceExhausted;
    case kConnectorUnavailable: return absl::StatusCode::kUnavailable;
    default: return absl::StatusCode::kInternal;  // -32603, -32002 and codes this version does not know
  }
}

// Looks up one top-level member of the error's data object.
bool FindData(const RpcError& error, std::string_view key, simdjson::dom::element* out) {
  if (error.data_json.empty()) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(error.data_json).get(root) != simdjson::SUCCESS) return false;
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return false;
  return obj.at_key(key).get(*out) == simdjson::SUCCESS;
}

}  // namespace

RpcError ErrorFromStatus(const absl::Status& status, const ErrorMappingOptions& options) {
  RpcError e;
  e.message = std::string(ToStd(status.message()));
  JsonWriter w(e.data_json);
  w.BeginObject().Key("status").String(ToStd(absl::StatusCodeToString(status.code())));
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: {
      e.code = kInvalidParams;
      if (auto field = status.GetPayload(kInvalidParamsFieldPayload); field.has_value()) {
        w.Key("field").String(std::string(*field));
      }
      if (auto param = status.GetPayload(kParamPointerPayload); param.has_value()) {
        w.Key("param").String(std::string(*param));
      }
      break;
    }
    case absl::StatusCode::kNotFound:
      e.code = kToolNotFound;
      if (!options.tool.empty()) w.Key("tool").String(options.tool);
      break;
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      e.code = kToolFailed;
      if (!options.tool_failed_reason.empty()) w.Key("reason").String(options.tool_failed_reason);
      break;
    case absl::StatusCode::kAlreadyExists:  // a callId already in flight (§7)
      e.code = kInvalidRequest;
      w.Key("reason").String("duplicate_call_id");
      break;
    case absl::StatusCode::kDeadlineExceeded: {
      e.code = kTimeout;
      std::string_view kind = TimeoutKind(status.message());
      if (!kind.empty()) w.Key("kind").String(kind);
      break;
    }
    case absl::StatusCode::kCancelled: e.code = kCancelled; break;
    case absl::StatusCode::kResourceExhausted:
      e.code = kOverloaded;
      w.Key("retryAfterMs").Int(options.overload_retry_after_ms).Key("running").Int(options.running);
      w.Key("queued").Int(options.queued);
      break;
    case absl::StatusCode::kUnavailable:
      e.code = kConnectorUnavailable;
      if (!options.unavailable_reason.empty()) w.Key("reason").String(options.unavailable_reason);
      break;
    default: e.code = kInternalError; break;
  }
  w.EndObject();
  return e;
}

absl::Status StatusFromError(const RpcError& error) {
  absl::StatusCode code = CodeFor(error.code);
  if (error.code == kInvalidRequest && ErrorDataString(error, "reason") == "duplicate_call_id") {
    code = absl::StatusCode::kAlreadyExists;
  }
  absl::Status s(code, ToAbsl(error.message));
  if (error.code == kInvalidParams) {
    simdjson::dom::element field;
    std::string_view pointer;
    if (FindData(error, "field", &field) && field.get_string().get(pointer) == simdjson::SUCCESS) {
      s.SetPayload(kInvalidParamsFieldPayload, absl::Cord(ToAbsl(pointer)));
    }
    simdjson::dom::element param;
    if (FindData(error, "param", &param) && param.get_string().get(pointer) == simdjson::SUCCESS) {
      s.SetPayload(kParamPointerPayload, absl::Cord(ToAbsl(pointer)));
    }
  }
  return s;
}

std::string ErrorDataString(const RpcError& error, std::string_view key) {
  simdjson::dom::element e;
  std::string_view v;
  if (!FindData(error, key, &e) || e.get_string().get(v) != simdjson::SUCCESS) return "";
  return std::string(v);
}

int64_t ErrorDataInt(const RpcError& error, std::string_view key, int64_t fallback) {
  simdjson::dom::element e;
  int64_t v = 0;
  if (!FindData(error, key, &e) || e.get_int64().get(v) != simdjson::SUCCESS) return fallback;
  return v;
}

}  // namespace edge::protocol
