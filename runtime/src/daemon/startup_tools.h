// daemon/startup_tools.h: what the daemon serves before the link exists (so an offline start serves too).
//
// With bundle sync on, that is the installed generation `bundles/current`, loaded strictly (each plugin's
// SHA-256 re-checked against the manifest first); a generation that fails to load, or a deleted local
// manifest, leaves only the built-in tools until the sync installs a good generation. A hand-installed dist/
// (a real directory) and a customImplementationsPath are loaded leniently as before: a bad plugin is skipped.
#ifndef EDGE_RUNTIME_DAEMON_STARTUP_TOOLS_H_
#define EDGE_RUNTIME_DAEMON_STARTUP_TOOLS_H_

#include <filesystem>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "bundles/layout.h"
#include "bundles/swap.h"
#include "edge/runtime/log.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::runtime {

struct StartupToolsInputs {
  std::filesystem::path implementations_dir;
  std::filesystem::path data_root;                    // <install>/data
  const bundles::Layout* layout = nullptr;            // nullptr: bundle sync is off
  const bundles::RecoveryReport* recovery = nullptr;  // with `layout`
  std::vector<std::shared_ptr<const Tool>> builtins;
};

// Errors only for a tool set that cannot be built at all (two hand-installed plugins with one tool name).
absl::StatusOr<bundles::ServedGeneration> LoadStartupTools(PluginHost& host, const StartupToolsInputs& in,
                                                           Logger& logger);

}  // namespace edge::runtime

#endif  // EDGE_RUNTIME_DAEMON_STARTUP_TOOLS_H_
