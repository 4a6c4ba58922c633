// `edge-connector test --list`: the plugin's tools, for people (text) or programs (--json, MCP-shaped).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "commands/commands.h"
#include "commands/test_command.h"
#include "edge/plugin.h"
#include "harness/json_util.h"

namespace edge::cli {
namespace {

std::string Annotations(const runtime::ToolDescriptor& d) {
  std::vector<std::string> parts;
  auto hint = [&](const char* name, const std::optional<bool>& v) {
    if (v) parts.push_back(absl::StrCat(name, "=", *v ? "true" : "false"));
  };
  hint("readOnlyHint", d.read_only_hint);
  hint("destructiveHint", d.destructive_hint);
  hint("idempotentHint", d.idempotent_hint);
  hint("openWorldHint", d.open_world_hint);
  return parts.empty() ? "(none)" : absl::StrJoin(parts, " ");
}

void PrintTool(const runtime::ToolDescriptor& d) {
  std::string out = absl::StrCat("\n", d.name);
  if (!d.title.empty()) absl::StrAppend(&out, " (", d.title, ")");
  absl::StrAppend(&out, "\n  description:     ", d.description);
  absl::StrAppend(&out, "\n  annotations:     ", Annotations(d));
  absl::StrAppend(&out, "\n  concurrency:     ",
                  d.concurrent ? "concurrent (calls may run in parallel)" : "serialized (one call at a time)");
  absl::StrAppend(&out, "\n  default timeout: ",
                  d.default_timeout > absl::ZeroDuration() ? absl::FormatDuration(d.default_timeout)
                                                           : std::string("host default"));
  absl::StrAppend(&out, "\n  inputSchema:\n", harness::PrettyJson(d.input_schema, "    "));
  absl::StrAppend(&out, "\n  outputSchema:", d.output_schema.empty() ? " (none)" : "\n");
  if (!d.output_schema.empty()) absl::StrAppend(&out, harness::PrettyJson(d.output_schema, "    "));
  if (d.examples.empty()) {
    absl::StrAppend(&out, "\n  examples:        (none)");
  } else {
    absl::StrAppend(&out, "\n  examples:");
    for (const auto& e : d.examples) absl::StrAppend(&out, "\n    ", e);
  }
  std::printf("%s\n", out.c_str());
}

}  // namespace

int RunTestList(const TestOptions& options) {
  auto session = harness::PluginSession::Open(options.plugin, options.session);
  if (!session.ok()) return ReportLoadError(session.status());
  const runtime::LoadedPlugin& plugin = (*session)->plugin();

  if (options.json) {
    std::string out = "{\"tools\":[";
    for (size_t i = 0; i < plugin.tools().size(); ++i) {
      absl::StrAppend(&out, i ? "," : "", plugin.tools()[i]->descriptor().ToJson());
    }
    out += "]}";
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("%s %s (ABI %d.%u), %zu tool(s), loaded from %s\n", plugin.name().c_str(), plugin.version().c_str(),
                EDGE_ABI_MAJOR, plugin.negotiated_minor(), plugin.tools().size(), plugin.path().c_str());
    for (const auto& tool : plugin.tools()) PrintTool(tool->descriptor());
  }
  return kExitOk;
}

}  // namespace edge::cli
