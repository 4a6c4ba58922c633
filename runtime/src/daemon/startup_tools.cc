// The startup tool set: the current bundle generation, or a hand-installed directory, or the built-ins.
#include "daemon/startup_tools.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bundles/generation.h"
#include "bundles/identity.h"
#include "daemon/tool_loading.h"

namespace edge::runtime {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kComponent = "bundles";

absl::StatusOr<bundles::ServedGeneration> BuiltinsOnly(const StartupToolsInputs& in) {
  absl::StatusOr<std::shared_ptr<const ToolRegistry>> registry = ToolRegistry::Create(in.builtins);
  if (!registry.ok()) return registry.status();
  bundles::ServedGeneration served;
  served.source = "none";
  served.registry = *std::move(registry);
  return served;
}

absl::StatusOr<bundles::LoadedGeneration> LoadOne(PluginHost& host, const StartupToolsInputs& in,
                                                   const std::string& hex) {
  return bundles::LoadGeneration(host, in.layout->generation_dir(hex),
                                 bundles::GenerationOptions{in.data_root, in.builtins});
}

}  // namespace

absl::StatusOr<bundles::ServedGeneration> LoadStartupTools(PluginHost& host, const StartupToolsInputs& in,
                                                           Logger& logger) {
  if (in.layout != nullptr && in.recovery != nullptr && !in.recovery->hand_installed_dist) {
    const bundles::RecoveryReport& r = *in.recovery;
    if (!r.current) {
      logger.Info(kComponent, "no bundle installed yet: serving the built-in tools until bundle sync installs one");
      return BuiltinsOnly(in);
    }
    if (r.local_manifest_missing) {
      logger.Warn(kComponent, "the local manifest ", in.layout->manifest_link().string(),
                  " is missing: serving the built-in tools until bundle sync installs the bundle again");
      return BuiltinsOnly(in);
    }
    absl::StatusOr<bundles::LoadedGeneration> generation = LoadOne(host, in, *r.current);
    std::string serving = *r.current;
    if (!generation.ok() && r.previous && *r.previous != *r.current) {
      // The generation that served before the last swap is still on disk: serving it beats serving nothing.
      logger.Error(kComponent, "cannot serve bundle generation ", *r.current, ": ", generation.status().message(),
                   "; trying the previous generation ", *r.previous);
      absl::StatusOr<bundles::LoadedGeneration> previous = LoadOne(host, in, *r.previous);
      if (previous.ok()) {
        // Flip `current` back, so the disk says what serves; the failed generation becomes `previous` and the
        // next sync re-verifies it (and rejects it again) if the platform still targets it.
        if (absl::Status s = in.layout->Activate(*r.previous); !s.ok()) {
          logger.Warn(kComponent, "could not point bundles/current back at ", *r.previous, ": ", s.message());
        }
        logger.Warn(kComponent, "rolled back to the previous bundle generation ", *r.previous);
        generation = *std::move(previous);
        serving = *r.previous;
      } else {
        generation = absl::Status(generation.status().code(),
                                  absl::StrCat(generation.status().message(), "; the previous generation ",
                                               *r.previous, " failed too: ", previous.status().message()));
      }
    }
    if (!generation.ok()) {
      logger.Error(kComponent, "cannot serve bundle generation ", serving, ": ", generation.status().message(),
                   "; serving the built-in tools until bundle sync installs a good generation");
      return BuiltinsOnly(in);
    }
    const fs::path dir = in.layout->generation_dir(serving);
    bundles::ServedGeneration served;
    served.generation = serving;
    served.source = "bundle";
    absl::StatusOr<bundles::BundleIdentity> identity = bundles::ReadBundleIdentity(dir);
    if (identity.ok()) {
      served.identity = *identity;
    } else {
      logger.Warn(kComponent, "generation ", serving, " has no readable ", bundles::kBundleRefFile, " (",
                  identity.status().message(), "): its bundle id and version are reported after the next sync");
      served.identity = bundles::BundleIdentity{"", 0, generation->manifest.checksum};
    }
    logger.Info(kComponent, "serving bundle ", served.identity->bundle_id.empty() ? "?" : served.identity->bundle_id,
                " v", served.identity->version, " (generation ", serving, ", ", generation->plugins.size(),
                " plugins, ", generation->plugin_tools, " tools)");
    served.plugins = std::move(generation->plugins);
    served.registry = std::move(generation->registry);
    return served;
  }
  absl::StatusOr<LoadedTools> tools = LoadToolsWith(host, in.implementations_dir, in.data_root, in.builtins, logger);
  if (!tools.ok()) return tools.status();
  bundles::ServedGeneration served;
  served.source = tools->plugins.empty() ? "none" : "local";
  served.generation = tools->plugins.empty() ? "" : "local";
  served.plugins = std::move(tools->plugins);
  served.registry = std::move(tools->registry);
  logger.Info("daemon", "serving ", served.registry->tools().size(), " tools (", served.plugins.size(),
              " plugins from ", in.implementations_dir.string(), ", ", tools->failures.size(), " failed)");
  return served;
}

}  // namespace edge::runtime
