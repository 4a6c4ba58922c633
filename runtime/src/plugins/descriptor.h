// plugins/descriptor.h: copies a plugin's tool descriptors into the host and checks them.
//
// A descriptor is accepted only when every rule of edge/plugin.h holds: the size-prefix rule, a name of
// [A-Za-z0-9_.-]{1,128} unique within the plugin, a description, an inputSchema that compiles and whose root
// type is "object", an optional outputSchema that compiles, and examples that form a JSON array of objects
// matching the inputSchema. Each error names the plugin, the tool and what to fix.
#ifndef EDGE_RUNTIME_PLUGINS_DESCRIPTOR_H_
#define EDGE_RUNTIME_PLUGINS_DESCRIPTOR_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/plugin.h"
#include "edge/runtime/tool.h"
#include "plugins/schema.h"

namespace edge::runtime::plugins {

struct CheckedTool {
  uint32_t index = 0;  // the plugin's tool index, passed back to invoke
  ToolDescriptor descriptor;
  std::shared_ptr<const JsonSchema> input_schema;
  std::shared_ptr<const JsonSchema> output_schema;  // null when the tool declares none
};

// Copies and checks one descriptor (`d` may be null: refused).
absl::StatusOr<CheckedTool> CheckDescriptor(std::string_view plugin, uint32_t index, const edge_tool_descriptor_v1* d);

// Reads every tool of an initialised instance through tool_count/tool_at and checks each, then rejects
// duplicate names.
absl::StatusOr<std::vector<CheckedTool>> ReadTools(std::string_view plugin, const edge_plugin_api_v1& api,
                                                   edge_plugin_module_ptr state);

}  // namespace edge::runtime::plugins

#endif  // EDGE_RUNTIME_PLUGINS_DESCRIPTOR_H_
