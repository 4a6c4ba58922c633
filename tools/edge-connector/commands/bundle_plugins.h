// commands/bundle_plugins.h: the plugin side of `package`: finding the built plugins of an implementations
// directory, running the packaging checks on each, and discovering their tools by loading them through the
// real plugin host (the descriptors a connector will see, byte for byte).
#ifndef EDGE_CLI_COMMANDS_BUNDLE_PLUGINS_H_
#define EDGE_CLI_COMMANDS_BUNDLE_PLUGINS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace edge::cli {

// One plugin to package: `<dir>/<file>` or `<dir>/tools/<file>`, with its optional `<stem>.json` beside it.
struct PluginSource {
  std::filesystem::path library;
  std::optional<std::filesystem::path> config;
  std::string file_name;  // the library's name, as it will appear under dist/tools/
};

// Every *.so in `dir` and in `dir/tools` (non-recursive; symlinks followed), sorted by file name. Errors name
// the fix: NotFound when `dir` is not a directory; InvalidArgument for no plugin at all or the same file name
// in both places.
absl::StatusOr<std::vector<PluginSource>> CollectPlugins(const std::filesystem::path& dir);

// One plugin staged under dist/tools/, with the configuration text it is loaded with ("{}" when none).
struct StagedPlugin {
  std::filesystem::path source;  // where it came from (for messages)
  std::filesystem::path staged;  // dist/tools/<file>
  std::string relative_path;     // "tools/<file>"
  std::string config_json = "{}";
};

// Runs the packaging checks (harness::ConformanceOptions::packaging_only: load, descriptors, shutdown) on
// each plugin, each in a forked child. The first failure is a FailedPrecondition naming the plugin, the check
// and its message. Call it before this process starts any thread (fork).
absl::Status CheckPlugins(const std::vector<StagedPlugin>& plugins,
                          const std::function<void(std::string_view)>& on_status);

// What loading a plugin through the host reported.
struct DiscoveredTool {
  std::string name;
  std::string plugin;          // the plugin's own name
  std::string plugin_version;
  std::string relative_path;   // "tools/<file>"
  std::string descriptor_json; // runtime::ToolDescriptor::ToJson(), what the connector will compare
};
struct Discovery {
  std::vector<DiscoveredTool> tools;  // sorted by name
  uint32_t abi_minor = 0;             // the highest minor any plugin negotiated
};

// Loads every plugin in this process (after CheckPlugins: loading starts threads) and collects its tools.
// Two plugins declaring the same tool name is an InvalidArgument naming both files.
absl::StatusOr<Discovery> DiscoverTools(const std::vector<StagedPlugin>& plugins);

}  // namespace edge::cli

#endif  // EDGE_CLI_COMMANDS_BUNDLE_PLUGINS_H_
