// The pure half of the executor hand-off: requests, progress coalescing and encoded completions.
#include "link/call_bridge.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "edge/protocol/errors.h"
#include "edge/protocol/json_writer.h"
#include "edge/protocol/protocol.h"

namespace edge::runtime::link {

std::optional<Progress> ProgressCoalescer::Offer(const Progress& progress, absl::Time now) {
  if (!last_sent_.has_value() || now - *last_sent_ >= interval_) {
    last_sent_ = now;
    pending_.reset();
    return progress;
  }
  pending_ = progress;
  return std::nullopt;
}

std::optional<Progress> ProgressCoalescer::TakeDue(absl::Time now) {
  if (!pending_.has_value() || (last_sent_.has_value() && now - *last_sent_ < interval_)) return std::nullopt;
  last_sent_ = now;
  return std::exchange(pending_, std::nullopt);
}

std::optional<Progress> ProgressCoalescer::TakePending() { return std::exchange(pending_, std::nullopt); }

std::optional<absl::Time> ProgressCoalescer::due() const {
  if (!pending_.has_value()) return std::nullopt;
  return last_sent_.has_value() ? *last_sent_ + interval_ : absl::InfinitePast();
}

CallRequest BuildCallRequest(protocol::InvokeParams params, std::string_view hostname, std::string_view platform) {
  CallRequest request;
  request.call_id = params.call_id;
  request.context.call_id = std::move(params.call_id);
  request.tool = std::move(params.tool);
  request.arguments_json = std::move(params.arguments_json);
  request.context.user_id = std::move(params.user_id);
  request.context.org_id = std::move(params.org_id);
  request.context.deployment_id = std::move(params.deployment_id);
  request.context.hostname = std::string(hostname);
  request.context.platform = std::string(platform);
  if (params.inactivity_ms.has_value()) request.inactivity_timeout = absl::Milliseconds(*params.inactivity_ms);
  if (params.max_duration_ms.has_value()) request.max_duration = absl::Milliseconds(*params.max_duration_ms);
  return request;
}

protocol::RpcError InvalidParamError(std::string message, std::string_view param) {
  protocol::RpcError error;
  error.code = protocol::kInvalidParams;
  error.message = std::move(message);
  protocol::JsonWriter w(error.data_json);
  w.BeginObject().Key("param").String(param).Key("status").String("INVALID_ARGUMENT").EndObject();
  return error;
}

std::string EncodeProgress(std::string_view call_id, const Progress& progress) {
  protocol::ProgressParams params;
  params.call_id = std::string(call_id);
  params.progress = progress.progress;
  if (progress.total > 0) params.total = progress.total;
  if (!progress.message.empty()) params.message = progress.message;
  return protocol::EncodeNotification(protocol::method::kProgress, protocol::ToJson(params));
}

std::string EncodeCompletion(std::string_view id, const CallOutcome& outcome, const CompletionContext& context) {
  std::string message;
  EncodeCompletionInto(id, outcome, context, message);
  return message;
}

bool EncodeCompletionInto(std::string_view id, const CallOutcome& outcome, const CompletionContext& context,
                          std::string& out) {
  if (!outcome.result.ok()) {
    protocol::ErrorMappingOptions mapping;
    mapping.tool = context.tool;
    mapping.overload_retry_after_ms = context.overload_retry_after_ms;
    mapping.running = context.running;
    mapping.queued = context.queued;
    out = protocol::EncodeError(id, protocol::ErrorFromStatus(outcome.result.status(), mapping));
    return false;
  }
  // protocol::EncodeResult's envelope, written around the result in one buffer (this runs once per call).
  out.clear();
  out.reserve(96 + id.size() + outcome.result->JsonSizeHint());
  out.append(R"({"jsonrpc":"2.0","id":)").append(id.empty() ? std::string_view("null") : id);
  out.append(R"(,"result":)");
  outcome.result->AppendJson(out);
  // AppendJson wrote one object; splice _meta in before its closing brace, then close the envelope.
  out.pop_back();
  absl::StrAppend(&out, ",\"_meta\":{\"elapsedMs\":", absl::ToInt64Milliseconds(outcome.elapsed), "}}}");
  if (out.size() <= context.max_message_bytes) return false;

  protocol::RpcError error;
  error.code = protocol::kToolFailed;
  error.message = absl::StrCat("the result of tool '", ToAbsl(context.tool), "' is ", out.size(),
                               " bytes, over the ", context.max_message_bytes,
                               "-byte message limit; return less data or move bulk data out of band");
  protocol::JsonWriter w(error.data_json);
  w.BeginObject().Key("reason").String("result_too_large").Key("status").String("INTERNAL").EndObject();
  out = protocol::EncodeError(id, error);
  return true;
}

}  // namespace edge::runtime::link
