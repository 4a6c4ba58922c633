// bundles/plugin_options.h: how a plugin file is configured, shared by the daemon's directory loading and by
// bundle generations: its configuration is the JSON file beside it with the same stem (`sqlite_query.so` ->
// `sqlite_query.json`, none: `{}`), and its writable data directory is `<data root>/<stem>` (created).
#ifndef EDGE_RUNTIME_BUNDLES_PLUGIN_OPTIONS_H_
#define EDGE_RUNTIME_BUNDLES_PLUGIN_OPTIONS_H_

#include <filesystem>

#include "absl/status/statusor.h"
#include "edge/runtime/plugin_host.h"

namespace edge::runtime::bundles {

absl::StatusOr<PluginLoadOptions> PluginOptionsFor(const std::filesystem::path& plugin_file,
                                                   const std::filesystem::path& data_root);

}  // namespace edge::runtime::bundles

#endif  // EDGE_RUNTIME_BUNDLES_PLUGIN_OPTIONS_H_
