// BuiltinTool: schema-checked in-process tools.
#include "diagnostics/builtin_tool.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "edge/runtime/log.h"

namespace edge::runtime::diagnostics {
namespace {

absl::StatusOr<std::shared_ptr<const plugins::JsonSchema>> CompileObject(const std::string& tool,
                                                                         std::string_view field,
                                                                         std::string_view json) {
  absl::StatusOr<std::shared_ptr<const plugins::JsonSchema>> schema = plugins::JsonSchema::Compile(json);
  if (!schema.ok()) {
    return absl::InternalError(
        absl::StrCat("builtin tool '", tool, "': ", ToAbsl(field), " ", schema.status().message()));
  }
  if ((*schema)->root_type() != "object") {
    return absl::InternalError(absl::StrCat("builtin tool '", tool, "': ", ToAbsl(field), " root type must be object"));
  }
  return schema;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const Tool>> BuiltinTool::Create(ToolDescriptor descriptor, BuiltinHandler handler) {
  std::shared_ptr<BuiltinTool> tool(new BuiltinTool());
  auto input = CompileObject(descriptor.name, "inputSchema", descriptor.input_schema);
  if (!input.ok()) return input.status();
  tool->input_schema_ = *std::move(input);
  if (!descriptor.output_schema.empty()) {
    auto output = CompileObject(descriptor.name, "outputSchema", descriptor.output_schema);
    if (!output.ok()) return output.status();
    tool->output_schema_ = *std::move(output);
  }
  tool->descriptor_ = std::move(descriptor);
  tool->handler_ = std::move(handler);
  return std::shared_ptr<const Tool>(std::move(tool));
}

absl::StatusOr<ToolResult> BuiltinTool::Invoke(std::string_view args_json, const CallContext& context,
                                               CallControl& control) const {
  const std::string& name = descriptor_.name;
  rapidjson::Document args;
  if (absl::Status s = plugins::ParseAndValidateArguments(name, args_json, input_schema_.get(), args); !s.ok()) {
    return s;
  }
  absl::StatusOr<ToolResult> result;
  try {
    result = handler_(args, context, control);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("builtin tool '", name, "' failed: ", e.what()));
  }
  if (!result.ok() || !result->structured_json || result->is_error || output_schema_ == nullptr) return result;
  rapidjson::Document out;
  absl::Status parsed = plugins::ParseJson(*result->structured_json, out);
  std::optional<plugins::SchemaViolation> v =
      parsed.ok() ? output_schema_->Check(out) : plugins::SchemaViolation{"", std::string(parsed.message())};
  if (v) {
    return absl::InternalError(absl::StrCat("tool '", name, "' returned structuredContent that violates its ",
                                            "outputSchema: ", v->ToString(), ": this is a connector bug; report it"));
  }
  return result;
}

}  // namespace edge::runtime::diagnostics
