// PluginTool: argument validation, the invoke call across the ABI, and status/result mapping.
#include "plugins/plugin_tool.h"

#include <rapidjson/document.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "plugins/host_api.h"
#include "plugins/schema.h"
#include "plugins/text_checks.h"

namespace edge::runtime::plugins {
namespace {

edge_str Str(std::string_view s) { return edge_str{s.data(), s.size()}; }

// Scratch space for the per-call parse of arguments and results: small documents, and the parser's stacks,
// live in this buffer without touching the heap (the pool falls back to malloc only beyond it).
constexpr size_t kParseBufferBytes = 4096;

// The usual case for a structured result: simdjson's quick parse and the schema's quick check vouch for it.
bool SurelyValidOutput(const JsonSchema& schema, std::string_view structured_json) {
  if (!schema.has_quick_check()) return false;
  const simdjson::dom::element* root = QuickParseObject(structured_json);
  return root != nullptr && schema.SurelyAccepts(*root);
}

}  // namespace

std::string EdgeStatusName(edge_status status) {
  switch (status) {
    case EDGE_STATUS_OK:
      return "EDGE_STATUS_OK";
    case EDGE_STATUS_UNSUPPORTED_ABI:
      return "EDGE_STATUS_UNSUPPORTED_ABI";
    case EDGE_STATUS_INVALID_ARGUMENT:
      return "EDGE_STATUS_INVALID_ARGUMENT";
    case EDGE_STATUS_INIT_FAILED:
      return "EDGE_STATUS_INIT_FAILED";
    case EDGE_STATUS_TOOL_NOT_FOUND:
      return "EDGE_STATUS_TOOL_NOT_FOUND";
    case EDGE_STATUS_INTERNAL:
      return "EDGE_STATUS_INTERNAL";
    case EDGE_STATUS_CANCELLED:
      return "EDGE_STATUS_CANCELLED";
    case EDGE_STATUS_OUT_OF_MEMORY:
      return "EDGE_STATUS_OUT_OF_MEMORY";
    case EDGE_STATUS_RESULT_TOO_LARGE:
      return "EDGE_STATUS_RESULT_TOO_LARGE";
    case EDGE_STATUS_BAD_STATE:
      return "EDGE_STATUS_BAD_STATE";
  }
  return absl::StrCat("status ", status);
}

PluginTool::PluginTool(std::shared_ptr<PluginInstance> instance, CheckedTool tool, ToolCallOptions options)
    : instance_(std::move(instance)), tool_(std::move(tool)), options_(options) {}

absl::StatusOr<ToolResult> PluginTool::Invoke(std::string_view args_json, const CallContext& context,
                                              CallControl& control) const {
  const std::string& name = tool_.descriptor.name;
  if (options_.validate_arguments) {
    if (absl::Status s = ValidateArguments(name, args_json, tool_.input_schema.get()); !s.ok()) {
      return s;
    }
  }
  args_json = ArgumentsOrEmptyObject(args_json);

  edge_call_context_v1 ctx{};
  ctx.struct_size = sizeof(ctx);
  ctx.call_id = Str(context.call_id);
  ctx.tool_name = Str(name);
  ctx.user_id = Str(context.user_id);
  ctx.org_id = Str(context.org_id);
  ctx.deployment_id = Str(context.deployment_id);
  ctx.hostname = Str(context.hostname);
  ctx.platform = Str(context.platform);

  HostCall call(instance_->host(), &control, options_.max_result_bytes);
  edge_status status = EDGE_STATUS_INTERNAL;
  {
    CurrentCallScope current(&call);
    try {
      status = instance_->api().invoke(instance_->state(), tool_.index, Str(args_json), &ctx, call.handle());
    } catch (...) {
      return absl::InternalError(absl::StrCat("tool '", name,
                                              "' threw an exception across the C ABI: catch "
                                              "everything inside invoke (the C++ SDK does this for you)"));
    }
  }
  call.Complete();
  return Finish(status, call);
}

absl::StatusOr<ToolResult> PluginTool::Finish(edge_status status, HostCall& call) const {
  const std::string& name = tool_.descriptor.name;
  const absl::string_view why =
      call.error().empty() ? absl::string_view("no reason given (the plugin did not call set_error)") : call.error();
  if (call.overflowed()) {
    // Whatever the plugin returned, part of its result was refused: never deliver a truncated result.
    return absl::InternalError(absl::StrCat("tool '", name, "' produced a result larger than the limit of ",
                                            call.max_result_bytes(),
                                            " bytes (max_result_bytes): return less data, e.g. page the output"));
  }
  switch (status) {
    case EDGE_STATUS_OK:
      break;
    case EDGE_STATUS_CANCELLED:
      return absl::CancelledError(absl::StrCat("tool '", name, "' stopped because the call was cancelled",
                                               call.error().empty() ? "" : ": ", call.error()));
    case EDGE_STATUS_INVALID_ARGUMENT:
      return absl::InvalidArgumentError(absl::StrCat("tool '", name, "' rejected its arguments: ", why));
    case EDGE_STATUS_UNSUPPORTED_ABI:
    case EDGE_STATUS_INIT_FAILED:
    case EDGE_STATUS_TOOL_NOT_FOUND:
    case EDGE_STATUS_INTERNAL:
    case EDGE_STATUS_OUT_OF_MEMORY:
    case EDGE_STATUS_RESULT_TOO_LARGE:
    case EDGE_STATUS_BAD_STATE:
      return absl::InternalError(absl::StrCat("tool '", name, "' failed with ", EdgeStatusName(status), ": ", why));
    default:
      return absl::UnknownError(
          absl::StrCat("tool '", name, "' failed with ", EdgeStatusName(status), " (unknown to this host): ", why));
  }
  ToolResult& result = call.result();
  if (result.text.empty() && !result.structured_json) {
    return absl::InternalError(absl::StrCat("tool '", name, "' returned EDGE_STATUS_OK without writing a result: ",
                                            "write at least one text item or structuredContent (for a tool-level "
                                            "error, write a message and set isError)"));
  }
  if (options_.validate_output && tool_.output_schema != nullptr && result.structured_json && !result.is_error &&
      !SurelyValidOutput(*tool_.output_schema, *result.structured_json)) {
    // Not settled by the quick check: parse with RapidJSON, and let valijson decide and explain.
    alignas(8) char buffer[kParseBufferBytes];
    ScratchPool pool(buffer, sizeof(buffer), kScratchChunkBytes);
    ScratchDocument doc(&pool, kScratchStackBytes, &pool);
    absl::Status parsed = ParseJson(*result.structured_json, doc);  // accepted by the writer, so this parses
    std::optional<SchemaViolation> v =
        parsed.ok() ? tool_.output_schema->Check(doc) : SchemaViolation{"", std::string(parsed.message())};
    if (v) {
      return absl::InternalError(
          absl::StrCat("tool '", name, "' returned structuredContent that violates its outputSchema: ", v->ToString(),
                       ": fix the tool or its outputSchema"));
    }
  }
  return std::move(result);
}

}  // namespace edge::runtime::plugins
