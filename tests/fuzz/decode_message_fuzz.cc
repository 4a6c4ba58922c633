// Fuzz target: one WebSocket message through DecodeMessage and then the typed params parser of whatever
// method it names. Any input must yield OK, DataLoss (parse error) or InvalidArgument, never a crash, a hang
// or another code; and a decoded envelope must re-encode to a message that decodes again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edge/protocol/messages.h"

namespace {

namespace p = edge::protocol;

void Check(const absl::Status& s) {
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument) std::abort();
}

void ParseParams(const p::Envelope& env) {
  const std::string_view m = env.method;
  if (m == p::method::kHello) Check(p::ParseHelloParams(env.params).status());
  else if (m == p::method::kRegister) Check(p::ParseRegisterParams(env.params).status());
  else if (m == p::method::kInvoke) Check(p::ParseInvokeParams(env.params).status());
  else if (m == p::method::kCancel) Check(p::ParseCancelParams(env.params).status());
  else if (m == p::method::kProgress) Check(p::ParseProgressParams(env.params).status());
  else if (m == p::method::kBundleUpdated) Check(p::ParseBundleUpdatedParams(env.params).status());
  else if (m == p::method::kDraining) Check(p::ParseDrainingParams(env.params).status());
  else if (m == p::method::kHeartbeat) {
    Check(p::ParseHeartbeatParams(env.params).status());
    Check(p::ParsePlatformHeartbeatParams(env.params).status());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<p::Envelope> env = p::DecodeMessage(input);
  if (!env.ok()) {
    if (env.status().code() != absl::StatusCode::kDataLoss) Check(env.status());
    (void)p::DecodeFailureId(env.status());
    return 0;
  }
  std::string again;
  switch (env->kind) {
    case p::MessageKind::kRequest:
      ParseParams(*env);
      again = p::EncodeRequest(env->id, env->method, env->params);
      break;
    case p::MessageKind::kNotification:
      ParseParams(*env);
      again = p::EncodeNotification(env->method, env->params);
      break;
    case p::MessageKind::kResult:
      Check(p::ValidateToolResult(env->result));
      Check(p::ParseHelloResult(env->result).status());
      Check(p::ParseRegisterResult(env->result).status());
      Check(p::ParseHeartbeatResult(env->result).status());
      again = p::EncodeResult(env->id, env->result);
      break;
    case p::MessageKind::kError:
      again = p::EncodeError(env->id, env->error);
      break;
  }
  // What the codec wrote from a decoded message must decode again (the writers splice raw text).
  if (!p::DecodeMessage(again).ok()) std::abort();
  return 0;
}
