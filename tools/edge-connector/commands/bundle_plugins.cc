// Finding, checking and loading the plugins `package` puts into a bundle.
#include "commands/bundle_plugins.h"

#include <algorithm>
#include <map>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "edge/runtime/plugin_host.h"
#include "harness/conformance.h"

namespace edge::cli {
namespace fs = std::filesystem;

namespace {

// The *.so files directly in `dir` (none when `dir` does not exist).
absl::Status ScanDirectory(const fs::path& dir, std::map<std::string, PluginSource>* found) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::OkStatus();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() != ".so" || !fs::is_regular_file(path, ec)) continue;  // follows symlinks
    const std::string name = path.filename().string();
    if (auto existing = found->find(name); existing != found->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "two plugins are named ", name, ": ", existing->second.library.string(), " and ", path.string(),
          "; both would become dist/tools/", name, ": keep only one of them"));
    }
    PluginSource source;
    source.library = path;
    source.file_name = name;
    fs::path config = path;
    config.replace_extension(".json");
    if (fs::is_regular_file(config, ec)) source.config = config;
    found->emplace(name, std::move(source));
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot list ", dir.string(), ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PluginSource>> CollectPlugins(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("--implementations ", dir.string(),
                                                   " is not a directory: give the directory that holds the built "
                                                   "plugins (*.so), or their tools/ subdirectory's parent"));
  }
  std::map<std::string, PluginSource> found;  // sorted by file name
  if (absl::Status s = ScanDirectory(dir, &found); !s.ok()) return s;
  if (absl::Status s = ScanDirectory(dir / "tools", &found); !s.ok()) return s;
  if (found.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no plugins (*.so) in ", dir.string(), " or ",
                                                   (dir / "tools").string(),
                                                   ": build them first, or point --implementations at the "
                                                   "directory that holds them"));
  }
  std::vector<PluginSource> plugins;
  for (auto& [name, source] : found) plugins.push_back(std::move(source));
  return plugins;
}

absl::Status CheckPlugins(const std::vector<StagedPlugin>& plugins,
                          const std::function<void(std::string_view)>& on_status) {
  for (const StagedPlugin& plugin : plugins) {
    harness::ConformanceOptions options;
    options.plugin = plugin.staged;
    options.config_json = plugin.config_json;
    options.packaging_only = true;
    std::vector<harness::CheckResult> results = harness::RunConformanceIsolated(options);
    for (const harness::CheckResult& r : results) {
      if (r.verdict != harness::CheckVerdict::kFail) continue;
      // The host names the staged copy it loaded; the user knows the file they gave.
      const std::string detail = absl::StrReplaceAll(r.detail, {{plugin.staged.string(), plugin.source.string()}});
      return absl::FailedPreconditionError(
          absl::StrCat(plugin.source.string(), " failed the packaging check '", r.name, "': ", detail,
                       " (`edge-connector test --plugin ", plugin.source.string(), " --check` shows the full report)"));
    }
    std::string detail;
    for (const harness::CheckResult& r : results) {
      if (r.name == "descriptors") detail = r.detail;
    }
    if (on_status) on_status(absl::StrCat("checked ", plugin.relative_path, ": ", detail));
  }
  return absl::OkStatus();
}

absl::StatusOr<Discovery> DiscoverTools(const std::vector<StagedPlugin>& plugins) {
  runtime::PluginHost host;  // its own temporary content store, removed with it
  Discovery discovery;
  std::map<std::string, std::string> owner;  // tool name -> plugin path, for the duplicate message
  for (const StagedPlugin& plugin : plugins) {
    runtime::PluginLoadOptions load;
    load.config_json = plugin.config_json;
    auto loaded = host.Load(fs::absolute(plugin.staged), load);
    if (!loaded.ok()) {  // it passed its checks in a child a moment ago: rare (nondeterministic init?)
      return absl::FailedPreconditionError(absl::StrReplaceAll(
          loaded.status().message(), {{fs::absolute(plugin.staged).string(), plugin.source.string()}}));
    }
    const runtime::LoadedPlugin& p = **loaded;
    discovery.abi_minor = std::max(discovery.abi_minor, p.negotiated_minor());
    for (const auto& tool : p.tools()) {
      const runtime::ToolDescriptor& d = tool->descriptor();
      auto [it, inserted] = owner.emplace(d.name, plugin.source.string());
      if (!inserted) {
        return absl::InvalidArgumentError(absl::StrCat(
            "two plugins declare the tool '", d.name, "': ", it->second, " and ", plugin.source.string(),
            "; a connector refuses to serve both: rename the tool in one of them or leave one plugin out"));
      }
      discovery.tools.push_back(
          DiscoveredTool{d.name, p.name(), p.version(), plugin.relative_path, d.ToJson()});
    }
    // `loaded` goes out of scope here: the plugin shuts down and unloads before the next one loads.
  }
  std::sort(discovery.tools.begin(), discovery.tools.end(),
            [](const DiscoveredTool& a, const DiscoveredTool& b) { return a.name < b.name; });
  return discovery;
}

}  // namespace edge::cli
