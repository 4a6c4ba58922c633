// Loading a generation: hash check, load, descriptor check, registry self-check.
#include "bundles/generation.h"

#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bundles/fs_util.h"
#include "bundles/plugin_options.h"
#include "edge/bundle/tree.h"
#include "edge/plugin.h"
#include "edge/runtime/log.h"
#include "rapidjson/document.h"

namespace edge::runtime::bundles {
namespace fs = std::filesystem;

bool SameJson(std::string_view a, std::string_view b) {
  rapidjson::Document da, db;
  da.Parse(a.data(), a.size());
  db.Parse(b.data(), b.size());
  if (da.HasParseError() || db.HasParseError()) return false;
  return da == db;  // rapidjson compares object members by name, in any order
}

namespace {

// Drops what was loaded so far; the plugins learn why in their shutdown.
void Release(std::vector<std::shared_ptr<LoadedPlugin>>& plugins) {
  for (const auto& plugin : plugins) plugin->SetShutdownReason(EDGE_SHUTDOWN_REASON_ERROR);
  plugins.clear();
}

absl::Status CheckPluginTools(const LoadedPlugin& plugin, const std::string& file,
                              const std::vector<const bundle::ManifestTool*>& expected) {
  std::map<std::string, std::shared_ptr<const Tool>> served;
  for (const auto& tool : plugin.tools()) served.emplace(tool->descriptor().name, tool);
  for (const bundle::ManifestTool* want : expected) {
    if (want->plugin != plugin.name() || want->plugin_version != plugin.version()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "plugin ", file, " is ", plugin.name(), " ", plugin.version(), " but the manifest says ", want->plugin, " ",
          want->plugin_version, " for tool '", want->name, "': repackage the bundle from this build"));
    }
    auto it = served.find(want->name);
    if (it == served.end()) {
      return absl::FailedPreconditionError(absl::StrCat("tool '", want->name, "' is in the manifest but plugin ", file,
                                                        " does not serve it: repackage the bundle from this build"));
    }
    if (!SameJson(it->second->descriptor().ToJson(), want->descriptor_json)) {
      return absl::FailedPreconditionError(
          absl::StrCat("tool '", want->name, "': the descriptor plugin ", file,
                       " reports differs from the manifest's: repackage the bundle from this build"));
    }
    served.erase(it);
  }
  if (!served.empty()) {
    std::vector<std::string> extra;
    for (const auto& [name, tool] : served) extra.push_back(name);
    return absl::FailedPreconditionError(
        absl::StrCat("plugin ", file, " serves tools the manifest does not list: ", absl::StrJoin(extra, ", "),
                     ": repackage the bundle from this build"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LoadedGeneration> LoadGeneration(PluginHost& host, const fs::path& generation_dir,
                                                const GenerationOptions& options) {
  LoadedGeneration g;
  g.hex = generation_dir.filename().string();
  absl::StatusOr<std::string> manifest_json =
      ReadFileLimited(generation_dir / std::string(bundle::kManifestName), bundle::kMaxManifestBytes);
  if (!manifest_json.ok()) return manifest_json.status();
  absl::StatusOr<bundle::Manifest> manifest = bundle::ParseManifest(*manifest_json);
  if (!manifest.ok()) return manifest.status();
  g.manifest = *std::move(manifest);
  if (IsSha256Hex(g.hex) && g.manifest.checksum != absl::StrCat("sha256:", g.hex)) {
    return absl::DataLossError(absl::StrCat("generation ", g.hex, " holds a manifest with checksum ",
                                            g.manifest.checksum, ": it was modified on disk"));
  }

  std::map<std::string, std::vector<const bundle::ManifestTool*>> tools_by_file;
  for (const bundle::ManifestTool& tool : g.manifest.tools) tools_by_file[tool.file].push_back(&tool);
  const fs::path dist = generation_dir / std::string(bundle::kDistDir);
  std::vector<std::shared_ptr<const Tool>> tools = options.builtins;
  for (const auto& [file, expected] : tools_by_file) {
    const fs::path path = dist / file;
    // Re-hash what is about to be loaded: a generation is immutable, so any difference is tampering or rot.
    absl::StatusOr<std::string> sha = bundle::Sha256FileHex(path);
    if (!sha.ok() || *sha != expected.front()->sha256) {
      Release(g.plugins);
      return absl::DataLossError(absl::StrCat(
          "plugin ", file, ": ", sha.ok() ? absl::StrCat("SHA-256 ", *sha) : std::string(sha.status().message()),
          " differs from the manifest's ", expected.front()->sha256,
          ": the generation was modified on disk (delete it to have it downloaded again)"));
    }
    absl::StatusOr<PluginLoadOptions> load_options = PluginOptionsFor(path, options.data_root);
    if (!load_options.ok()) {
      Release(g.plugins);
      return load_options.status();
    }
    load_options->expected_sha256 = *sha;  // just checked against the manifest: the host hashes it only once more
    absl::StatusOr<std::shared_ptr<LoadedPlugin>> plugin = host.Load(path, *load_options);
    if (!plugin.ok()) {
      Release(g.plugins);
      return absl::Status(plugin.status().code(),
                          absl::StrCat("plugin ", file, " was rejected: ", plugin.status().message()));
    }
    g.plugins.push_back(*plugin);
    if (absl::Status s = CheckPluginTools(**plugin, file, expected); !s.ok()) {
      Release(g.plugins);
      return s;
    }
    for (const auto& tool : (*plugin)->tools()) tools.push_back(tool);
    g.plugin_tools += (*plugin)->tools().size();
  }
  absl::StatusOr<std::shared_ptr<const ToolRegistry>> registry = ToolRegistry::Create(std::move(tools));
  if (!registry.ok()) {
    Release(g.plugins);
    return absl::FailedPreconditionError(absl::StrCat("self-check failed: ", registry.status().message()));
  }
  g.registry = *std::move(registry);
  return g;
}

}  // namespace edge::runtime::bundles
