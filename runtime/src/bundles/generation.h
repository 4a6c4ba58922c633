// bundles/generation.h: loading one installed generation (generations/<hex>) into a tool registry.
//
// Strict, unlike the daemon's loading of a hand-installed directory: every plugin the manifest names must hash
// to its manifest SHA-256, load and initialise; the tools served must be exactly the manifest's tools, with
// the same descriptors; and the registry (with the built-in diagnostics) must build. Any failure rejects the
// whole generation, naming the plugin and the host's reason, and the plugins loaded so far are released.
#ifndef EDGE_RUNTIME_BUNDLES_GENERATION_H_
#define EDGE_RUNTIME_BUNDLES_GENERATION_H_

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edge/bundle/manifest.h"
#include "edge/runtime/plugin_host.h"
#include "edge/runtime/tool.h"

namespace edge::runtime::bundles {

struct GenerationOptions {
  std::filesystem::path data_root;                    // <install>/data: plugin data dirs are <data_root>/<stem>
  std::vector<std::shared_ptr<const Tool>> builtins;  // served beside the generation's tools
};

struct LoadedGeneration {
  std::string hex;  // the directory name: the manifest checksum's hex
  bundle::Manifest manifest;
  std::vector<std::shared_ptr<LoadedPlugin>> plugins;
  std::shared_ptr<const ToolRegistry> registry;  // builtins + every manifest tool
  size_t plugin_tools = 0;
};

// `generation_dir` holds manifest.json and dist/ (an absolute, content-addressed path: plugins are loaded from it).
absl::StatusOr<LoadedGeneration> LoadGeneration(PluginHost& host, const std::filesystem::path& generation_dir,
                                                const GenerationOptions& options);

// Whether two descriptor JSON texts hold the same JSON value (member order and whitespace ignored).
bool SameJson(std::string_view a, std::string_view b);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_GENERATION_H_
