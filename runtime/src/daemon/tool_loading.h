// daemon/tool_loading.h: what the daemon serves at startup: the built-in diagnostics plus every plugin in
// the implementations directory (and its tools/ subdirectory, the bundle layout).
//
// A plugin's configuration is the JSON file next to it with the same stem (`sqlite_query.so` ->
// `sqlite_query.json`), and its writable data directory is `<install>/data/<stem>`. A plugin that fails to
// load is logged with the host's reason and skipped: one bad plugin never keeps the others from serving.
#ifndef EDGE_RUNTIME_DAEMON_TOOL_LOADING_H_
#define EDGE_RUNTIME_DAEMON_TOOL_LOADING_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/runtime/diagnostics.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

struct LoadedTools {
  std::shared_ptr<const ToolRegistry> registry;
  std::vector<std::shared_ptr<LoadedPlugin>> plugins;
  std::vector<std::string> failures;  // "<file>: <reason>"
};

// The directory plugins are loaded from: customImplementationsPath, else <install>/dist.
std::filesystem::path ImplementationsDir(const std::string& install_dir, const std::string& custom_path);

absl::StatusOr<LoadedTools> LoadTools(PluginHost& host, const std::filesystem::path& implementations_dir,
                                      const std::filesystem::path& data_root, RuntimeStatusProvider status,
                                      Logger& logger);
// The same with the built-in tools already made (the daemon shares them with every bundle generation).
absl::StatusOr<LoadedTools> LoadToolsWith(PluginHost& host, const std::filesystem::path& implementations_dir,
                                          const std::filesystem::path& data_root,
                                          std::vector<std::shared_ptr<const Tool>> builtins, Logger& logger);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DAEMON_TOOL_LOADING_H_
