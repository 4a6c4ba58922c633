// The daemon's startup tool set: built-ins plus the plugins of the implementations directory.
#include "daemon/tool_loading.h"

#include <algorithm>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bundles/plugin_options.h"

namespace edge::runtime {
namespace fs = std::filesystem;

fs::path ImplementationsDir(const std::string& install_dir, const std::string& custom_path) {
  if (!custom_path.empty()) return fs::path(custom_path);
  return fs::path(install_dir) / "dist";
}

namespace {

// Plugin files of `dir` and of `dir/tools` (the bundle layout), sorted, so load order is stable.
std::vector<fs::path> PluginFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const fs::path& d : {dir, dir / "tools"}) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& entry : fs::directory_iterator(d, ec)) {
      if (entry.is_regular_file(ec) && entry.path().extension() == ".so") files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

absl::StatusOr<LoadedTools> LoadTools(PluginHost& host, const fs::path& implementations_dir,
                                      const fs::path& data_root, RuntimeStatusProvider status, Logger& logger) {
  return LoadToolsWith(host, implementations_dir, data_root, BuiltinDiagnosticsTools(std::move(status)), logger);
}

absl::StatusOr<LoadedTools> LoadToolsWith(PluginHost& host, const fs::path& implementations_dir,
                                          const fs::path& data_root, std::vector<std::shared_ptr<const Tool>> builtins,
                                          Logger& logger) {
  LoadedTools out;
  std::vector<std::shared_ptr<const Tool>> tools = std::move(builtins);
  std::error_code ec;
  if (!fs::is_directory(implementations_dir, ec)) {
    logger.Warn("daemon", "implementations directory ", implementations_dir.string(),
                " does not exist: serving the built-in diagnostics only (set customImplementationsPath or "
                "install a bundle into dist/)");
  }
  for (const fs::path& file : PluginFiles(implementations_dir)) {
    auto options = bundles::PluginOptionsFor(file, data_root);
    if (!options.ok()) {
      out.failures.push_back(absl::StrCat(file.string(), ": ", options.status().message()));
      continue;
    }
    auto plugin = host.Load(file, *options);
    if (!plugin.ok()) {
      out.failures.push_back(absl::StrCat(file.string(), ": ", plugin.status().message()));
      logger.Error("daemon", "plugin ", file.string(), " was not loaded: ", plugin.status().message());
      continue;
    }
    logger.Info("daemon", "loaded plugin ", (*plugin)->name(), " ", (*plugin)->version(), " (",
                (*plugin)->tools().size(), " tools) from ", file.string());
    for (const auto& tool : (*plugin)->tools()) tools.push_back(tool);
    out.plugins.push_back(*std::move(plugin));
  }
  auto registry = ToolRegistry::Create(std::move(tools));
  if (!registry.ok()) return registry.status();
  out.registry = *std::move(registry);
  return out;
}

}  // namespace edge::runtime
