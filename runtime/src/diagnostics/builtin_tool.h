// diagnostics/builtin_tool.h: a Tool implemented inside the runtime (source "builtin").
//
// Built-in tools go through the same schema module as plugin tools: arguments are validated against the
// inputSchema before the handler runs, and structuredContent is checked against the outputSchema, so a
// built-in can never answer outside its contract.
#ifndef EDGE_RUNTIME_DIAGNOSTICS_BUILTIN_TOOL_H_
#define EDGE_RUNTIME_DIAGNOSTICS_BUILTIN_TOOL_H_

#include <rapidjson/document.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "edge/runtime/tool.h"
#include "plugins/schema.h"

namespace edge::runtime::diagnostics {

// Receives the validated arguments object.
using BuiltinHandler =
    std::function<absl::StatusOr<ToolResult>(const rapidjson::Value& args, const CallContext&, CallControl&)>;

class BuiltinTool final : public Tool {
 public:
  // Fails when a schema does not compile or its root is not an object (a programming error).
  static absl::StatusOr<std::shared_ptr<const Tool>> Create(ToolDescriptor descriptor, BuiltinHandler handler);

  const ToolDescriptor& descriptor() const override { return descriptor_; }
  std::string source() const override { return "builtin"; }
  absl::StatusOr<ToolResult> Invoke(std::string_view args_json, const CallContext& context,
                                    CallControl& control) const override;

 private:
  BuiltinTool() = default;
  ToolDescriptor descriptor_;
  BuiltinHandler handler_;
  std::shared_ptr<const plugins::JsonSchema> input_schema_;
  std::shared_ptr<const plugins::JsonSchema> output_schema_;
};

}  // namespace edge::runtime::diagnostics

#endif  // EDGE_RUNTIME_DIAGNOSTICS_BUILTIN_TOOL_H_
