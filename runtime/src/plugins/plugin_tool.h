// plugins/plugin_tool.h: the Tool a plugin's descriptor becomes.
//
// Invoke validates the arguments against the inputSchema (the plugin never sees invalid ones), runs the
// plugin's invoke with a fresh HostCall, and maps the outcome: EDGE_STATUS_OK gives the written result
// (checked against the outputSchema), CANCELLED a Cancelled status, anything else an Internal error quoting
// the plugin's set_error message. The tool holds its PluginInstance, keeping the library loaded.
#ifndef EDGE_RUNTIME_PLUGINS_PLUGIN_TOOL_H_
#define EDGE_RUNTIME_PLUGINS_PLUGIN_TOOL_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "edge/runtime/tool.h"
#include "plugins/descriptor.h"
#include "plugins/plugin_instance.h"

namespace edge::runtime::plugins {

struct ToolCallOptions {
  bool validate_arguments = true;
  bool validate_output = true;
  size_t max_result_bytes = 4 * 1024 * 1024;
};

class PluginTool final : public Tool {
 public:
  PluginTool(std::shared_ptr<PluginInstance> instance, CheckedTool tool, ToolCallOptions options);

  const ToolDescriptor& descriptor() const override { return tool_.descriptor; }
  std::string source() const override { return instance_->label(); }
  absl::StatusOr<ToolResult> Invoke(std::string_view args_json, const CallContext& context,
                                    CallControl& control) const override;

 private:
  absl::StatusOr<ToolResult> Finish(edge_status status, HostCall& call) const;

  std::shared_ptr<PluginInstance> instance_;
  CheckedTool tool_;
  ToolCallOptions options_;
};

// "EDGE_STATUS_INTERNAL", or "status 42" for a code this host does not know.
std::string EdgeStatusName(edge_status status);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_PLUGIN_TOOL_H_
